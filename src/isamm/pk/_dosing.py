"""Dose-event tables → piecewise-constant infusion inputs and boluses, per patient.

Reads the table documented in :mod:`isamm.regimens._events` (``time_h, drug,
amount_mg, duration_h, route`` and optional ``profile``), optionally with a
``patient`` column (0-based index into the patients) when calendars or amounts
differ between patients; without it every patient gets the same events.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from isamm._table import row_numbers
from isamm.errors import InputError
from isamm.regimens import validate_dose_events

__all__ = ["Dosing", "build_dosing"]


@dataclass(frozen=True)
class Dosing:
    """Inputs of N patients.

    ``inf_*``: constant-rate pieces (patient, start_h, end_h, rate_mg_h);
    ``bol_*``: instantaneous doses (patient, time_h, compartment, amount_mg) with
    compartment 0 = SC depot (bioavailability applied by the engine), 1 = central.
    ``first_dose_h``: per patient, start of the first dose (origin of time-varying terms).
    """

    n: int
    inf_patient: np.ndarray
    inf_start: np.ndarray
    inf_end: np.ndarray
    inf_rate: np.ndarray
    bol_patient: np.ndarray
    bol_time: np.ndarray
    bol_cmt: np.ndarray
    bol_amount: np.ndarray
    first_dose_h: np.ndarray
    dose_patient: np.ndarray  # one row per administration, for exposure metrics
    dose_time: np.ndarray
    dose_end: np.ndarray

    def breakpoints_h(self) -> np.ndarray:
        """Times (h, sorted, unique) at which the input changes: infusion pieces' starts and ends, boluses."""
        return np.unique(np.concatenate([self.inf_start, self.inf_end, self.bol_time]))


def build_dosing(events: pd.DataFrame, n: int, drug: str, routes: list[str], source: str = "dose events") -> Dosing:
    """Expand a dose-event table for ``n`` patients; keep only rows of ``drug``."""
    if not isinstance(events, pd.DataFrame):
        raise InputError("dose events must be a table", file=source, expected="a pandas DataFrame", got=type(events).__name__)
    # each row's place in the table as given (1-based, as validate_dose_events and the covariate tables of a
    # DataFrame count), kept through the sorting by time and the filtering by drug
    ev = validate_dose_events(events.assign(_row=row_numbers(len(events), in_file=False)), source=source)
    ev = ev[ev["drug"].astype(str).str.lower() == drug]
    if ev.empty:
        raise InputError(f"no {drug} doses", file=source, column="drug", expected=f"at least one row with drug {drug!r}")
    if "patient" in ev.columns:
        pat = pd.to_numeric(ev["patient"], errors="coerce").to_numpy()
        bad = ~np.isfinite(pat) | (pat < 0) | (pat >= n) | (pat != np.round(pat))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError("invalid patient index", file=source, row=int(ev["_row"].iloc[i]), column="patient",
                             expected=f"an integer in [0, {n - 1}]", got=ev["patient"].iloc[i])
        pat = pat.astype(int)
    else:
        pat = np.full(len(ev), -1)  # a row shared by every patient

    # Vectorized over rows: one group per distinct (profile, duration), whose steps are
    # checked once; rows shared by every patient (patient −1) are broadcast at the end.
    t0s = ev["time_h"].to_numpy(dtype=float)
    amts = ev["amount_mg"].to_numpy(dtype=float)
    durs = ev["duration_h"].to_numpy(dtype=float)
    route_col = ev["route"].astype(str).to_numpy()
    profiles = ev["profile"].to_numpy() if "profile" in ev.columns else np.full(len(ev), None)
    bad_route = ~np.isin(route_col, list(routes))
    if bad_route.any():
        i = int(np.flatnonzero(bad_route)[0])
        raise InputError(f"route not supported by this {drug} model", file=source, row=int(ev["_row"].iloc[i]),
                         column="route",
                         expected=" or ".join(routes), got=route_col[i])
    is_bolus = (route_col == "SC") | (durs == 0.0)
    b = np.flatnonzero(is_bolus)
    bol = [pat[b], t0s[b], np.where(route_col[b] == "SC", 0.0, 1.0), amts[b]]
    dose = [[pat[b]], [t0s[b]], [t0s[b]]]
    inf = [[], [], [], []]
    for rows in _groups(profiles, durs, np.flatnonzero(~is_bolus)):
        steps = _profile_steps(profiles[rows[0]], durs[rows[0]], source, int(ev["_row"].iloc[rows[0]]))
        offset = 0.0
        for d, frac in steps:
            if d > 0 and frac > 0:
                for out, col in zip(inf, (pat[rows], t0s[rows] + offset, t0s[rows] + offset + d, amts[rows] * frac / d)):
                    out.append(col)
            offset += d
        for out, col in zip(dose, (pat[rows], t0s[rows], t0s[rows] + offset)):
            out.append(col)

    inf_p, inf_s, inf_e, inf_r = _expand([np.concatenate(c) if c else np.zeros(0) for c in inf], n)
    bol_p, bol_t, bol_c, bol_a = _expand(bol, n)
    dose_p, dose_t, dose_e = _expand([np.concatenate(c) for c in dose], n)
    first = np.full(n, np.inf)
    np.minimum.at(first, dose_p, dose_t)
    return Dosing(
        n=n,
        inf_patient=inf_p, inf_start=inf_s, inf_end=inf_e, inf_rate=inf_r,
        bol_patient=bol_p, bol_time=bol_t, bol_cmt=bol_c.astype(int), bol_amount=bol_a,
        first_dose_h=np.where(np.isfinite(first), first, 0.0),
        dose_patient=dose_p, dose_time=dose_t, dose_end=dose_e,
    )


