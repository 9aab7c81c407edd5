"""Each studio page with Streamlit's own harness (``AppTest``): the happy path shows the library's numbers,
a mistake shows the library's one-line message and no traceback."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from web._support import ANALYSIS, LABS, unescape  # noqa: E402


def _page(name: str) -> None:
    import importlib

    importlib.import_module(f"isamm.web._{name}").render()


def _open(name: str) -> AppTest:
    at = AppTest.from_function(_page, args=(name,), default_timeout=90).run()
    assert not at.exception
    return at


def _submit(at: AppTest) -> AppTest:
    at.get("form_submit_button")[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _one_error(at: AppTest) -> str:
    assert not at.exception  # a mistake is a message, never a traceback
    assert len(at.error) == 1, [e.value for e in at.error]
    message = unescape(at.error[0].value)
    assert "\n" not in message and "Traceback" not in message
    return message


# -- helpers -------------------------------------------------------------------------------
def test_plain_escapes_markdown_so_user_text_stays_text():
    from isamm.web._common import plain

    shown = plain("![x](http://example.invalid/a.png) **b** <b>c</b>")
    assert "\\!\\[x\\]\\(http\\:" in shown and "\\*\\*b\\*\\*" in shown and "\\<b\\>" in shown
    assert unescape(shown) == "![x](http://example.invalid/a.png) **b** <b>c</b>"


def test_no_page_allows_html():
    from pathlib import Path

    import isamm.web

    for path in Path(isamm.web.__file__).parent.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "unsafe_allow_html" not in text and "st.html" not in text, path.name


# -- Regimen -------------------------------------------------------------------------------
def test_regimen_calendar_is_the_library_schedule():
    import isamm.regimens as rg

    at = _submit(_open("regimen"))
    assert not at.error
    shown = at.dataframe[0].value
    expected = rg.get("ISA-PD").schedule(rg.Patient(weight_kg=70, height_cm=170, age_y=68, sex="F"), cycles=2,
                                         start_date="2027-01-04")  # fmt: skip
    pd.testing.assert_frame_equal(shown.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False)
    assert any("ISA-PD" in s.value for s in at.subheader)
    assert len(at.get("image")) == 1  # the calendar view (in its tab)
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download CSV", "Download JSON", "Download iCalendar (.ics)"]


def test_regimen_unverified_notes_are_visible():
    at = _open("regimen")
    at.selectbox(key="regimen-id").set_value("ISA-VRD")
    _submit(at)
    assert any("UNVERIFIED" in unescape(w.value) for w in at.warning)


def test_regimen_out_of_range_weight_is_one_line():
    at = _open("regimen")
    at.number_input(key="regimen-weight").set_value(10.0)
    message = _one_error(_submit(at))
    assert message == "error: option weight_kg: out of range: expected a number from 20 to 350, got 10.0"
    assert not at.dataframe  # no stale result under the message


def test_regimen_bad_weights_by_cycle_is_shown_as_text():
    at = _open("regimen")
    at.text_input(key="regimen-by-cycle").set_value("70, [x](http://example.invalid)")
    message = _one_error(_submit(at))
    assert "not a number" in message and "[x](http://example.invalid)" in message
    assert "\\[x\\]" in at.error[0].value  # escaped: shown as typed, never as a link


# -- Exposure ------------------------------------------------------------------------------
def _exposure(at: AppTest, **values) -> AppTest:
    at.number_input(key="exposure-weeks").set_value(values.get("weeks", 8))
    at.number_input(key="exposure-n").set_value(values.get("n", 20))
    return at


def test_exposure_metrics_are_the_library_exposure():
    import isamm.pk as pk

    at = _submit(_exposure(_open("exposure")))
    assert not at.error
    metrics = at.dataframe[0].value.set_index("metric")
    drug, model = pk.regimen_model("ISA-PD", 8)
    one = pk.typical_patients(model, weight_kg=70.0, b2m_mg_l=3.9, non_igg=0.0, female=1.0, asian=0.0)
    ev = pk.regimen_events("ISA-PD", [70.0], weeks=8, drug=drug)
    expected = pk.exposure(model, one, ev).to_dict()
    assert metrics.loc["Ctrough at steady state (µg/mL)", "ISA-PD: patient"] == pytest.approx(expected["ctrough_ss_ug_ml"],
                                                                                                rel=1e-12)
    assert len(at.get("image")) == 1


def test_exposure_two_regimens_side_by_side():
    at = _exposure(_open("exposure"))
    at.selectbox(key="exposure-compare").set_value("another regimen")
    at.selectbox(key="exposure-other").set_value("ISA-MONO-20")
    _submit(at)
    columns = list(at.dataframe[0].value.columns)
    assert "ISA-PD: patient" in columns and "ISA-MONO-20: patient" in columns


def test_exposure_igg_beside_non_igg():
    at = _exposure(_open("exposure"))
    at.selectbox(key="exposure-compare").set_value("the other myeloma type (IgG ↔ non-IgG)")
    _submit(at)
    metrics = at.dataframe[0].value.set_index("metric")
    row = metrics.loc["Ctrough at steady state (µg/mL)"]
    assert row["ISA-PD, IgG: patient"] > 0 and row["ISA-PD, non-IgG: patient"] > 0
    assert row["ISA-PD, IgG: patient"] != row["ISA-PD, non-IgG: patient"]  # myeloma type is a covariate of CL


def test_exposure_bad_weight_is_one_line():
    at = _exposure(_open("exposure"))
    at.number_input(key="exposure-weight").set_value(0.0)
    message = _one_error(_submit(at))
    assert message.startswith("error: ") and "weight" in message


# -- Washout -------------------------------------------------------------------------------
def test_washout_days_are_the_library_washout():
    import isamm.pk as pk

    at = _open("washout")
    at.number_input(key="washout-n").set_value(20)
    at.number_input(key="washout-horizon").set_value(240)
    _submit(at)
    assert not at.error
    table = at.dataframe[0].value.set_index("model")
    assert list(table.index) == ["daratumumab_xu2020", "daratumumab_luo2021"]
    cov = pd.DataFrame([{"weight_kg": 70.0, "albumin_g_l": 37.0, "non_igg": 0.0}] * 20)
    w = pk.washout(lambda wt: pk.regimen_events("DARA-IV", wt, weeks=24, drug="daratumumab"), n_patients=20, seed=1,
                   covariates=cov, threshold_ug_ml=1.0, horizon_days=240.0, at_days=(91.0,))  # fmt: skip
    expected = w.to_dict()["models"]
    for mid in table.index:
        want = expected[mid]["days_to_threshold"]["median"]
        got = table.loc[mid, "days to threshold, median"]
        assert (got is None or np.isnan(got)) if want is None else got == pytest.approx(want, rel=1e-12)


def test_washout_start_before_last_dose_is_one_line():
    import datetime as dt

    at = _open("washout")
    at.date_input(key="washout-start").set_value(dt.date(2026, 12, 1))
    message = _one_error(_submit(at))
    assert "isatuximab start is before the last daratumumab dose" in message


# -- Response ------------------------------------------------------------------------------
def test_response_from_an_upload():
    from isamm.response import assess

    at = _open("response")
    at.file_uploader(key="response-file").set_value((LABS.name, LABS.read_bytes(), "text/csv")).run()
    _submit(at)
    assert not at.error
    patients = at.dataframe[0].value
    expected = assess(LABS).patients_frame()
    assert list(patients["patient_id"]) == list(expected["patient_id"])
    assert list(patients["best_response"]) == list(expected["best_response"])
    assert any("ORR" in m.value for m in at.markdown)
    assert [b.proto.label for b in at.get("download_button")] == ["Download the results (JSON)"]


def test_response_from_an_excel_upload(tmp_path):
    from isamm.response import assess

    xlsx = tmp_path / "labs.xlsx"
    pd.read_csv(LABS).to_excel(xlsx, index=False)
    at = _open("response")
    at.file_uploader(key="response-file").set_value((xlsx.name, xlsx.read_bytes(), "application/vnd.ms-excel")).run()
    _submit(at)
    assert not at.error
    assert list(at.dataframe[0].value["best_response"]) == list(assess(LABS).patients_frame()["best_response"])


def test_response_bad_upload_names_file_row_and_column(bad_labs):
    at = _open("response")
    at.file_uploader(key="response-file").set_value((bad_labs.name, bad_labs.read_bytes(), "text/csv")).run()
    message = _one_error(_submit(at))
    assert message.startswith("error: bad_labs.csv, row 1, column 'serum_m': unknown column; did you mean 'serum_m_g_dl'?")


def test_response_without_a_file_says_so():
    message = _one_error(_submit(_open("response")))
    assert message.startswith("error: no lab table")


# -- Cohort --------------------------------------------------------------------------------
def _cohort(path) -> AppTest:
    at = _open("cohort")
    at.file_uploader(key="cohort-file").set_value((path.name, path.read_bytes(), "text/csv")).run()
    assert not at.exception
    return at


def test_cohort_mapping_gives_the_report(small_cohort):
    at = _cohort(small_cohort)
    at.selectbox(key="cohort-time").set_value("futime")
    at.selectbox(key="cohort-event").set_value("death")
    at.selectbox(key="cohort-group").set_value("sex")
    at.multiselect(key="cohort-table1").set_value(["age", "hgb"])
    at.multiselect(key="cohort-cox").set_value(["age", "sex"])
    at.selectbox(key="cohort-marker").set_value("hgb")
    _submit(at)
    assert not at.error
    assert len(at.get("image")) >= 6  # KM, KM by group, forest plots, ROC, KM by cut-off
    table1 = at.dataframe[0].value
    assert table1.iloc[0]["overall"] == "300"
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels[0] == "Download the HTML report"


def test_cohort_toml_matches_isamm_cohort_report(small_cohort, tmp_path):
    from isamm.report import cohort_report, load_config

    # the shipped example's analysis, cut to its overall-survival endpoint by sex (fast)
    config = tmp_path / "analysis.toml"
    text = ANALYSIS.read_text(encoding="utf-8")
    config.write_text(text[: text.index("[endpoints.progression]")], encoding="utf-8")
    at = _cohort(small_cohort)
    at.radio(key="cohort-mode").set_value(at.radio(key="cohort-mode").options[1]).run()
    at.file_uploader(key="cohort-config").set_value((config.name, config.read_bytes(), "text/plain")).run()
    _submit(at)
    assert not at.error
    expected = cohort_report(load_config(config), tmp_path / "report", cohort=small_cohort)
    km = expected["endpoints"]["os"]["km"]["groups"][0]
    shown = at.dataframe[0].value.iloc[0]
    assert shown["group"] == "all"
    assert (shown["n"], shown["events"]) == (km["n"], km["events"])
    assert shown["median"] == pytest.approx(km["median"])


def test_cohort_bad_event_names_file_row_and_column(bad_cohort):
    at = _cohort(bad_cohort)
    at.selectbox(key="cohort-time").set_value("futime")
    at.selectbox(key="cohort-event").set_value("death")
    message = _one_error(_submit(at))
    assert message.startswith("error: bad_cohort.csv, row 4, column 'death': event must be 0 or 1")


# -- Trial ---------------------------------------------------------------------------------
def test_trial_run_is_the_library_run():
    import isamm.trials as tr

    at = _open("trial")
    at.number_input(key="trial-n").set_value(20)
    _submit(at)
    assert not at.error
    table = at.dataframe[0].value.set_index("")
    expected = tr.run_trial("ICARIA-MM", seed=1, replicates=1, n_per_arm=20).to_dict()
    from isamm.report._html import fmt_pct

    for arm in expected["arms"]:
        assert table.loc["ORR %", f"{arm['arm']} ({arm['regimen']}, n=20): simulated"] == fmt_pct(arm["orr"])
    assert table.loc["ORR %", "Isa-Pd (ISA-PD, n=20): published"] == "60.4"
    assert len(at.get("image")) >= 3  # KM PFS, KM OS, best response
    assert [b.proto.label for b in at.get("download_button")][0] == "Download the report (HTML)"


def test_trial_yaml_mistake_is_one_line():
    at = _open("trial")
    text = at.text_area[0].value.replace("  n: 154\n", "  n: -5\n", 1)
    assert text != at.text_area[0].value
    at.text_area[0].set_value(text)
    message = _one_error(_submit(at))
    assert message == ("error: trial definition (YAML), column 'arms.0.n': "
                       "out of range: expected a number >= 1, got -5")


# -- Evidence ------------------------------------------------------------------------------
def test_evidence_compare_is_the_library_comparison():
    from isamm.trials import evidence as ev

    at = _open("evidence")
    assert len(at.dataframe[0].value) == len(ev.list_evidence())
    at.selectbox(key="evidence-b").set_value("APOLLO").run()
    side = at.dataframe[1].value.set_index("")
    assert list(side.columns) == ["ICARIA-MM", "APOLLO"]
    assert side.loc["n", "ICARIA-MM"] == "154 vs 153"
