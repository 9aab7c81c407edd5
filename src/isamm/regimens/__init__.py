"""Regimen catalog, dosing calendars and dose events.

>>> import isamm.regimens as rg
>>> cal = rg.get("Isa-Pd").schedule(rg.Patient(weight_kg=70, height_cm=170, age_y=76), cycles=2)
>>> events = rg.dose_events(cal, drugs="isatuximab")   # input for isamm.pk

Regimens are data files in ``isamm/data/regimens/`` (schema: :mod:`isamm.regimens._spec`).
:mod:`isamm.regimens._events` documents the dose-event table passed to the PK
engine; :mod:`isamm.regimens._infusion` the infusion rate profiles.
"""

from isamm.regimens._catalog import Regimen, get, list_regimens, load_regimen_file
from isamm.regimens._events import DOSE_EVENT_COLUMNS, ROUTES, dose_events, validate_dose_events
from isamm.regimens._infusion import (
    InfusionProfile,
    daratumumab_iv_profile,
    escalating_profile,
    infusion_profile_label,
    isatuximab_profile,
    profile_from_label,
)
from isamm.regimens._patient import Patient, bsa_mosteller
from isamm.regimens._ics import schedule_to_ics
from isamm.regimens._schedule import SCHEDULE_COLUMNS, schedule_records
from isamm.regimens._spec import RegimenSpec

__all__ = [
    "Regimen",
    "RegimenSpec",
    "Patient",
    "bsa_mosteller",
    "get",
    "list_regimens",
    "load_regimen_file",
    "SCHEDULE_COLUMNS",
    "schedule_records",
    "schedule_to_ics",
    "DOSE_EVENT_COLUMNS",
    "ROUTES",
    "dose_events",
    "validate_dose_events",
    "InfusionProfile",
    "daratumumab_iv_profile",
    "escalating_profile",
    "infusion_profile_label",
    "isatuximab_profile",
    "profile_from_label",
]
