"""Event times from the hazards (disease_models.md §4.7–§4.9) against closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from isamm.disease import load_parameters, nonm_progression_days
from isamm.units import DAYS_PER_MONTH

P = load_parameters()
GRID = np.arange(0.0, 3000.0 + 1e-9, 0.25)
U = np.array([0.9, 0.5, 0.2, 0.05, 1e-6])


def test_constant_hazard_is_exponential():
    p = P.with_values(h_nm=0.02, gamma_burden_nm=0.0, beta_emd_nm=0.0, beta_hrca_nm=0.0)
    t = nonm_progression_days(U, np.zeros(5), np.zeros(5), p)
    np.testing.assert_allclose(t, -np.log(U) / 0.02 * DAYS_PER_MONTH, rtol=1e-12)


def test_burden_hazard_with_constant_burden_equals_the_constant_hazard():
    # M(t) = M0 throughout: (M/M0)^γ = 1, the same event times as the constant hazard (within the grid)
    p = P.with_values(h_nm=0.02, gamma_burden_nm=1.0, beta_emd_nm=0.0, beta_hrca_nm=0.0)
    u = U[:3]
    t = nonm_progression_days(u, np.zeros(3), np.zeros(3), p, times_days=GRID, log_burden=np.zeros((3, GRID.size)))
    np.testing.assert_allclose(t, -np.log(u) / 0.02 * DAYS_PER_MONTH, rtol=1e-9)


@pytest.mark.parametrize("gamma", [0.5, 1.0, 2.0])
def test_burden_hazard_on_an_exponential_decline_closed_form(gamma):
    # log M/M0 = −a·t: H(t) = h·(1 − e^{−γat})/(γa), so t = −log(1 − γa·(−log u)/h)/(γa), and never if
    # −log u ≥ h/(γa). Linear interpolation of H between 6-h grid points: error ≤ Δ²·|H''|/8 in H, far
    # below 1e-6 relative in t here.
    h_day, a = 0.05 / DAYS_PER_MONTH, 0.001
    p = P.with_values(h_nm=0.05, gamma_burden_nm=gamma, beta_emd_nm=0.0, beta_hrca_nm=0.0)
    log_burden = np.tile(-a * GRID, (U.size, 1))
    t = nonm_progression_days(U, np.zeros(U.size), np.zeros(U.size), p, times_days=GRID, log_burden=log_burden)
    x = 1 - gamma * a * (-np.log(U)) / h_day
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = np.where(x > 0, -np.log(x) / (gamma * a), np.inf)
    expected[expected > GRID[-1]] = np.inf  # beyond the grid: not within the simulated time
    assert np.isinf(t).tolist() == np.isinf(expected).tolist()
    fin = np.isfinite(expected)
    assert fin.sum() >= 2
    np.testing.assert_allclose(t[fin], expected[fin], rtol=1e-6)


def test_covariates_scale_the_burden_hazard():
    p = P.with_values(h_nm=0.02, gamma_burden_nm=1.0, beta_emd_nm=np.log(2.0), beta_hrca_nm=0.0)
    lb = np.zeros((2, GRID.size))
    t = nonm_progression_days(np.array([0.5, 0.5]), np.array([0, 1]), np.zeros(2), p, times_days=GRID, log_burden=lb)
    assert t[0] == pytest.approx(2 * t[1], rel=1e-9)
