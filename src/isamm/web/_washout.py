"""Washout page: residual daratumumab after a treatment history, under both published models (as
``isamm pk washout``): the concentration band, the day it falls below a threshold, and the level on the
planned first isatuximab dose.

Library calls: :func:`isamm.pk.regimen_events`, :func:`isamm.pk.load_model`, :func:`isamm.pk.washout`
(:meth:`~isamm.pk.Washout.to_dict`, :meth:`~isamm.pk.Washout.band`), :func:`isamm.pk.concentration_figure`.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

import isamm.pk as pk
import isamm.regimens as rg
from isamm.errors import InputError
from isamm.web._common import csv_bytes, form_page, json_bytes, plain, show_figure, show_table, text

__all__ = ["render"]

_PAGE = "washout"


def _form() -> dict | None:
    ids = [r.id for r in rg.list_regimens() if "daratumumab" in r.drugs]
    with st.form("washout-form"):
        c1, c2, c3 = st.columns([2, 1, 1])
        regimen = c1.selectbox("Daratumumab regimen", ids, index=ids.index("DARA-IV"), key="washout-regimen")
        weeks = c2.number_input("Weeks treated", value=24, step=1, key="washout-weeks")
        threshold = c3.number_input("Threshold (µg/mL)", value=1.0, step=0.1, format="%.3g", key="washout-threshold")
        c1, c2, c3, c4 = st.columns(4)
        last = c1.date_input("Last daratumumab dose", value=dt.date(2027, 1, 4), key="washout-last")
        plan = c2.checkbox("Planned first isatuximab dose", value=True, key="washout-plan")
        start = c3.date_input("on", value=dt.date(2027, 4, 5), key="washout-start")
        n = c4.number_input("Virtual patients per model", value=200, step=50, key="washout-n")
        c1, c2, c3, c4 = st.columns(4)
        weight = c1.number_input("Weight (kg)", value=70.0, step=1.0, key="washout-weight")
        albumin = c2.number_input("Albumin (g/L)", value=37.0, step=1.0, key="washout-albumin")
        myeloma = c3.selectbox("Myeloma type", ["IgG", "non-IgG"], key="washout-type")
        seed = c4.number_input("Seed", value=1, step=1, key="washout-seed")
        horizon = st.number_input("Follow-up after the last dose (days)", value=365, step=30, key="washout-horizon")
        if not st.form_submit_button("Predict the washout", type="primary"):
            return None
    return {"regimen": regimen, "weeks_treated": int(weeks), "threshold_ug_ml": float(threshold),
            "last_dose_date": last.isoformat(), "isatuximab_start_date": start.isoformat() if plan else None,
            "n": int(n), "seed": int(seed), "horizon_days": float(horizon),
            "covariates": {"weight_kg": weight, "albumin_g_l": albumin, "non_igg": float(myeloma == "non-IgG")}}  # fmt: skip


def _compute(inputs: dict) -> dict:
    """As ``isamm pk washout --model both``: models that do not cover the history's route are skipped, with a note."""
    if inputs["weeks_treated"] < 1:
        raise InputError("invalid treatment duration", option="weeks treated", expected="an integer >= 1",
                         got=inputs["weeks_treated"])  # fmt: skip
    if inputs["n"] < 1:
        raise InputError("invalid number of patients", option="virtual patients", expected="an integer >= 1",
                         got=inputs["n"])  # fmt: skip
    at_days = ()
    if inputs["isatuximab_start_date"] is not None:
        gap = (dt.date.fromisoformat(inputs["isatuximab_start_date"]) - dt.date.fromisoformat(inputs["last_dose_date"])).days
        if gap < 0:
            raise InputError("isatuximab start is before the last daratumumab dose", option="planned first isatuximab dose",
                             expected=f"a date on or after {inputs['last_dose_date']}", got=inputs["isatuximab_start_date"])
        at_days = (float(gap),)
    regimen, weeks = inputs["regimen"], inputs["weeks_treated"]
    routes = set(pk.regimen_events(regimen, [70.0], weeks=weeks, drug="daratumumab")["route"])
    models, skipped = [], {}
    for m in pk.DARATUMUMAB_MODELS:
        supported = set(pk.load_model(m).model.routes)
        if routes <= supported:
            models.append(m)
        else:
            skipped[m] = f"{'/'.join(sorted(supported))}-only model; the history has {'/'.join(sorted(routes))} doses"
    table = pd.DataFrame([inputs["covariates"]] * inputs["n"])
    w = pk.washout(lambda wt: pk.regimen_events(regimen, wt, weeks=weeks, drug="daratumumab"), models=models,
                   n_patients=inputs["n"], seed=inputs["seed"], covariates=table, threshold_ug_ml=inputs["threshold_ug_ml"],
                   horizon_days=inputs["horizon_days"], at_days=at_days)  # fmt: skip
    result = {"drug": "daratumumab", "regimen": regimen, "weeks_treated": weeks, **w.to_dict()}
    if skipped:
        result["models_skipped"] = skipped
    if at_days:
        result["isatuximab_start_days"] = at_days[0]
        result["conc_ug_ml_at_isatuximab_start"] = {r.model_id: r.at(at_days[0]) for r in w.results}
    curves = [(r.model_id, r.days_after_last_dose, r.conc_ug_ml) for r in w.results]
    return {"inputs": inputs, "result": result, "band": w.band(), "curves": curves}


