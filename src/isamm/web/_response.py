"""Response page: IMWG 2016 response from an uploaded lab table (as ``isamm response assess``).

Library calls: :func:`isamm.response.assess` (the upload read in memory by
:func:`isamm.response.read_labs`), :meth:`~isamm.response.ResponseResult.patients_frame`,
:meth:`~isamm.response.ResponseResult.to_frame`, :meth:`~isamm.response.ResponseResult.summary`,
:func:`isamm.report._swimmer.swimmer_plot`.
"""

from __future__ import annotations

import streamlit as st

from isamm.response import assess
from isamm.web._common import json_bytes, plain, recall, remember, show_figure, show_table, text, upload, upload_id, user_errors

__all__ = ["render"]

_PAGE = "response"
_TYPES = ["csv", "txt", "xlsx", "xls", "parquet"]


def _form(file) -> dict | None:
    with st.form("response-form"):
        c1, c2, c3 = st.columns(3)
        measurable = c1.number_input("Serum M-protein measurable at baseline (g/dL)", value=1.0, step=0.1,
                                     key="response-measurable")
        nadir = c2.selectbox("Nadir for progression", ["running_minimum", "confirmed"], key="response-nadir")
        ife = c3.selectbox("Possibly drug-positive serum IFE (anti-CD38)", ["flag", "assume_cr", "off"],
                           key="response-ife")
        submitted = st.form_submit_button("Assess response", type="primary")
    if not submitted:
        return None
    return {"file": file, "serum_measurable_g_dl": float(measurable), "nadir_rule": nadir, "anti_cd38_ife": ife}


def _compute(inputs: dict) -> dict:
    result = assess(inputs["file"], serum_measurable_g_dl=inputs["serum_measurable_g_dl"],
                    nadir_rule=inputs["nadir_rule"], anti_cd38_ife=inputs["anti_cd38_ife"])
    from isamm.report import swimmer_plot

    return {"file": inputs["file"].name, "upload": upload_id(inputs["file"]), "patients": result.patients_frame(), "visits": result.to_frame(),
            "summary": result.summary(), "json": result.to_dict(), "swimmer": swimmer_plot(result)}  # fmt: skip


def _show(res: dict) -> None:
    s = res["summary"]
    pct = {k: "—" if s[k] is None else f"{100 * s[k]:.1f}%" for k in ("orr", "vgpr_or_better", "cbr", "dcr")}
    text(f"{res['file']}: n = {s['n']}; ORR (≥PR) {pct['orr']}, ≥VGPR {pct['vgpr_or_better']}, CBR (≥MR) {pct['cbr']}, "
         f"DCR (≥MR or SD ≥ 8 weeks) {pct['dcr']}")
    show_figure(res["swimmer"])
    st.subheader("Per patient: best confirmed response and progression")
    show_table(res["patients"], key="response-patients")
    flagged = res["visits"][res["visits"]["flags"] != ""]
    if len(flagged):
        st.warning(plain(f"{len(flagged)} assessment(s) carry flags (e.g. a serum IFE possibly positive from the "
                         "anti-CD38 antibody itself): see the flags column."))
    st.subheader("Every assessment")
    show_table(res["visits"], key="response-visits")
    st.download_button("Download the results (JSON)", json_bytes(res["json"]), "response.json", "application/json",
                       on_click="ignore")


def render() -> None:
    """The Response page."""
    st.title("IMWG response")
    st.caption("IMWG 2016 response at every assessment, best confirmed response, progression day, and the "
               "anti-CD38 interference flags (as `isamm response assess`).")
    file = upload("Lab table (CSV, Excel or Parquet): one row per patient per assessment", _TYPES, key="response-file",
                  help="Columns as `isamm response assess` (README, 'IMWG response'): patient_id and day required.")
    inputs = _form(file)
    if inputs is not None:
        remember(_PAGE, None)
        if inputs["file"] is None:
            st.error(plain("error: no lab table: upload a CSV, Excel or Parquet file first"), icon="⚠️")
        else:
            with user_errors():
                remember(_PAGE, _compute(inputs))
    res = recall(_PAGE)
    if res is not None and res["upload"] != upload_id(file):
        res = None  # the file changed since: never show the result of another file
    if res is not None:
        _show(res)
