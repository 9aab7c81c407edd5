"""``backend="auto"`` (the default): JAX from AUTO_JAX_PATIENT_YEARS of work when JAX imports, NumPy below;
what ran is recorded (never "auto"). No wall-clock assertions: the threshold's measurements are in
benchmarks/README.md; here only the rule and the records."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

import isamm.pk._backend as backend_mod
from isamm import pk
from isamm.errors import InputError
from pk_calendars import grid, isa_events

YEAR_H = 365.25 * 24.0


@pytest.mark.parametrize("years, expected", [(0.0, "numpy"), (499.9, "numpy"), (500.0, "jax"), (1e6, "jax")])
def test_auto_is_jax_from_the_threshold_on(years, expected):
    assert pk.AUTO_JAX_PATIENT_YEARS == 500.0
    assert pk.resolve_backend("auto", years * YEAR_H) == expected


@pytest.mark.parametrize("name", ["numpy", "jax"])
def test_an_explicit_backend_is_kept_whatever_the_work(name):
    assert pk.resolve_backend(name, 0.0) == name
    assert pk.resolve_backend(name, 1e9) == name


def test_auto_without_jax_is_numpy_and_jax_without_jax_an_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "isamm.pk._engine_jax", None)  # import fails as without JAX
    assert pk.resolve_backend("auto", 1e9) == "numpy"
    with pytest.raises(InputError, match="needs JAX"):
        pk.resolve_backend("jax", 1.0)


def test_unknown_backend_names_the_choices():
    with pytest.raises(InputError, match="expected auto or numpy or jax, got 'cuda'"):
        pk.resolve_backend("cuda", 1.0)


def test_simulate_records_the_engine_that_ran_and_auto_equals_it(monkeypatch):
    m = pk.load_model("isatuximab_fau2020")
    pats = pk.sample_patients(m, 6, seed=2)
    ev = pk.regimen_events("ISA-MONO-10-QW-Q2W", pats.covariates["weight_kg"], weeks=4, drug="isatuximab")
    times = grid(4, 24.0)
    small = pk.simulate(m, pats, ev, times)  # 6 patients × 4 weeks: NumPy
    assert small.backend == "numpy"
    np.testing.assert_array_equal(small.conc_ug_ml, pk.simulate(m, pats, ev, times, backend="numpy").conc_ug_ml)
    monkeypatch.setattr(backend_mod, "AUTO_JAX_PATIENT_YEARS", 0.01)  # this work is now "large"
    big = pk.simulate(m, pats, ev, times)
    assert big.backend == "jax"
    jax = pk.simulate(m, pats, ev, times, backend="jax")
    assert jax.backend == "jax"
    np.testing.assert_array_equal(big.conc_ug_ml, jax.conc_ug_ml)
    # the same patients either way (the seed draws them, not the engine), the same numbers within 1e-5
    m1 = small.conc_ug_ml > 1.0
    assert np.max(np.abs(big.conc_ug_ml[m1] - small.conc_ug_ml[m1]) / small.conc_ug_ml[m1]) <= 1e-5


def test_the_work_counts_the_span_integrated_and_the_end_of_follow_up(monkeypatch):
    calls = []
    real = backend_mod.resolve_backend

    def spy(backend, patient_hours):
        calls.append(patient_hours)
        return real(backend, patient_hours)

    import isamm.pk._simulate as sim_mod

    monkeypatch.setattr(sim_mod, "resolve_backend", spy)
    ev = isa_events(2)
    pk.simulate("isatuximab_fau2020", None, ev, [0.0, 100.0, 400.0])
    pk.simulate("isatuximab_fau2020", None, ev, [0.0, 100.0, 400.0], end_h=[50.0])
    assert calls == [pytest.approx(400.0 - min(0.0, float(ev["time_h"].min()))), pytest.approx(50.0)]


def test_exposure_chooses_once_for_the_population_and_records_it(monkeypatch):
    m = pk.load_model("isatuximab_fau2020")
    pop = pk.Population(m, 5, seed=1)
    cal = pk.RegimenCalendar.of("ISA-MONO-10-QW-Q2W", weeks=8, drug="isatuximab")
    assert pk.exposure(m, pop, cal).backend == "numpy"
    # 5 patients × ~7 weeks ≈ 0.7 patient-years: above 0.5, each chunk of 2 (0.27 patient-years) is below,
    # and still every chunk runs JAX (decided for the whole population)
    monkeypatch.setattr(backend_mod, "AUTO_JAX_PATIENT_YEARS", 0.5)
    seen = []
    import isamm.pk._exposure as exp_mod

    real = exp_mod.simulate
    monkeypatch.setattr(exp_mod, "simulate", lambda *a, **k: seen.append(k["backend"]) or real(*a, **k))
    out = pk.exposure_stream(m, pop, cal, chunk_patients=2)
    assert out.backend == "jax" and set(seen) == {"jax"} and len(seen) == 6


def test_trial_work_is_isatuximab_arms_times_mean_follow_up():
    from isamm.trials import load_trial
    from isamm.trials._run import trial_patient_hours
    from isamm.trials._spec import get_regimen
    from isamm.units import DAYS_PER_MONTH

    spec = load_trial("ICARIA-MM")
    isa_n = sum(a.n for a in spec.arms if "isatuximab" in get_regimen(a.regimen).drugs)
    assert 0 < isa_n < sum(a.n for a in spec.arms)  # the control arm integrates no PK
    expected = 3 * isa_n * (spec.data_cutoff_months - spec.accrual_months / 2) * DAYS_PER_MONTH * 24.0
    assert trial_patient_hours(spec, 3) == pytest.approx(expected)


@pytest.mark.parametrize("patients, expected", [("5", "numpy")])
def test_cli_json_records_the_backend(cli, patients, expected):
    r = cli("pk", "simulate", "--regimen", "ISA-MONO-10", "--weeks", "4", "--patients", patients, "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["backend"] == expected
    r = cli("pk", "exposure", "--regimen", "ISA-MONO-10-QW-Q2W", "--weeks", "8", "--patients", patients,
            "--backend", "jax", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["backend"] == "jax"