def _summary(result: dict) -> pd.DataFrame:
    rows = []
    start = result.get("conc_ug_ml_at_isatuximab_start") or {}
    for mid, m in result["models"].items():
        d = m["days_to_threshold"]
        row = {"model": mid, "days to threshold, median": d["median"], "5th percentile": d["p5"],
               "95th percentile": d["p95"], "not reached (%)": m["not_reached_pct"]}  # fmt: skip
        if mid in start:
            row["µg/mL at isatuximab start, median"] = start[mid]["median"]
            row["5th–95th percentile"] = f"{start[mid]['p5']:.3g}–{start[mid]['p95']:.3g}"
        rows.append(row)
    return pd.DataFrame(rows)


def _show(res: dict) -> None:
    result, inputs = res["result"], res["inputs"]
    log = st.toggle("Log concentration axis", value=True, key="washout-log")
    show_figure(pk.concentration_figure(res["curves"], log=log, threshold_ug_ml=inputs["threshold_ug_ml"],
                                        x_label="days after the last dose",
                                        title=f"daratumumab washout after {inputs['regimen']}, "
                                              f"{inputs['weeks_treated']} weeks"))  # fmt: skip
    st.subheader("Days until the concentration falls below the threshold")
    show_table(_summary(result), key="washout-summary")
    if "isatuximab_start_days" in result:
        text(f"Planned first isatuximab dose: day {result['isatuximab_start_days']:g} after the last daratumumab dose.")
    for mid, why in (result.get("models_skipped") or {}).items():
        st.info(plain(f"{mid} not run: {why}"))
    st.caption(plain("The two published models agree during dosing and disagree about threefold on washout "
                     "(neither was fitted to post-treatment samples); both are shown, each named."))
    for m in result["models"].values():
        text(m["citation"])
    c1, c2 = st.columns(2)
    c1.download_button("Download the bands (CSV)", csv_bytes(res["band"]), "washout_bands.csv", "text/csv",
                       on_click="ignore")
    c2.download_button("Download the results (JSON)", json_bytes(result), "washout.json", "application/json",
                       on_click="ignore")


def render() -> None:
    """The Washout page."""
    st.title("Daratumumab washout")
    st.caption("How much daratumumab is left after the last dose, and the day it falls below a chosen threshold "
               "(as `isamm pk washout`); the band is the 5th–95th percentile of virtual patients.")
    form_page(_PAGE, _form(), _compute, _show, spinner="Simulating…")
