"""The integrator: one adaptive step per patient, all patients at once (NumPy).

Why hand-written: SciPy's ``solve_ivp`` integrates one system with one step
size; stacking N patients into one system makes the stiffest patient set the
step for everyone and blends their errors in one RMS norm. Here every patient
carries its own time, step and error test, and one NumPy expression advances
all of them (no Python loop over patients).

* **Discontinuities.** Time is cut at every infusion start, rate change and
  stop, every bolus and every output time (the "stops", shared by all
  patients). A step never crosses a stop: it is shortened to land on it
  exactly, so the input rate is constant within every step.
* **Non-stiff patients** take Dormand–Prince 5(4) steps (Dormand & Prince 1980,
  *J Comput Appl Math* 6:19–26; tableau as in Hairer, Nørsett & Wanner,
  *Solving ODEs I*, Table II.5.2), error estimate of order 4, step factor
  ``0.9·err^(-1/5)``.
* **Stiff patients.** Target-mediated elimination at C ≲ Km has an eigenvalue
  up to Vmax/(V·Km) (≈ 90/h for ±4 SD isatuximab draws; real populations reach
  that regime between doses). DP5 is stable only for h·|λ| ≲ 3.3, so a patient
  whose step would exceed h·|∂f_central/∂A_central| > 3 takes an exponential
  step instead: y' = L·y + N(t, y) with L = diag(∂f/∂y) frozen at the step start,
  L integrated exactly and N by ETDRK4 (Cox & Matthews 2002, *J Comput Phys*
  176:430–455, eq. 26–29, in the φ-function form of Krogstad 2005, *J Comput
  Phys* 203:72–88). The stiff part of these models is on the diagonal
  (elimination), the couplings (Q/V, ka) are slow, and the exact treatment of
  L removes the stability limit. Its embedded estimate is the ETD2 solution
  e^z·y + h·φ1·N(y) + h·φ2·(N(c) − N(y)) from the same stages (local error
  O(h³)), step factor ``0.9·err^(-1/3)``.
* **Error control** is per patient: max-norm over states of
  ``|err| / (atol + rtol·|y|)`` ≤ 1 (atol in µg/mL times the compartment
  volume), factors clipped to [0.2, 5] (Hairer I, II.4). A step that would make
  any amount negative is rejected and shortened: the exact solution of these
  models is non-negative, so this never biases it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from isamm.errors import ModelError
from isamm.pk._dosing import Dosing
from isamm.pk._structural import AUC, CENTRAL, DEPOT, N_STATES, Structure

__all__ = ["integrate", "Integration"]

# Dormand–Prince 5(4) tableau (Hairer I, Table 5.2); _E = b − b̂.
_C = np.array([0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0])
_A = [
    [],
    [1 / 5],
    [3 / 40, 9 / 40],
    [44 / 45, -56 / 15, 32 / 9],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
    [35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
]
_B = _A[6] + [0.0]
_E = [71 / 57600, 0.0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40]
# DP5 is stable for h·|λ| ≤ 3.3 on the negative real axis; beyond ~3 switch to ETDRK4.
_STIFF = 3.0


@dataclass(frozen=True)
class Integration:
    """Raw engine output: concentrations and cumulative AUC at the output times, step counts."""

    conc_ug_ml: np.ndarray  # [patient, time]
    auc_ug_h_ml: np.ndarray  # [patient, time], from the start of integration
    n_steps: np.ndarray  # accepted steps per patient
    n_rejected: np.ndarray


def _stops(dosing: Dosing, times: np.ndarray):
    t0 = min(0.0, float(times[0]), float(dosing.dose_time.min()) if dosing.dose_time.size else 0.0)
    bps = np.unique(np.concatenate([dosing.inf_start, dosing.inf_end, dosing.bol_time]))
    stops = np.unique(np.concatenate([[t0], bps, times]))
    return stops, bps


def _rate_table(dosing: Dosing, bps: np.ndarray) -> np.ndarray:
    """rate[patient, j] = infusion input (mg/h) on [bps[j], bps[j+1])."""
    n = dosing.n
    rate = np.zeros((n, bps.size + 1))
    js = np.searchsorted(bps, dosing.inf_start)
    je = np.searchsorted(bps, dosing.inf_end)
    np.add.at(rate, (dosing.inf_patient, js), dosing.inf_rate)
    np.add.at(rate, (dosing.inf_patient, je), -dosing.inf_rate)
    rate = np.cumsum(rate, axis=1)
    scale = np.abs(dosing.inf_rate).max() if dosing.inf_rate.size else 1.0
    rate[np.abs(rate) < 1e-12 * scale] = 0.0  # cumsum round-off after an infusion ends
    return rate


def integrate(
    structure: Structure,
    k: dict[str, np.ndarray],
    bioavailability: np.ndarray,
    dosing: Dosing,
    times_h: np.ndarray,
    *,
    rtol: float = 1e-6,
    atol_ug_ml: float = 1e-6,
    h_max: float = 168.0,
    max_iterations: int = 2_000_000,
) -> Integration:
    """Integrate N patients from 0 (or the first event) to ``times_h[-1]``; see module docstring.

    ``times_h`` must be sorted, unique and finite (the caller validates).
    Values at a bolus time are pre-dose.
    """
    n = dosing.n
    stops, bps = _stops(dosing, times_h)
    n_stops = stops.size
    rate = _rate_table(dosing, bps)
    # column of ``rate`` in force on the segment ending at stop s (i.e. on [stops[s-1], stops[s]))
    seg_col = np.concatenate([[0], np.searchsorted(bps, stops[:-1], side="right") - 1])
    seg_col[seg_col < 0] = bps.size  # before the first breakpoint: the all-zero last column
    out_index = np.full(n_stops, -1)
    out_index[np.searchsorted(stops, times_h)] = np.arange(times_h.size)
    # boluses: dense [patient, bolus time] tables, looked up when a patient reaches a stop
    bol_times = np.unique(dosing.bol_time)
    bol_col = np.full(n_stops, -1)
    bol_col[np.searchsorted(stops, bol_times)] = np.arange(bol_times.size)
    bol_tab = np.zeros((2, n, bol_times.size))
    amount = np.where(dosing.bol_cmt == 0, dosing.bol_amount * bioavailability[dosing.bol_patient], dosing.bol_amount)
    np.add.at(bol_tab, (dosing.bol_cmt, dosing.bol_patient, np.searchsorted(bol_times, dosing.bol_time)), amount)

    volume = k["V"]
    atol = np.stack([atol_ug_ml * volume, atol_ug_ml * volume, atol_ug_ml * k["vp"], np.full(n, atol_ug_ml)])

    conc = np.zeros((n, times_h.size))
    auc = np.zeros((n, times_h.size))
    n_steps = np.zeros(n, dtype=np.int64)
    n_rej = np.zeros(n, dtype=np.int64)

    # working set (compacted when half of it has finished)
    idx = np.arange(n)
    y = np.zeros((N_STATES, n))
    t = np.full(n, stops[0])
    s = np.ones(n, dtype=np.int64)  # index of the next stop
    h = np.full(n, min(0.05, h_max))
    kw = k
    first = dosing.first_dose_h
    atol_w = atol
    _arrive(np.zeros(n, dtype=np.int64), idx, idx, y, conc, auc, out_index, bol_col, bol_tab, volume)
    if n_stops == 1:
        return Integration(conc, auc, n_steps, n_rej)

    iterations = 0
    while idx.size:
        iterations += 1
        if iterations > max_iterations:
            raise ModelError(f"PK integration did not finish in {max_iterations} steps; try a larger rtol")
        done = s >= n_stops
        target = stops[np.minimum(s, n_stops - 1)]
        gap = target - t
        hs = np.where(done, 0.0, np.minimum(h, gap))
        land = ~done & (h >= gap)
        r = rate[idx, seg_col[np.minimum(s, n_stops - 1)]]
        r = np.where(done, 0.0, r)
        trel = t - first[idx]

        y_new, err, order = _step(structure, kw, trel, y, hs, r)
        scale = atol_w + rtol * np.maximum(np.abs(y), np.abs(y_new))
        en = np.max(np.abs(err) / scale, axis=0)
        ok = np.isfinite(en) & np.all(np.isfinite(y_new), axis=0)
        positive = np.all(y_new >= 0.0, axis=0)
        accept = ok & positive & (en <= 1.0) & ~done
        factor = np.where(ok, np.clip(0.9 * np.maximum(en, 1e-12) ** (-1.0 / order), 0.2, 5.0), 0.2)
        factor = np.where(positive, factor, np.minimum(factor, 0.5))
        factor = np.where(accept, factor, np.minimum(factor, 1.0))

        y = np.where(accept, y_new, y)
        t = np.where(accept, np.where(land, target, t + hs), t)
        h_next = np.where(accept & land, np.maximum(hs * factor, np.minimum(h, h_max)), hs * factor)
        h = np.where(done, h, np.minimum(h_next, h_max))
        n_steps[idx] += accept
        n_rej[idx] += ~accept & ~done
        if np.any(~done & (h < 1e-9)):
            bad = idx[~done & (h < 1e-9)]
            raise ModelError(f"PK integration step size underflow for patient(s) {bad[:5].tolist()}; check their parameters")

        arrived = accept & land
        if arrived.any():
            a = np.flatnonzero(arrived)
            _arrive(s[a], a, idx[a], y, conc, auc, out_index, bol_col, bol_tab, volume)
            s = s + arrived

        finished = s >= n_stops
        if finished.sum() * 2 >= idx.size and finished.any():
            keep = ~finished
            idx, y, t, s, h, atol_w = idx[keep], y[:, keep], t[keep], s[keep], h[keep], atol_w[:, keep]
            kw = {key: v[keep] for key, v in kw.items()}
            volume = volume[keep]
    return Integration(conc, auc, n_steps, n_rej)


def _phi(z: np.ndarray):
    """e^z, φ1, φ2, φ3 for real z ≤ 0 (elementwise): Taylor series near 0, recurrence elsewhere.

    φ_k(z) = Σ_j z^j/(j+k)!, and φ_{k+1}(z) = (φ_k(z) − 1/k!)/z; the recurrence
    loses ~log10(1/|z|)·k digits as z → 0, so |z| < 0.2 uses 12 Taylor terms
    (truncation < 0.2^12/12! ≈ 1e-17).
    """
    small = np.abs(z) < 0.2
    zs = np.where(small, -1.0, z)  # safe divisor
    e = np.exp(z)
    p1 = np.expm1(zs) / zs
    p2 = (p1 - 1.0) / zs
    p3 = (p2 - 0.5) / zs
    if small.any():
        zt = z[small]
        # Horner: φ_k(z) = Σ_{j<12} z^j/(j+k)!
        t1, t2, t3 = (np.full(zt.shape, _INV_FACT[11 + k]) for k in (1, 2, 3))
        for j in range(10, -1, -1):
            t1 = t1 * zt + _INV_FACT[j + 1]
            t2 = t2 * zt + _INV_FACT[j + 2]
            t3 = t3 * zt + _INV_FACT[j + 3]
        p1[small], p2[small], p3[small] = t1, t2, t3
    return e, p1, p2, p3


_INV_FACT = [1.0 / math.factorial(i) for i in range(16)]


def _etdrk4_step(structure, k, t, y, h, r):
    """One ETDRK4 step (Cox & Matthews 2002) with L = diag Jacobian at (t, y); returns (y4, y4 − y2)."""
    lam = structure.diag_jacobian(t, y, k)
    z = h * lam
    e2, p1h, _, _ = _phi(0.5 * z)
    e, p1, p2, p3 = _phi(z)
    half = 0.5 * h

    def n_of(tt, u):
        return structure.rhs(tt, u, r, k) - lam * u

    nu = n_of(t, y)
    a = e2 * y + half * p1h * nu
    na = n_of(t + half, a)
    b = e2 * y + half * p1h * na
    nb = n_of(t + half, b)
    c = e2 * a + half * p1h * (2.0 * nb - nu)
    nc = n_of(t + h, c)
    y4 = e * y + h * ((p1 - 3.0 * p2 + 4.0 * p3) * nu + 2.0 * (p2 - 2.0 * p3) * (na + nb) + (4.0 * p3 - p2) * nc)
    y2 = e * y + h * (p1 * nu + p2 * (nc - nu))
    return y4, y4 - y2


def _dp5_step(structure, k, t, y, h, r):
    """One Dormand–Prince 5(4) step; returns (y5, y5 − y4)."""
    ks = [structure.rhs(t, y, r, k)]
    for st in range(1, 7):
        acc = 0.0
        for a, kk in zip(_A[st], ks):
            if a != 0.0:
                acc = acc + a * kk
        ks.append(structure.rhs(t + _C[st] * h, y + h * acc, r, k))
    y5 = y + h * sum(b * kk for b, kk in zip(_B, ks) if b != 0.0)
    err = h * sum(e * kk for e, kk in zip(_E, ks) if e != 0.0)
    return y5, err


def _take(k, sel):
    return {key: v[sel] for key, v in k.items()}


def _step(structure, k, t, y, h, r):
    """Advance every patient by its own ``h``: DP5 where non-stiff, ETDRK4 where h·|λ_central| > 3.

    Returns (y_new, error estimate, order used by the step-size controller per patient).
    """
    lam = structure.diag_jacobian(t, y, k)[1]
    stiff = h * np.abs(lam) > _STIFF
    if not stiff.any():
        y_new, err = _dp5_step(structure, k, t, y, h, r)
        return y_new, err, 5.0
    if stiff.all():
        y_new, err = _etdrk4_step(structure, k, t, y, h, r)
        return y_new, err, 3.0
    y_new = np.empty_like(y)
    err = np.empty_like(y)
    for sel, fn in ((~stiff, _dp5_step), (stiff, _etdrk4_step)):
        y_new[:, sel], err[:, sel] = fn(structure, _take(k, sel), t[sel], y[:, sel], h[sel], r[sel])
    return y_new, err, np.where(stiff, 3.0, 5.0)


def _arrive(stop, sel, g, y, conc, auc, out_index, bol_col, bol_tab, volume):
    """Patients at working positions ``sel`` (global ids ``g``) reached stops ``stop``: record, then dose."""
    o = out_index[stop]
    rec = o >= 0
    if rec.any():
        conc[g[rec], o[rec]] = y[CENTRAL, sel[rec]] / volume[sel[rec]]
        auc[g[rec], o[rec]] = y[AUC, sel[rec]]
    b = bol_col[stop]
    dose = b >= 0
    if dose.any():
        y[DEPOT, sel[dose]] += bol_tab[0, g[dose], b[dose]]
        y[CENTRAL, sel[dose]] += bol_tab[1, g[dose], b[dose]]
