"""Stability over extreme patients: ±4 SD on every random effect.

At such draws target-mediated elimination reaches Vm/Km ≈ 90/h once C falls
near Km (isatuximab) — far beyond an explicit method's stability limit at the
step sizes used elsewhere. Required: no NaN, no negative concentration, and the
stated accuracy (rel. error ≤ 1e-4 where C > 1 µg/mL) against the LSODA reference.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isamm import pk
from pk_calendars import dara_events, grid, isa_events
from pk_reference import dara_rhs, fau_rhs, reference

ACCURACY = 1e-4


def _corners(model, sd=4.0):
    return np.array(list(itertools.product([-sd, sd], repeat=len(model.random_effects)))) * model.omegas


def _patients(model_id, etas):
    m = pk.load_model(model_id)
    return pk.Patients(m, pk.covariate_frame(m, None, n=len(etas)), np.asarray(etas, dtype=float))


def _check_finite_non_negative(sim):
    assert np.isfinite(sim.conc_ug_ml).all()
    assert (sim.conc_ug_ml >= 0).all()
    assert np.isfinite(sim.auc_ug_h_ml).all()
    assert (np.diff(sim.auc_ug_h_ml, axis=1) >= 0).all()


def _accuracy(model_id, pats, sim, ev, rhs, vol):
    params = pats.parameters()
    infusions = [(r.time_h, r.duration_h, r.amount_mg) for r in ev.itertuples()]
    worst = 0.0
    for i in range(len(pats)):
        p = {k: float(v[i]) for k, v in params.items()}
        ref = reference(rhs, p, infusions, sim.times_h, p[vol])
        mask = ref > 1.0
        if mask.any():
            worst = max(worst, float(np.max(np.abs(sim.conc_ug_ml[i][mask] - ref[mask]) / ref[mask])))
    return worst


def _sample(corners, k, seed):
    rng = np.random.default_rng(seed)
    return corners[rng.choice(len(corners), size=k, replace=False)]


def test_isatuximab_corner_patients_finite_positive_accurate():
    m = pk.load_model("isatuximab_fau2020")
    corners = _sample(_corners(m), 64, seed=1)  # all 512 corners: the slow test below
    ev = isa_events(8)
    pats = _patients(m.id, corners)
    sim = pk.simulate(m, pats, ev, grid(16, 6.0))  # 8 weeks of dosing, 8 weeks of washout
    _check_finite_non_negative(sim)
    sub = _patients(m.id, corners[:12])
    sub_sim = pk.simulate(m, sub, ev, grid(16, 6.0))
    assert _accuracy(m.id, sub, sub_sim, ev, fau_rhs, "Vc") <= ACCURACY


@pytest.mark.slow
def test_isatuximab_all_512_corners():
    m = pk.load_model("isatuximab_fau2020")
    corners = _corners(m)
    ev = isa_events(8)
    pats = _patients(m.id, corners)
    sim = pk.simulate(m, pats, ev, grid(16, 6.0))
    _check_finite_non_negative(sim)
    assert _accuracy(m.id, pats, sim, ev, fau_rhs, "Vc") <= ACCURACY


@pytest.mark.parametrize("model_id", ["daratumumab_xu2020", "daratumumab_luo2021"])
def test_daratumumab_corner_patients_through_washout(model_id):
    m = pk.load_model(model_id)
    corners = _corners(m)
    ev = dara_events(12)
    pats = _patients(model_id, corners)
    sim = pk.simulate(m, pats, ev, grid(60, 24.0))  # 12 weeks dosing, ~1 year washout
    _check_finite_non_negative(sim)
    sub = _patients(model_id, _sample(corners, 6, seed=2))
    assert _accuracy(model_id, sub, pk.simulate(m, sub, ev, grid(60, 24.0)), ev, dara_rhs, "V1") <= ACCURACY


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(z=st.lists(st.floats(-4.0, 4.0), min_size=9, max_size=9),
       weight=st.floats(35.0, 160.0), non_igg=st.integers(0, 1))
def test_isatuximab_any_draw_within_4_sd(z, weight, non_igg):
    m = pk.load_model("isatuximab_fau2020")
    etas = np.asarray(z)[None, :] * m.omegas
    cov = pk.covariate_frame(m, __import__("pandas").DataFrame({"weight_kg": [weight], "non_igg": [non_igg]}))
    pats = pk.Patients(m, cov, etas)
    ev = isa_events(6, weight_kg=weight)
    sim = pk.simulate(m, pats, ev, grid(10, 12.0))
    _check_finite_non_negative(sim)
    assert _accuracy(m.id, pats, sim, ev, fau_rhs, "Vc") <= ACCURACY
