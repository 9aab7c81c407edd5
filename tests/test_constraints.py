"""Numbers without limits (issue 12): each domain declared once (isamm._constraints), checked by the library
and named by the CLI as typed; work that cannot fit in memory is refused before it starts.

As scikit-learn's ``check_param_validation``: for every declared constraint an invalid value is generated
and the message checked.
"""

from __future__ import annotations

import numpy as np
import pytest

from isamm._constraints import MAX_TIME_H, PATIENTS, SEED, WEIGHT_KG, Interval, check_work, validate
from isamm.errors import InputError


def _invalid_values(interval: Interval) -> list:
    """Values just outside the interval, of the wrong kind, and non-finite."""
    out = [float("nan"), float("inf"), "5", True]
    if interval.low is not None:
        out.append(interval.low - 1)
    if interval.high is not None:
        out.append(interval.high + 1)
    if interval.kind is int:
        out.append(1.5)
    return out


@pytest.mark.parametrize("name, interval", [("seed", SEED), ("patients", PATIENTS), ("weight_kg", WEIGHT_KG)])
def test_every_invalid_value_is_named(name, interval):
    for bad in _invalid_values(interval):
        with pytest.raises(InputError) as info:
            validate({name: interval}, **{name: bad})
        text = str(info.value)
        assert text.startswith(f"option {name}: out of range: expected {interval.describe()}")
    for good in (interval.low, interval.high):
        validate({name: interval}, **{name: interval.kind(good)})


def test_numpy_values_print_as_written():
    with pytest.raises(InputError, match=r"got -5$"):
        validate({"seed": SEED}, seed=np.int64(-5))


def test_work_that_cannot_fit_is_refused_with_a_chunk_size():
    check_work(1000, 1000, "times_h")
    with pytest.raises(InputError, match=r"runs of at most 100,000 patients"):
        check_work(1_000_000, 1000, "times_h")


def test_library_entry_points_check_their_domains():
    import isamm.pk as pk
    import isamm.regimens as rg

    with pytest.raises(InputError, match="option seed: out of range"):
        pk.sample_patients("isatuximab_fau2020", 3, seed=-1)
    with pytest.raises(InputError, match="option n: out of range"):
        pk.sample_patients("isatuximab_fau2020", 10**9, seed=1)
    with pytest.raises(InputError, match="option times_h: invalid time: expected a number from 0 to 438 300 h"):
        pk.simulate("isatuximab_fau2020", None, pk.regimen_events("ISA-PD", [70], weeks=2, drug="isatuximab"),
                    [0, MAX_TIME_H * 2])
    with pytest.raises(InputError, match="option start_date: start date out of range"):
        rg.get("ISA-PD").schedule(rg.Patient(weight_kg=70, age_y=60), cycles=2, start_date="9999-12-25")
    with pytest.raises(InputError, match="option horizon_days: out of range"):
        pk.washout(pk.regimen_events("DARA-IV", [70], weeks=8, drug="daratumumab"), n_patients=None,
                   horizon_days=1e7)


def test_the_weight_limit_is_the_regimens_one():
    from isamm.regimens._patient import WEIGHT_LIMITS_KG

    assert (WEIGHT_KG.low, WEIGHT_KG.high) == WEIGHT_LIMITS_KG


@pytest.mark.parametrize("args, line", [
    (["pk", "simulate", "--regimen", "ISA-PD", "--weeks", "2", "--step-h", "0"],
     "isamm: error: option --step-h: out of range: expected a number from 0.01 to 8766 h (from 36 s to a year), got 0"),
    (["pk", "simulate", "--regimen", "ISA-PD", "--weeks", "2", "--seed", "-1", "--patients", "3"],
     "isamm: error: option --seed: out of range: expected an integer from 0 to 4 294 967 295 (NumPy's seed range), "
     "got -1"),
    (["pk", "simulate", "--regimen", "ISA-PD", "--weeks", "2", "--patients", "1000000000"],
     "option --patients: out of range: expected an integer from 1 to 1 000 000"),
    (["pk", "simulate", "--regimen", "ISA-PD", "--weeks", "2", "--times-h", "1e12"],
     "option --times-h: entry 1 of 1 out of range: expected comma-separated values, each a number from 0 to 438 300 h"),
    (["pk", "simulate", "--regimen", "ISA-PD", "--weeks", "2", "--step-h", "1e-9"],
     "option --step-h: out of range: expected a number from 0.01 to 8766 h (from 36 s to a year), got 1e-9"),
    (["pk", "simulate", "--regimen", "ISA-PD", "--weeks", "520", "--step-h", "0.01", "--patients", "10"],
     "option --step-h: 10 patient(s) × 8,736,001 output times need ~2.8 GB, over the 2.0 GB budget (ISAMM_MEMORY_GB): "
     "expected a smaller run: 'isamm pk exposure' for exposure metrics (it streams patients in chunks)"),
    (["pk", "simulate", "--regimen", "ISA-PD", "--weeks", "2", "--weight-kg", "1000000"],
     "option --weight-kg: out of range: expected a number from 20 to 350 kg"),
    (["pk", "washout", "--weeks-treated", "8", "--typical", "--horizon-days", "1e7"],
     "option --horizon-days: out of range: expected a number > 0 and <= 3652.5 days"),
    (["schedule", "ISA-PD", "--weight-kg", "70", "--age", "60", "--cycles", "2", "--start-date", "9999-12-25"],
     "option --start-date: date out of range: expected a date YYYY-MM-DD from 1900-01-01 to 2199-12-31 (a treatment "
     "date), got '9999-12-25'"),
])
def test_cli_one_line_before_any_work(cli, monkeypatch, args, line):
    monkeypatch.setenv("ISAMM_MEMORY_GB", "2")
    r = cli(*args)
    assert r.exit_code == 2 and r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and line in lines[0], r.stderr
