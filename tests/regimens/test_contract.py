"""The foundation issue's checked contract, through the Python API.

Issue 3 / regimens.md §2.3: ISA-PD, 70 kg, 170 cm, 76 y, 2 cycles -> isatuximab 700 mg
on days 1, 8, 15, 22, 29, 43; pomalidomide 4 mg days 1-21 and 29-49; dexamethasone 20 mg
days 1, 8, 15, 22, 29, 36, 43, 50; the first isatuximab infusion longer than the third.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

import isamm.regimens as rg
from isamm.errors import InputError

PATIENT = rg.Patient(weight_kg=70, height_cm=170, age_y=76)


@pytest.fixture(scope="module")
def cal():
    return rg.get("ISA-PD").schedule(PATIENT, cycles=2)


def _days(cal, drug):
    return cal.loc[cal.drug == drug, "day"].tolist()


def test_issue_contract(cal):
    isa = cal[cal.drug == "isatuximab"]
    assert isa["day"].tolist() == [1, 8, 15, 22, 29, 43]
    assert (isa["dose_mg"] == 700.0).all()  # 10 mg/kg x 70 kg
    assert _days(cal, "pomalidomide") == list(range(1, 22)) + list(range(29, 50))
    assert (cal.loc[cal.drug == "pomalidomide", "dose_mg"] == 4.0).all()
    assert _days(cal, "dexamethasone") == [1, 8, 15, 22, 29, 36, 43, 50]
    assert (cal.loc[cal.drug == "dexamethasone", "dose_mg"] == 20.0).all()  # 76 y >= 75
    h = isa["infusion_h"].tolist()
    assert h[0] > h[2]
    assert cal.loc[cal.drug != "isatuximab", "infusion_h"].isna().all()
    assert set(cal.route) == {"IV", "PO"} and set(isa.route) == {"IV"}


def test_columns_and_cycle_days(cal):
    assert list(cal.columns) == [c for c in rg.SCHEDULE_COLUMNS if c != "date"]
    row = cal[(cal.drug == "isatuximab") & (cal.day == 43)].iloc[0]
    assert (row.cycle, row.cycle_day) == (2, 15)
    assert row.dose_basis == "10 mg/kg × 70 kg"
    assert "acetaminophen" in row.premedication
    assert cal.loc[cal.drug == "pomalidomide", "premedication"].eq("").all()


def test_under_75_gets_40_mg():
    cal = rg.get("ISA-PD").schedule(rg.Patient(weight_kg=70, age_y=74.9), cycles=1)
    assert cal.loc[cal.drug == "dexamethasone", "dose_mg"].tolist() == [40.0] * 4


def test_same_day_clock_order(cal):
    # regimens.md §0: dexamethasone 08:30, isatuximab 09:00; time_h = 24 (day - 1) + clock.
    day8 = cal[cal.day == 8].set_index("drug")["time_h"]
    assert day8["dexamethasone"] == 24 * 7 + 8.5
    assert day8["isatuximab"] == 24 * 7 + 9.0
    assert cal["time_h"].is_monotonic_increasing


def test_infusion_numbers_and_durations(cal):
    isa = cal[cal.drug == "isatuximab"]
    assert isa["infusion_number"].tolist() == [1, 2, 3, 4, 5, 6]
    # regimens.md §1: 200 min, 112.5 min, then 75 min.
    assert isa["infusion_h"].tolist() == pytest.approx([200 / 60, 112.5 / 60] + [75 / 60] * 4, abs=1e-12)


def test_start_date_adds_dates():
    cal = rg.get("ISA-PD").schedule(PATIENT, cycles=1, start_date="2026-01-05")
    assert cal["date"].iloc[0] == dt.date(2026, 1, 5)
    assert cal.loc[cal.day == 22, "date"].iloc[0] == dt.date(2026, 1, 26)


def test_weeks_horizon():
    cal = rg.get("ISA-PD").schedule(PATIENT, weeks=5)  # study days 1..35
    assert cal["day"].max() == 35  # pomalidomide daily on C2 days 1-7 = study days 29-35
    assert _days(cal, "isatuximab") == [1, 8, 15, 22, 29]


@pytest.mark.parametrize(
    "kw, msg",
    [
        ({}, "option cycles/weeks: give exactly one"),
        ({"cycles": 2, "weeks": 8}, "give exactly one"),
        ({"cycles": 0}, "option cycles: must be a whole number"),
        ({"cycles": 1.5}, "option cycles"),
        ({"weeks": -1}, "option weeks"),
        ({"cycles": 1, "start_date": "2026-13-01"}, "option start_date: not a date: expected YYYY-MM-DD, got '2026-13-01'"),
        ({"cycles": 100_000}, "option cycles: calendar too long"),
        ({"weeks": 10**9}, "option weeks: calendar too long"),
    ],
)
def test_bad_horizons(kw, msg):
    with pytest.raises(InputError, match=msg.replace("(", r"\(")):
        rg.get("ISA-PD").schedule(PATIENT, **kw)


def test_dose_events_follow_the_schema(cal):
    ev = rg.dose_events(cal)
    assert list(ev.columns) == [*rg.DOSE_EVENT_COLUMNS, "profile"]
    isa = ev[ev.drug == "isatuximab"]
    assert isa["time_h"].tolist() == [24 * (d - 1) + 9.0 for d in (1, 8, 15, 22, 29, 43)]
    assert isa["amount_mg"].tolist() == [700.0] * 6
    # 1st infusion steps (regimens.md §1 table): cumulative fractions 0.10, 0.20, 0.35, 0.55, 0.80, 1.00
    first = isa["profile"].iloc[0]
    assert [d for d, _ in first] == pytest.approx([1.0, 0.5, 0.5, 0.5, 0.5, 20 / 60])
    cum = pd.Series([f for _, f in first]).cumsum().tolist()
    assert cum == pytest.approx([0.10, 0.20, 0.35, 0.55, 0.80, 1.00], abs=1e-12)
    second = isa["profile"].iloc[1]
    assert pd.Series([f for _, f in second]).cumsum().tolist() == pytest.approx([0.10, 0.30, 1.00], abs=1e-12)
    assert isa["profile"].iloc[2] == ((1.25, 1.0),)
    oral = ev[ev.route == "PO"]
    assert (oral["duration_h"] == 0).all() and oral["profile"].isna().all()
    assert all(math.isclose(sum(d for d, _ in p), h) for p, h in zip(isa["profile"], isa["duration_h"]))


def test_dose_events_filter(cal):
    ev = rg.dose_events(cal, drugs="isatuximab")
    assert set(ev.drug) == {"isatuximab"} and len(ev) == 6
    assert len(rg.dose_events(cal, drugs=["daratumumab"])) == 0  # a catalog drug not in this regimen
    with pytest.raises(InputError, match="option drugs: unknown drug"):
        rg.dose_events(cal, drugs="isatuximb")


def test_weight_by_cycle():
    # Sarclisa label: dose on the weight measured before each cycle. 70 kg in C1, 60 kg from C2 on.
    cal = rg.get("ISA-PD").schedule(PATIENT, cycles=3, weight_kg_by_cycle=[70, 60])
    isa = cal[cal.drug == "isatuximab"]
    assert isa["dose_mg"].tolist() == [700.0] * 4 + [600.0] * 4
    assert isa["dose_basis"].iloc[-1] == "10 mg/kg × 60 kg"
    # mg/m2 doses keep the baseline BSA (Mosteller 170 cm, 70 kg = 1.818119 m^2).
    kd = rg.get("ISA-KD").schedule(PATIENT, cycles=2, weight_kg_by_cycle=[70, 60])
    assert kd.loc[kd.drug == "carfilzomib", "dose_mg"].iloc[-1] == pytest.approx(56 * 1.818119, abs=1e-4)


@pytest.mark.parametrize("series, msg", [([], "not a list"), ([70, 5], "cycle 2 weight out of range"), ("70", "not a list"),
                                         ([70, "x"], "cycle 2 weight")])
def test_weight_by_cycle_errors(series, msg):
    with pytest.raises(InputError, match=f"option weight_kg_by_cycle: {msg}"):
        rg.get("ISA-PD").schedule(PATIENT, cycles=2, weight_kg_by_cycle=series)


def test_ics_needs_dates(cal):
    with pytest.raises(InputError, match="option start_date: an iCalendar file needs calendar dates"):
        rg.schedule_to_ics(cal, "ISA-PD")
    dated = rg.get("ISA-PD").schedule(PATIENT, cycles=1, start_date=dt.date(2026, 1, 5))
    text = rg.schedule_to_ics(dated, "ISA-PD", dtstamp=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)).decode()
    assert text.count("BEGIN:VEVENT") == len(dated)
    assert "DTSTART:20260105T090000" in text and "DURATION:PT3H20M" in text  # 1st isatuximab: 200 min
