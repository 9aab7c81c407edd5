"""Unit conversions at the edges of the engines (engines work in hours).

One month is 30.4375 days (365.25 / 12), the convention of R ``survival``
users and of the seed publications; it is stated wherever months appear.
"""

from __future__ import annotations

HOURS_PER_DAY = 24.0
DAYS_PER_WEEK = 7.0
DAYS_PER_MONTH = 30.4375  # 365.25 / 12
DAYS_PER_YEAR = 365.25
#: Units a time-to-event column may be labelled in (``isamm km --time-unit``, the report's ``time_unit``)
TIME_UNITS = ("months", "days", "weeks", "years")

__all__ = [
    "HOURS_PER_DAY",
    "DAYS_PER_WEEK",
    "DAYS_PER_MONTH",
    "DAYS_PER_YEAR",
    "TIME_UNITS",
    "days_to_hours",
    "hours_to_days",
    "days_to_months",
    "months_to_days",
    "study_day_to_hours",
]


def days_to_hours(days):
    """Days → hours."""
    return days * HOURS_PER_DAY


def hours_to_days(hours):
    """Hours → days."""
    return hours / HOURS_PER_DAY


def days_to_months(days):
    """Days → months (1 month = 30.4375 days)."""
    return days / DAYS_PER_MONTH


def months_to_days(months):
    """Months → days (1 month = 30.4375 days)."""
    return months * DAYS_PER_MONTH


def study_day_to_hours(study_day, clock_h: float = 0.0):
    """Study day (day 1 = first dose) and clock offset within the day → hours since the first dose day's 00:00.

    ``time_h = 24·(study_day − 1) + clock_h`` (regimens.md §0).
    """
    return HOURS_PER_DAY * (study_day - 1) + clock_h
