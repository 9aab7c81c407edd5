"""Dosing calendars as iCalendar (RFC 5545) files, one VEVENT per administration.

Built with the ``icalendar`` package. Times are *floating* local times (no
time zone): a patient's calendar shows 09:00 wherever the patient is.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
from icalendar import Calendar, Event

from isamm import __version__
from isamm.errors import InputError

__all__ = ["schedule_to_ics"]


def schedule_to_ics(schedule: pd.DataFrame, regimen_id: str, dtstamp: dt.datetime | None = None) -> bytes:
    """Render a dated calendar (:meth:`Regimen.schedule` with ``start_date``) as iCalendar bytes.

    Each administration is one event: summary "isatuximab 700 mg IV", start at
    its clock time, duration = infusion time where known, description with the
    cycle/day, the dose basis and any premedication.

    Raises
    ------
    InputError
        If the calendar has no ``date`` column (no start date was given).
    """
    if "date" not in schedule.columns:
        raise InputError("an iCalendar file needs calendar dates", option="start_date", expected="a start date (YYYY-MM-DD)")
    stamp = dtstamp or dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    cal = Calendar()
    cal.add("prodid", f"-//isamm {__version__}//dosing calendar//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{regimen_id} dosing calendar")
    for row in schedule.itertuples(index=False):
        clock_h = row.time_h - 24.0 * (row.day - 1)
        start = dt.datetime.combine(row.date, dt.time()) + dt.timedelta(hours=clock_h)
        ev = Event()
        ev.add("uid", f"{regimen_id}-day{row.day}-{row.drug}@isamm")  # (day, drug) is unique: stable across exports
        ev.add("dtstamp", stamp)
        ev.add("dtstart", start)
        if isinstance(row.infusion_h, float) and math.isfinite(row.infusion_h):
            ev.add("duration", dt.timedelta(hours=row.infusion_h))
        ev.add("summary", f"{row.drug} {row.dose_mg:.4g} mg {row.route}")
        text = [f"{regimen_id} cycle {row.cycle} day {row.cycle_day} (study day {row.day})", f"dose: {row.dose_basis}"]
        if row.premedication:
            text.append(f"premedication: {row.premedication}")
        ev.add("description", "\n".join(text))
        cal.add_component(ev)
    return cal.to_ical()
