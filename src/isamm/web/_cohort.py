"""Cohort page: a cohort file and its column mapping (a form, or an analysis TOML) → the report that
``isamm cohort report`` writes: Table 1, Kaplan–Meier with risk table, log-rank, Cox forest plots, ROC
cut-off, best response with Fisher/χ² by group and ordinal regression.

Library calls: :func:`isamm.cohort.read_cohort` (columns of the upload, read in memory),
:func:`isamm.report.load_config`, :func:`isamm.report.cohort_report`. The report needs files: the
upload, the config and the report are written to a private temporary directory that is deleted as soon
as the report is read back into memory.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st
import tomli_w

from isamm.cohort import read_cohort
from isamm.errors import InputError
from isamm.report import cohort_report, load_config, p_text
from isamm.web._common import json_bytes, plain, recall, remember, show_table, text, upload, upload_id, user_errors

__all__ = ["render"]

_PAGE = "cohort"
_TYPES = ["csv", "tsv", "txt", "xlsx", "xls", "parquet"]
_NONE = "(none)"
_MAP, _TOML = "Map the columns here", "Load an analysis TOML (as `isamm cohort report --config`)"


def _landmarks(text_value: str) -> list[float]:
    """``"12, 60"`` → floats (InputError naming the field)."""
    from isamm._constraints import parse_float_list

    return parse_float_list(text_value, "landmarks") if text_value.strip() else []


def _guess(columns: list[str], words: tuple[str, ...], default: int) -> int:
    """Index of the first column whose name contains one of ``words`` (a starting choice the user can change)."""
    for w in words:  # the words in order of preference
        for i, c in enumerate(columns):
            if w in c.lower():
                return i
    return min(default, len(columns) - 1)


def _mapping_form(columns: list[str]) -> dict | None:
    """The column mapping as an analysis-config mapping (the keys of the TOML file)."""
    opt = [_NONE, *columns]
    with st.form("cohort-map"):
        title = st.text_input("Report title", value="Cohort report", key="cohort-title")
        c1, c2, c3, c4 = st.columns(4)
        time = c1.selectbox("Follow-up time column", columns, index=_guess(columns, ("futime", "time", "os_"), 0),
                            key="cohort-time")
        event = c2.selectbox("Event column (1 = event, 0 = censored)", columns,
                             index=_guess(columns, ("death", "event", "status", "dead"), 1), key="cohort-event")
        unit = c3.selectbox("Time unit", ["months", "days", "weeks", "years"], key="cohort-unit")
        label = c4.text_input("Endpoint name", value="Overall survival", key="cohort-label")
        c1, c2 = st.columns(2)
        group = c1.selectbox("Group (KM curves, log-rank, Table 1 columns)", opt, key="cohort-group")
        landmarks = c2.text_input("Landmark times (e.g. 12, 60)", value="", key="cohort-landmarks")
        table1 = st.multiselect("Table 1 variables", columns, key="cohort-table1")
        cox = st.multiselect("Cox covariates (uni- and multivariable, forest plots)", columns, key="cohort-cox")
        c1, c2 = st.columns(2)
        marker = c1.selectbox("ROC cut-off marker (continuous)", opt, key="cohort-marker")
        direction = c2.selectbox("Low or high marker predicts the event", ["below", "above"], key="cohort-direction")
        c1, c2 = st.columns(2)
        response = c1.selectbox("Best-response column (IMWG codes)", opt, key="cohort-response")
        ordinal = c2.multiselect("Ordinal regression of best response on", columns, key="cohort-ordinal")
        if not st.form_submit_button("Run the analysis", type="primary"):
            return None
    config: dict = {"title": title, "time_unit": unit, "endpoints": {"ep": {"label": label, "time": time, "event": event}}}
    if group != _NONE:
        config["group"] = group
    config["landmarks"] = _landmarks(landmarks)
    if table1:
        config["table1"] = {"variables": table1}
    if cox:
        config["cox"] = {"covariates": cox}
    if marker != _NONE:
        config["cutoff"] = {"marker": marker, "endpoint": "ep", "direction": direction}
    if response != _NONE:
        config["response"] = {"column": response, "covariates": ordinal}
    return {"config_toml": tomli_w.dumps(config).encode("utf-8")}


def _toml_form() -> dict | None:
    file = upload("Analysis configuration (TOML)", ["toml"], key="cohort-config",
                  help="Its `cohort` key is ignored: the uploaded cohort file is analysed.")
    with st.form("cohort-toml"):
        if not st.form_submit_button("Run the analysis", type="primary"):
            return None
    if file is None:
        raise InputError("no analysis configuration", option="analysis TOML", expected="an uploaded .toml file")
    return {"config_toml": file.getvalue(), "config_name": file.name}


def _run(cohort, config_toml: bytes, config_name: str = "analysis.toml") -> dict:
    """``isamm cohort report``: files in a private temporary directory, read back, the directory deleted."""
    with tempfile.TemporaryDirectory(prefix="isamm-studio-") as tmp:
        tmp = Path(tmp)
        data = tmp / Path(cohort.name).name
        data.write_bytes(cohort.getvalue())
        cfg_path = tmp / Path(config_name).name
        cfg_path.write_bytes(config_toml)
        try:
            results = cohort_report(load_config(cfg_path), tmp / "report", cohort=data)
        except InputError as exc:  # name the upload as the user knows it, never the private folder
            if exc.file is None or not exc.file.startswith(str(tmp)):
                raise
            raise exc.replace(file=Path(exc.file).name) from None
        html = (tmp / "report" / "report.html").read_bytes()
        figures = {key: (tmp / "report" / paths[0]).read_bytes() for key, paths in results["figures"].items()}
    return {"results": results, "html": html, "figures": figures, "config_toml": config_toml, "upload": upload_id(cohort)}


def _table1(t1: dict) -> pd.DataFrame:
    rows = []
    for r in t1["rows"]:
        row = {"variable": r["variable"], "level": r["level"], "overall": r["overall"], **r.get("groups", {})}
        if t1.get("by"):
            row |= {"p": r["p"], "test": r["test"]}
        rows.append(row)
    return pd.DataFrame(rows)


def _km(km: dict) -> pd.DataFrame:
    return pd.DataFrame([{"group": g["group"], "n": g["n"], "events": g["events"], "median": g["median"],
                          "95% CI": "–".join("NR" if x is None else f"{x:.3g}" for x in (g.get("median_ci") or []))}
                         for g in km["groups"]])  # fmt: skip


def _cox(models: dict | list | None) -> pd.DataFrame | None:
    """Cox terms of one model (multivariable) or of several (univariable: one model per covariate)."""
    if not models:
        return None
    models = models if isinstance(models, list) else [models]
    return pd.DataFrame([{"term": t["term"], "HR": t["hr"], "95% CI": f"{t['ci'][0]:.3g}–{t['ci'][1]:.3g}", "p": t["p"],
                          "n": m["n"], "events": m["events"]} for m in models for t in m["terms"]])  # fmt: skip


def _figure(res: dict, key: str) -> None:
    if key in res["figures"]:
        st.image(res["figures"][key])


def _show(res: dict) -> None:
    r = res["results"]
    st.subheader(plain(r["title"]))
    text(f"{r['input']['file']}: {r['input']['n_rows']} patients")
    if r.get("table1"):
        st.markdown("**Table 1**")
        show_table(_table1(r["table1"]), key="cohort-table1-out")
    for key, ep in r["endpoints"].items():
        st.markdown(f"**{plain(ep['label'])}**")
        _figure(res, f"{key}_km")
        show_table(_km(ep["km"]), key=f"cohort-km-{key}")
        if ep.get("km_by_group"):
            for fig_key in res["figures"]:
                if fig_key.startswith(f"{key}_km_by_"):
                    _figure(res, fig_key)
            show_table(_km(ep["km_by_group"]), key=f"cohort-kmg-{key}")
        if ep.get("logrank"):
            lr = ep["logrank"]
            text(f"log-rank: chi-square {lr['chisq']:.3f} on {lr['df']} df, {p_text(lr['p'])}")
        for kind in ("univariable", "multivariable"):
            table = _cox(ep.get(f"cox_{kind}"))
            if table is not None:
                st.markdown(f"Cox, {kind}")
                _figure(res, f"{key}_forest_{kind}")
                show_table(table, key=f"cohort-cox-{kind}-{key}")
    if r.get("cutoff"):
        roc = r["cutoff"]["roc"]
        st.markdown("**ROC cut-off (Youden)**")
        _figure(res, "cutoff_roc")
        text(f"{r['cutoff']['marker']} {'<' if roc['direction'] == 'below' else '>'} {roc['cutoff']:g}: "
             f"AUC {roc['auc']:.3f}, sensitivity {roc['sensitivity']:.3f}, specificity {roc['specificity']:.3f}, "
             f"Youden J {roc['youden_j']:.3f} (n = {roc['n']})")
        _figure(res, "cutoff_km")
    for key, title in (("response", "Best response (ORR, exact CI)"), ("response_by_group", "Best response by group "
                       "(Fisher / χ²)"), ("response_model", "Ordinal regression of best response")):  # fmt: skip
        if r.get(key):
            st.markdown(f"**{title}**")
            st.json(r[key], expanded=False)
    c1, c2, c3 = st.columns(3)
    c1.download_button("Download the HTML report", res["html"], "report.html", "text/html", on_click="ignore")
    c2.download_button("Download results.json", json_bytes(r), "results.json", "application/json", on_click="ignore")
    c3.download_button("Download the analysis TOML", res["config_toml"], "analysis.toml", "application/toml",
                       on_click="ignore")


def render() -> None:
    """The Cohort page."""
    st.title("Cohort")
    st.caption("Upload a cohort (one row per patient), map its columns or load an analysis TOML, and get the "
               "report `isamm cohort report` writes.")
    cohort = upload("Cohort file (CSV, TSV, Excel or Parquet)", _TYPES, key="cohort-file")
    if cohort is None:
        return
    with user_errors():
        columns = list(read_cohort(cohort).data.columns)
        mode = st.radio("Analysis", [_MAP, _TOML], horizontal=True, key="cohort-mode")
        inputs = _mapping_form(columns) if mode == _MAP else _toml_form()
        if inputs is not None:
            remember(_PAGE, None)
            with st.spinner(plain("Running the analysis…")):
                remember(_PAGE, _run(cohort, **inputs))
    res = recall(_PAGE)
    if res is not None and res["upload"] == upload_id(cohort):  # never the result of another file
        _show(res)
