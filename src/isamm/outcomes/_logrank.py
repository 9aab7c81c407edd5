"""Log-rank test (optionally stratified, optionally with delayed entry), as R ``survdiff``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import chi2
from statsmodels.duration.survfunc import survdiff

from isamm.errors import InputError
from isamm.outcomes._surv import check_survival

__all__ = ["LogrankResult", "logrank", "group_labels"]


@dataclass(frozen=True)
class LogrankResult:
    """Log-rank test of equal survival across groups.

    Attributes
    ----------
    chisq : float
        Test statistic, χ² with ``df`` degrees of freedom.
    df : int
        Number of groups − 1.
    p : float
        P-value.
    groups : tuple of str
        Group labels (sorted as R sorts factor levels).
    n, events : tuple of int
        Subjects and events per group.
    stratified : bool
        Whether the test was stratified (``strata(...)`` in R).
    """

    chisq: float
    df: int
    p: float
    groups: tuple[str, ...] = ()
    n: tuple[int, ...] = ()
    events: tuple[int, ...] = ()
    stratified: bool = False

    def to_frame(self) -> pd.DataFrame:
        """One row per group: ``group, n, events``."""
        return pd.DataFrame({"group": list(self.groups), "n": list(self.n), "events": list(self.events)})

    def to_dict(self) -> dict:
        """``{"chisq", "df", "p"}`` — the ``logrank`` object of ``isamm km --json``."""
        return {"chisq": float(self.chisq), "df": int(self.df), "p": float(self.p)}


def group_labels(group) -> tuple[np.ndarray, list]:
    """Group values and their levels in R factor order (sorted; numbers numerically)."""
    g = pd.Series(np.asarray(group, dtype=object).ravel())
    if g.isna().any():
        i = int(np.flatnonzero(g.isna().to_numpy())[0])
        raise InputError(f"element {i + 1} is missing", option="group", expected="a group for every subject")
    levels = sorted(g.unique(), key=lambda v: (isinstance(v, str), v))
    return g.to_numpy(), levels


def logrank(time, event, group, *, strata=None, entry=None) -> LogrankResult:
    """Log-rank test, equal to R ``survdiff(Surv(time, event) ~ group [+ strata(s)])``.

    Parameters
    ----------
    time : array_like
        Follow-up times (any unit).
    event : array_like
        1 = event, 0 = censored.
    group : array_like
        Group of each subject (two or more groups).
    strata : array_like, optional
        Stratum of each subject: the test sums observed − expected and the
        variance over strata (R ``+ strata(s)``).
    entry : array_like, optional
        Delayed-entry times (left truncation): risk set ``entry < t <= time``.
        R ``survdiff`` refuses such data; the test compares with the same
        statistic written out in R (``make_reference.R``, ``lr_entry``).

    Returns
    -------
    LogrankResult

    Notes
    -----
    Computed by :func:`statsmodels.duration.survfunc.survdiff` (unweighted,
    i.e. R's ``rho = 0``), after merging nearly equal times as R does.
    """
    t, e, s = check_survival(time, event, entry)
    g, levels = group_labels(group)
    if len(g) != len(t):
        raise InputError("group and time differ in length", option="group", expected=f"{len(t)} values", got=len(g))
    if len(levels) < 2:
        raise InputError("the log-rank test needs two or more groups", option="group",
                         expected="at least 2 distinct groups", got=[str(v) for v in levels])
    codes = pd.Categorical(g, categories=levels).codes
    kwargs = {}
    if strata is not None:
        st = pd.Series(np.asarray(strata, dtype=object).ravel())
        if st.isna().any() or len(st) != len(t):
            raise InputError("strata must have one non-missing value per subject", option="strata")
        kwargs["strata"] = pd.Categorical(st).codes
    if s is not None:
        kwargs["entry"] = s
    if e.sum() == 0:
        raise InputError("no events: the log-rank test is undefined", option="event", expected="at least one event")
    chisq, _ = survdiff(t, e, codes, **kwargs)
    p = chi2.sf(chisq, len(levels) - 1)  # statsmodels' 1 - cdf underflows to 0 below ~1e-16
    n = tuple(int((codes == k).sum()) for k in range(len(levels)))
    ev = tuple(int(e[codes == k].sum()) for k in range(len(levels)))
    return LogrankResult(chisq=float(chisq), df=len(levels) - 1, p=float(p), groups=tuple(str(v) for v in levels),
                         n=n, events=ev, stratified=strata is not None)
