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
over subjects sorted by time and the information is one weighted cross-product
(:mod:`isamm.outcomes._risksets`: O(n·p²) flops in BLAS per iteration, O(n·p)
memory), so 200 terms on a few thousand rows fit in about a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import solve_triangular

from isamm._constraints import memory_budget_bytes
from isamm.errors import InputError
from isamm.outcomes._risksets import RiskData, death_moments, information

__all__ = ["CoxFit", "RiskData", "cox_newton"]

EPS = 1e-9                        # R coxph.control(eps)
TOLER_CHOL = np.finfo(float).eps ** 0.75  # R coxph.control(toler.chol)
TOLER_INF = np.sqrt(EPS)          # R coxph.control(toler.inf)
ITER_MAX = 20                     # R coxph.control(iter.max)
WORK_COPIES = 10                  # n × p arrays alive at once while fitting (memory estimate)


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


def partial_likelihood(beta: np.ndarray, X: np.ndarray, data: RiskData, efron: bool = True):
    """Log partial likelihood, score vector and information matrix at ``beta``.

    Efron: the k-th (k = 0 … d−1) of d deaths tied at a time sees the risk-set
    sums less k/d of the deaths' own sums; Breslow: the full risk set for all d
    (:mod:`isamm.outcomes._risksets`: O(n·p²) flops in two matrix products, O(n·p) memory).

    Returns
    -------
    loglik : float
    u : ndarray (p,)
    imat : ndarray (p, p)
        Minus the Hessian of the log partial likelihood.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        eta = X @ beta
        w = np.exp(eta)
        m = death_moments(X, w, data, efron)
        loglik = eta[m.rows].sum() - np.log(m.denom).sum()
        u = X[m.rows].sum(axis=0) - m.xbar.sum(axis=0)
        imat = information(X, w, data, m, efron=efron)
    return float(loglik), u, imat


class _LDL:
    """R's ``cholesky2``: LDLᵀ without pivoting; a pivot below toler·max(diag) marks its column singular.

    The one factorisation of an information matrix: it gives the rank (``keep``),
    the Newton step (R ``chsolve2``) and the inverse (R ``chinv2``), 0 for
    singular columns.
    """

    def __init__(self, imat: np.ndarray, toler: float):
        m = np.array(imat, dtype=float)
        p = len(m)
        diag = np.abs(np.diag(m))
        eps = toler * (diag.max() if p and np.isfinite(diag).all() else 1.0)
        self.keep = np.zeros(p, dtype=bool)
        lower = np.eye(p)
        d = np.zeros(p)
        for i in range(p):
            pivot = m[i, i]
            if not np.isfinite(pivot) or pivot < eps:
                continue
            self.keep[i] = True
            d[i] = pivot
            col = m[i + 1:, i] / pivot
            lower[i + 1:, i] = col
            m[i + 1:, i + 1:] -= np.outer(col, m[i, i + 1:])
        k = self.keep
        self._lower, self._d = lower[np.ix_(k, k)], d[k]

    def solve(self, u: np.ndarray) -> np.ndarray:
        """The Newton step ``imat⁻¹ u`` on the kept columns, 0 for the others."""
        out = np.zeros(len(u))
        if self.keep.any():
            y = solve_triangular(self._lower, u[self.keep], lower=True, unit_diagonal=True, check_finite=False)
            out[self.keep] = solve_triangular(self._lower.T, y / self._d, lower=False, unit_diagonal=True,
                                              check_finite=False)
        return out

    def inverse(self) -> np.ndarray:
        """``imat⁻¹`` on the kept columns, 0 rows and columns for the others."""
        p = len(self.keep)
        out = np.zeros((p, p))
        if self.keep.any():
            inv_lower = solve_triangular(self._lower, np.eye(len(self._d)), lower=True, unit_diagonal=True,
                                         check_finite=False)
            out[np.ix_(self.keep, self.keep)] = inv_lower.T @ (inv_lower / self._d[:, None])
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
    need = WORK_COPIES * n * p * 8  # the design, its scaled copy and the risk-set sums, n × p each
    if need > memory_budget_bytes():
        raise InputError(f"a Cox model of {p} terms on {n:,} rows needs ~{need / 1e9:.1f} GB, over the "
                         f"{memory_budget_bytes() / 1e9:.1f} GB budget (ISAMM_MEMORY_GB)", option="covariates",
                         expected=f"at most {max(1, int(memory_budget_bytes() / (WORK_COPIES * 8 * n)))} terms for "
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
    factor = _LDL(imat, toler_chol)
    keep = keep0 = factor.keep
    step = factor.solve(u)
    score_test = float(u @ step)
    best = ll0
    new = beta + step
    halving = 0
    converged = False
    iterations = 0
    for iterations in range(1, iter_max + 1):
        newlk, u, imat = partial_likelihood(new, Xs, data, efron)
        factor_new = _LDL(imat, toler_chol) if np.isfinite(imat).all() else None
        keep_new = None if factor_new is None else factor_new.keep
        finite = np.isfinite(newlk) and np.isfinite(u).all() and keep_new is not None
        if counting and finite:
            finite = bool((keep_new == keep).all())  # agfit4: a change of rank is a failed step
        if finite and (halving == 0 or not counting) and abs(1 - best / newlk) <= eps:
            beta, best, converged, keep, factor = new, newlk, True, keep_new, factor_new
            break
        if not finite or newlk < best:
            halving += 1  # step halving, more aggressive each time
            new = (new + halving * beta) / (halving + 1.0)
        else:
            halving = 0
            best, keep, factor = newlk, keep_new, factor_new
            beta, new = new, new + factor.solve(u)
    if not converged:  # the last good β, its u and information (R recomputes them)
        best, u, imat = partial_likelihood(beta, Xs, data, efron)
        factor = _LDL(imat, toler_chol)
    var_s = factor.inverse()
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
