"""Exposure page: a patient's antibody concentration–time profile with the population 90% prediction band,
exposure metrics (as ``isamm pk simulate`` and ``isamm pk exposure``), and a second regimen or the other
myeloma type side by side.

Library calls: :func:`isamm.pk.regimen_model`, :func:`isamm.pk.typical_patients`,
:func:`isamm.pk.sample_patients`, :func:`isamm.pk.covariate_frame`, :func:`isamm.pk.regimen_events`,
:func:`isamm.pk.simulate` (and :meth:`~isamm.pk.Simulation.band`), :func:`isamm.pk.exposure`,
:func:`isamm.pk.concentration_figure`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

import isamm.pk as pk
import isamm.regimens as rg
from isamm.errors import InputError
from isamm.web._common import csv_bytes, form_page, json_bytes, show_figure, show_table, text

__all__ = ["render"]

_PAGE = "exposure"
_COMPARE = ("nothing", "another regimen", "the other myeloma type (IgG ↔ non-IgG)")
_LABELS = {
    "cmax_first_ug_ml": "Cmax after the first dose (µg/mL)",
    "cmax_ss_ug_ml": "Cmax at steady state (µg/mL)",
    "ctrough_ss_ug_ml": "Ctrough at steady state (µg/mL)",
    "auc_tau_ss_ug_h_ml": "AUC over the steady-state interval (µg·h/mL)",
    "auc_week_ss_ug_h_ml": "AUC over a steady-state week (µg·h/mL)",
    "tau_ss_h": "steady-state dosing interval (h)",
    "t90_ss_weeks": "time to steady state: troughs stay ≥ 90% (weeks)",
    "t90_first_weeks": "time to steady state: first trough ≥ 90% (weeks)",
    "accumulation_ratio": "accumulation ratio",
    "half_life_terminal_d": "terminal half-life, linear part (days)",
}


def _antibody_regimens() -> list[str]:
    return [r.id for r in rg.list_regimens() if {"isatuximab", "daratumumab"} & set(r.drugs)]


def _form() -> dict | None:
    ids = _antibody_regimens()
    with st.form("exposure-form"):
        c1, c2, c3 = st.columns([2, 1, 1])
        regimen = c1.selectbox("Regimen", ids, index=ids.index("ISA-PD"), key="exposure-regimen")
        weeks = c2.number_input("Weeks", value=24, step=1, key="exposure-weeks")
        n = c3.number_input("Virtual patients for the band", value=200, step=50, key="exposure-n")
        c1, c2, c3, c4 = st.columns(4)
        weight = c1.number_input("Weight (kg)", value=70.0, step=1.0, key="exposure-weight")
        b2m = c2.number_input("β2-microglobulin (mg/L), isatuximab", value=3.9, step=0.1, key="exposure-b2m")
        albumin = c3.number_input("Albumin (g/L), daratumumab", value=37.0, step=1.0, key="exposure-albumin")
        myeloma = c4.selectbox("Myeloma type", ["IgG", "non-IgG"], key="exposure-type")
        c1, c2, c3, c4 = st.columns(4)
        sex = c1.selectbox("Sex", ["F", "M"], key="exposure-sex")
        asian = c2.selectbox("Asian (isatuximab)", ["no", "yes"], key="exposure-asian")
        seed = c3.number_input("Seed", value=1, step=1, key="exposure-seed")
        c1, c2 = st.columns(2)
        compare = c1.selectbox("Side by side with", _COMPARE, key="exposure-compare")
        other = c2.selectbox("Second regimen", ids, index=ids.index("ISA-KD"), key="exposure-other")
        if not st.form_submit_button("Simulate", type="primary"):
            return None
    return {"regimen": regimen, "weeks": int(weeks), "n": int(n), "seed": int(seed), "compare": compare,
            "other": other, "covariates": {"weight_kg": weight, "b2m_mg_l": b2m, "albumin_g_l": albumin,
                                           "non_igg": float(myeloma == "non-IgG"), "female": float(sex == "F"),
                                           "asian": float(asian == "yes")}}  # fmt: skip


def _arm(label: str, regimen: str, weeks: int, covariates: dict, n: int, seed: int) -> dict:
    """One regimen for one patient: profile, population band and exposure metrics (all library calls)."""
    drug, model = pk.regimen_model(regimen, weeks)
    cov = {k: v for k, v in covariates.items() if k in model.covariates}
    one = pk.typical_patients(model, **cov)
    if n < 1:
        raise InputError("invalid number of patients", option="virtual patients", expected="an integer >= 1", got=n)
    population = pk.sample_patients(model, seed=seed, covariates=pk.covariate_frame(model, pd.DataFrame([cov] * n)))
    ev_one = pk.regimen_events(regimen, one.covariates["weight_kg"].to_numpy(), weeks=weeks, drug=drug)
    # output grid: every 3 h plus each infusion end (where an IV maximum is), so the drawn peaks are the real ones
    ends = (ev_one["time_h"] + ev_one["duration_h"].fillna(0.0)).to_numpy(dtype=float)
    times = np.unique(np.concatenate([np.arange(0.0, weeks * 168.0 + 1.5, 3.0), ends[ends <= weeks * 168.0]]))
    ev_pop = pk.regimen_events(regimen, population.covariates["weight_kg"].to_numpy(), weeks=weeks, drug=drug)
    sim_one = pk.simulate(model, one, ev_one, times)
    sim_pop = pk.simulate(model, population, ev_pop, times)
    table = sim_pop.band().rename(columns=lambda c: c if c == "time_h" else f"population_{c}")
    table.insert(1, "patient_ug_ml", sim_one.conc_ug_ml[0])
    table.insert(0, "arm", label)
    return {
        "label": label, "regimen": regimen, "drug": drug, "model": model.id, "citation": model.citation_line(),
        "covariates": cov, "times_h": sim_one.times_h, "patient": sim_one.conc_ug_ml, "population": sim_pop.conc_ug_ml,
        "table": table, "patient_metrics": pk.exposure(model, one, ev_one).to_dict(),
        "population_metrics": pk.exposure(model, population, ev_pop).to_dict(),
    }  # fmt: skip


def _compute(inputs: dict) -> dict:
    cov = inputs["covariates"]
    args = (inputs["weeks"], cov, inputs["n"], inputs["seed"])
    arms = [_arm(inputs["regimen"], inputs["regimen"], *args)]
    if inputs["compare"] == _COMPARE[1]:
        arms.append(_arm(inputs["other"], inputs["other"], *args))
    elif inputs["compare"] == _COMPARE[2]:
        flipped = {**cov, "non_igg": 1.0 - cov["non_igg"]}
        kind = {0.0: "IgG", 1.0: "non-IgG"}
        arms[0]["label"] = f"{inputs['regimen']}, {kind[cov['non_igg']]}"
        arms[0]["table"]["arm"] = arms[0]["label"]
        arms.append(_arm(f"{inputs['regimen']}, {kind[flipped['non_igg']]}", inputs["regimen"], inputs["weeks"],
                         flipped, inputs["n"], inputs["seed"]))  # fmt: skip
    return {"inputs": inputs, "arms": arms}


def _metrics_table(arms: list[dict]) -> pd.DataFrame:
    rows = []
    for key, label in _LABELS.items():
        row = {"metric": label}
        for arm in arms:
            p, q = arm["patient_metrics"].get(key), arm["population_metrics"].get(key) or {}
            row[f"{arm['label']}: patient"] = p
            row[f"{arm['label']}: population median"] = q.get("median")
            row[f"{arm['label']}: 5th–95th percentile"] = (
                None if q.get("p5") is None else f"{q['p5']:.4g}–{q['p95']:.4g}")
        rows.append(row)
    return pd.DataFrame(rows)


def _show(res: dict) -> None:
    arms, inputs = res["arms"], res["inputs"]
    log = st.toggle("Log concentration axis", value=False, key="exposure-log")
    curves = []
    for arm in arms:
        x = arm["times_h"] / 168.0
        curves += [(f"{arm['label']}: patient", x, arm["patient"]),
                   (f"{arm['label']}: {inputs['n']} virtual patients", x, arm["population"])]
    show_figure(pk.concentration_figure(curves, log=log, title="; ".join(f"{a['label']} ({a['model']})" for a in arms)))
    st.subheader("Exposure metrics")
    metrics = _metrics_table(arms)
    show_table(metrics, key="exposure-metrics")
    for arm in arms:
        text(f"{arm['label']}: {arm['citation']}")
    profile = pd.concat([a["table"] for a in arms], ignore_index=True)
    c1, c2 = st.columns(2)
    c1.download_button("Download the profiles (CSV)", csv_bytes(profile), "exposure_profiles.csv", "text/csv",
                       on_click="ignore")
    doc = {"inputs": inputs, "arms": [{k: a[k] for k in ("label", "regimen", "drug", "model", "covariates",
                                                          "patient_metrics", "population_metrics")} for a in arms]}
    c2.download_button("Download the metrics (JSON)", json_bytes(doc), "exposure_metrics.json", "application/json",
                       on_click="ignore")


def render() -> None:
    """The Exposure page."""
    st.title("Exposure")
    st.caption("The patient (typical values for their covariates) as a line; the 5th–95th percentile of virtual "
               "patients with the same covariates (inter-individual variability sampled) as a band. Metrics as "
               "`isamm pk exposure`; steady state = the last dosing interval of the horizon.")
    form_page(_PAGE, _form(), _compute, _show, spinner="Simulating…")
