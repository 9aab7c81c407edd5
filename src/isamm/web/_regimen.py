"""Regimen page: a patient's dosing calendar (as ``isamm schedule``), as a table and a calendar view.

Library calls: :func:`isamm.regimens.get`, :class:`isamm.regimens.Patient`,
:meth:`isamm.regimens.Regimen.schedule`, :func:`isamm.regimens.schedule_records`,
:func:`isamm.regimens.schedule_to_ics`, :func:`isamm.report.calendar_figure`.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

import isamm.regimens as rg
from isamm._constraints import parse_float_list
from isamm.report import calendar_figure
from isamm.web._common import csv_bytes, form_page, json_bytes, plain, show_figure, show_table, text

__all__ = ["render"]

_PAGE = "regimen"


def _form() -> dict | None:
    regimens = rg.list_regimens()
    ids = [r.id for r in regimens]
    names = {r.id: r.name for r in regimens}
    with st.form("regimen-form"):
        regimen = st.selectbox("Regimen", ids, index=ids.index("ISA-PD"), format_func=lambda i: f"{i}: {names[i]}",
                               key="regimen-id")
        c1, c2, c3, c4 = st.columns(4)
        weight = c1.number_input("Weight (kg)", value=70.0, step=1.0, key="regimen-weight")
        height = c2.number_input("Height (cm)", value=170.0, step=1.0, key="regimen-height")
        age = c3.number_input("Age (years)", value=68.0, step=1.0, key="regimen-age")
        sex = c4.selectbox("Sex", ["F", "M", "not given"], key="regimen-sex")
        c1, c2, c3 = st.columns(3)
        cycles = c1.number_input("Cycles", value=2, step=1, key="regimen-cycles")
        start = c2.date_input("Start date (study day 1)", value=dt.date(2027, 1, 4), key="regimen-start")
        by_cycle = c3.text_input("Weights by cycle (kg, optional)", placeholder="e.g. 70, 68, 66",
                                 help="Weight before cycles 1, 2, …; the last is carried forward (mg/kg doses follow it).",
                                 key="regimen-by-cycle")
        if not st.form_submit_button("Make the calendar", type="primary"):
            return None
    return {"regimen": regimen, "weight_kg": weight, "height_cm": height, "age_y": age,
            "sex": None if sex == "not given" else sex, "cycles": int(cycles), "start_date": start.isoformat(),
            "weight_kg_by_cycle": by_cycle.strip() or None}  # fmt: skip


def _compute(inputs: dict) -> dict:
    """The calendar and the JSON payload of ``isamm schedule --json``."""
    reg = rg.get(inputs["regimen"])
    patient = rg.Patient(weight_kg=inputs["weight_kg"], height_cm=inputs["height_cm"], age_y=inputs["age_y"],
                         sex=inputs["sex"])  # fmt: skip
    series = None
    if inputs["weight_kg_by_cycle"] is not None:
        series = parse_float_list(inputs["weight_kg_by_cycle"], "weights by cycle")
    cal = reg.schedule(patient, cycles=inputs["cycles"], start_date=inputs["start_date"], weight_kg_by_cycle=series)
    payload = {
        "regimen": reg.id, "name": reg.name, "patient": patient.model_dump(), "bsa_m2": patient.bsa_m2,
        "cycles": inputs["cycles"], "weeks": None, "start_date": inputs["start_date"], "weight_kg_by_cycle": series,
        "unverified": list(reg.spec.unverified), "events": rg.schedule_records(cal),
    }  # fmt: skip
    return {"regimen": reg.id, "name": reg.name, "spec": reg.spec, "calendar": cal, "payload": payload,
            "ics": rg.schedule_to_ics(cal, reg.id), "bsa_m2": patient.bsa_m2}  # fmt: skip


def _show(res: dict) -> None:
    spec = res["spec"]
    st.subheader(f"{res['regimen']}: {res['name']}")
    text(f"{len(res['calendar'])} administrations; BSA {res['bsa_m2']:.2f} m² (Mosteller). Source: {spec.sources[0]}")
    for note in spec.unverified:
        st.warning(plain(f"[UNVERIFIED] {note}"))
    for note in spec.project_choices:
        st.info(plain(f"[PROJECT CHOICE] {note}"))
    tab_table, tab_calendar = st.tabs(["Table", "Calendar view"])
    with tab_table:
        show_table(res["calendar"], key="regimen-table")
    with tab_calendar:
        show_figure(calendar_figure(res["calendar"], title=f"{res['regimen']}: doses in mg"))
    c1, c2, c3 = st.columns(3)
    stem = f"{res['regimen'].lower()}_calendar"
    c1.download_button("Download CSV", csv_bytes(res["calendar"]), f"{stem}.csv", "text/csv", on_click="ignore")
    c2.download_button("Download JSON", json_bytes(res["payload"]), f"{stem}.json", "application/json", on_click="ignore")
    c3.download_button("Download iCalendar (.ics)", res["ics"], f"{stem}.ics", "text/calendar", on_click="ignore")


def render() -> None:
    """The Regimen page."""
    st.title("Regimen")
    st.caption("A regimen from the catalog for one patient: every administration with day, dose and route "
               "(as `isamm schedule`).")
    form_page(_PAGE, _form(), _compute, _show)
