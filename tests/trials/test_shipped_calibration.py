"""The shipped default parameters against the published calibration numbers (issue: done when each is
inside its published 95% CI), re-simulated here rather than read from the file's own fit table."""

from __future__ import annotations

import math

import pytest

from isamm.disease import load_parameters
from isamm.trials._calibrate import _km_residual, _Objective, calibration_targets

#: Calibration targets the shipped default misses, each stated in the README (never hidden, never widened).
#: None since the fastest growers progress at their first visit instead of being censored at day 0 (README,
#: "Against the issue's criterion"); a future default that misses one names it here.
KNOWN_MISSES: set[str] = set()


@pytest.fixture(scope="module")
def shipped():
    params = load_parameters()
    settings = params.spec["calibration"]["settings"]
    targets = calibration_targets()
    obj = _Objective(targets, params, seed=settings["seed"], n_virtual=settings["n_virtual"],
                     backend=settings["backend"], median=settings.get("median", "km"))
    residuals, values = obj.residuals(params)
    return params, targets, obj, residuals, values


def test_the_recorded_fit_is_reproduced(shipped):
    # same seed, same virtual patients: the file's per-target values come back (a platform's last-ulp
    # differences may move one virtual patient: 1/n_virtual in a proportion; two are allowed)
    params, targets, _, _, values = shipped
    n_virtual = params.spec["calibration"]["settings"]["n_virtual"]
    recorded = {f["id"]: f for f in params.spec["calibration"]["fit"]}
    for t in targets:
        sim, rec = values.get(t.id), recorded[t.id].get("simulated")
        if rec is None:
            assert sim is None or t.not_reached, t.id
            continue
        tol = 2.0 / n_virtual if t.metric in ("orr", "vgpr_or_better") else 0.02 * abs(rec)
        assert sim == pytest.approx(rec, abs=tol), t.id


def test_every_calibration_target_inside_its_published_ci(shipped):
    # published 95% CI where one is published, else the binomial / 1/sqrt(events) approximation the
    # objective weights with (sd); the check uses the ordinary KM median, as published medians are
    _, targets, obj, residuals, values = shipped
    outside = set()
    for t, r in zip(targets, residuals):
        r_km = _km_residual(t, values, obj)
        r = r_km if r_km is not None else r
        if not math.isfinite(r) or abs(r) > 1.96:
            outside.add(t.id)
    assert outside == KNOWN_MISSES
