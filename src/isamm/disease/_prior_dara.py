"""Prior daratumumab (disease_models.md §4.11): a reduced isatuximab effect that recovers off daratumumab.

::

    φ(t)      = φ_occ(t) · [φ_∞ − (φ_∞ − φ_0)·exp(−k_rec·t_off(t))]
    φ_occ(t)  = 1 − θ_occ·C_dara(t)/(C_dara(t) + K_occ)
    t_off(t)  = days since the last daratumumab dose (keeps growing on isatuximab)

φ_0 depends on whether the patient was refractory to daratumumab. Every parameter is a fixed
[PROJECT CHOICE] from the literature in §3, never fitted (the trials that could inform them,
seeds 001 and 004, are validation targets). The residual daratumumab concentration comes from
the washout machinery of :mod:`isamm.pk` (Xu 2020 model; the Luo 2021 model washes out ~3× slower,
pk_models.md §4) and only acts through θ_occ (0 by default: distinct epitopes).
"""

from __future__ import annotations

import numpy as np

from isamm.disease._params import DiseaseParameters

__all__ = ["cd38_effect_fraction", "residual_daratumumab", "DARA_MODEL"]

DARA_MODEL = "daratumumab_xu2020"


def cd38_effect_fraction(times_days: np.ndarray, days_off_at_start: np.ndarray, refractory: np.ndarray,
                         params: DiseaseParameters, conc_dara_ug_ml: np.ndarray | None = None) -> np.ndarray:
    """φ[patient, time] for patients with prior daratumumab (``days_off_at_start`` finite); 1 for the naive (NaN)."""
    t = np.asarray(times_days, dtype=float)[None, :]
    off = np.asarray(days_off_at_start, dtype=float)[:, None]
    phi0 = np.where(np.asarray(refractory)[:, None] == 1, params["phi0_dara_refractory"], params["phi0_dara_exposed"])
    phi_inf = params["phi_inf_dara"]
    with np.errstate(invalid="ignore"):
        phi = phi_inf - (phi_inf - phi0) * np.exp(-params["k_rec_dara"] * (off + t))
    if conc_dara_ug_ml is not None and params["theta_occ_dara"] > 0:
        c = np.maximum(conc_dara_ug_ml, 0.0)
        phi = phi * (1 - params["theta_occ_dara"] * c / (c + params["kocc_dara"]))
    return np.where(np.isfinite(off), phi, 1.0)


def residual_daratumumab(regimen: str, weights_kg: np.ndarray, weeks_treated: np.ndarray, days_off: np.ndarray,
                         times_days: np.ndarray | None = None) -> np.ndarray:
    """Daratumumab concentration (µg/mL, typical patient of the Xu 2020 model at each weight).

    Each patient received ``regimen`` for ``weeks_treated`` weeks and stopped ``days_off`` days before
    isatuximab day 0. Returns ``[patient]`` at day 0, or ``[patient, time]`` at ``times_days`` after it.
    """
    import isamm.pk as pk

    w = np.asarray(weights_kg, dtype=float)
    weeks = np.maximum(np.asarray(weeks_treated, dtype=float), 1.0)
    ev = pk.regimen_events(regimen, w, weeks=int(np.ceil(weeks.max())), drug="daratumumab")
    ev = ev[ev["time_h"].to_numpy() < weeks[ev["patient"].to_numpy()] * 168.0]
    last_h = ev.groupby("patient")["time_h"].max().reindex(range(w.size)).to_numpy()
    rel = np.zeros(1) if times_days is None else np.asarray(times_days, dtype=float)
    at_h = (last_h + np.asarray(days_off, dtype=float) * 24.0)[:, None] + rel[None, :] * 24.0
    grid = np.unique(at_h)
    cov = pk.covariate_frame(pk.load_model(DARA_MODEL), None, n=w.size).assign(weight_kg=w)
    sim = pk.simulate(DARA_MODEL, cov, ev, grid)
    idx = np.searchsorted(sim.times_h, at_h)
    out = np.take_along_axis(sim.conc_ug_ml, idx, axis=1)
    return out[:, 0] if times_days is None else out
