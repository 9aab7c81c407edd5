"""The TGI M-protein model against closed forms (disease_models.md §4.14) and a tight ODE solver."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import solve_ivp

from isamm.disease import isatuximab_effect, isatuximab_kill_integral, load_parameters, m_protein, partner_kill_integral

P = load_parameters()
GRID = np.arange(0.0, 200.0 + 1e-9, 0.25)
ONE = np.ones(1)


def test_no_drug_is_pure_growth():
    kg = 0.004
    m = m_protein(GRID, 2.0 * ONE, kg * ONE, 0.02 * ONE, ONE, P)
    np.testing.assert_allclose(m.m_g_dl[0], 2.0 * np.exp(kg * GRID), rtol=1e-12)


def test_constant_kill_without_resistance_is_exponential():
    # a constant concentration gives a constant isatuximab kill rate E
    conc = np.full((1, GRID.size), 150.0)
    e = isatuximab_effect(conc, P)
    assert np.allclose(e, P["emax_isa"] * 150.0 / (P["ec50_isa"] + 150.0))
    m = m_protein(GRID, 2.0 * ONE, 0.004 * ONE, 0.0 * ONE, ONE, P, isa_effect_per_day=e)
    np.testing.assert_allclose(m.m_g_dl[0], 2.0 * np.exp((0.004 - e[0, 0]) * GRID), rtol=1e-12)


def test_constant_kill_with_resistance_closed_form():
    # ln(M/M0) = kG·t − K·(1 − e^{−λt})/λ; the trapezoidal rule on K·e^{−λt} at a 6-h step has a
    # relative error ≈ (λΔ)²/12 ≈ 2e-6 of the kill integral (λ = 0.02/day, Δ = 0.25 day)
    kg, lam, sens = 0.004, 0.02, 1.7
    e = np.full((1, GRID.size), 0.05)
    m = m_protein(GRID, 2.0 * ONE, kg * ONE, lam * ONE, sens * ONE, P, isa_effect_per_day=e)
    expected = np.log(2.0) + kg * GRID - sens * 0.05 * (1 - np.exp(-lam * GRID)) / lam
    np.testing.assert_allclose(np.log(m.m_g_dl[0]), expected, atol=1e-5)



def test_two_populations_constant_kill_closed_form():
    # option B (§4.1): M = (1−f)·M0·e^{(kG−K)t} + f·M0·e^{(r·kG−ρK)t}, a closed form for constant kill
    two = P.with_values(f_resistant=0.05, rho_resistant=0.1, rho_resistant_isa=0.1, kG_resistant_ratio=1.5)
    kg, k, f = 0.004, 0.03, np.array([0.05, 0.0, 1.0])
    e = np.full((3, GRID.size), k)
    m = m_protein(GRID, 2.0 * np.ones(3), kg * np.ones(3), np.zeros(3), np.ones(3), two, isa_effect_per_day=e,
                  f_resistant=f)
    expected = 2.0 * ((1 - f[:, None]) * np.exp((kg - k) * GRID) + f[:, None] * np.exp((1.5 * kg - 0.1 * k) * GRID))
    np.testing.assert_allclose(m.m_g_dl, expected, rtol=1e-12)
    # the resistant part takes over: M falls, reaches a nadir and regrows (a relapse under treatment)
    nadir = int(np.argmin(m.m_g_dl[0]))
    assert 0 < nadir < GRID.size - 1 and m.m_g_dl[0, -1] > m.m_g_dl[0, nadir]



def test_resistant_cells_see_partner_and_isatuximab_kill_separately():
    # R = f·M0·exp(kG·t − ρ·I_partner − ρ_Isa·I_Isa): here a constant isatuximab kill only, so ρ does not matter
    kg, k, f = 0.004, 0.03, 0.2
    e = np.full((1, GRID.size), k)
    for rho, rho_isa in [(0.0, 1.0), (1.0, 0.0), (0.5, 0.25)]:
        p = P.with_values(f_resistant=f, rho_resistant=rho, rho_resistant_isa=rho_isa, kG_resistant_ratio=1.0)
        m = m_protein(GRID, ONE, kg * ONE, 0.0 * ONE, ONE, p, isa_effect_per_day=e, f_resistant=f * ONE)
        expected = (1 - f) * np.exp((kg - k) * GRID) + f * np.exp((kg - rho_isa * k) * GRID)
        np.testing.assert_allclose(m.m_g_dl[0], expected, rtol=1e-12)

def test_zero_resistant_fraction_is_the_one_population_form():
    e = np.full((2, GRID.size), 0.03)
    args = (GRID, np.array([2.0, 0.7]), np.array([0.004, 0.01]), np.array([0.02, 0.0]), np.array([1.0, 2.0]), P)
    one = m_protein(*args, isa_effect_per_day=e)
    two = m_protein(*args, isa_effect_per_day=e, f_resistant=np.zeros(2))
    np.testing.assert_array_equal(one.log_m, two.log_m)

def _doses(days, drug, mg):
    return pd.DataFrame({"patient": 0, "time_h": np.asarray(days, float) * 24.0, "drug": drug, "amount_mg": mg})


def _reference_kill(doses: pd.DataFrame, lam: float, t_end: float) -> np.ndarray:
    """∫ Σ k_p A_p e^{−λt} by an independent ODE solve (DOP853, rtol 1e-12), restarted at each dose."""
    k = P["k_bio"]
    out_t, out_i = [0.0], [0.0]
    a = {d: 0.0 for d in doses["drug"].unique()}
    drugs = sorted(a)
    t0, integral = 0.0, 0.0
    times = sorted(set(doses["time_h"] / 24.0) | {t_end})
    for t1 in times:
        if t1 > t0:
            def rhs(t, y):
                return [*(-k * y[i] for i in range(len(drugs))),
                        sum(P[f"k_{d}"] * y[i] for i, d in enumerate(drugs)) * np.exp(-lam * t)]

            grid = GRID[(GRID > t0) & (GRID < t1)]
            sol = solve_ivp(rhs, (t0, t1), [*(a[d] for d in drugs), integral], method="DOP853", rtol=1e-12,
                            atol=1e-14, t_eval=np.append(grid, t1))
            out_t += list(sol.t)
            out_i += list(sol.y[-1])
            for i, d in enumerate(drugs):
                a[d] = sol.y[i, -1]
            integral = sol.y[-1, -1]
            t0 = t1
        for row in doses[np.isclose(doses["time_h"] / 24.0, t1)].itertuples():
            a[row.drug] += k * row.amount_mg / P.ref_rate(row.drug)
    return np.interp(GRID, out_t, out_i)


@pytest.mark.parametrize("lam", [0.0, 0.02])
def test_partner_kpd_exact_against_ode(lam):
    # pomalidomide 4 mg days 1-21 at 08:30 and dexamethasone 40 mg weekly, doses between grid points
    pom = _doses(np.concatenate([np.arange(21), 28 + np.arange(21)]) + 8.5 / 24, "pomalidomide", 4.0)
    dex = _doses(np.arange(0, 56, 7) + 8.5 / 24, "dexamethasone", 40.0)
    doses = pd.concat([pom, dex], ignore_index=True)
    steps = partner_kill_integral(doses, 1, GRID, np.array([lam]), P)
    got = np.concatenate([[0.0], np.cumsum(steps[0])])
    np.testing.assert_allclose(got, _reference_kill(doses, lam, GRID[-1]), rtol=1e-9, atol=1e-12)


def test_reference_dose_rate_gives_mean_effect_k():
    # 4 mg daily = the reference rate: the time-average of A is 1, so the mean kill rate is k_pomalidomide
    # (closed form of the K-PD sum: Σ_j (1 − e^{−k(T−τ_j)}) / T per unit k_p)
    days = np.arange(200) + 8.5 / 24
    steps = partner_kill_integral(_doses(days, "pomalidomide", 4.0), 1, GRID, np.zeros(1), P)
    t_end = GRID[-1]
    k = P["k_bio"]
    closed = P["k_pomalidomide"] * np.sum(1 - np.exp(-k * (t_end - days[days < t_end])))
    assert steps.sum() == pytest.approx(closed, rel=1e-12)
    assert steps.sum() / t_end == pytest.approx(P["k_pomalidomide"], rel=0.01)


def test_rest_week_has_no_effect():
    # pomalidomide days 1-21 of 28: two days after the last dose the effect is < 1% (k_bio = 2.86/day)
    days = np.arange(21) + 8.5 / 24
    rate = partner_kill_integral(_doses(days, "pomalidomide", 4.0), 1, GRID, np.zeros(1), P)[0] / 0.25
    on = rate[(GRID[:-1] >= 2) & (GRID[:-1] < 20)].mean()
    assert rate[GRID[:-1] >= 20.35 + 2].max() < 0.01 * on
    assert rate[GRID[:-1] >= 27].max() < 1e-6 * on


def test_isatuximab_grid_accuracy():
    # the 6-h trapezoid on E(C(t)) against a 15-minute grid, for a typical patient on Isa-Pd (12 weeks,
    # 16 infusions): the stated accuracy is ~1e-4 in log M per infusion (the rise during an infusion falls
    # between grid points), i.e. 0.2% of M here and < 1% over two years, a tenth of the 10% SPEP error
    import isamm.pk as pk

    ev = pk.regimen_events("ISA-PD", [70.0], weeks=12, drug="isatuximab")
    fine = np.arange(0.0, 84.0 + 1e-9, 1 / 96)
    coarse = fine[::24]
    sim = pk.simulate("isatuximab_fau2020", None, ev, fine * 24.0)
    e = isatuximab_effect(sim.conc_ug_ml, P)
    m_fine = m_protein(fine, 2.0 * ONE, 0.004 * ONE, 0.02 * ONE, ONE, P, isa_effect_per_day=e)
    m_coarse = m_protein(coarse, 2.0 * ONE, 0.004 * ONE, 0.02 * ONE, ONE, P, isa_effect_per_day=e[:, ::24])
    assert np.max(np.abs(np.log(m_coarse.m_g_dl[0]) - np.log(m_fine.m_g_dl[0, ::24]))) < 16 * 1.5e-4


def test_interpolation_at_visit_days_is_exact_on_grid():
    m = m_protein(GRID, np.array([2.0, 3.0]), np.array([0.004, 0.001]), np.zeros(2), np.ones(2), P)
    days = np.array([[0.0, 28.0, 56.0], [0.0, 14.0, 199.75]])
    np.testing.assert_allclose(m.at(days), np.array([2.0, 3.0])[:, None] * np.exp(np.array([[0.004], [0.001]]) * days))


def test_drug_sensitivity_scales_that_drug_only():
    # a patient twice as sensitive to pomalidomide alone: exactly as if k_pomalidomide were doubled for them,
    # dexamethasone untouched; half as sensitive to isatuximab: as if Emax were halved (the model is linear in both)
    pom = _doses(np.arange(21) + 8.5 / 24, "pomalidomide", 4.0)
    dex = _doses(np.arange(0, 28, 7) + 8.5 / 24, "dexamethasone", 40.0)
    doses = pd.concat([pom, dex], ignore_index=True)
    e = np.full((1, GRID.size), 0.03)
    args = (GRID, 2.0 * ONE, 0.004 * ONE, 0.01 * ONE, 1.3 * ONE)
    got = m_protein(*args, P, partner_doses=doses, isa_effect_per_day=e,
                    drug_sens={"pomalidomide": 2.0 * ONE, "isatuximab": 0.5 * ONE})
    doubled = P.with_values(k_pomalidomide=2 * P["k_pomalidomide"])
    want = m_protein(*args, doubled, partner_doses=doses, isa_effect_per_day=0.5 * e)
    np.testing.assert_allclose(got.log_m, want.log_m, rtol=1e-12, atol=1e-12)
    # absent drugs and None mean 1
    plain = m_protein(*args, P, partner_doses=doses, isa_effect_per_day=e)
    ones = m_protein(*args, P, partner_doses=doses, isa_effect_per_day=e, drug_sens={"carfilzomib": 5.0 * ONE})
    np.testing.assert_array_equal(plain.log_m, ones.log_m)


def test_daily_grid_with_the_isatuximab_integral_from_the_6h_grid_equals_the_6h_trajectory():
    # the trial engine follows M on whole days while isatuximab is integrated on the PK's 6-h grid: the
    # same integrals (partner drugs exact on any grid, the trapezoid steps summed four at a time), so log M
    # at the days agrees with the 6-h trajectory to rounding (1e-12)
    import isamm.pk as pk

    ev = pk.regimen_events("ISA-PD", [70.0], weeks=12, drug="isatuximab")
    sim = pk.simulate("isatuximab_fau2020", None, ev, GRID * 24.0)
    e = isatuximab_effect(sim.conc_ug_ml, P) * np.array([[1.0], [0.6]])  # two patients
    pom = pd.concat([_doses(np.arange(21) + 8.5 / 24, "pomalidomide", 4.0).assign(patient=i) for i in (0, 1)])
    args = (2.0 * np.ones(2), np.array([0.004, 0.01]), np.array([0.02, 0.0]), np.array([1.0, 1.7]), P)
    fine = m_protein(GRID, *args, partner_doses=pom, isa_effect_per_day=e, f_resistant=np.array([0.0, 0.2]))
    days = GRID[::4]
    kill = isatuximab_kill_integral(GRID, e, args[2], every=4)
    daily = m_protein(days, *args, partner_doses=pom, isa_kill=kill, f_resistant=np.array([0.0, 0.2]))
    np.testing.assert_allclose(daily.log_m, fine.log_m[:, ::4], rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="multiple"):
        isatuximab_kill_integral(GRID[:-1], e[:, :-1], args[2], every=4)
    with pytest.raises(ValueError, match="not both"):
        m_protein(days, *args, isa_kill=kill, isa_effect_per_day=e[:, ::4])
