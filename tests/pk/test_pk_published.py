"""Published facts the shipped models should reproduce, each with its source and tolerance.

Sources are quoted from shared/reference/pk_models.md (and the seeds it cites).
Where the model and a fact disagree beyond the tolerance, the README says so;
the models are never tuned to pass.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from isamm import pk
from pk_calendars import dara_events, isa_events


def _population_events(weights, make):
    return pd.concat([make(w).assign(patient=i) for i, w in enumerate(weights)], ignore_index=True)


@pytest.fixture(scope="module")
def isa_population_exposure():
    # 10 mg/kg label schedule, 52 weeks, label infusion durations (200, 112.5, 75 min),
    # marketed drug material; virtual population resembling Fau 2020's data.
    pats = pk.sample_patients("isatuximab_fau2020", 400, seed=2024)
    ev = _population_events(pats.covariates.weight_kg, lambda w: isa_events(52, weight_kg=w))
    return pk.exposure("isatuximab_fau2020", pats, ev)


def test_label_cmax_and_auc_at_steady_state(isa_population_exposure):
    """Sarclisa label via Shen & Shen 2022 (seed 000): Cmax,ss 351 µg/mL, AUC,ss 72,600 µg·h/mL.

    The label values are means of individual predictions in the trial population
    (AUC CV 51.7%). Our covariate spreads are approximations and the model's IIV
    gives a wider spread (CV ~75%), which inflates the mean, so we compare the
    population median, within 10% (sampling error of a median at n = 400 is ~4%
    for CV 75%; the rest is the covariate approximation). The AUC window is read
    as the 2-week dosing interval (pk_models.md §1). README: mean vs median.
    """
    s = isa_population_exposure.summary()
    assert s["cmax_ss_ug_ml"]["median"] == pytest.approx(351.0, rel=0.10)
    assert s["auc_tau_ss_ug_h_ml"]["median"] == pytest.approx(72_600.0, rel=0.10)


def test_time_to_steady_state_is_18_weeks_by_the_stays_above_definition(isa_population_exposure):
    """US PI (later revision, via pk_models.md): 18 weeks to steady state; seed 002 says 8.

    By "troughs stay ≥ 90% of the steady-state trough" the population median is
    18 weeks (label); by "first reaches 90%" it is 4 weeks (end of weekly dosing).
    Neither reading gives 8 weeks: README. Tolerance: ±2 weeks (one Q2W interval).
    """
    s = isa_population_exposure.summary()
    assert abs(s["t90_ss_weeks"]["median"] - 18.0) <= 2.0
    assert s["t90_first_weeks"]["median"] < 8.0


def test_non_igg_to_igg_auc_ratio():
    """Fau 2020 Table 3 (via nlmixr2lib): steady-state AUC ratio non-IgG/IgG = 2.12; tolerance 3%."""
    cov = pd.DataFrame({"non_igg": [0, 1]})
    e = pk.exposure("isatuximab_fau2020", cov, isa_events(52))
    auc = e.per_patient["auc_tau_ss_ug_h_ml"].to_numpy()
    assert auc[1] / auc[0] == pytest.approx(2.12, rel=0.03)


@pytest.mark.parametrize("non_igg, published_d", [(0, 28.0), (1, 57.0)])
def test_linear_terminal_half_life(non_igg, published_d):
    """Frampton 2021 (seed 002): t½ 28 d; Fau 2020 (via nlmixr2lib): 28 d IgG vs 57 d non-IgG.

    The linear-only β half-life at CL = CLinf for the Table S3 reference patient
    (P1F1). Published values are whole days, so the tolerance is 2% (27.5 → 28).
    """
    pats = pk.typical_patients("isatuximab_fau2020", p2f2=0, non_igg=non_igg)
    p = pats.parameters()
    t_half = pk.linear_half_life_h(p["CLinf"], p["Vc"], p["Q"], p["Vp"])[0] / 24.0
    assert t_half == pytest.approx(published_d, rel=0.02)
    # and the exposure metric uses the same definition with CL at the end of the calendar
    e = pk.exposure("isatuximab_fau2020", pats, isa_events(52))
    assert e.per_patient["half_life_terminal_d"].iloc[0] == pytest.approx(t_half, rel=1e-3)


def test_typical_igg_steady_state_matches_the_reference_scratch_check():
    """pk_models.md 'Numerical check' (independent RK4, 0.1 h steps, 1-h infusions, P2F2):
    typical IgG AUCτ,ss 57,800 mg·h/L, Cmax,ss 289, Ctrough,ss 121 mg/L (3 significant digits)."""
    ev = isa_events(52, durations_h=(1.0, 1.0, 1.0))
    d = pk.exposure("isatuximab_fau2020", None, ev).to_dict()
    assert d["auc_tau_ss_ug_h_ml"] == pytest.approx(57_800, rel=0.002)
    assert d["cmax_ss_ug_ml"] == pytest.approx(289, rel=0.004)
    assert d["ctrough_ss_ug_ml"] == pytest.approx(121, rel=0.005)


def test_accumulation_ratio_typical():
    """US PI (later revision; pk_models.md, [UNCERTAIN label text]): 3.1-fold accumulation. Tolerance 5%."""
    d = pk.exposure("isatuximab_fau2020", None, isa_events(52)).to_dict()
    assert d["accumulation_ratio"] == pytest.approx(3.1, rel=0.05)


def test_daratumumab_iv_maximum_trough_xu2020():
    """Darzalex US PI §12.3 (pk_models.md §4, [UNCERTAIN]): mean maximum trough at the end of
    weekly dosing 573 (SD 332) µg/mL, 16 mg/kg IV. Xu 2020 population mean within 15% (the
    label's SD/mean is 58%; covariate distribution approximate). Luo 2021 gives ~22% lower: README.
    """
    pats = pk.sample_patients("daratumumab_xu2020", 400, seed=99)
    ev = _population_events(pats.covariates.weight_kg, lambda w: dara_events(9, amount_mg=16 * w, first_h=7.0, later_h=3.4))
    c = pk.simulate("daratumumab_xu2020", pats, ev, [8 * 7 * 24.0]).conc_ug_ml[:, 0]
    assert c.mean() == pytest.approx(573.0, rel=0.15)


def test_luo2021_figure_1a_typical_troughs():
    """Luo 2021 Fig 1A (digitised by nlmixr2lib, pk_models.md §3): typical IV troughs, within 5%.

    Patient 78.6 kg, female, non-IgG, albumin 37 g/L; 16 mg/kg, 7 h first infusion, 3.5 h later.
    A trough "at week w" is the pre-dose concentration at day 7·w.
    """
    weeks = list(range(1, 9)) + list(range(10, 23, 2)) + list(range(24, 53, 4))
    published = [138.7, 242.8, 323.7, 399.6, 472.0, 526.2, 583.6, 637.0,
                 558.8, 534.1, 526.2, 523.0, 516.6, 513.4, 513.4,
                 505.4, 381.8, 318.1, 266.2, 236.7, 216.0, 204.0, 199.3]
    ev = dara_events(52, amount_mg=16 * 78.6, first_h=7.0, later_h=3.5)
    sim = pk.simulate("daratumumab_luo2021", None, ev, [7 * 24.0 * w for w in weeks])
    np.testing.assert_allclose(sim.conc_ug_ml[0], published, rtol=0.05)
