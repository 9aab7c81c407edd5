"""Calibration: sees only `calibration` numbers, never moves a fixed parameter, writes its provenance."""

from __future__ import annotations

import math

import numpy as np
import pytest

import isamm.trials.evidence as ev
from isamm.disease import load_parameters
from isamm.errors import InputError
from isamm.trials._calibrate import (_Objective, Target, calibrate, calibration_targets, interpolated_median,
                                     parameter_file_text)

P = load_parameters()


def test_objective_sees_no_validation_number():
    cal = calibration_targets()
    assert cal and all(t.role == "calibration" for t in cal)
    validation = {(v["trial"], v["arm"], v["metric"]) for v in ev.targets("validation")}
    assert validation, "the evidence base has validation targets"
    assert not validation & {(t.trial, t.arm, t.metric) for t in cal}
    # the isatuximab + dexamethasone arm of TED10893 is a validation target: never simulated by the objective
    obj = _Objective(cal, P, seed=1, n_virtual=20, backend="numpy")
    ted = obj.trials["TED10893"]
    assert [ted.arms[i].id for i in obj.arms_needed("TED10893")] == ["Isa"]
    assert set(obj.trials) == {"ICARIA-MM", "IKEMA", "MM-002", "TED10893"}


def test_a_mislabelled_number_cannot_leak(monkeypatch):
    real = ev.targets

    def leaky(role):
        rows = real(role)
        bad = dict(rows[0], trial="TED10893", arm="Isa-d", metric="orr", value=0.436, role="validation")
        return rows + [bad]

    monkeypatch.setattr(ev, "targets", leaky)
    assert all(not (t.trial == "TED10893" and t.arm == "Isa-d") for t in calibration_targets())


def test_residuals_and_weights():
    prop = Target("T", "A", "orr", 0.6, 0.04, "linear", False, "s", "calibration")
    assert prop.residual(0.64, 12.0) == pytest.approx(1.0)
    hr = Target("T", None, "hr_pfs", 0.5, 0.2, "log", False, "s", "calibration")
    assert hr.residual(0.5 * math.exp(0.4), 12.0) == pytest.approx(2.0)
    nr = Target("T", "A", "median_pfs_months", None, 0.25, "log", True, "s", "calibration", 20.7)
    assert nr.residual(None, 12.0) == 0.0 and nr.residual(25.0, 12.0) == 0.0
    assert nr.residual(20.7 * math.exp(-0.5), 12.0) == pytest.approx(2.0)
    # ICARIA-MM Isa-Pd median PFS 11.53 (95% CI 8.94–13.9): sd of log = (ln 13.9 − ln 8.94) / (2·1.96)
    t = next(t for t in calibration_targets() if t.id == "ICARIA-MM/Isa-Pd/median_pfs_months")
    assert t.sd == pytest.approx((math.log(13.9) - math.log(8.94)) / (2 * 1.959964), rel=1e-5)
    # IKEMA HR 0.531, 99% CI 0.318–0.889
    t = next(t for t in calibration_targets() if t.id == "IKEMA/-/hr_pfs")
    assert t.sd == pytest.approx((math.log(0.889) - math.log(0.318)) / (2 * 2.575829), rel=1e-5)
    # ORR without a CI: binomial SD at the trial's n (ICARIA-MM Isa-Pd 60.4% of 154)
    t = next(t for t in calibration_targets() if t.id == "ICARIA-MM/Isa-Pd/orr")
    assert t.sd == pytest.approx(math.sqrt(0.604 * 0.396 / 154))


def test_fixed_parameters_untouched_and_provenance_written(tmp_path):
    res = calibrate(seed=3, budget_minutes=0.02, n_virtual=20)
    for name in P.roles("fixed"):
        assert res.parameters[name] == P[name], name
    assert res.evaluations >= 1 and res.objective <= res.start_objective
    path = tmp_path / "fitted.toml"
    path.write_text(parameter_file_text(res), encoding="utf-8")
    back = load_parameters(path)
    assert back.values == res.parameters.values
    cal = back.spec["calibration"]
    assert cal["settings"]["seed"] == 3 and cal["settings"]["n_virtual"] == 20
    assert set(cal["targets"]) == {t.id for t in calibration_targets()}
    assert "trials/icaria-mm.yaml" in cal["data_sha256"] and "evidence/icaria-mm.yaml" in cal["data_sha256"]
    assert cal["start_sha256"] == P.sha256
    assert "calibrated on" in back.status
    # every search stage in order, with its evaluations (besides the start and the final re-evaluation)
    assert cal["stages"] and cal["stages"][0]["parameters"] == [n for n in P.roles("calibrate") if not n.startswith("h_disc")]
    assert sum(st["evaluations"] for st in cal["stages"]) == res.evaluations - 2
    for name in P.roles("fixed"):
        assert back.spec["parameters"][name]["tag"] != "calibrated"
    # the held-out check: the same objective on replicate 1's virtual patients, never fitted, recorded
    held = cal["held_out"]
    assert held["replicate"] == 1 and set(held["outside"]) <= set(cal["targets"])
    check = _Objective(calibration_targets(), P, seed=3, n_virtual=20, backend=res.settings["backend"], replicate=1)
    residuals, _ = check.residuals(res.parameters)
    assert held["objective"] == pytest.approx(float(np.sum(residuals**2)), rel=1e-12)
    assert [f["held_out_residual"] for f in cal["fit"]] == pytest.approx(list(residuals), rel=1e-12)
    fitted = _Objective(calibration_targets(), P, seed=3, n_virtual=20, backend=res.settings["backend"])
    assert fitted.residuals(res.parameters)[0].tolist() != residuals.tolist()  # other patients, other numbers


