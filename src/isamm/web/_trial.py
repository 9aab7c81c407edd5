"""Trial page: a shipped virtual trial, or its YAML edited in the page, run with a progress bar (as
``isamm trial run``): each arm's ORR, ≥VGPR, ≥CR, median PFS and OS beside the published numbers,
and the report's KM overlays.

Library calls: :func:`isamm.trials.list_trials`, :func:`isamm.trials.load_trial`,
:func:`isamm.trials.parse_trial`, :func:`isamm.trials.run_trial`, :func:`isamm.trials.write_trial_outputs`
(written to a private temporary directory, read back, deleted at once).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st
import yaml

import isamm.trials as tr
from isamm.report import fmt_num, fmt_pct
from isamm.web._common import form_page, json_bytes, plain, show_table, text

__all__ = ["render"]

_PAGE = "trial"
_ROWS = (("ORR %", "orr", True), ("≥VGPR %", "vgpr_or_better", True), ("≥CR %", "cr_or_better", True),
         ("median PFS, months", "median_pfs_months", False), ("median OS, months", "median_os_months", False),
         ("median treatment, weeks", "median_treatment_weeks", False))  # fmt: skip
_FIGURES = (("km_pfs", "Progression-free survival by arm"), ("km_os", "Overall survival by arm"),
            ("response", "Best response by arm"), ("pk_isatuximab", "Isatuximab concentrations"))  # fmt: skip


def _yaml(trial_id: str) -> str:
    """The shipped definition as ``isamm trial show ID --yaml`` prints it."""
    return yaml.safe_dump(tr.load_trial(trial_id).model_dump(mode="json"), sort_keys=False, allow_unicode=True)


def _form() -> dict | None:
    ids = [s.id for s in tr.list_trials()]
    trial_id = st.selectbox("Shipped trial", ids, key="trial-id")
    with st.form("trial-form"):
        body = st.text_area("Trial definition (YAML): edit it to make your own", value=_yaml(trial_id), height=260,
                            key=f"trial-yaml-{trial_id}")  # fmt: skip
        c1, c2, c3 = st.columns(3)
        seed = c1.number_input("Seed", value=1, step=1, key="trial-seed")
        replicates = c2.number_input("Replicates (trials of the published size)", value=1, step=1, key="trial-replicates")
        n_per_arm = c3.number_input("Patients per arm (0: as in the definition)", value=0, step=10, key="trial-n")
        if not st.form_submit_button("Run the trial", type="primary"):
            return None
    return {"yaml": body, "seed": int(seed), "replicates": int(replicates), "n_per_arm": int(n_per_arm) or None}


def _run(inputs: dict) -> dict:
    spec = tr.parse_trial(inputs["yaml"], name="trial definition (YAML)")
    cancel = st.empty()  # shown only while the run lasts
    cancel.button("Cancel", key="trial-cancel", help="Stops the run at the next finished arm (any click on the page does).")
    bar = st.progress(0.0, text="simulating arms…")
    result = tr.run_trial(spec, seed=inputs["seed"], replicates=inputs["replicates"], n_per_arm=inputs["n_per_arm"],
                          progress=lambda done, total: bar.progress(done / total, text=f"simulated {done} of {total} arms"))
    with tempfile.TemporaryDirectory(prefix="isamm-studio-") as tmp:
        out = Path(tmp) / "trial"
        data = tr.write_trial_outputs(result, out)
        files = {name: (out / name).read_bytes() for name in ("report.html", "cohort.csv", "labs.csv")}
        figures = {key: (out / "figures" / f"{key}.png").read_bytes() for key, _ in _FIGURES
                   if (out / "figures" / f"{key}.png").exists()}  # fmt: skip
    bar.empty()
    cancel.empty()
    return {"data": data, "files": files, "figures": figures, "uncalibrated": "uncalibrated" in result.parameters.status}


def _arms_table(data: dict) -> pd.DataFrame:
    """Simulated (median over replicates) beside published, one column pair per arm (as ``isamm trial run``)."""
    pub = (data.get("published") or {}).get("arms") or {}
    rows = []
    for label, key, pct in _ROWS:
        row = {"": label}
        for arm in data["arms"]:
            name = f"{arm['arm']} ({arm['regimen']}, n={arm['n']})"
            row[f"{name}: simulated"] = fmt_pct(arm[key]) if pct else fmt_num(arm[key])
            e = (pub.get(arm["arm"]) or {}).get(key)
            row[f"{name}: published"] = "" if not e else "NR" if e.get("not_reached") else (
                fmt_pct(e["value"]) if pct else fmt_num(e["value"]))
        rows.append(row)
    return pd.DataFrame(rows)


def _show(res: dict) -> None:
    data = res["data"]
    st.subheader(plain(f"{data['trial']}: {data['replicates']} replicate(s), seed {data['seed']}"))
    if res["uncalibrated"]:
        st.warning(plain("The disease-model parameters are uncalibrated starting values (README, 'Virtual trials')."))
    show_table(_arms_table(data), key="trial-arms")
    for key, label in (("hr_pfs", "HR PFS"), ("hr_os", "HR OS")):
        hr = data.get(key)
        if hr:
            text(f"{label} {hr['arms'][0]} vs {hr['arms'][1]}: {fmt_num(hr['hr'], 3)} "
                 f"(range {fmt_num(hr['range'][0], 3)}–{fmt_num(hr['range'][1], 3)})")
    for key, label in _FIGURES:
        if key in res["figures"]:
            st.image(res["figures"][key], caption=label)
    c1, c2, c3 = st.columns(3)
    c1.download_button("Download the report (HTML)", res["files"]["report.html"], "report.html", "text/html",
                       on_click="ignore")
    c2.download_button("Download the simulated cohort (CSV)", res["files"]["cohort.csv"], "cohort.csv", "text/csv",
                       on_click="ignore")
    c3.download_button("Download result.json", json_bytes(data), "result.json", "application/json", on_click="ignore")


def render() -> None:
    """The Trial page."""
    st.title("Virtual trial")
    st.caption("Dose → PK → M-protein → IMWG response → PFS/OS for every arm, beside the published results "
               "(as `isamm trial run`). Replicate 1 is drawn in the figures; numbers are medians over replicates.")
    form_page(_PAGE, _form(), _run, _show)
