"""Tests of contingency tables and exact binomial CIs, equal to R ``fisher.test``, ``chisq.test``, ``binom.test``.

Seed 004 (Statistical Analysis): "two-way tables with Fisher's exact test and
multi-way tables with Pearson's Chi-square test"; ORR with an exact CI.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import binomtest, chi2_contingency
from scipy.stats import fisher_exact as _scipy_fisher
from scipy.stats.contingency import odds_ratio

from isamm.errors import InputError

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
    p = float(_scipy_fisher(arr).pvalue)
    res = odds_ratio(arr, kind="conditional")
    ci = res.confidence_interval(conf_level)
    return FisherResult(p=p, odds_ratio=float(res.statistic), ci=(float(ci.low), float(ci.high)), table=arr)


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
