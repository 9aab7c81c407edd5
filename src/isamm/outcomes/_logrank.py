"""Log-rank test (optionally stratified, optionally with delayed entry), as R ``survdiff``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import chi2

from isamm.errors import InputError
from isamm.outcomes._design import r_label, r_levels
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
        Number of groups with expected events − 1, or the rank of the
        variance of O − E when that is smaller (see ``note``).
    p : float
        P-value (1 when ``df`` is 0, as R's ``pchisq(0, 0, lower.tail = FALSE)``).
    groups : tuple of str
        Group labels (sorted as R sorts factor levels).
    n, events : tuple of int
        Subjects and events per group.
    stratified : bool
        Whether the test was stratified (``strata(...)`` in R).
    note : str
        Why the test has fewer degrees of freedom than groups − 1, or none at
        all ("" when it has them all).
    """

    chisq: float
    df: int
    p: float
    groups: tuple[str, ...] = ()
    n: tuple[int, ...] = ()
    events: tuple[int, ...] = ()
    stratified: bool = False
    note: str = ""

    def to_frame(self) -> pd.DataFrame:
        """One row per group: ``group, n, events``."""
        return pd.DataFrame({"group": list(self.groups), "n": list(self.n), "events": list(self.events)})

    def to_dict(self) -> dict:
        """``{"chisq", "df", "p"}`` (and ``"note"`` when there is one) — the ``logrank`` object of ``isamm km --json``."""
        out = {"chisq": float(self.chisq), "df": int(self.df), "p": float(self.p)}
        if self.note:
            out["note"] = self.note
        return out


def group_labels(group) -> tuple[np.ndarray, list]:
    """Group values and their levels in R factor order (sorted; numbers numerically)."""
    g = pd.Series(np.asarray(group, dtype=object).ravel(), name=getattr(group, "name", None))
    if g.isna().any():
        i = int(np.flatnonzero(g.isna().to_numpy())[0])
        raise InputError(f"element {i + 1} is missing", option="group", expected="a group for every subject")
    return g.to_numpy(), r_levels(g)


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
    The algorithm of R ``survdiff`` (``rho = 0``), written out because
    :func:`statsmodels.duration.survfunc.survdiff` (equal where defined, see
    the tests) fails on a singular variance. R's ``survdiff`` stops there too
    ("system is exactly singular"), e.g. when every death happens with no
    survivor left in its risk set (two subjects, both dying at time 1). Here
    the statistic is ``(O − E)ᵀ V⁺ (O − E)`` with the Moore–Penrose inverse
    and ``df = rank(V)`` (O − E always lies in the range of V), which equals
    R's answer whenever V is regular; with rank 0 there is no test (χ² = 0 on
    0 df, p = 1) and ``note`` says why. Nearly equal times are merged first,
    as R does.
    """
    t, e, s = check_survival(time, event, entry)
    g, levels = group_labels(group)
    if len(g) != len(t):
        raise InputError("group and time differ in length", option="group", expected=f"{len(t)} values", got=len(g))
    if len(levels) < 2:
        raise InputError("the log-rank test needs two or more groups", option="group",
                         expected="at least 2 distinct groups", got=[r_label(v) for v in levels])
    codes = pd.Categorical(g, categories=levels).codes
    st = np.zeros(len(t), dtype=int)
    if strata is not None:
        raw = pd.Series(np.asarray(strata, dtype=object).ravel())
        if raw.isna().any() or len(raw) != len(t):
            raise InputError("strata must have one non-missing value per subject", option="strata")
        st = pd.Categorical(raw).codes
    if e.sum() == 0:
        raise InputError("no events: the log-rank test is undefined", option="event", expected="at least one event")
    observed, expected, var = _score(t, e, s, codes, st, len(levels))
    chisq, df, note = _chisq(observed, expected, var)
    p = float(chi2.sf(chisq, df)) if df > 0 else 1.0
    n = tuple(int((codes == k).sum()) for k in range(len(levels)))
    ev = tuple(int(e[codes == k].sum()) for k in range(len(levels)))
    return LogrankResult(chisq=float(chisq), df=df, p=p, groups=tuple(r_label(v) for v in levels),
                         n=n, events=ev, stratified=strata is not None, note=note)


def _score(t, e, s, codes, strata, k):
    """Observed and expected events per group and the hypergeometric covariance, summed over strata."""
    observed, expected, var = np.zeros(k), np.zeros(k), np.zeros((k, k))
    for stratum in np.unique(strata):
        ins = strata == stratum
        ts, es, gs = t[ins], e[ins], codes[ins]
        times = np.unique(ts[es == 1])
        n = np.zeros((len(times), k))
        d = np.zeros((len(times), k))
        for g in range(k):
            mine = gs == g
            exits = np.sort(ts[mine])
            n[:, g] = len(exits) - np.searchsorted(exits, times, side="left")  # exit >= t
            if s is not None:  # minus entry >= t: risk set entry < t <= exit
                entries = np.sort(s[ins][mine])
                n[:, g] -= len(entries) - np.searchsorted(entries, times, side="left")
            d[:, g] = np.bincount(np.searchsorted(times, ts[mine & (es == 1)]), minlength=len(times))
        n_all, d_all = n.sum(axis=1), d.sum(axis=1)
        frac = n / n_all[:, None]
        observed += d.sum(axis=0)
        expected += (d_all[:, None] * frac).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.where(n_all > 1, d_all * (n_all - d_all) / (n_all - 1), 0.0)
        var += np.einsum("t,tk,kl->kl", scale, frac, np.eye(k)) - np.einsum("t,tk,tl->kl", scale, frac, frac)
    return observed, expected, var


def _chisq(observed, expected, var) -> tuple[float, int, str]:
    """R ``survdiff``: groups with expected > 0, the first of them dropped, ``(O − E)ᵀ V⁻¹ (O − E)``.

    V⁻¹ is the Moore–Penrose inverse, eigenvalues below ``sqrt(eps)`` times the
    largest counted as 0 (the tolerance of R ``MASS::ginv``); the degrees of
    freedom are the rank of V. Returns ``(chisq, df, note)``.
    """
    keep = np.flatnonzero(expected > 0)
    if len(keep) < 2:
        return 0.0, 0, "no test: fewer than two groups have subjects at risk at an event time"
    idx = keep[1:]
    u = (observed - expected)[idx]
    values, vectors = np.linalg.eigh(var[np.ix_(idx, idx)])
    positive = values > np.sqrt(np.finfo(float).eps) * max(float(values.max()), 0.0)
    df = int(positive.sum())
    if df == 0:
        return 0.0, 0, ("no test: the variance of observed minus expected events is 0 (at every event time all "
                        "subjects at risk had the event, so the groups are never compared; R survdiff stops "
                        "with 'system is exactly singular')")
    proj = vectors[:, positive].T @ u
    note = "" if df == len(idx) else (f"{df} df, not {len(idx)}: the variance of observed minus expected events is "
                                      "singular (some groups are never compared with another at an event time); "
                                      "generalized inverse used")
    return float((proj ** 2 / values[positive]).sum()), df, note