def _groups(profiles, durations, rows) -> list[np.ndarray]:
    """``rows`` grouped by equal (profile, duration), groups in order of first appearance, rows ascending.

    Hashed in C by pandas (a population's calendar repeats a few profiles over ~30 rows per patient); with an
    unhashable profile, row by row in Python, where such a profile is its own group.
    """
    if rows.size == 0:
        return []
    try:
        prof = pd.factorize(pd.Series(profiles[rows], dtype=object), use_na_sentinel=False)[0]
    except TypeError:
        groups: dict = {}
        for i in rows:
            groups.setdefault(_group_key(profiles[i], durations[i], i), []).append(i)
        return [np.asarray(g) for g in groups.values()]
    dur = pd.factorize(durations[rows], use_na_sentinel=False)[0]
    code = pd.factorize(prof.astype(np.int64) * (int(dur.max()) + 1) + dur)[0]
    by = np.argsort(code, kind="stable")
    return np.split(rows[by], np.flatnonzero(np.diff(code[by])) + 1)


def _group_key(profile, duration_h, row):
    """Rows with equal (profile, duration) share their checked steps; an unhashable profile is its own group."""
    try:
        return hash((profile, duration_h)) and (profile, duration_h)
    except TypeError:
        return ("row", row)


def _expand(columns, n: int):
    """Column arrays ``(patient, ...)`` → per-patient arrays; patient −1 (a shared row) is repeated for all n."""
    p = np.asarray(columns[0], dtype=int)
    shared = p < 0
    if not shared.any():
        return (p,) + tuple(np.asarray(c, dtype=float) for c in columns[1:])
    k = int(shared.sum())
    out = [np.concatenate([p[~shared], np.tile(np.arange(n), k)])]
    for c in columns[1:]:
        c = np.asarray(c, dtype=float)
        out.append(np.concatenate([c[~shared], np.repeat(c[shared], n)]))
    return tuple(out)


def _profile_steps(profile, duration_h: float, source: str, row: int) -> list[tuple[float, float]]:
    """Steps ``(duration_h, fraction_of_dose)``; ``None`` = one constant-rate step."""
    if profile is None or (isinstance(profile, float) and math.isnan(profile)):
        return [(duration_h, 1.0)]
    try:
        steps = [(float(d), float(f)) for d, f in profile]
    except (TypeError, ValueError):
        raise InputError("invalid infusion profile", file=source, row=row, column="profile",
                         expected="a sequence of (duration_h, fraction_of_dose) pairs", got=profile) from None
    total_f = sum(f for _, f in steps)
    total_d = sum(d for d, _ in steps)
    if any(d < 0 or f < 0 or not math.isfinite(d) or not math.isfinite(f) for d, f in steps) or abs(total_f - 1.0) > 1e-6:
        raise InputError("invalid infusion profile", file=source, row=row, column="profile",
                         expected="non-negative steps whose fractions sum to 1", got=profile)
    if abs(total_d - duration_h) > 1e-6 * max(1.0, duration_h):
        raise InputError("infusion profile does not match duration_h", file=source, row=row, column="profile",
                         expected=f"step durations summing to {duration_h} h", got=total_d)
    return steps
