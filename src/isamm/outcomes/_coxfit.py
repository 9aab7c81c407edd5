"""The Cox partial likelihood and its Newton–Raphson fit, step for step as R ``coxph.fit``.

R survival fits ``coxph`` in C (``src/coxfit6.c`` for right-censored data,
``src/agfit4.c`` for ``Surv(entry, time, event)``); this module follows them:

- each column that is not 0/1-coded is centred and divided by its mean
  absolute deviation before fitting (R ``coxph(nocenter = c(-1, 0, 1))``),
  and the answer is returned on the original scale;
- Newton–Raphson from β = 0, with **step halving** whenever a step lowers the
  log-likelihood or overflows (the k-th consecutive halving moves to
  ``(new + k·old)/(k + 1)``);
- convergence when ``|1 − loglik_old / loglik_new| <= eps`` (``eps = 1e-9``),
  at most ``iter_max = 20`` iterations (``coxph.control`` defaults);
- the information matrix is factorised as R's ``cholesky2`` does: a pivot
  below ``toler_chol`` times the largest diagonal element marks the column as
  singular (its step is 0);
- a coefficient is infinite (monotone likelihood) when, after the
  log-likelihood has converged, the next Newton step for it is still not small:
  ``|uᵀ V| > eps`` and ``> toler_inf·|β|`` (right-censored) or
  ``> toler_inf·(1 + |β|)`` (counting process), ``toler_inf = sqrt(eps)`` — the
  rule behind R's warning "Loglik converged before variable …; coefficient may
  be infinite".

Ties are Efron's (R's default) or Breslow's. The risk set at time t is
``entry < t <= exit`` within a stratum. The sums over risk sets are suffix sums
over subjects sorted by time (O(n·p²) per iteration, O(n + events·p) memory
beyond the data), so simulated cohorts of 10⁵ subjects fit in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from isamm._constraints import memory_budget_bytes
from isamm.errors import InputError

__all__ = ["CoxFit", "RiskData", "cox_newton"]

EPS = 1e-9                        # R coxph.control(eps)
TOLER_CHOL = np.finfo(float).eps ** 0.75  # R coxph.control(toler.chol)
TOLER_INF = np.sqrt(EPS)          # R coxph.control(toler.inf)
ITER_MAX = 20                     # R coxph.control(iter.max)


@dataclass(frozen=True)
class CoxFit:
    """What R's ``coxfit6``/``agfit4`` return, on the original scale of the columns.

    Attributes
    ----------
    coef : ndarray (p,)
        β, log hazard ratio per unit of each column.
    var : ndarray (p, p)
        Inverse of the information matrix at β (rows/columns of singular columns are 0).
    loglik : (float, float)
        Partial log-likelihood at β = 0 and at β.
    score_test : float
        Score test ``u₀ᵀ I₀⁻¹ u₀`` at β = 0 (R ``summary(fit)$sctest``).
    info0 : ndarray (p, p)
        Information matrix at β = 0.
    rank0 : int
        Rank of ``info0`` by R's ``cholesky2`` rule.
    iterations : int
        Newton–Raphson iterations used.
    converged : bool
        False when ``iter_max`` ran out first (R: "Ran out of iterations and did not converge").
    infinite : ndarray of bool (p,)
        Columns whose coefficient may be infinite (monotone likelihood), by R's rule.
    """

    coef: np.ndarray
    var: np.ndarray
    loglik: tuple[float, float]
    score_test: float
    info0: np.ndarray
    rank0: int
    iterations: int
    converged: bool
    infinite: np.ndarray


class RiskData:
    """Subjects grouped for the partial likelihood: strata, sorted exits and entries, tied deaths.

    Parameters
    ----------
    t, e : ndarray (n,)
        Exit time (any unit) and event (1/0).
    s : ndarray (n,) or None
        Entry time (delayed entry; the subject is at risk on ``s < time <= t``).
    strata : ndarray (n,) of int
        Stratum codes.
    """

    def __init__(self, t, e, s, strata):
        t = np.asarray(t, float)
        e = np.asarray(e).astype(bool)
        self.n = len(t)
        self.strata = []
        for code in np.unique(strata):
            ins = np.flatnonzero(strata == code)
            self.strata.append(_Stratum(t[ins], e[ins], None if s is None else np.asarray(s, float)[ins], ins))
        self.deaths = np.flatnonzero(e)


class _Stratum:
    """One stratum: exit order, entry order, and each death's tie group and rank within it."""

    def __init__(self, t, e, s, rows):
        self.rows = rows
        self.exit_order = np.argsort(t, kind="stable")
        t_sorted = t[self.exit_order]
        times, d = np.unique(t[e], return_counts=True)  # distinct event times, deaths at each
        self.d = d.astype(float)
        # risk set at time τ: exit >= τ (a suffix of the exit order) ...
        self.exit_start = np.searchsorted(t_sorted, times, side="left")
        self.entry_order = self.entry_start = None
        if s is not None:  # ... minus entry >= τ (a suffix of the entry order)
            self.entry_order = np.argsort(s, kind="stable")
            self.entry_start = np.searchsorted(s[self.entry_order], times, side="left")
        dead = np.flatnonzero(e)
        dead = dead[np.argsort(t[dead], kind="stable")]
        self.dead = dead                                     # local indices of deaths, by time
        self.dead_group = np.searchsorted(times, t[dead])    # their tie group
        first = np.searchsorted(self.dead_group, np.arange(len(times)), side="left")
        self.dead_rank = np.arange(len(dead)) - first[self.dead_group]  # 0 … d−1 within a tie group


