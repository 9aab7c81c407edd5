"""The engine against independent solutions: a tight solve_ivp reference and a closed form.

Tolerance: max relative error ≤ 1e-4 where C > 1 µg/mL (the engine's stated
accuracy at its default rtol 1e-7; the reference itself is at rtol 1e-10).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from isamm import pk
from pk_calendars import dara_events, grid, isa_events
from pk_reference import dara_rhs, fau_rhs, reference, two_cmt_infusion, two_cmt_infusion_auc

ACCURACY = 1e-4


def _rel_err(c, ref, floor=1.0):
    mask = ref > floor
    assert mask.sum() > 10
    return float(np.max(np.abs(c[mask] - ref[mask]) / ref[mask]))


def _infusions(events):
    return [(r.time_h, r.duration_h, r.amount_mg) for r in events.itertuples()]


def test_typical_isatuximab_matches_reference():
    ev = isa_events(20)
    times = grid(20, 6.0)
    sim = pk.simulate("isatuximab_fau2020", None, ev, times)
    p = {k: float(v[0]) for k, v in pk.typical_patients("isatuximab_fau2020").parameters().items()}
    ref = reference(fau_rhs, p, _infusions(ev), times, p["Vc"])
    assert _rel_err(sim.conc_ug_ml[0], ref) <= ACCURACY


def test_random_isatuximab_patients_match_reference():
    ev = isa_events(30)
    times = grid(30, 12.0)
    pats = pk.sample_patients("isatuximab_fau2020", 40, seed=20260101)
    sim = pk.simulate("isatuximab_fau2020", pats, ev, times)
    params = pats.parameters()
    for i in range(len(pats)):
        p = {k: float(v[i]) for k, v in params.items()}
        ref = reference(fau_rhs, p, _infusions(ev), times, p["Vc"])
        mask = ref > 1.0
        if mask.sum() > 10:
            assert _rel_err(sim.conc_ug_ml[i], ref) <= ACCURACY, f"patient {i}"


@pytest.mark.parametrize("model_id", ["daratumumab_xu2020", "daratumumab_luo2021"])
def test_random_daratumumab_iv_patients_match_reference(model_id):
    ev = dara_events(30)
    times = grid(30, 12.0)
    pats = pk.sample_patients(model_id, 20, seed=7)
    sim = pk.simulate(model_id, pats, ev, times)
    params = pats.parameters()
    for i in range(len(pats)):
        p = {k: float(v[i]) for k, v in params.items()}
        ref = reference(dara_rhs, p, _infusions(ev), times, p["V1"])
        assert _rel_err(sim.conc_ug_ml[i], ref) <= ACCURACY, f"patient {i}"


def test_daratumumab_sc_depot_matches_reference():
    ev = dara_events(12, amount_mg=1800.0, route="SC")
    times = grid(12, 6.0)
    pats = pk.sample_patients("daratumumab_luo2021", 5, seed=3)
    sim = pk.simulate("daratumumab_luo2021", pats, ev, times)
    params = pats.parameters()
    for i in range(len(pats)):
        p = {k: float(v[i]) for k, v in params.items()}
        sc = [(r.time_h, r.amount_mg * p["F"]) for r in ev.itertuples()]
        ref = reference(dara_rhs, p, [], times, p["V1"], boluses_sc=sc)
        assert _rel_err(sim.conc_ug_ml[i], ref) <= ACCURACY


def test_linear_two_compartment_closed_form():
    # Nonlinear (Vm = 0) and time-varying (CLm = 0) terms off: Fau structure is a
    # linear two-compartment model with CL = CLinf.
    params = pd.DataFrame({"CLinf": [0.00955, 0.02], "CLm": [0.0, 0.0], "KCL": [1055.0, 500.0], "gamma": [3.91, 2.0],
                           "Vc": [5.13, 4.0], "Q": [0.0432, 0.2], "Vp": [3.62, 2.5], "Vm": [0.0, 0.0], "Km": [0.3, 0.3]})
    ev = isa_events(10)
    times = np.concatenate([grid(10, 3.0), ev.time_h + ev.duration_h])  # include every infusion end
    sim = pk.simulate_parameters("isatuximab_fau2020", params, ev, times)
    for i, row in params.iterrows():
        exact = two_cmt_infusion(sim.times_h, _infusions(ev), row.CLinf, row.Vc, row.Q, row.Vp)
        np.testing.assert_allclose(sim.conc_ug_ml[i], exact, rtol=1e-6, atol=1e-9)


def test_auc_state_is_dose_over_clearance():
    # Linear model: AUC(0-inf) = dose / CL exactly (any compartmental linear model).
    params = pd.DataFrame({"CLinf": [0.05], "CLm": [0.0], "KCL": [1.0], "gamma": [1.0],
                           "Vc": [5.0], "Q": [0.05], "Vp": [3.0], "Vm": [0.0], "Km": [0.3]})
    ev = pd.DataFrame({"time_h": [0.0], "drug": "isatuximab", "amount_mg": [700.0], "duration_h": [2.0], "route": "IV"})
    sim = pk.simulate_parameters("isatuximab_fau2020", params, ev, [0.0, 20000.0])
    assert sim.auc_between(0.0, 20000.0)[0] == pytest.approx(700.0 / 0.05, rel=1e-6)


def test_piecewise_profile_equals_split_infusions():
    # A (duration, fraction) profile is the same input as consecutive constant-rate infusions.
    prof = ((1.0, 0.1), (0.5, 0.1), (0.5, 0.8))
    ev1 = pd.DataFrame({"time_h": [9.0], "drug": "isatuximab", "amount_mg": [756.0], "duration_h": [2.0],
                        "route": "IV", "profile": [prof]})
    ev2 = pd.DataFrame({"time_h": [9.0, 10.0, 10.5], "drug": "isatuximab", "amount_mg": [75.6, 75.6, 604.8],
                        "duration_h": [1.0, 0.5, 0.5], "route": "IV"})
    t = np.linspace(0, 400, 81)
    a = pk.simulate("isatuximab_fau2020", None, ev1, t).conc_ug_ml
    b = pk.simulate("isatuximab_fau2020", None, ev2, t).conc_ug_ml
    np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)


def test_per_patient_calendars_and_amounts():
    # Two patients given in one call with a `patient` column equal two separate calls.
    ev = isa_events(6)
    ev_b = isa_events(6, weight_kg=60.0)
    ev_b["time_h"] += 48.0
    both = pd.concat([ev.assign(patient=0), ev_b.assign(patient=1)], ignore_index=True)
    cov = pd.DataFrame({"weight_kg": [75.6, 60.0]})
    t = grid(6, 12.0)
    joint = pk.simulate("isatuximab_fau2020", cov, both, t).conc_ug_ml
    a = pk.simulate("isatuximab_fau2020", cov.iloc[[0]], ev, t).conc_ug_ml[0]
    b = pk.simulate("isatuximab_fau2020", cov.iloc[[1]], ev_b, t).conc_ug_ml[0]
    # The joint run also stops at the other patient's dose times, so its steps differ:
    # agreement is to the integration tolerance, not bit-for-bit.
    np.testing.assert_allclose(joint[0], a, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(joint[1], b, rtol=1e-6, atol=1e-9)


def test_seeded_population_is_reproducible():
    a = pk.sample_patients("isatuximab_fau2020", 50, seed=11)
    b = pk.sample_patients("isatuximab_fau2020", 50, seed=11)
    c = pk.sample_patients("isatuximab_fau2020", 50, seed=12)
    np.testing.assert_array_equal(a.etas, b.etas)
    pd.testing.assert_frame_equal(a.covariates, b.covariates)
    assert not np.array_equal(a.etas, c.etas)


def test_sampled_iiv_has_the_published_spread():
    # 20,000 draws: SD of eta within 2% of omega = sqrt(ln(1 + CV^2)) (Fau 2020 Table S3 CVs);
    # the standard error of an SD estimate is omega/sqrt(2n) = 0.5%.
    m = pk.load_model("isatuximab_fau2020")
    pats = pk.sample_patients(m, 20000, seed=5)
    expected = {"CLinf": np.sqrt(np.log(1 + 0.475**2)), "Vm": np.sqrt(np.log(1 + 0.615**2)), "CLm": 0.664 * 0.972}
    for name, omega in expected.items():
        j = m.random_effects.index(name)
        assert np.std(pats.etas[:, j]) == pytest.approx(omega, rel=0.02)


@settings(max_examples=25, deadline=None)
@given(doses=st.lists(st.tuples(st.floats(0.0, 500.0), st.floats(0.05, 12.0), st.floats(1.0, 2000.0)),
                      min_size=1, max_size=5),
       cl=st.floats(0.005, 0.2), q=st.floats(1e-6, 0.5), v1=st.floats(2.0, 8.0), v2=st.floats(1.0, 8.0))
# found by hypothesis: a dose 1e-12 h after another made the starting step 1e-14 h (step-size underflow)
@example(doses=[(0.0, 1.0, 21.0), (1e-12, 1.0, 1.0)], cl=0.125, q=0.5, v1=2.0, v2=1.0)
def test_any_infusion_calendar_matches_the_linear_closed_form(doses, cl, q, v1, v2):
    """Random (possibly overlapping) infusions: linear model vs superposition, for C and for the AUC state.

    Tolerance: rtol 1e-5, plus 1e-5 µg/mL absolute: ten times the engine's local
    absolute tolerance (1e-6 µg/mL per step), since global error accumulates over
    steps; for the AUC, 1e-5 µg/mL over the 1000 h horizon = 1e-2 µg·h/mL.
    """
    ev = pd.DataFrame({"time_h": [d[0] for d in doses], "drug": "isatuximab", "amount_mg": [d[2] for d in doses],
                       "duration_h": [d[1] for d in doses], "route": "IV"})
    params = pd.DataFrame({"CLinf": [cl], "CLm": [0.0], "KCL": [100.0], "gamma": [1.0],
                           "Vc": [v1], "Q": [q], "Vp": [v2], "Vm": [0.0], "Km": [1.0]})
    times = np.linspace(0.0, 1000.0, 51)
    sim = pk.simulate_parameters("isatuximab_fau2020", params, ev, times)
    infusions = _infusions(ev)
    np.testing.assert_allclose(sim.conc_ug_ml[0], two_cmt_infusion(times, infusions, cl, v1, q, v2),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(sim.auc_ug_h_ml[0], two_cmt_infusion_auc(times, infusions, cl, v1, q, v2),
                               rtol=1e-5, atol=1e-2)


def test_error_control_holds_through_infusion_starts_near_km():
    # A realistic fast-TMDD patient (Vm/Km ≈ 3/h, 99th percentile of the benchmark population) whose
    # concentration collapses below Km between doses: each infusion then starts in the Michaelis–Menten
    # knee. Without a fresh starting step at the infusion start, one step straddles the knee and its
    # embedded error estimate misses an error ~100× the tolerance (measured: 6.6e-4 at rtol 1e-6).
    # With the restart the tolerance is honoured even at rtol 1e-6 (measured 4e-6); the bound here is
    # the engine's stated accuracy.
    p = {"CLinf": 0.0128, "CLm": 0.0583, "KCL": 7955.0, "gamma": 3.52, "Vc": 3.285, "Q": 0.121, "Vp": 3.69,
         "Vm": 0.7116, "Km": 0.2215}
    ev = isa_events(16, weight_kg=70.0, durations_h=(1.25, 1.25, 1.25))
    times = grid(16, 4.0)
    ref = reference(fau_rhs, p, _infusions(ev), times, p["Vc"])
    assert ref.min() < 0.1 * p["Km"]  # the patient does reach the knee
    sim = pk.simulate_parameters("isatuximab_fau2020", pd.DataFrame([p]), ev, times, rtol=1e-6)
    assert _rel_err(sim.conc_ug_ml[0], ref) <= ACCURACY
