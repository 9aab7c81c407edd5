"""Dose events: the table that flows from ``regimens/`` into ``pk/``.

A dose-event table is a :class:`pandas.DataFrame` with one row per
administration of one drug (NONMEM/mrgsolve vocabulary: an infusion has an
amount and a duration; a bolus or SC injection has duration 0):

===============  ======  ==========================================================
column           unit    meaning
===============  ======  ==========================================================
``time_h``       h       start of the administration, hours from 00:00 of study day 1
``drug``         –       lower-case drug name (``isatuximab``, ``daratumumab``, …)
``amount_mg``    mg      dose
``duration_h``   h       infusion duration (0 for oral, SC and bolus)
``route``        –       ``IV``, ``SC`` or ``PO``
``profile``      –       optional: tuple of ``(duration_h, fraction_of_dose)`` steps
                         for a piecewise-constant infusion (``None`` = constant rate)
===============  ======  ==========================================================

The PK engine integrates each infusion as piecewise-constant input and steps
exactly onto every start, rate change and stop.
"""

from __future__ import annotations


import numpy as np
import pandas as pd

from isamm._table import row_numbers
from isamm.errors import InputError

__all__ = ["DOSE_EVENT_COLUMNS", "ROUTES", "validate_dose_events", "dose_events"]

DOSE_EVENT_COLUMNS = ("time_h", "drug", "amount_mg", "duration_h", "route")
ROUTES = ("IV", "SC", "PO")


def validate_dose_events(events: pd.DataFrame, source: str = "dose events") -> pd.DataFrame:
    """Check a dose-event table and return it sorted by time (a copy).

    Raises :class:`InputError` naming the row and column of the first problem.
    """
    missing = [c for c in DOSE_EVENT_COLUMNS if c not in events.columns]
    if missing:
        raise InputError(f"missing column(s) {missing}", file=source, expected=f"columns {list(DOSE_EVENT_COLUMNS)}")
    # first bad cell in reading order (row by row, columns as listed), found column-wise
    bad = {}
    for col in ("time_h", "amount_mg", "duration_h"):
        v = np.asarray(pd.to_numeric(events[col], errors="coerce"), dtype=float)
        bad[col] = ~np.isfinite(v) | (v < 0)
    bad["route"] = ~events["route"].isin(ROUTES).to_numpy()
    rows = [int(np.flatnonzero(m)[0]) for m in bad.values() if m.any()]
    if rows:
        i = min(rows)
        col = next(c for c, m in bad.items() if m[i])
        got = events[col].iloc[i]
        row = int(row_numbers(len(events), in_file=False)[i])
        if col == "route":
            raise InputError("unknown route", file=source, row=row, column="route", expected=" or ".join(ROUTES), got=got)
        raise InputError("invalid value", file=source, row=row, column=col, expected="a finite number ≥ 0", got=got)
    out = events.copy()
    if "profile" not in out.columns:
        out["profile"] = None
    return out.sort_values("time_h", kind="stable").reset_index(drop=True)


def dose_events(schedule: pd.DataFrame, drugs: str | list[str] | tuple[str, ...] | None = None) -> pd.DataFrame:
    """Turn a dosing calendar (:meth:`Regimen.schedule`) into a dose-event table for ``pk/``.

    Parameters
    ----------
    schedule
        A calendar with at least ``time_h``, ``drug``, ``dose_mg``, ``route``,
        ``infusion_h`` and ``infusion_profile``.
    drugs
        Keep only these drugs (lower-case names, e.g. ``"isatuximab"``); default all.
        A drug of the catalog that the calendar does not contain gives no rows.

    Returns
    -------
    pandas.DataFrame
        Columns ``time_h`` (h), ``drug``, ``amount_mg``, ``duration_h`` (0 when the
        calendar gives no infusion time: oral, SC, IV bolus), ``route`` and
        ``profile``: for isatuximab and daratumumab IV the tuple of
        ``(duration_h, fraction_of_dose)`` steps of the label rate escalation
        (fractions sum to 1), otherwise ``None`` (constant rate over ``duration_h``).
        Sorted by time.
    """
    from isamm.regimens._infusion import profile_from_label

    need = ("time_h", "drug", "dose_mg", "route", "infusion_h", "infusion_profile")
    missing = [c for c in need if c not in schedule.columns]
    if missing:
        raise InputError(f"missing column(s) {missing}", file="schedule", expected=f"a calendar with columns {list(need)}")
    frame = schedule
    if drugs is not None:
        wanted = [drugs] if isinstance(drugs, str) else list(drugs)
        from isamm.regimens._catalog import list_regimens

        known = {d for reg in list_regimens() for d in reg.drugs} | set(schedule["drug"])
        unknown = [d for d in wanted if d not in known]
        if unknown:
            raise InputError("unknown drug", option="drugs", expected="lower-case drug names such as " + ", ".join(sorted(known)), got=unknown[0])
        frame = frame[frame["drug"].isin(wanted)]
    profiles = []
    for label in frame["infusion_profile"]:
        if isinstance(label, str) and label:
            try:
                p = profile_from_label(label)
            except ValueError as exc:
                raise InputError(str(exc), file="schedule", column="infusion_profile") from None
            profiles.append(tuple(zip((d for d, _ in p.steps), p.dose_fractions())))
        else:
            profiles.append(None)
    events = pd.DataFrame(
        {
            "time_h": frame["time_h"].astype(float).to_numpy(),
            "drug": frame["drug"].to_numpy(),
            "amount_mg": frame["dose_mg"].astype(float).to_numpy(),
            "duration_h": frame["infusion_h"].astype(float).fillna(0.0).to_numpy(),
            "route": frame["route"].to_numpy(),
            "profile": pd.Series(profiles, dtype=object).to_numpy(),
        }
    )
    return validate_dose_events(events, source="schedule")
