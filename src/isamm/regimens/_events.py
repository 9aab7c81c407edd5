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

import math

import pandas as pd

from isamm.errors import InputError

__all__ = ["DOSE_EVENT_COLUMNS", "ROUTES", "validate_dose_events"]

DOSE_EVENT_COLUMNS = ("time_h", "drug", "amount_mg", "duration_h", "route")
ROUTES = ("IV", "SC", "PO")


def validate_dose_events(events: pd.DataFrame, source: str = "dose events") -> pd.DataFrame:
    """Check a dose-event table and return it sorted by time (a copy).

    Raises :class:`InputError` naming the row and column of the first problem.
    """
    missing = [c for c in DOSE_EVENT_COLUMNS if c not in events.columns]
    if missing:
        raise InputError(f"missing column(s) {missing}", file=source, expected=f"columns {list(DOSE_EVENT_COLUMNS)}")
    for i, row in enumerate(events.itertuples(index=False), start=1):
        for col in ("time_h", "amount_mg", "duration_h"):
            v = getattr(row, col)
            try:
                ok = v is not None and math.isfinite(float(v)) and float(v) >= 0
            except (TypeError, ValueError):
                ok = False
            if not ok:
                raise InputError("invalid value", file=source, row=i, column=col, expected="a finite number ≥ 0", got=v)
        if row.route not in ROUTES:
            raise InputError("unknown route", file=source, row=i, column="route", expected=" or ".join(ROUTES), got=row.route)
    out = events.copy()
    if "profile" not in out.columns:
        out["profile"] = None
    return out.sort_values("time_h", kind="stable").reset_index(drop=True)