def test_the_budget_covers_the_held_out_check(monkeypatch):
    # a fake clock on which every objective evaluation takes one minute (no wall-clock assertion): with 5
    # minutes the search must stop early enough for the final scoring and the held-out check
    import isamm.trials._calibrate as cal

    clock = [0.0]
    monkeypatch.setattr(cal.time, "monotonic", lambda: clock[0])
    scored = cal._Objective.residuals

    def one_minute(self, params):
        clock[0] += 60.0
        return scored(self, params)

    monkeypatch.setattr(cal._Objective, "residuals", one_minute)
    res = calibrate(seed=3, budget_minutes=5, n_virtual=20, free=("kG", "emax_isa"))
    assert res.held_out is not None and clock[0] <= 5 * 60.0
    assert res.evaluations == 4  # start, two in the search, the final scoring (the held-out is its own)


def test_fixed_parameters_cannot_be_freed():
    with pytest.raises(InputError, match="fixed parameter"):
        calibrate(budget_minutes=0.01, free=("ec50_isa",))
    with pytest.raises(InputError, match="option budget_minutes: out of range"):
        calibrate(budget_minutes=0)


def _km_table(times, events=None):
    from isamm.outcomes import kaplan_meier

    events = [1] * len(times) if events is None else events
    return kaplan_meier(times, events)["all"].table


def test_interpolated_median_closed_forms():
    # 10 patients progressing at visits 1, 2, 3 (Δ = 1 month): S = 0.8, 0.4, 0 at the visits
    table = _km_table([1, 1, 2, 2, 2, 2, 3, 3, 3, 3])
    assert interpolated_median(table, 1.0) == pytest.approx(1 + (0.8 - 0.5) / (0.8 - 0.4))  # 1.75; step median 2
    # the curve lands on 0.5 at a visit: that visit (R's step median is the midpoint 2.5)
    assert interpolated_median(_km_table([1, 1, 2, 2, 2, 3, 3, 3, 3, 3]), 1.0) == pytest.approx(2.0)
    # a death between visits counts at the next visit: S(1) = 0.9, S(2) = 0.3 (a death at 1.5, five at 2)
    table = _km_table([1, 1.5, 2, 2, 2, 2, 2, 3, 3, 3])
    assert interpolated_median(table, 1.0) == pytest.approx(1 + (0.9 - 0.5) / (0.9 - 0.3))
    # censored before 0.5: not reached
    assert math.isnan(interpolated_median(_km_table([1, 2, 3, 4], [1, 0, 0, 0]), 1.0))


def test_interpolated_median_is_continuous_where_the_step_median_jumps():
    # 100 patients; k progress at visit 1 and the rest at visit 2 (Δ = 1): the step median jumps from 2 to 1
    # as k passes 50, the interpolated one moves by 1/k-sized steps
    from isamm.outcomes import kaplan_meier

    steps, smooth = [], []
    for k in (48, 49, 50, 51, 52):
        times = [1.0] * k + [2.0] * (100 - k)
        steps.append(kaplan_meier(times, [1] * 100)["all"].median)
        smooth.append(interpolated_median(_km_table(times), 1.0))
    assert steps[0] == 2.0 and steps[-1] == 1.0
    assert max(abs(a - b) for a, b in zip(smooth, smooth[1:])) < 0.05  # 1/k ≈ 0.02 per patient
    assert smooth == sorted(smooth, reverse=True)


def test_pk_cache_keeps_the_most_recent_entries():
    from isamm.trials._calibrate import _PKCache

    cache = _PKCache(max_entries=3)
    for k in "abc":
        cache[k] = k.upper()
    assert cache["a"] == "A"  # used: now the most recent
    cache["d"] = "D"
    assert list(cache) == ["c", "a", "d"] and "b" not in cache


def test_cli_calibrate_bad_dask_address(cli, tmp_path):
    res = cli("trial", "calibrate", "--budget-minutes", "0.01", "--n-virtual", "20", "--dask", "nowhere",
              "-o", str(tmp_path / "p.toml"))
    assert res.exit_code == 2 and "scheduler address" in res.stderr
    assert not (tmp_path / "p.toml").exists()