def _suffix_at(values: np.ndarray, order: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Σ values[order[k:]] for each k in ``start`` (values may be (n,) or (n, m))."""
    v = values[order]
    suffix = np.zeros((len(v) + 1,) + v.shape[1:])
    suffix[:-1] = np.cumsum(v[::-1], axis=0)[::-1]
    return suffix[start]


def partial_likelihood(beta: np.ndarray, X: np.ndarray, data: RiskData, efron: bool = True):
    """Log partial likelihood, score vector and information matrix at ``beta``.

    Efron: the k-th (k = 0 … d−1) of d deaths tied at a time sees the risk-set
    sums less k/d of the deaths' own sums; Breslow: the full risk set for all d.

    Returns
    -------
    loglik : float
    u : ndarray (p,)
    imat : ndarray (p, p)
        Minus the Hessian of the log partial likelihood.
    """
    p = X.shape[1]
    with np.errstate(over="ignore", invalid="ignore"):
        eta = X @ beta
        w = np.exp(eta)
    loglik, u, imat = 0.0, np.zeros(p), np.zeros((p, p))
    pairs = [(a, b) for a in range(p) for b in range(a + 1)]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for st in data.strata:
            xs, ws = X[st.rows], w[st.rows]
            wx = ws[:, None] * xs
            wxx = np.stack([wx[:, a] * xs[:, b] for a, b in pairs], axis=1)
            sums = [_suffix_at(v, st.exit_order, st.exit_start) for v in (ws, wx, wxx)]
            if st.entry_order is not None:
                sums = [r - _suffix_at(v, st.entry_order, st.entry_start) for r, v in zip(sums, (ws, wx, wxx))]
            r0, r1, r2 = sums
            g, dead = st.dead_group, st.dead
            k = len(st.d)
            d0 = np.bincount(g, ws[dead], minlength=k)
            d1 = np.stack([np.bincount(g, wx[dead, j], minlength=k) for j in range(p)], axis=1)
            d2 = np.stack([np.bincount(g, wxx[dead, j], minlength=k) for j in range(len(pairs))], axis=1)
            f = st.dead_rank / st.d[g] if efron else np.zeros(len(dead))
            denom = r0[g] - f * d0[g]                       # one per death
            a = (r1[g] - f[:, None] * d1[g]) / denom[:, None]  # the weighted mean of x it sees
            loglik += eta[st.rows][dead].sum() - np.log(denom).sum()
            u += xs[dead].sum(axis=0) - a.sum(axis=0)
            # Σ_deaths C/denom, with C = r2 − f·d2, grouped by tie group
            alpha = np.bincount(g, 1.0 / denom, minlength=k)
            beta_f = np.bincount(g, f / denom, minlength=k)
            c = alpha @ r2 - beta_f @ d2
            second = np.zeros((p, p))
            for j, (ia, ib) in enumerate(pairs):
                second[ia, ib] = second[ib, ia] = c[j]
            imat += second - a.T @ a
    return float(loglik), u, imat


def _cholesky_rank(imat: np.ndarray, toler: float) -> np.ndarray:
    """Columns R's ``cholesky2`` keeps: LDLᵀ without pivoting, a pivot below toler·max(diag) is dropped."""
    m = imat.astype(float).copy()
    p = len(m)
    diag = np.abs(np.diag(m))
    eps = toler * (diag.max() if p and np.isfinite(diag).all() else 1.0)
    keep = np.zeros(p, dtype=bool)
    for i in range(p):
        pivot = m[i, i]
        if not np.isfinite(pivot) or pivot < eps:
            continue
        keep[i] = True
        col = m[i + 1:, i] / pivot
        m[i + 1:, i + 1:] -= np.outer(col, m[i, i + 1:])
    return keep


def _solve(imat: np.ndarray, u: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Newton step on the kept columns; 0 for singular ones (R ``chsolve2``)."""
    out = np.zeros_like(u)
    if keep.any():
        try:
            out[keep] = np.linalg.solve(imat[np.ix_(keep, keep)], u[keep])
        except np.linalg.LinAlgError:  # singular to working precision although the Cholesky test passed
            out[keep] = np.linalg.lstsq(imat[np.ix_(keep, keep)], u[keep], rcond=None)[0]
    return out


def _inverse(imat: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Inverse on the kept columns, 0 rows/columns for singular ones (R ``chinv2``)."""
    out = np.zeros_like(imat)
    if keep.any():
        try:
            out[np.ix_(keep, keep)] = np.linalg.inv(imat[np.ix_(keep, keep)])
        except np.linalg.LinAlgError:
            out[np.ix_(keep, keep)] = np.linalg.pinv(imat[np.ix_(keep, keep)])
    return out


def cox_newton(X, t, e, s=None, strata=None, *, efron: bool = True, eps: float = EPS,
               toler_chol: float = TOLER_CHOL, toler_inf: float = TOLER_INF, iter_max: int = ITER_MAX) -> CoxFit:
    """Fit β by Newton–Raphson with step halving, as R ``coxph.fit``/``agreg.fit``.

    Parameters
    ----------
    X : ndarray (n, p)
        Design matrix (columns on any scale: years, µmol/L, mg/L).
    t, e, s, strata
        Exit times, events (1/0), entry times or None, stratum codes or None.
    efron : bool
        Efron ties (R's default); False for Breslow.
    eps, toler_chol, toler_inf, iter_max
        R ``coxph.control`` settings, with its defaults.

    Returns
    -------
    CoxFit
    """
    X = np.asarray(X, float)
    n, p = X.shape
    need = 3 * n * p * p * 8  # the information sums hold an n × p × p array (and two working copies)
    if need > memory_budget_bytes():
        raise InputError(f"a Cox model of {p} terms on {n:,} rows needs ~{need / 1e9:.1f} GB, over the "
                         f"{memory_budget_bytes() / 1e9:.1f} GB budget (ISAMM_MEMORY_GB)", option="covariates",
                         expected=f"at most {max(1, int((memory_budget_bytes() / (24 * n)) ** 0.5))} terms for "
                                  f"{n:,} rows")
    strata = np.zeros(n, dtype=int) if strata is None else np.asarray(strata)
    data = RiskData(t, e, s, strata)
    counting = s is not None
    # centre and scale as coxfit6 (0/1-coded columns are left alone, R's nocenter = c(-1, 0, 1))
    plain = np.array([np.isin(X[:, j], (-1.0, 0.0, 1.0)).all() for j in range(p)], dtype=bool)
    means = np.where(plain, 0.0, X.mean(axis=0))
    Xc = X - means
    mad = np.abs(Xc).mean(axis=0)
    scale = np.where(plain | (mad == 0), 1.0, 1.0 / np.where(mad == 0, 1.0, mad))
    Xs = Xc * scale

    beta = np.zeros(p)
    ll0, u, imat = partial_likelihood(beta, Xs, data, efron)
    info0 = imat / np.outer(scale, scale)
    keep = keep0 = _cholesky_rank(imat, toler_chol)
    step = _solve(imat, u, keep)
    score_test = float(u @ step)
    best = ll0
    new = beta + step
    halving = 0
    converged = False
    iterations = 0
    for iterations in range(1, iter_max + 1):
        newlk, u, imat = partial_likelihood(new, Xs, data, efron)
        keep_new = _cholesky_rank(imat, toler_chol) if np.isfinite(imat).all() else None
        finite = np.isfinite(newlk) and np.isfinite(u).all() and keep_new is not None
        if counting and finite:
            finite = bool((keep_new == keep).all())  # agfit4: a change of rank is a failed step
        if finite and (halving == 0 or not counting) and abs(1 - best / newlk) <= eps:
            beta, best, converged, keep = new, newlk, True, keep_new
            break
        if not finite or newlk < best:
            halving += 1  # step halving, more aggressive each time
            new = (new + halving * beta) / (halving + 1.0)
        else:
            halving = 0
            best, keep = newlk, keep_new
            beta, new = new, new + _solve(imat, u, keep_new)
    if not converged:  # the last good β, its u and information (R recomputes them)
        best, u, imat = partial_likelihood(beta, Xs, data, efron)
        keep = _cholesky_rank(imat, toler_chol)
    var_s = _inverse(imat, keep)
    coef = beta * scale
    u = u / scale
    var = var_s * np.outer(scale, scale)
    with np.errstate(invalid="ignore"):
        step_size = np.abs(u @ var)
        if counting:
            infinite = ~np.isfinite(u) | (step_size > toler_inf * (1 + np.abs(coef)))
        else:
            infinite = ~np.isfinite(u) | ((step_size > eps) & (step_size > toler_inf * np.abs(coef)))
    return CoxFit(coef=coef, var=var, loglik=(ll0, float(best)), score_test=score_test, info0=info0,
                  rank0=int(keep0.sum()),
                  iterations=iterations, converged=converged, infinite=infinite & converged)
