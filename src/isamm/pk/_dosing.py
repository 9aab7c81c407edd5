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


def build_dosing(events: pd.DataFrame, n: int, drug: str, routes: list[str], source: str = "dose events") -> Dosing:
    """Expand a dose-event table for ``n`` patients; keep only rows of ``drug``."""
    if not isinstance(events, pd.DataFrame):
        raise InputError("dose events must be a table", file=source, expected="a pandas DataFrame", got=type(events).__name__)
    ev = validate_dose_events(events, source=source)
    ev = ev[ev["drug"].astype(str).str.lower() == drug]
    if ev.empty:
        raise InputError(f"no {drug} doses", file=source, column="drug", expected=f"at least one row with drug {drug!r}")
    if "patient" in ev.columns:
        pat = pd.to_numeric(ev["patient"], errors="coerce").to_numpy()
        bad = ~np.isfinite(pat) | (pat < 0) | (pat >= n) | (pat != np.round(pat))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError("invalid patient index", file=source, row=i + 1, column="patient",
                             expected=f"an integer in [0, {n - 1}]", got=ev["patient"].iloc[i])
        pat = pat.astype(int)
        rows = [(p, r) for p, r in zip(pat, ev.itertuples(index=False))]
    else:
        rows = [(None, r) for r in ev.itertuples(index=False)]

    inf_p, inf_s, inf_e, inf_r = [], [], [], []
    bol_p, bol_t, bol_c, bol_a = [], [], [], []
    dose_p, dose_t, dose_e = [], [], []
    all_patients = np.arange(n)
    for i, (p, r) in enumerate(rows, start=1):
        who = all_patients if p is None else np.array([p])
        t0, amt, dur, route = float(r.time_h), float(r.amount_mg), float(r.duration_h), str(r.route)
        if route not in routes:
            raise InputError(f"route not supported by this {drug} model", file=source, row=i, column="route",
                             expected=" or ".join(routes), got=route)
        dose_p.append(who)
        dose_t.append(np.full(who.size, t0))
        if route == "SC" or dur == 0.0:
            bol_p.append(who)
            bol_t.append(np.full(who.size, t0))
            bol_c.append(np.full(who.size, 0 if route == "SC" else 1))
            bol_a.append(np.full(who.size, amt))
            dose_e.append(np.full(who.size, t0))
            continue
        steps = _profile_steps(getattr(r, "profile", None), dur, source, i)
        start = t0
        for d, frac in steps:
            if d > 0 and frac > 0:
                inf_p.append(who)
                inf_s.append(np.full(who.size, start))
                inf_e.append(np.full(who.size, start + d))
                inf_r.append(np.full(who.size, amt * frac / d))
            start += d
        dose_e.append(np.full(who.size, start))

    def cat(parts, dtype=float):
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)

    dp, dt = cat(dose_p, int), cat(dose_t)
    first = np.zeros(n)
    has = np.zeros(n, dtype=bool)
    order = np.argsort(dt, kind="stable")
    # earliest dose per patient: assign in reverse time order so the smallest wins
    first[dp[order[::-1]]] = dt[order[::-1]]
    has[dp] = True
    return Dosing(
        n=n,
        inf_patient=cat(inf_p, int), inf_start=cat(inf_s), inf_end=cat(inf_e), inf_rate=cat(inf_r),
        bol_patient=cat(bol_p, int), bol_time=cat(bol_t), bol_cmt=cat(bol_c, int), bol_amount=cat(bol_a),
        first_dose_h=np.where(has, first, 0.0),
        dose_patient=dp, dose_time=dt, dose_end=cat(dose_e),
    )


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
