"""Expanding a regimen for one patient into a dosing calendar (one row per administration).

Conventions (``shared/reference/regimens.md`` §0): study day 1 is the first
dosing day; cycle *n* starts on day 1 + (sum of the earlier cycle lengths);
``time_h = 24·(day − 1) + clock_h``. Each drug's ``clock_h`` is in its data
file (isamm default: dexamethasone 08:30, isatuximab 09:00, carfilzomib at the
end of the same-day isatuximab infusion [PROJECT CHOICE]).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from isamm._constraints import START_DATE
from isamm.errors import InputError
from isamm.regimens._infusion import infusion_profile_label, profile_from_label
from isamm.regimens._patient import WEIGHT_LIMITS_KG, Patient
from isamm.regimens._spec import DoseBlock, DrugSpec, RegimenSpec
from isamm.units import study_day_to_hours

__all__ = ["SCHEDULE_COLUMNS", "expand", "schedule_records"]

SCHEDULE_COLUMNS = (
    "day",
    "cycle",
    "cycle_day",
    "date",
    "time_h",
    "drug",
    "dose_mg",
    "route",
    "infusion_h",
    "infusion_number",
    "infusion_profile",
    "dose_basis",
    "premedication",
)

_UNIT_TEXT = {"mg": "mg", "mg/kg": "mg/kg", "mg/m2": "mg/m²"}
_MAX_DAYS = 20 * 366  # longer calendars are a typo, not a plan


def _check_count(value, option: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InputError("must be a whole number ≥ 1", option=option, expected="an integer ≥ 1", got=value)
    return int(value)


def _cycle_starts(spec: RegimenSpec, cycles: int | None, weeks: int | None) -> list[tuple[int, int, int]]:
    """``(cycle, start_day, length_days)`` for every cycle in the requested horizon."""
    out = []
    cycle, start = 1, 1
    last_day = None if weeks is None else 7 * weeks
    while True:
        if cycles is not None and cycle > cycles:
            break
        if last_day is not None and start > last_day:
            break
        if spec.max_cycles is not None and cycle > spec.max_cycles:
            break
        length = spec.cycle_length(cycle)
        if start + length - 1 > _MAX_DAYS:
            option = "cycles" if cycles is not None else "weeks"
            raise InputError("calendar too long", option=option, expected=f"at most {_MAX_DAYS} days (about 20 years)")
        out.append((cycle, start, length))
        start += length
        cycle += 1
    return out


def _dose(spec: RegimenSpec, drug: DrugSpec, block: DoseBlock, patient: Patient, weight_kg: float) -> tuple[float, str]:
    """Dose (mg) and a human-readable basis for one block, patient and this cycle's weight."""
    unit = _UNIT_TEXT[block.unit]
    if block.unit == "mg/kg":
        mg = block.dose * weight_kg
        basis = f"{block.dose:g} {unit} × {weight_kg:g} kg"
    elif block.unit == "mg/m2":
        bsa = patient.bsa_m2
        if drug.bsa_cap_m2 is not None and bsa > drug.bsa_cap_m2:
            mg = block.dose * drug.bsa_cap_m2
            basis = f"{block.dose:g} {unit} × {drug.bsa_cap_m2:g} m² (BSA {bsa:.3f} m² capped)"
        else:
            mg = block.dose * bsa
            basis = f"{block.dose:g} {unit} × {bsa:.3f} m² (Mosteller)"
    else:
        mg, basis = block.dose, f"{block.dose:g} mg"
        for rule in spec.dose_rules:
            if rule.drug == drug.name and rule.from_mg == block.dose and rule.when_age.holds(patient.age_y):
                mg = rule.to_mg
                basis = f"{rule.to_mg:g} mg ({rule.from_mg:g} mg reduced, {rule.when_age})"
    if block.when_age is not None:
        basis += f" [{block.when_age}]"
    return mg, basis


