"""Regimen catalog, dosing calendars and dose events.

See :mod:`isamm.regimens._events` for the dose-event table passed to the PK
engine, and :mod:`isamm.regimens._infusion` for infusion rate profiles.
"""

from isamm.regimens._events import DOSE_EVENT_COLUMNS, ROUTES, validate_dose_events
from isamm.regimens._infusion import (
    InfusionProfile,
    daratumumab_iv_profile,
    escalating_profile,
    isatuximab_profile,
)

__all__ = [
    "DOSE_EVENT_COLUMNS",
    "ROUTES",
    "validate_dose_events",
    "InfusionProfile",
    "daratumumab_iv_profile",
    "escalating_profile",
    "isatuximab_profile",
]
