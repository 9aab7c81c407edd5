"""Checks and time handling shared by the survival estimators.

``timefix`` reproduces R ``survival::aeqSurv`` (survival >= 2.39, used by
``survfit``, ``survdiff`` and ``coxph`` by default): times that differ by
less than ``sqrt(.Machine$double.eps)`` (absolutely or relative to the mean
absolute time) are one time. Times computed from dates (days / 30.4375)
otherwise create false non-ties (Therneau, ``vignette("tiedtimes")``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from isamm.errors import InputError

__all__ = ["TIME_TOLERANCE", "as_float_array", "as_event_array", "check_survival", "timefix"]

TIME_TOLERANCE = float(np.sqrt(np.finfo(float).eps))  # R: sqrt(.Machine$double.eps)


def _plain(value):
    return value.item() if hasattr(value, "item") else value


def as_float_array(values, name: str) -> np.ndarray:
    """1-D float array; InputError naming the argument on non-numbers or NaN."""
    try:
        arr = np.asarray(pd.to_numeric(pd.Series(np.asarray(values).ravel()), errors="raise"), dtype=float)
    except (ValueError, TypeError):
        raise InputError("not numeric", option=name, expected="numbers") from None
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"element {i + 1} is missing or not finite", option=name, expected="finite numbers",
                         got=_plain(arr[i]))
    return arr


def as_event_array(values, name: str = "event") -> np.ndarray:
    """0/1 integer array; InputError naming the first value that is not 0 or 1."""
    arr = np.asarray(values).ravel()
    num = pd.to_numeric(pd.Series(arr), errors="coerce").to_numpy(dtype=float)
    bad = ~np.isin(num, [0.0, 1.0])
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"element {i + 1} is not 0 or 1", option=name, expected="0 (censored) or 1 (event)",
                         got=_plain(arr[i]))
    return num.astype(int)


def check_survival(time, event, entry=None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Validate survival arrays (time >= 0, event 0/1, entry < time) and apply :func:`timefix`."""
    t = as_float_array(time, "time")
    e = as_event_array(event, "event")
    if len(t) != len(e):
        raise InputError("time and event differ in length", option="event", expected=f"{len(t)} values",
                         got=len(e))
    if len(t) == 0:
        raise InputError("no observations", option="time", expected="at least one subject")
    if (t < 0).any():
        i = int(np.flatnonzero(t < 0)[0])
        raise InputError(f"element {i + 1} is negative", option="time", expected="times >= 0", got=_plain(t[i]))
    s = None
    if entry is not None:
        s = as_float_array(entry, "entry")
        if len(s) != len(t):
            raise InputError("entry and time differ in length", option="entry", expected=f"{len(t)} values",
                             got=len(s))
        late = s >= t
        if late.any():
            i = int(np.flatnonzero(late)[0])
            raise InputError(f"element {i + 1}: entry is not before exit ({t[i]:g})", option="entry",
                             expected="entry < time", got=_plain(s[i]))
        s, t = timefix(s, t)
        if (s >= t).any():  # R aeqSurv: "an interval has effective length 0"
            i = int(np.flatnonzero(s >= t)[0])
            raise InputError(f"element {i + 1}: entry and exit times are equal within rounding", option="entry",
                             expected="entry < time", got=_plain(s[i]))
    else:
        (t,) = timefix(t)
    return t, e, s


def timefix(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """Merge nearly equal times across ``arrays`` exactly as R ``aeqSurv`` does.

    All finite values are pooled and sorted; a value within the tolerance of
    the previous distinct value is replaced by the first value of its run.
    """
    pooled = np.unique(np.concatenate([a[np.isfinite(a)] for a in arrays]))
    if len(pooled) < 2:
        return arrays
    dy = np.diff(pooled)
    tied = (dy <= TIME_TOLERANCE) | (dy / np.mean(np.abs(pooled)) <= TIME_TOLERANCE)
    if not tied.any():
        return arrays
    cuts = pooled[np.concatenate([[True], ~tied])]
    out = []
    for a in arrays:
        fixed = a.copy()
        ok = np.isfinite(a)
        fixed[ok] = cuts[np.searchsorted(cuts, a[ok], side="right") - 1]
        out.append(fixed)
    return tuple(out)
