"""The integrator of :mod:`isamm.pk._engine`, compiled with JAX (optional backend).

Same algorithm, step by step: Dormand–Prince 5(4) with Shampine's dense output,
RODAS4 where h·|∂f_central/∂A_central| > 3, steps that land on every infusion
edge and bolus, a fresh starting step after each input discontinuity, per-patient
max-norm error control, negative amounts rejected. One step is written for one
patient (scalars and 4-vectors, ``_step_one``) and vectorized with ``jax.vmap``; a
``lax.while_loop`` over the batch advances all patients in lockstep, writing the
outputs by one scatter per iteration. Under vmap both methods are evaluated for
every patient and selected per patient (the price of lockstep SIMD).

Why a second engine: the NumPy engine pays ~0.4 ms of Python per lockstep
iteration, and the slowest ~1% of patients (fast target-mediated elimination)
need 3–4× the median number of steps. Here one iteration of all patients is one
compiled kernel. A lockstep loop still runs until its slowest patient is done, so
the driver runs it in segments and, once half the batch has finished, moves the
rest into a smaller batch (sizes n, then powers of two ≥ 64: a few compiled shapes
per problem). Runs on whatever device JAX uses (CPU here; GPU unchanged).

float64 throughout, scoped with ``jax.enable_x64`` (the user's JAX config is not
touched).
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import expit

from isamm.errors import ModelError
from isamm.pk._engine import (
    _A, _C, _E, _GAMMA, _H_START_MIN, _P, _RA, _RC, _RD, _RH, _RNODE, _STIFF, Integration, _rate_table, _stops, solve_rows,
)
from isamm.pk._structural import AUC, CENTRAL, DEPOT, PERIPH, STRUCTURES, ArrayOps, central_jacobian, rhs_rows

__all__ = ["integrate_jax"]

_JAX_OPS = ArrayOps(jnp.log, jnp.exp, jnp.maximum, jnp.where, expit)
_SEGMENT_ITERATIONS = 128  # iterations per compiled call between compaction checks
_MIN_BATCH = 64


def integrate_jax(structure, k, bioavailability, dosing, times_h, *, rtol: float = 1e-7, atol_ug_ml: float = 1e-6,
                  h_max: float = 336.0, max_iterations: int = 2_000_000) -> Integration:
    """Integrate N patients like :func:`isamm.pk._engine.integrate`, compiled with JAX."""
    n = dosing.n
    stops, bps = _stops(dosing, times_h)
    n_stops = stops.size
    rate = _rate_table(dosing, bps)
    seg_col = np.concatenate([[0], np.searchsorted(bps, stops[:-1], side="right") - 1])
    seg_col[seg_col < 0] = bps.size
    rate_seg = rate[:, seg_col]  # input rate (mg/h) on the segment ending at each stop
    bol = np.zeros((n, n_stops, 2))
    at = np.searchsorted(stops, dosing.bol_time)
    keep = (at < n_stops) & (stops[np.minimum(at, n_stops - 1)] == dosing.bol_time)
    amount = np.where(dosing.bol_cmt == 0, dosing.bol_amount * bioavailability[dosing.bol_patient], dosing.bol_amount)
    np.add.at(bol, (dosing.bol_patient[keep], at[keep], dosing.bol_cmt[keep]), amount[keep])
    bol_flag = np.zeros(n_stops, dtype=bool)
    bol_flag[np.unique(at[keep])] = True

    keys = tuple(k)
    params = np.stack([np.broadcast_to(np.asarray(k[key], dtype=float), (n,)) for key in keys], axis=1)
    volume = np.asarray(k["V"], dtype=float)
    atol = np.stack([atol_ug_ml * volume, atol_ug_ml * volume, atol_ug_ml * k["vp"], np.full(n, atol_ug_ml)], axis=1)

    y0 = np.zeros((n, 4))
    y0[:, DEPOT] += bol[:, 0, 0]
    y0[:, CENTRAL] += bol[:, 0, 1]
    n_times = times_h.size
    state = {
        "t": np.full(n, stops[0]), "y": y0, "h": np.full(n, min(0.05, h_max)), "s": np.ones(n, dtype=np.int64),
        "out": np.full(n, np.searchsorted(times_h, stops[0], side="right"), dtype=np.int64),
        "last_auc": np.zeros(n), "fresh": np.ones(n, dtype=bool), "r": rate_seg[:, min(1, n_stops - 1)],
        "n_acc": np.zeros(n, dtype=np.int64), "n_rej": np.zeros(n, dtype=np.int64), "bad": np.zeros(n, dtype=bool),
        "conc": np.zeros((n, n_times)), "auc": np.zeros((n, n_times)),
    }
    consts = {"params": params, "atol": atol, "first": dosing.first_dose_h.astype(float), "rate": rate_seg, "bol": bol}
    shared = {"stops": stops, "times": np.asarray(times_h, dtype=float), "bol_flag": bol_flag}
    if n_stops == 1:
        return Integration(state["conc"], state["auc"], state["n_acc"], state["n_rej"])

    run = partial(_segment, structure.name, keys, float(rtol), float(h_max), int(max_iterations))
    result = {name: np.array(v) for name, v in state.items()}
    ids = np.arange(n)
    with _x64():
        shared_j = {key: jnp.asarray(v) for key, v in shared.items()}
        while ids.size:
            state = run(state, consts, shared_j)
            done = np.asarray(state["s"]) >= n_stops
            bad = np.asarray(state["bad"])
            if bad.any():
                i = int(ids[np.flatnonzero(bad)[0]])
                raise ModelError(f"PK integration failed for patient {i} (step size underflow or more than "
                                 f"{max_iterations} steps); check its parameters or try a larger rtol")
            live = ~done & (ids >= 0)
            if not live.any():
                _write_back(result, state, ids, np.ones(ids.size, dtype=bool))
                break
            m = int(live.sum())
            if ids.size > _MIN_BATCH and m <= ids.size // 2:
                _write_back(result, state, ids, ~live)
                size = max(_MIN_BATCH, 1 << (m - 1).bit_length())
                pick = np.flatnonzero(live)
                pick = np.concatenate([pick, np.full(size - m, pick[0])])  # padding rows: copies, marked finished
                state = {name: np.array(v)[pick] for name, v in state.items()}
                consts = {name: v[pick] for name, v in consts.items()}
                state["s"][m:] = n_stops
                ids = np.concatenate([ids[live], np.full(size - m, -1)])
    return Integration(result["conc"], result["auc"], result["n_acc"], result["n_rej"])


def _x64():
    """float64 for this computation only (``jax.enable_x64`` in current JAX, ``jax.experimental`` before)."""
    if hasattr(jax, "enable_x64"):
        return jax.enable_x64(True)
    from jax.experimental import enable_x64  # pragma: no cover - older JAX

    return enable_x64()


def _write_back(result, state, ids, rows):
    sel = rows & (ids >= 0)
    for name in ("conc", "auc", "n_acc", "n_rej"):
        result[name][ids[sel]] = np.asarray(state[name])[sel]


_SMALL = ("t", "y", "h", "s", "out", "last_auc", "fresh", "r", "n_acc", "n_rej", "bad")
_OUTPUTS_PER_STEP = 4  # outputs written per step at most; a step ends at the 16th pending output time


@partial(jax.jit, static_argnums=(0, 1, 2, 3, 4))
def _segment(structure_name, keys, rtol, h_max, max_iterations, state, consts, shared):
    """Up to _SEGMENT_ITERATIONS lockstep iterations of the batch.

    The loop is over the batch (not vmapped per patient) so that the output arrays
    are updated in place by one scatter per iteration instead of being copied by
    a per-patient select.
    """
    one = jax.vmap(partial(_step_one, structure_name, keys, rtol, h_max, max_iterations, shared))
    n_stops = shared["stops"].shape[0]
    rows = jnp.arange(state["t"].shape[0])[:, None]

    def active(st):
        return (st["s"] < n_stops) & ~st["bad"]

    def body(carry):
        st, it = carry
        small = {name: st[name] for name in _SMALL}
        act = active(small)
        new, cols, conc, auc = one(small, consts)
        small = {name: jnp.where(act.reshape(act.shape + (1,) * (v.ndim - 1)), v, small[name])
                 for name, v in new.items()}
        cols = jnp.where(act[:, None], cols, st["conc"].shape[1])  # out of range: dropped
        out = dict(small)
        out["conc"] = st["conc"].at[rows, cols].set(conc, mode="drop")
        out["auc"] = st["auc"].at[rows, cols].set(auc, mode="drop")
        return out, it + 1

    def cond(carry):
        st, it = carry
        return jnp.any(active(st)) & (it < _SEGMENT_ITERATIONS)

    out, _ = jax.lax.while_loop(cond, body, (state, 0))
    return out


def _step_one(structure_name, keys, rtol, h_max, max_iterations, shared, st, c):
    """One iteration of the NumPy engine's loop for one patient.

    Returns the new small state and up to _OUTPUTS_PER_STEP output columns with their
    concentration and AUC (columns past the output grid are dropped by the caller).
    """
    time_terms = partial(STRUCTURES[structure_name].time_terms, ops=_JAX_OPS)
    k = {key: c["params"][i] for i, key in enumerate(keys)}
    stops, times, bol_flag = shared["stops"], shared["times"], shared["bol_flag"]
    n_stops, n_times = stops.shape[0], times.shape[0]

    def f(t, y, r):
        cl, vmax, _, _ = time_terms(t, k)
        return jnp.stack(rhs_rows(cl, vmax, y, r, k))

    def initial_step(t, y, r, f0):
        sc = c["atol"] + rtol * jnp.abs(y)
        d0 = jnp.max(jnp.abs(y) / sc)
        d1 = jnp.max(jnp.abs(f0) / sc)
        h0 = jnp.where(d1 < 1e-5, h_max, jnp.where(d0 < 1e-5, 1e-6, 0.01 * d0 / jnp.where(d1 > 0, d1, 1.0)))
        f1 = f(t + h0, y + h0 * f0, r)
        d2 = jnp.max(jnp.abs(f1 - f0) / sc) / h0
        h1 = jnp.where(d2 <= 1e-15, h_max, (0.01 / jnp.where(d2 > 0, d2, 1.0)) ** 0.2)
        return jnp.clip(jnp.minimum(100.0 * h0, h1), _H_START_MIN, h_max)

    def dp5(t, y, h, r, f0):
        ks = [f0]
        for i in range(1, 7):
            u = y + h * sum(a * kk for a, kk in zip(_A[i], ks) if a != 0.0)
            ks.append(f(t + _C[i] * h, u, r))
        err = h * sum(e * kk for e, kk in zip(_E, ks) if e != 0.0)
        coef = jnp.stack([h * sum(_P[i][j] * ks[i] for i in range(7) if _P[i][j] != 0.0) for j in range(4)])
        return u, err, coef

    def rodas4(t, y, h, r, f0, jcc, ft):
        g = 1.0 / (_GAMMA * h)
        ft_vec = jnp.zeros(4).at[CENTRAL].set(ft)
        ks = []
        u = y
        for i in range(6):
            if i == 0:
                b = f0
            else:
                u = u + ks[4] if i == 5 else y + sum(a * kk for a, kk in zip(_RA[i], ks))
                b = f(t + _RNODE[i] * h, u, r) + sum(cc * kk for cc, kk in zip(_RC[i], ks)) / h
            b = b + _RD[i] * h * ft_vec
            ks.append(jnp.stack(solve_rows(g, jcc, k, b[DEPOT], b[CENTRAL], b[PERIPH], b[AUC])))
        y_new = u + ks[5]
        k1 = sum(cc * kk for cc, kk in zip(_RH[0], ks[:5]))
        k2 = sum(cc * kk for cc, kk in zip(_RH[1], ks[:5]))
        return y_new, ks[5], jnp.stack([y_new - y + k1, k2 - k1, -k2, jnp.zeros(4)])

    target = stops[st["s"]]
    gap = target - st["t"]
    r = st["r"]
    trel = st["t"] - c["first"]
    cl, vmax, dcl, dvmax = time_terms(trel, k, derivative=True)
    f0 = jnp.stack(rhs_rows(cl, vmax, st["y"], r, k))
    h = jnp.where(st["fresh"], initial_step(trel, st["y"], r, f0), st["h"])
    cap_j = st["out"] + _OUTPUTS_PER_STEP - 1
    cap = jnp.where(cap_j < n_times, times[jnp.minimum(cap_j, n_times - 1)] - st["t"], jnp.inf)
    h = jnp.minimum(h, cap)
    land = h >= gap
    hs = jnp.minimum(h, gap)
    jcc, ft = central_jacobian(cl, vmax, dcl, dvmax, st["y"], k, ops=_JAX_OPS)
    stiff = hs * jnp.abs(jcc) > _STIFF
    y_new, err, coef = jax.lax.cond(stiff, lambda: rodas4(trel, st["y"], hs, r, f0, jcc, ft),
                                    lambda: dp5(trel, st["y"], hs, r, f0))
    order = jnp.where(stiff, 4.0, 5.0)
    scale = c["atol"] + rtol * jnp.maximum(jnp.abs(st["y"]), jnp.abs(y_new))
    en = jnp.max(jnp.abs(err) / scale)
    ok = jnp.isfinite(en) & jnp.all(jnp.isfinite(y_new))
    positive = jnp.all(y_new >= 0.0)
    accept = ok & positive & (en <= 1.0)
    fac_max = jnp.where(stiff, 6.0, 10.0)
    factor = jnp.where(ok, jnp.clip(0.9 * jnp.maximum(en, 1e-12) ** (-1.0 / order), 0.2, fac_max), 0.2)
    factor = jnp.where(positive, factor, jnp.minimum(factor, 0.5))
    factor = jnp.where(accept, factor, jnp.minimum(factor, 1.0))
    t_new = jnp.where(land, target, st["t"] + hs)

    # outputs in (t, t_new]: at most _OUTPUTS_PER_STEP by the cap above
    cols = st["out"] + jnp.arange(_OUTPUTS_PER_STEP)
    tj = times[jnp.minimum(cols, n_times - 1)]
    due = accept & (cols < n_times) & (tj <= t_new)
    th = jnp.minimum((tj - st["t"]) / hs, 1.0)[:, None]
    yt = st["y"] + th * (coef[0] + th * (coef[1] + th * (coef[2] + th * coef[3])))
    conc = jnp.maximum(yt[:, CENTRAL], 0.0) / k["V"]
    auc = jax.lax.cummax(jnp.maximum(jnp.where(due, yt[:, AUC], -jnp.inf), st["last_auc"]))
    n_due = jnp.sum(due)

    new = dict(st)
    h_next = jnp.where(accept & land, jnp.maximum(hs * factor, jnp.minimum(h, h_max)), hs * factor)
    new["out"] = st["out"] + n_due
    new["last_auc"] = jnp.where(n_due > 0, auc[jnp.maximum(n_due - 1, 0)], st["last_auc"])
    new["y"] = jnp.where(accept, y_new, st["y"])
    new["t"] = jnp.where(accept, t_new, st["t"])
    new["h"] = jnp.minimum(h_next, h_max)
    new["n_acc"] = st["n_acc"] + accept
    new["n_rej"] = st["n_rej"] + ~accept
    # arrival at a stop: give its boluses, take the next segment's input rate
    arrived = accept & land
    s = st["s"]
    dose = c["bol"][s]
    new["y"] = new["y"] + jnp.where(arrived, jnp.stack([dose[0], dose[1], 0.0, 0.0]), 0.0)
    r_new = c["rate"][jnp.minimum(s + 1, n_stops - 1)]
    new["fresh"] = arrived & (bol_flag[s] | (r_new != r))
    new["r"] = jnp.where(arrived, r_new, r)
    new["s"] = s + arrived
    new["bad"] = (new["h"] < 1e-9) | (new["n_acc"] + new["n_rej"] > max_iterations)
    return new, jnp.where(due, cols, n_times), conc, auc
