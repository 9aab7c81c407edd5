"""Event times from the hazards of disease_models.md §4.7–§4.9, by inverse transform of given uniforms.

Uniforms come from the caller (one stream per patient, :mod:`isamm.population`), so a patient's
times do not depend on who else is simulated. Times are in days from the first dose.
"""

from __future__ import annotations

import numpy as np

from isamm.disease._params import DiseaseParameters
from isamm.units import DAYS_PER_MONTH

__all__ = ["exponential_time_days", "nonm_progression_days", "discontinuation_days", "death_before_progression_days",
           "death_after_progression_days"]  # fmt: skip


def exponential_time_days(u: np.ndarray, rate_per_month: np.ndarray | float) -> np.ndarray:
    """Time (days) of a constant hazard (1/month) from uniforms u ∈ (0, 1]; rate 0 → +inf."""
    rate = np.broadcast_to(np.asarray(rate_per_month, dtype=float), np.shape(u))
    with np.errstate(divide="ignore"):
        return np.where(rate > 0, -np.log(u) / np.where(rate > 0, rate, 1.0), np.inf) * DAYS_PER_MONTH


def nonm_progression_days(u, extramedullary, high_risk, params: DiseaseParameters, *,
                          times_days: np.ndarray | None = None, log_burden: np.ndarray | None = None) -> np.ndarray:
    """New bone lesion or plasmacytoma: h_nm·exp(β_emd·EMD + β_hrca·HRCA)·(M(t)/M0)^γ (§4.7).

    γ = ``gamma_burden_nm`` = 0 is a constant hazard. With γ > 0 the hazard follows the tumour burden
    (the M-protein relative to baseline, ``log_burden[patient, time] = log M(t)/M0`` on ``times_days``):
    a deep response makes new lesions rarer and a relapse more likely, as the M-protein dynamics drive the
    PFS hazard in the published joint models (Thai 2021, §1.1). The event time solves
    ``∫₀ᵗ h = −log u`` on the grid (trapezoidal cumulative hazard, linear between grid points); +inf if
    the cumulative hazard stays below it until the end of the grid.
    """
    rate = params["h_nm"] * np.exp(params["beta_emd_nm"] * np.asarray(extramedullary, float)
                                   + params["beta_hrca_nm"] * np.asarray(high_risk, float))
    gamma = params["gamma_burden_nm"]
    if gamma == 0 or log_burden is None:
        return exponential_time_days(u, rate)
    t = np.asarray(times_days, dtype=float)
    rel = np.exp(np.minimum(gamma * np.asarray(log_burden, dtype=float), 50.0))  # cap: no overflow far off-grid
    step = np.diff(t) * 0.5 * (rel[:, 1:] + rel[:, :-1])
    cum = np.concatenate([np.zeros((rel.shape[0], 1)), np.cumsum(step, axis=1)], axis=1)
    cum *= np.asarray(rate, dtype=float).reshape(-1, 1) / DAYS_PER_MONTH  # rate per month → per day
    target = -np.log(np.asarray(u, dtype=float))
    out = np.full(target.shape, np.inf)
    hit = cum[:, -1] >= target
    rows = np.flatnonzero(hit)
    if rows.size:
        j = np.argmax(cum[rows] >= target[rows, None], axis=1)  # first grid point at or past the target
        j = np.maximum(j, 1)
        c0, c1 = cum[rows, j - 1], cum[rows, j]
        w = np.where(c1 > c0, (target[rows] - c0) / np.where(c1 > c0, c1 - c0, 1.0), 1.0)
        out[rows] = t[j - 1] + np.clip(w, 0.0, 1.0) * (t[j] - t[j - 1])
    return out


def discontinuation_days(u, has_isatuximab: bool, params: DiseaseParameters) -> np.ndarray:
    """Stopping all study drugs for reasons other than progression (§4.8), arm-specific rate."""
    return exponential_time_days(u, params["h_disc_isa" if has_isatuximab else "h_disc_control"])


def death_before_progression_days(u, params: DiseaseParameters) -> np.ndarray:
    """Death without progression: constant hazard h_death_pre (§4.9)."""
    return exponential_time_days(u, params["h_death_pre"])


def death_after_progression_days(u, log_kg_ratio, params: DiseaseParameters) -> np.ndarray:
    """Days from progression to death: Weibull with the given median and shape, hazard × exp(β_g·log(kG_i/kG)).

    ``S(τ) = exp(−r·(τ/scale)^shape)`` with ``scale = median / ln(2)^(1/shape)``, so r = 1 gives the median.
    """
    shape = params["death_post_shape"]
    scale = params["death_post_median_months"] * DAYS_PER_MONTH / np.log(2.0) ** (1.0 / shape)
    r = np.exp(params["beta_g_death"] * np.asarray(log_kg_ratio, dtype=float))
    return scale * (-np.log(u) / r) ** (1.0 / shape)