def expand(
    spec: RegimenSpec,
    patient: Patient,
    cycles: int | None = None,
    weeks: int | None = None,
    start_date: dt.date | str | None = None,
    weight_kg_by_cycle=None,
) -> pd.DataFrame:
    """The dosing calendar of ``spec`` for ``patient``; see :meth:`Regimen.schedule`."""
    if not isinstance(patient, Patient):
        raise InputError("not a Patient", option="patient", expected="isamm.regimens.Patient", got=type(patient).__name__)
    cycles = _check_count(cycles, "cycles")
    weeks = _check_count(weeks, "weeks")
    if (cycles is None) == (weeks is None):
        raise InputError("give exactly one of cycles and weeks", option="cycles/weeks", expected="one horizon")
    start = _parse_date(start_date)
    plan = _cycle_starts(spec, cycles, weeks)
    weights = _cycle_weights(weight_kg_by_cycle, patient)
    if weight_kg_by_cycle is not None and len(weights) > len(plan):
        raise InputError(f"{len(weights)} weights for {len(plan)} cycles", option="weight_kg_by_cycle",
                         expected=f"at most one weight per cycle ({len(plan)}; the last is carried forward)",
                         got=list(weight_kg_by_cycle))
    last_day = None if weeks is None else 7 * weeks

    rows: list[dict] = []
    order = {d.name: i for i, d in enumerate(spec.drugs)}
    for cycle, start_day, _length in plan:
        weight_kg = weights[min(cycle, len(weights)) - 1]
        for drug in spec.drugs:
            for block in drug.doses:
                if cycle not in block.cycles or (block.when_age and not block.when_age.holds(patient.age_y)):
                    continue
                mg, basis = _dose(spec, drug, block, patient, weight_kg)
                for cday in block.days:
                    day = start_day + cday - 1
                    if last_day is not None and day > last_day:
                        continue
                    rows.append(
                        {
                            "day": day,
                            "cycle": cycle,
                            "cycle_day": cday,
                            "drug": drug.name,
                            "dose_mg": float(mg),
                            "route": block.route or drug.route,
                            "dose_basis": basis,
                            "premedication": drug.premedication,
                            "_spec": drug,
                        }
                    )
    rows.sort(key=lambda r: (r["day"], order[r["drug"]]))
    _number_and_time(rows)
    rows.sort(key=lambda r: (r["day"], r["time_h"], order[r["drug"]]))
    for r in rows:
        del r["_spec"]
        r["date"] = None if start is None else start + dt.timedelta(days=r["day"] - 1)
    frame = pd.DataFrame(rows, columns=list(SCHEDULE_COLUMNS))
    frame["infusion_number"] = frame["infusion_number"].astype("Int64")
    frame["infusion_h"] = frame["infusion_h"].astype(float)
    if start is None:
        frame = frame.drop(columns="date")
    return frame


def _number_and_time(rows: list[dict]) -> None:
    """Infusion numbers per drug course, infusion durations and clock times (rows sorted by day)."""
    count: dict[str, int] = {}
    for r in rows:
        drug: DrugSpec = r["_spec"]
        r["infusion_number"], r["infusion_profile"], r["infusion_h"] = None, "", math.nan
        if r["route"] == "IV":
            n = count[drug.name] = count.get(drug.name, 0) + 1
            r["infusion_number"] = n
            if drug.infusion_profile is not None:
                label = infusion_profile_label(drug.infusion_profile, n, drug.split_first_dose)
                r["infusion_profile"] = label
                r["infusion_h"] = profile_from_label(label).duration_h
            elif drug.infusion_h is not None:
                r["infusion_h"] = drug.infusion_h
    by_day: dict[tuple[int, str], dict] = {(r["day"], r["drug"]): r for r in rows}
    for r in rows:
        drug = r["_spec"]
        r["time_h"] = study_day_to_hours(r["day"], drug.clock_h)
    for r in rows:  # 'after' targets never have an 'after' themselves (checked on load)
        drug = r["_spec"]
        lead = by_day.get((r["day"], drug.after)) if drug.after else None
        if lead is not None:
            lead_end = lead["time_h"] + (0.0 if math.isnan(lead["infusion_h"]) else lead["infusion_h"])
            r["time_h"] = max(r["time_h"], lead_end)


def _cycle_weights(values, patient: Patient) -> list[float]:
    """Weight (kg) per cycle: the given series (last value carried forward) or the patient's weight."""
    if values is None:
        return [patient.weight_kg]
    option = "weight_kg_by_cycle"
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__") or len(values) == 0:
        raise InputError("not a list of weights", option=option, expected="weights in kg for cycles 1, 2, ...", got=values)
    lo, hi = WEIGHT_LIMITS_KG
    out = []
    for i, v in enumerate(values, start=1):
        try:
            w = float(v)
        except (TypeError, ValueError):
            w = math.nan
        if not (lo <= w <= hi):
            raise InputError(f"cycle {i} weight out of range", option=option, expected=f"a number from {lo:g} to {hi:g}", got=v)
        out.append(w)
    return out


START_DATES = (START_DATE.low, START_DATE.high)  # a treatment start, not any date


def _parse_date(value) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        date = value.date() if isinstance(value, dt.datetime) else value
    else:
        try:
            date = dt.date.fromisoformat(str(value))
        except ValueError:
            raise InputError("not a date", option="start_date", expected="YYYY-MM-DD", got=value) from None
    if not START_DATES[0] <= date <= START_DATES[1]:  # 9999-12-25 + a few cycles overflows the calendar
        raise InputError("start date out of range", option="start_date",
                         expected=f"a date from {START_DATES[0]} to {START_DATES[1]}", got=str(value))
    return date


def schedule_records(schedule: pd.DataFrame) -> list[dict]:
    """The calendar as JSON-ready records (missing values → ``None``, dates → ``"YYYY-MM-DD"``)."""
    out = []
    for rec in schedule.astype(object).to_dict(orient="records"):
        for k, v in rec.items():
            if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
                rec[k] = None
            elif isinstance(v, dt.date):
                rec[k] = v.isoformat()
            elif isinstance(v, np.integer):
                rec[k] = int(v)
            elif isinstance(v, np.floating):
                rec[k] = float(v)
        out.append(rec)
    return out
