"""Serum M-protein under treatment: the Claret tumour-growth-inhibition model (disease_models.md §4.1–§4.4),
optionally with a resistant subpopulation (§4.1 option B, §2.4).

Per patient i, with t in days since 00:00 of study day 1 (the first dose is on day 1)::

    dM/dt  = kG_i·M − K_i(t)·M                                  M(0) = M0_i  (g/dL)
    K_i(t) = sens_i · [s_Isa,i·E_Isa,i(t) + Σ_p s_p,i·k_p·A_p,i(t)] · exp(−λ_i·t)
    E_Isa  = Emax · C^h / (EC50^h + C^h) · φ_i(t)                (C: isatuximab, µg/mL, from isamm.pk)
    dA_p/dt = −k_bio·A_p,  A_p += k_bio·dose_mg / ref_rate_p     at each dose (K-PD, "on while dosed")

sens_i is the patient's sensitivity to every drug, s_d,i (default 1) a sensitivity to drug d of its own:
patients differ in how well each mechanism works on their disease (an IMiD, a glucocorticoid, a proteasome
inhibitor, anti-CD38), so a monotherapy arm varies more than a combination, where the drugs average out.

The equation is linear in log M, so ``log M(t) = log M0 + kG·t − ∫₀ᵗ K`` holds exactly: the
only numerical step is the integral of K. The partner-drug part is integrated in closed form
(exponential decay between doses, the resistance factor included), whatever the grid; the
isatuximab part by the trapezoidal rule on the concentration grid the PK engine returns
(on a 6-hour grid the rise of C during an infusion falls between grid points: ~1e-4 in log M per
infusion against a 15-minute grid, < 1% of M over two years of Isa-Pd; tested).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from isamm.disease._params import PARTNER_DRUGS, DiseaseParameters

__all__ = ["MProtein", "partner_kill_integral", "isatuximab_effect", "isatuximab_kill_integral", "m_protein"]

_LOG_M_CAP = float(np.log(1e6))


@dataclass(frozen=True)
class MProtein:
    """M-protein trajectories: ``m_g_dl[patient, time]`` (g/dL) on ``times_days`` (the true, unobserved values)."""

    times_days: np.ndarray
    log_m: np.ndarray  # natural log of M (g/dL): kept, because a deep response underflows M itself to 0
    kill_integral: np.ndarray  # ∫₀ᵗ K (dimensionless), same shape

    @property
    def m_g_dl(self) -> np.ndarray:
        return np.exp(np.minimum(self.log_m, _LOG_M_CAP))

    def at(self, days: np.ndarray) -> np.ndarray:
        """M-protein at per-patient days ``days[patient, k]`` (linear interpolation of log M; grid days are exact)."""
        days = np.asarray(days, dtype=float)
        log_m = self.log_m
        idx = np.clip(np.searchsorted(self.times_days, days, side="right") - 1, 0, self.times_days.size - 2)
        t0, t1 = self.times_days[idx], self.times_days[idx + 1]
        w = np.clip((days - t0) / (t1 - t0), 0.0, 1.0)
        rows = np.arange(days.shape[0])[:, None]
        # capped at 1e6 g/dL: far beyond any lab value (visits stop long before), and no overflow for a
        # patient whose growth rate sits in the far tail of the IIV
        return np.exp(np.minimum((1 - w) * log_m[rows, idx] + w * log_m[rows, idx + 1], _LOG_M_CAP))


def partner_kill_integral(doses: pd.DataFrame, n: int, times_days: np.ndarray, lam_per_day: np.ndarray,
                          params: DiseaseParameters, drug_sens: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
    """``∫ Σ_p k_p·A_p(s)·exp(−λ·s) ds`` over each grid step, exact for any dose times: array ``[n, T−1]``.

    ``doses``: rows with ``patient`` (0-based), ``time_h``, ``drug``, ``amount_mg``; drugs outside
    :data:`PARTNER_DRUGS` are ignored. A dose at τ adds ``b = k_bio·amount/ref_rate`` to A_p; its
    contribution to a step [t_a, t_b] after it is ``b·e^{−λτ}·e^{−(k+λ)(t_a−τ)}(1−e^{−(k+λ)Δ})/(k+λ)``
    (from τ within its own step). The decay from step to step is a first-order linear recurrence
    with a shared coefficient e^{−k_bio·Δ}, run with ``scipy.signal.lfilter`` over all patients at once.
    ``drug_sens``: per-drug (n,) multipliers of k_p (a patient's sensitivity to that drug); absent: 1.
    """
    t = np.asarray(times_days, dtype=float)
    dt = np.diff(t)
    if not np.allclose(dt, dt[0], rtol=1e-9, atol=1e-12):
        raise ValueError("partner_kill_integral needs an equally spaced grid")
    step = float(dt[0])
    k = params["k_bio"]
    lam = np.asarray(lam_per_day, dtype=float).reshape(n, 1)
    out = np.zeros((n, t.size - 1))
    decay_lam = None  # e^{−λ·t} at the step starts, shared by the drugs
    d = doses[doses["drug"].isin(PARTNER_DRUGS)]
    d = d[(d["time_h"] / 24.0 < t[-1])]
    for drug, g in d.groupby("drug", sort=True):
        k_p = params[f"k_{drug}"]
        if k_p == 0:
            continue
        pat = g["patient"].to_numpy(dtype=np.int64)
        tau = g["time_h"].to_numpy(dtype=float) / 24.0
        b = k * g["amount_mg"].to_numpy(dtype=float) / params.ref_rate(drug)
        i = np.clip(np.floor((tau - t[0]) / step).astype(np.int64), 0, t.size - 2)
        rest = t[i + 1] - tau  # time from the dose to the end of its step
        lam_d = lam[pat, 0]
        kl = k + lam_d
        cell = pat * (t.size - 1) + i  # flat [patient, step] index; bincount sums doses sharing a step
        size = n * (t.size - 1)
        own = np.bincount(cell, b * np.exp(-lam_d * tau) * -np.expm1(-kl * rest) / kl, minlength=size)
        own = own.reshape(n, t.size - 1)  # integral within the dose's own step
        carry = np.bincount(cell, b * np.exp(-k * rest), minlength=size).reshape(n, t.size - 1)  # A at its step's end
        # A entering step i: A_i = q·A_{i−1} + carry_{i−1}, q = e^{−k·Δ} (shared), one C-level filter
        a_in = lfilter([0.0, 1.0], [1.0, -np.exp(-k * step)], carry, axis=1)
        if decay_lam is None:
            decay_lam = np.exp(-lam * t[:-1])
        y = a_in * decay_lam
        gain = k_p if drug_sens is None or drug not in drug_sens else k_p * np.asarray(drug_sens[drug]).reshape(n, 1)
        out += gain * (own + y * (-np.expm1(-(k + lam) * step)) / (k + lam))
    return out


def isatuximab_effect(conc_ug_ml: np.ndarray, params: DiseaseParameters, phi: np.ndarray | float = 1.0) -> np.ndarray:
    """E_Isa = Emax·C^h/(EC50^h + C^h)·φ (1/day), elementwise; C in µg/mL (negative rounding noise → 0)."""
    c = np.maximum(np.asarray(conc_ug_ml, dtype=float), 0.0)
    h = params["hill_isa"]
    ch = c if h == 1 else c**h  # the shipped h = 1: no power over a [patient, 6-h grid] array
    return params["emax_isa"] * ch / (params["ec50_isa"] ** h + ch) * phi


def isatuximab_kill_integral(times_days: np.ndarray, effect_per_day: np.ndarray, lam_per_day: np.ndarray,
                             every: int = 1) -> np.ndarray:
    """``∫ E_Isa(s)·exp(−λ·s) ds`` over each step of the grid ``times_days[::every]``: array ``[N, (T−1)//every]``.

    The trapezoidal rule on the concentration grid ``times_days`` (T points, where ``effect_per_day``
    [N, T] is given, 1/day), its steps summed ``every`` at a time: the same integral on a grid ``every``
    times coarser, so the M-protein can be followed on that grid while isatuximab stays resolved on the
    PK's. ``T − 1`` must be a multiple of ``every``.
    """
    t = np.asarray(times_days, dtype=float)
    e = np.asarray(effect_per_day, dtype=float)
    if (t.size - 1) % every:
        raise ValueError(f"the grid has {t.size - 1} steps, not a multiple of every={every}")
    f = e * np.exp(-np.asarray(lam_per_day, dtype=float).reshape(-1, 1) * t)
    steps = 0.5 * (f[:, 1:] + f[:, :-1]) * np.diff(t)
    return steps if every == 1 else steps.reshape(e.shape[0], -1, every).sum(axis=2)


def m_protein(times_days: np.ndarray, m0_g_dl: np.ndarray, kg_per_day: np.ndarray, lam_per_day: np.ndarray,
              sens: np.ndarray, params: DiseaseParameters, *, partner_doses: pd.DataFrame | None = None,
              isa_effect_per_day: np.ndarray | None = None, f_resistant: np.ndarray | None = None,
              drug_sens: Mapping[str, np.ndarray] | None = None, isa_kill: np.ndarray | None = None) -> MProtein:
    """Integrate the TGI model for N patients on a shared, equally spaced grid (days, starting at 0).

    With ``f_resistant`` (disease_models.md §4.1 option B) the M-protein is the sum of a sensitive
    and a resistant population, each linear in its log, so both are exact given the kill integral
    ``I(t) = ∫₀ᵗ K``::

        S(t) = (1 − f)·M0·exp(kG·t − I(t))
        R(t) =      f ·M0·exp(r·kG·t − ρ·I_partner(t) − ρ_Isa·I_Isa(t))

    with r = ``kG_resistant_ratio``, ρ = ``rho_resistant`` (the partner drugs' kill of the resistant
    cells relative to the sensitive ones) and ρ_Isa = ``rho_resistant_isa`` (isatuximab's). A clone
    selected by earlier IMiDs and proteasome inhibitors need not resist a new mechanism such as
    anti-CD38 [PROJECT CHOICE], hence two ratios.

    ``f_resistant`` None or 0 everywhere is the published one-population form (the same numbers).

    Parameters
    ----------
    times_days : (T,) grid; the concentration grid of ``isa_effect_per_day``.
    m0_g_dl, kg_per_day, lam_per_day, sens : (N,) individual baseline M-protein (g/dL), growth rate (1/day),
        resistance rate (1/day) and drug-sensitivity multiplier (–).
    partner_doses : partner-drug dose events (``patient``, ``time_h``, ``drug``, ``amount_mg``), or None.
    isa_effect_per_day : (N, T) isatuximab kill rate E_Isa at the grid times (1/day), or None.
    f_resistant : (N,) fraction of M0 in the resistant population (–), or None.
    isa_kill : (N, T−1) the isatuximab integral over each step of ``times_days``
        (:func:`isatuximab_kill_integral`, from a finer concentration grid), instead of ``isa_effect_per_day``.
    drug_sens : drug name (a partner drug or ``"isatuximab"``) → (N,) sensitivity to that drug alone
        (–, multiplies ``sens``); a drug not in it (or None) has 1.
    """
    t = np.asarray(times_days, dtype=float)
    n = np.asarray(m0_g_dl).size
    lam = np.asarray(lam_per_day, dtype=float).reshape(n, 1)
    sens = np.asarray(sens, dtype=float).reshape(n, 1)
    partner = np.zeros((n, t.size - 1))
    isa = np.zeros((n, t.size - 1))
    if partner_doses is not None and len(partner_doses):
        partner = sens * partner_kill_integral(partner_doses, n, t, lam[:, 0], params, drug_sens)
    if isa_effect_per_day is not None and isa_kill is not None:
        raise ValueError("give isa_effect_per_day or isa_kill, not both")
    if isa_effect_per_day is not None:
        isa_kill = isatuximab_kill_integral(t, isa_effect_per_day, lam)
    if isa_kill is not None:
        isa = sens * isa_kill
        if drug_sens is not None and "isatuximab" in drug_sens:
            isa = isa * np.asarray(drug_sens["isatuximab"], dtype=float).reshape(n, 1)
    zero = np.zeros((n, 1))
    kill = np.concatenate([zero, np.cumsum(partner + isa, axis=1)], axis=1)
    log_m0 = np.log(np.asarray(m0_g_dl, dtype=float)).reshape(n, 1)
    kg = np.asarray(kg_per_day, dtype=float).reshape(n, 1)
    f = None if f_resistant is None else np.asarray(f_resistant, dtype=float).reshape(n, 1)
    if f is None or not np.any(f > 0):
        return MProtein(t, log_m0 + kg * t - kill, kill)
    kill_r = np.concatenate([zero, np.cumsum(params["rho_resistant"] * partner + params["rho_resistant_isa"] * isa,
                                             axis=1)], axis=1)
    with np.errstate(divide="ignore"):  # f = 0 or 1 for some patients: log 0 = −inf, and logaddexp(x, −inf) = x
        log_s = np.log1p(-f) + log_m0 + kg * t - kill
        log_r = np.log(f) + log_m0 + params["kG_resistant_ratio"] * kg * t - kill_r
    return MProtein(t, np.logaddexp(log_s, log_r), kill)
