"""Kaplan–Meier estimate configured to R ``survival::survfit`` defaults.

Matched R settings: ``conf.type = "log"`` (CI ``S·exp(±z·se)``, ``se`` the
Greenwood standard error of the cumulative hazard, upper limit capped at 1),
``conf.int = 0.95``, ``timefix = TRUE``; the median and its CI are those
``print(survfit)`` shows (the median of the estimate, of the lower and of the
upper curve, with R's midpoint rule on flat segments at exactly 0.5).

Why not ``lifelines.KaplanMeierFitter``: it offers only the log-log CI, its
median CI is not R's, and its event table counts subjects entering at ``t``
as at risk at ``t``. The estimator itself is three lines of NumPy, so it is
written here with R's risk set ``entry < t <= exit`` and tested against R.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm

from isamm.errors import InputError
from isamm.outcomes._design import r_label
from isamm.outcomes._logrank import LogrankResult, group_labels, logrank
from isamm.outcomes._surv import TIME_TOLERANCE, check_survival

__all__ = ["KMGroup", "KMResult", "kaplan_meier", "r_median"]

STEP_COLUMNS = ["time", "n_risk", "n_event", "n_censor", "surv", "std_err", "lower", "upper"]


@dataclass(frozen=True)
class KMGroup:
    """Kaplan–Meier summary of one group.

    Attributes
    ----------
    group : str
        Group label (``"all"`` without grouping).
    n, events : int
        Subjects and events.
    median : float
        Median survival time (NaN when the curve stays above 0.5).
    median_ci : (float, float)
        CI of the median (R ``quantile.survfit``; NaN where undefined).
    at : pandas.DataFrame
        Landmarks ``time, surv, lower, upper, n_risk`` (NaN beyond the last follow-up).
    table : pandas.DataFrame
        Step table, one row per distinct exit time: ``time, n_risk, n_event,
        n_censor, surv, std_err, lower, upper`` (``std_err`` of the cumulative
        hazard, as R ``survfit$std.err``).
    """

    group: str
    n: int
    events: int
    median: float
    median_ci: tuple[float, float]
    at: pd.DataFrame
    table: pd.DataFrame

    def to_dict(self) -> dict:
        """One entry of ``groups`` in ``isamm km --json``."""
        return {
            "group": self.group,
            "n": self.n,
            "events": self.events,
            "median": _num(self.median),
            "median_ci": [_num(self.median_ci[0]), _num(self.median_ci[1])],
            "at": [
                {"time": float(r.time), "surv": _num(r.surv), "ci": [_num(r.lower), _num(r.upper)],
                 "n_risk": int(r.n_risk)}
                for r in self.at.itertuples(index=False)
            ],
        }


@dataclass(frozen=True)
class KMResult:
    """Kaplan–Meier estimates for one or more groups (and the log-rank test between them).

    Attributes
    ----------
    groups : tuple of KMGroup
        In R factor-level order.
    conf_level : float
        Confidence level of all intervals.
    logrank : LogrankResult or None
        Log-rank test across groups (None with a single group).
    group_name : str or None
        Name of the grouping variable, for labels.
    """

    groups: tuple[KMGroup, ...]
    conf_level: float = 0.95
    logrank: LogrankResult | None = None
    group_name: str | None = None
    method: str = field(default="Kaplan-Meier; log-transformed CI (R conf.type='log'); median CI as R quantile.survfit")

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Step tables by group label (for plots)."""
        return {g.group: g.table for g in self.groups}

    def __getitem__(self, label: str) -> KMGroup:
        for g in self.groups:
            if g.group == r_label(label):
                return g
        raise KeyError(label)

    def to_frame(self) -> pd.DataFrame:
        """One row per group: ``group, n, events, median, median_lower, median_upper``."""
        return pd.DataFrame(
            [{"group": g.group, "n": g.n, "events": g.events, "median": g.median,
              "median_lower": g.median_ci[0], "median_upper": g.median_ci[1]} for g in self.groups]
        )

    def landmarks(self) -> pd.DataFrame:
        """Survival at the landmark times, long format: ``group, time, surv, lower, upper, n_risk``."""
        parts = [g.at.assign(group=g.group) for g in self.groups]
        if not parts:
            return pd.DataFrame(columns=["group", "time", "surv", "lower", "upper", "n_risk"])
        frame = pd.concat(parts, ignore_index=True)
        return frame[["group", "time", "surv", "lower", "upper", "n_risk"]]

    def to_dict(self) -> dict:
        """The ``isamm km --json`` contract: ``{"groups": [...], "logrank": {...}}`` (``logrank`` with groups)."""
        out = {"groups": [g.to_dict() for g in self.groups]}
        if self.logrank is not None:
            out["logrank"] = self.logrank.to_dict()
        return out


