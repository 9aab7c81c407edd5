"""Tests of contingency tables and exact binomial CIs, equal to R ``fisher.test``, ``chisq.test``, ``binom.test``.

Seed 004 (Statistical Analysis): "two-way tables with Fisher's exact test and
multi-way tables with Pearson's Chi-square test"; ORR with an exact CI.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.stats import binomtest, chi2_contingency, hypergeom
from scipy.stats import fisher_exact as _scipy_fisher

from isamm.errors import InputError
from isamm.outcomes._design import r_levels

__all__ = ["FisherResult", "ChisqResult", "ProportionResult", "fisher_exact", "chisq_test", "proportion_ci",
           "crosstab"]


@dataclass(frozen=True)
class FisherResult:
    """Fisher's exact test of a 2×2 table (R ``fisher.test``).

    ``odds_ratio`` is the conditional maximum-likelihood estimate and ``ci`` its
    exact CI, as R reports them (not the sample odds ratio ad/bc).
    """

    p: float
    odds_ratio: float
    ci: tuple[float, float]
    table: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"test": "Fisher exact", "p": self.p, "odds_ratio": self.odds_ratio,
                              "lower": self.ci[0], "upper": self.ci[1]}])

    def to_dict(self) -> dict:
        return {"test": "fisher", "p": self.p, "odds_ratio": self.odds_ratio, "ci": list(self.ci),
                "table": self.table.tolist()}


@dataclass(frozen=True)
class ChisqResult:
    """Pearson's χ² test of independence (R ``chisq.test``; Yates' correction on 2×2 tables by default)."""

    chisq: float
    df: int
    p: float
    expected: np.ndarray
    table: np.ndarray
    correction: bool

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"test": "Pearson chi-square", "chisq": self.chisq, "df": self.df, "p": self.p}])

    def to_dict(self) -> dict:
        return {"test": "chisq", "chisq": self.chisq, "df": self.df, "p": self.p, "correction": self.correction,
                "min_expected": float(self.expected.min()), "table": self.table.tolist()}


@dataclass(frozen=True)
class ProportionResult:
    """A proportion with its Clopper–Pearson (exact) CI (R ``binom.test``)."""

    k: int
    n: int
    proportion: float
    ci: tuple[float, float]
    conf_level: float = 0.95

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"k": self.k, "n": self.n, "proportion": self.proportion, "lower": self.ci[0],
                              "upper": self.ci[1]}])

    def to_dict(self) -> dict:
        return {"k": self.k, "n": self.n, "proportion": self.proportion, "ci": list(self.ci)}


def _as_table(table) -> np.ndarray:
    arr = np.asarray(table)
    if arr.ndim != 2 or min(arr.shape) < 2:
        raise InputError("not a contingency table", option="table", expected="a 2-D table with at least 2×2 cells",
                         got=list(arr.shape))
    if not np.issubdtype(arr.dtype, np.number) or (arr < 0).any() or not np.all(arr == np.round(arr)):
        raise InputError("table cells must be counts", option="table", expected="non-negative integers")
    return arr.astype(int)


def crosstab(rows, cols) -> pd.DataFrame:
    """Counts of ``rows`` × ``cols`` (complete pairs), levels in R factor order."""
    for values, name in ((rows, "rows"), (cols, "cols")):  # at most MAX_LEVELS each, before any counting
        r_levels(values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, dtype=object), name=name))
    frame = pd.DataFrame({"r": np.asarray(rows, dtype=object), "c": np.asarray(cols, dtype=object)}).dropna()
    return pd.crosstab(frame["r"], frame["c"])


def fisher_exact(table, *, conf_level: float = 0.95) -> FisherResult:
    """Fisher's exact test of a 2×2 table, two-sided, as R ``fisher.test``.

    Parameters
    ----------
    table : array_like, shape (2, 2)
        Counts.
    conf_level : float
        Level of the odds-ratio CI.
    """
    arr = _as_table(table)
    if arr.shape != (2, 2):
        raise InputError("Fisher's exact test here needs a 2×2 table; use chisq_test for larger tables",
                         option="table", expected="shape (2, 2)", got=list(arr.shape))
    p = fisher_p(arr)
    estimate, low, high = _conditional_odds_ratio(arr, conf_level)
    return FisherResult(p=p, odds_ratio=estimate, ci=(low, high), table=arr)


def association_test(table, *, correction: bool = True) -> FisherResult | ChisqResult:
    """The test of association isamm reports for a table of counts, the rule kept in this one place:
    Fisher's exact test for a 2×2 table, Pearson's χ² (``correction``: Yates', 2×2 only) for larger ones."""
    arr = _as_table(table)
    return fisher_exact(arr) if _fisher_applies(arr) else chisq_test(arr, correction=correction)


def association_p(table, *, correction: bool = True) -> tuple[float, str]:
    """``(p, test name)`` of :func:`association_test`, without the Fisher odds ratio and its CI (Table 1)."""
    arr = _as_table(table)
    if _fisher_applies(arr):
        return fisher_p(arr), "Fisher exact"
    return chisq_test(arr, correction=correction).p, "Pearson chi-square"


def _fisher_applies(arr: np.ndarray) -> bool:
    return arr.shape == (2, 2)


def fisher_p(table) -> float:
    """Two-sided p-value of Fisher's exact test of a 2×2 table (R ``fisher.test``), without the odds ratio."""
    return float(_scipy_fisher(_as_table(table)).pvalue)


def _conditional_odds_ratio(arr: np.ndarray, conf_level: float) -> tuple[float, float, float]:
    """Conditional MLE of the odds ratio and its exact CI, R ``fisher.test``'s algorithm (``R/fisher.test.R``).

    X = ``arr[0, 0]`` given the margins follows Fisher's noncentral hypergeometric
    distribution with odds ratio ψ. Its probabilities over the whole support are
    one vector (``exp(log C + ψ·k)``, normalised), so each evaluation costs
    O(support) in NumPy and a 2×2 table of 200,000 patients takes milliseconds
    (``scipy.stats.contingency.odds_ratio`` evaluates the distribution point by
    point: ~100 s). Roots by Brent's method at ``xtol = 1e-12`` (R's ``uniroot``
    stops at ~1e-4, so R's limits are off in the 4th digit).
    """
    m, n, k, x = int(arr[:, 0].sum()), int(arr[:, 1].sum()), int(arr[0].sum()), int(arr[0, 0])
    lo, hi = max(0, k - n), min(k, m)
    support = np.arange(lo, hi + 1)
    logdc = hypergeom.logpmf(support, m + n, m, k)

    def density(psi: float) -> np.ndarray:
        d = logdc + np.log(psi) * support
        d = np.exp(d - d.max())
        return d / d.sum()

    def mean(psi: float) -> float:
        return float(support @ density(psi))

    def tail(psi: float, upper: bool) -> float:
        d = density(psi)
        return float(d[support >= x].sum() if upper else d[support <= x].sum())

    tiny = np.finfo(float).eps

    def solve(f, target: float, rising: bool) -> float:
        """ψ with f(ψ) = target: searched on (0, 1] or, through t = 1/ψ, on [1, ∞), as R does."""
        at_one = f(1.0) - target
        if at_one == 0:
            return 1.0
        if (at_one > 0) == rising:  # the root lies below 1
            return brentq(lambda t: f(t) - target, tiny, 1.0, xtol=1e-12)
        return 1.0 / brentq(lambda t: f(1.0 / t) - target, tiny, 1.0, xtol=1e-12)

    # E(X | ψ) and P(X >= x | ψ) rise with ψ, P(X <= x | ψ) falls
    estimate = 0.0 if x == lo else np.inf if x == hi else solve(mean, x, rising=True)
    alpha = (1 - conf_level) / 2
    low = 0.0 if x == lo else solve(lambda psi: tail(psi, upper=True), alpha, rising=True)
    high = np.inf if x == hi else solve(lambda psi: tail(psi, upper=False), alpha, rising=False)
    return float(estimate), float(low), float(high)


def chisq_test(table, *, correction: bool = True) -> ChisqResult:
    """Pearson's χ² test of independence, as R ``chisq.test``.

    Parameters
    ----------
    table : array_like
        Counts, r × c.
    correction : bool
        Yates' continuity correction, applied (as in R) only to 2×2 tables.
    """
    arr = _as_table(table)
    if (arr.sum(axis=0) == 0).any() or (arr.sum(axis=1) == 0).any():
        raise InputError("a row or column of the table is all zero", option="table",
                         expected="every level observed at least once")
    stat, p, df, expected = chi2_contingency(arr, correction=correction)
    return ChisqResult(chisq=float(stat), df=int(df), p=float(p), expected=expected, table=arr,
                       correction=bool(correction and arr.shape == (2, 2)))


def proportion_ci(k: int, n: int, *, conf_level: float = 0.95) -> ProportionResult:
    """Proportion ``k/n`` with its Clopper–Pearson exact CI, as R ``binom.test(k, n)$conf.int``."""
    if int(n) != n or n < 1 or int(k) != k or not 0 <= k <= n:
        raise InputError("invalid counts", option="k, n", expected="integers with 0 <= k <= n and n >= 1",
                         got=(k, n))
    ci = binomtest(int(k), int(n)).proportion_ci(confidence_level=conf_level, method="exact")
    return ProportionResult(k=int(k), n=int(n), proportion=k / n, ci=(float(ci.low), float(ci.high)),
                            conf_level=conf_level)
