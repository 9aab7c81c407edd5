"""Washout planner: days to threshold against independent calculations, both models named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from isamm import pk
from isamm.errors import InputError
from pk_calendars import dara_events


def test_typical_washout_crossing_matches_a_fine_grid():
    # The planner's daily grid + log-linear interpolation vs a 0.5 h grid (independent: brute force).
    ev = dara_events(24)
    w = pk.washout(ev, models=["daratumumab_luo2021"], n_patients=None, threshold_ug_ml=1.0, horizon_days=400)
    d = w.to_dict()["days_to_threshold"]["median"]
    last = ev.time_h.max()
    t = last + np.arange(0, 400 * 24, 0.5)
    c = pk.simulate("daratumumab_luo2021", None, ev, t).conc_ug_ml[0]
    brute = (t[np.argmax(c < 1.0)] - last) / 24.0
    assert d == pytest.approx(brute, abs=0.5 / 24 + 1e-6)


def test_xu2020_late_washout_follows_the_linear_beta_half_life():
    """pk_models.md §4: after 6 months Xu's saturable pathway has vanished (KDES = 0.0013/h), so C
    falls with the linear two-compartment β half-life (~43 d for the non-IgG reference patient)."""
    ev = dara_events(24)
    w = pk.washout(ev, models=["daratumumab_xu2020"], n_patients=None, horizon_days=720, threshold_ug_ml=1e-3)
    r = w.results[0]
    i1, i2 = np.searchsorted(r.days_after_last_dose, [300.0, 400.0])
    slope = np.log(r.conc_ug_ml[0, i1] / r.conc_ug_ml[0, i2]) / 100.0
    p = pk.typical_patients("daratumumab_xu2020").parameters()
    t_half = pk.linear_half_life_h(p["CL"], p["V1"], p["Q"], p["V2"])[0] / 24.0
    assert t_half == pytest.approx(43.0, rel=0.03)  # pk_models.md: "about 43 d"
    assert np.log(2) / slope == pytest.approx(t_half, rel=0.01)


def test_both_models_are_named_and_disagree_about_threefold():
    w = pk.washout(lambda wt: pk.regimen_events("DARA-IV", wt, weeks=24, drug="daratumumab"),
                   n_patients=200, seed=3, threshold_ug_ml=1.0)
    d = w.to_dict()
    assert d["model"] == "daratumumab_xu2020" and "doi:10.1007/s12325-020-01247-8" in d["citation"]
    assert set(d["models"]) == {"daratumumab_xu2020", "daratumumab_luo2021"}
    for m in d["models"].values():
        assert m["model"] in m["citation"]
        lo, med = m["days_to_threshold"]["p5"], m["days_to_threshold"]["median"]
        assert lo is not None and med is not None and lo <= med
    # pk_models.md §4: "differs between the two models by a factor of about 3" (typical patients);
    # population medians: accept 2-4.
    assert 2.0 <= d["median_ratio_between_models"] <= 4.0
    band = w.band()
    assert set(band["model"]) == set(d["models"])
    assert (band["p5_ug_ml"] <= band["median_ug_ml"]).all() and (band["median_ug_ml"] <= band["p95_ug_ml"]).all()


def test_isatuximab_model_is_refused_and_threshold_checked():
    ev = dara_events(8)
    with pytest.raises(InputError, match="daratumumab"):
        pk.washout(ev, models=["isatuximab_fau2020"], n_patients=None)
    with pytest.raises(InputError, match="option threshold_ug_ml: out of range"):
        pk.washout(ev, n_patients=None, threshold_ug_ml=0.0)


def test_regimen_events_scale_mg_per_kg_like_the_regimen_engine():
    import isamm.regimens as rg

    ev = pk.regimen_events("DARA-IV", [55.0, 92.5], weeks=12, drug="daratumumab")
    for i, w in enumerate([55.0, 92.5]):
        direct = rg.dose_events(rg.get("DARA-IV").schedule(rg.Patient(weight_kg=w, height_cm=165, age_y=70), weeks=12),
                                drugs="daratumumab")
        mine = ev[ev.patient == i].reset_index(drop=True)
        np.testing.assert_allclose(mine.amount_mg, direct.amount_mg, rtol=1e-12)
        np.testing.assert_array_equal(mine.time_h, direct.time_h)
    flat = pk.regimen_events("DARA-SC", [55.0, 92.5], weeks=4, drug="daratumumab")
    assert (flat.amount_mg == 1800.0).all()
    with pytest.raises(InputError):
        pk.regimen_events("NOT-A-REGIMEN", [70.0], weeks=4)


def test_concentration_at_isatuximab_start_equals_a_direct_simulation():
    ev = dara_events(24)
    w = pk.washout(ev, n_patients=None, at_days=[97.25], threshold_ug_ml=1.0)
    last = ev.time_h.max()
    for r in w.results:
        direct = pk.simulate(r.model_id, None, ev, [last + 97.25 * 24]).conc_ug_ml[0, 0]
        assert r.at(97.25)["median"] == pytest.approx(direct, rel=1e-6)
        assert "97.25" in r.to_dict()["conc_ug_ml_after_last_dose"]
    with pytest.raises(InputError, match="option at_days: entry 1 of 1 out of range"):
        pk.washout(ev, n_patients=None, at_days=[-3.0])


def test_models_for_routes_keeps_the_models_that_can_simulate_the_history():
    # Xu 2020 is an IV model, Luo 2021 has IV and SC (their model files): after SC doses only Luo applies
    kept, skipped = pk.models_for_routes(["daratumumab_xu2020", "daratumumab_luo2021"], ["SC", "SC"])
    assert kept == ["daratumumab_luo2021"] and list(skipped) == ["daratumumab_xu2020"]
    assert "IV-only" in skipped["daratumumab_xu2020"]
    assert pk.models_for_routes(["daratumumab_xu2020", "daratumumab_luo2021"], ["IV"]) == (
        ["daratumumab_xu2020", "daratumumab_luo2021"], {})
