"""Independent reference solutions for the PK engine tests (not used by isamm itself).

The ODEs are written out again here from shared/reference/pk_models.md, in
concentration-free amount form, and solved with SciPy LSODA at rtol 1e-10,
restarting the solver at every infusion start/stop (the ``tcrit`` idea).
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp


def fau_rhs(t, y, rate, p, t_first):
    """Fau 2020: y = (central mg, peripheral mg)."""
    tt = max(t - t_first, 0.0)
    # t^g/(KCL^g + t^g) = 1/(1 + (KCL/t)^g); (KCL/t)^g may be inf at extreme gamma, which is fine
    with np.errstate(over="ignore", divide="ignore"):
        s = 1.0 / (1.0 + np.power(np.float64(p["KCL"]) / tt, p["gamma"]))
    cl = p["CLinf"] * np.exp(p["CLm"] * (1.0 - s))
    c = y[0] / p["Vc"]
    cp = y[1] / p["Vp"]
    elim_mm = p["Vc"] * p["Vm"] * c / (p["Km"] + c)
    return [rate - cl * c - elim_mm - p["Q"] * c + p["Q"] * cp, p["Q"] * c - p["Q"] * cp, 0.0]


def dara_rhs(t, y, rate, p, t_first):
    """Xu 2020 / Luo 2021: y = (central mg, peripheral mg, depot mg)."""
    tt = max(t - t_first, 0.0)
    c = y[0] / p["V1"]
    cp = y[1] / p["V2"]
    ka = p.get("ka", 0.0)
    vmax = p["Vmax"] * np.exp(-p["KDES"] * tt)
    return [rate + ka * y[2] - p["CL"] * c - vmax * c / (p["Km"] + c) - p["Q"] * (c - cp), p["Q"] * (c - cp), -ka * y[2]]


def reference(rhs, p, infusions, times, volume, boluses_sc=(), rtol=1e-10):
    """Concentrations at ``times`` for infusions [(start, duration, amount)] and SC doses [(time, amount*F)]."""
    t_first = min([s for s, _, _ in infusions] + [t for t, _ in boluses_sc])
    edges = {0.0, float(times[-1])}
    for s, d, _ in infusions:
        edges |= {s, s + d}
    for t, _ in boluses_sc:
        edges.add(t)
    edges = sorted(e for e in edges if e <= times[-1])
    y = np.zeros(3)
    out = np.full(len(times), np.nan)
    times = np.asarray(times, dtype=float)
    for a, b in zip(edges[:-1], edges[1:]):
        for t, amt in boluses_sc:
            if t == a:
                y[2] += amt
        rate = sum(amt / d for s, d, amt in infusions if s <= a < s + d)
        sol = solve_ivp(rhs, (a, b), y, args=(rate, p, t_first), method="LSODA", rtol=rtol, atol=1e-12, dense_output=True)
        sel = (times >= a) & (times <= b)
        if sel.any():
            out[sel] = sol.sol(times[sel])[0] / volume
        y = sol.y[:, -1]
    return out


def _macro_constants(cl, v1, q, v2):
    """α, β and the unit-bolus coefficients A, B of the linear two-compartment model (Gibaldi & Perrier ch. 2)."""
    k10, k12, k21 = cl / v1, q / v1, q / v2
    ssum = k10 + k12 + k21
    disc = np.sqrt(ssum * ssum - 4 * k10 * k21)
    alpha, beta = (ssum + disc) / 2, (ssum - disc) / 2
    a_c = (alpha - k21) / (alpha - beta)
    b_c = (k21 - beta) / (alpha - beta)
    return alpha, beta, a_c, b_c


def two_cmt_infusion(times, infusions, cl, v1, q, v2):
    """Closed form: linear two-compartment model, constant-rate infusions, by superposition.

    Gibaldi & Perrier, *Pharmacokinetics* (2nd ed.), ch. 2: unit-bolus response
    C(t) = (A e^{-αt} + B e^{-βt})/V1 with A = (α − k21)/(α − β), B = (k21 − β)/(α − β);
    an infusion of rate R over T integrates it: A/α·(1 − e^{-α min(t,T)})·e^{-α (t−T)+}.
    """
    alpha, beta, a_c, b_c = _macro_constants(cl, v1, q, v2)
    t = np.asarray(times, dtype=float)
    c = np.zeros_like(t)
    for start, dur, amt in infusions:
        rate = amt / dur
        tau = t - start
        on = np.clip(tau, 0.0, dur)
        after = np.clip(tau - dur, 0.0, None)
        for coef, lam in ((a_c, alpha), (b_c, beta)):
            c += np.where(tau > 0, rate / v1 * coef / lam * (1 - np.exp(-lam * on)) * np.exp(-lam * after), 0.0)
    return c


def two_cmt_infusion_auc(times, infusions, cl, v1, q, v2):
    """Closed-form cumulative AUC(0–t) of :func:`two_cmt_infusion` (term-by-term integral).

    During an infusion ∫_0^τ (1 − e^{-λs}) ds = τ − (1 − e^{-λτ})/λ; after it, the
    decaying part adds (1 − e^{-λT})·(1 − e^{-λ(τ−T)})/λ.
    """
    alpha, beta, a_c, b_c = _macro_constants(cl, v1, q, v2)
    t = np.asarray(times, dtype=float)
    auc = np.zeros_like(t)
    for start, dur, amt in infusions:
        rate = amt / dur
        tau = np.clip(t - start, 0.0, None)
        on = np.minimum(tau, dur)
        after = np.clip(tau - dur, 0.0, None)
        for coef, lam in ((a_c, alpha), (b_c, beta)):
            during = on - (1 - np.exp(-lam * on)) / lam
            later = (1 - np.exp(-lam * dur)) * (1 - np.exp(-lam * after)) / lam
            auc += rate / v1 * coef / lam * (during + later)
    return auc