def kaplan_meier(time, event, *, entry=None, group=None, at=None, conf_level: float = 0.95) -> KMResult:
    """Kaplan–Meier survival with R ``survfit`` defaults, per group.

    Parameters
    ----------
    time : array_like
        Follow-up time of each subject (any unit, e.g. months; results are in that unit).
    event : array_like
        1 = event, 0 = censored.
    entry : array_like, optional
        Delayed-entry time (left truncation): a subject is at risk at ``t`` when
        ``entry < t <= time``, as in R ``Surv(entry, time, event)``.
    group : array_like, optional
        Group of each subject; groups are ordered as R orders factor levels.
        With two or more groups the log-rank test is added (``.logrank``).
    at : sequence of float, optional
        Landmark times for survival, CI and number at risk (R
        ``summary(fit, times = at)``); beyond the last follow-up the
        survival is NaN (not estimable) and ``n_risk`` is 0.
    conf_level : float
        Confidence level, default 0.95.

    Returns
    -------
    KMResult

    Examples
    --------
    >>> km = kaplan_meier([1, 2, 2, 3, 4, 5], [1, 1, 0, 1, 0, 1])
    >>> km["all"].median
    3.0
    """
    if not 0 < conf_level < 1:
        raise InputError("confidence level out of range", option="conf_level", expected="0 < level < 1",
                         got=conf_level)
    t, e, s = check_survival(time, event, entry)
    at_times = np.array([], dtype=float) if at is None else np.asarray(at, dtype=float).ravel()
    if at_times.size and (~np.isfinite(at_times) | (at_times < 0)).any():
        raise InputError("landmark times must be finite and >= 0", option="at", got=at_times.tolist())
    z = float(norm.ppf(1 - (1 - conf_level) / 2))
    if group is None:
        labels, levels = np.array(["all"] * len(t), dtype=object), ["all"]
    else:
        labels, levels = group_labels(group)
        if len(labels) != len(t):
            raise InputError("group and time differ in length", option="group", expected=f"{len(t)} values",
                             got=len(labels))
    groups = []
    for level in levels:
        mask = labels == level
        table = _step_table(t[mask], e[mask], None if s is None else s[mask], z)
        median, lo, hi = (r_median(table, curve) for curve in ("surv", "lower", "upper"))
        groups.append(KMGroup(group=r_label(level), n=int(mask.sum()), events=int(e[mask].sum()), median=median,
                              median_ci=(lo, hi), at=_landmarks(table, at_times),
                              table=table))
    lr = None
    if group is not None and len(levels) >= 2 and e.sum() > 0:
        lr = logrank(t, e, labels, entry=s)
    return KMResult(groups=tuple(groups), conf_level=conf_level, logrank=lr,
                    group_name=getattr(group, "name", None))


def _step_table(t: np.ndarray, e: np.ndarray, s: np.ndarray | None, z: float) -> pd.DataFrame:
    times = np.unique(t)
    exits = np.sort(t)
    n_exit_ge = len(t) - np.searchsorted(exits, times, side="left")  # exit >= time
    if s is None:
        n_risk = n_exit_ge
    else:
        n_risk = n_exit_ge - (len(s) - np.searchsorted(np.sort(s), times, side="left"))  # minus entry >= time
    idx = np.searchsorted(times, t)
    n_event = np.bincount(idx, weights=e, minlength=len(times)).astype(int)
    n_censor = np.bincount(idx, weights=1 - e, minlength=len(times)).astype(int)
    surv = np.cumprod(1.0 - n_event / n_risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        greenwood = np.where(n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0.0)
        std_err = np.sqrt(np.cumsum(greenwood))
        lower = np.where(surv > 0, surv * np.exp(-z * std_err), np.nan)
        upper = np.where(surv > 0, np.minimum(surv * np.exp(z * std_err), 1.0), np.nan)
    return pd.DataFrame({"time": times, "n_risk": n_risk.astype(int), "n_event": n_event, "n_censor": n_censor,
                         "surv": surv, "std_err": std_err, "lower": lower, "upper": upper})


def _landmarks(table: pd.DataFrame, at: np.ndarray) -> pd.DataFrame:
    times = table["time"].to_numpy()
    # Value of the step function at `at` (last tabulated time <= at), 1 before the first.
    i = np.searchsorted(times, at, side="right") - 1
    # Number at risk as R summary.survfit reports it: n_risk of the first tabulated time >= at.
    j = np.searchsorted(times, at, side="left")
    beyond = at > times[-1]

    def pick(col: str, start: float) -> np.ndarray:
        vals = np.concatenate([[start], table[col].to_numpy(float)])[i + 1]
        return np.where(beyond, np.nan, vals)

    n_risk = np.concatenate([table["n_risk"].to_numpy(), [0]])[np.minimum(j, len(times))]
    return pd.DataFrame({"time": at, "surv": pick("surv", 1.0), "lower": pick("lower", 1.0),
                         "upper": pick("upper", 1.0), "n_risk": n_risk.astype(int)})


def r_median(table: pd.DataFrame, curve: str = "surv") -> float:
    """First time ``curve`` (``surv``, ``lower`` or ``upper``) is at or below 0.5, as ``print(survfit)`` reports it.

    A port of survival 3.5's ``survmean``/``minmin``: NA points are ignored; the
    first time the curve is below ``0.5 + sqrt(eps)``; if the curve sits at
    exactly 0.5 there and drops further later, the midpoint between that time
    and the time of the next drop. NaN when the curve never reaches 0.5.
    (``quantile.survfit`` agrees except when a curve ends at exactly 0.5: it
    then averages with the last follow-up time; ``print`` does not.)
    """
    x = table["time"].to_numpy(float)
    y = table[curve].to_numpy(float)
    keep = ~np.isnan(y) & (y < 0.5 + TIME_TOLERANCE)
    if not keep.any():
        return float("nan")
    x, y = x[keep], y[keep]
    below = np.flatnonzero(y < y[0])
    if abs(y[0] - 0.5) < TIME_TOLERANCE and below.size:
        return float((x[0] + x[below[0]]) / 2)
    return float(x[0])


def _num(v) -> float | None:
    v = float(v)
    return None if np.isnan(v) else v
