"""The cohort report: sections present, values escaped, self-contained, atomic, numbers equal isamm.outcomes."""

from __future__ import annotations

import hashlib
import json
import re

import pandas as pd
import pytest
from numpy.testing import assert_allclose

from conftest import TEST_DATA
from isamm.errors import InputError
from isamm import outcomes
from isamm.outcomes import kaplan_meier
from isamm.report import cohort_report, load_config

CONFIG = """
title = "Test cohort"
group = "sex"
landmarks = [12, 60]

[endpoints.os]
label = "Overall survival"
time = "futime"
event = "death"

[endpoints.pfs]
label = "Progression"
time = "ptime"
event = "pstat"

[table1]
variables = ["age", "hgb", "response"]

[response]
column = "response"
covariates = ["age", "sex"]
"""


@pytest.fixture(scope="module")
def mgus_small(tmp_path_factory):
    """300 rows of mgus2 with a hostile group label and a hostile free-text column."""
    folder = tmp_path_factory.mktemp("cohort")
    frame = pd.read_csv(TEST_DATA / "mgus2.csv").head(300)
    frame["sex"] = frame["sex"].replace({"M": "<script>alert(1)</script>"})
    # a made-up best response (IMWG codes), cycling through the categories, for the ORR section
    codes = ["sCR", "CR", "VGPR", "PR", "MR", "SD", "PD", "NE"]
    frame["response"] = [codes[i % len(codes)] for i in range(len(frame))]
    path = folder / "cohort <&>.csv"
    frame.to_csv(path, index=False)
    return path, frame


@pytest.fixture(scope="module")
def report(mgus_small, tmp_path_factory):
    path, frame = mgus_small
    out = tmp_path_factory.mktemp("out")
    config = out.parent / "analysis.toml"
    config.write_text(CONFIG, encoding="utf-8")
    results = cohort_report(config, out, cohort=path)
    return out, results, frame, path


def test_files_written_and_nothing_else(report):
    out, results, _, _ = report
    assert sorted(p.name for p in out.iterdir()) == ["figures", "report.html", "results.json"]
    figs = sorted(p.name for p in (out / "figures").iterdir())
    assert figs == sorted(f"{stem}.{ext}" for stem in ("os_km", "os_km_by_sex", "pfs_km", "pfs_km_by_sex")
                          for ext in ("png", "svg"))
    assert results["figures"]["os_km"] == ["figures/os_km.png", "figures/os_km.svg"]
    assert json.loads((out / "results.json").read_text()) == json.loads(json.dumps(results))


def test_results_equal_isamm_outcomes(report):
    _, results, frame, path = report
    for key, (time, event) in {"os": ("futime", "death"), "pfs": ("ptime", "pstat")}.items():
        km = kaplan_meier(frame[time], frame[event], at=[12, 60])
        by_sex = kaplan_meier(frame[time], frame[event], group=frame["sex"], at=[12, 60])
        got = results["endpoints"][key]
        assert got["km"] == json.loads(json.dumps(km.to_dict()))
        reverse = kaplan_meier(frame[time], 1 - frame[event])["all"]  # censoring as the event
        assert got["follow_up"]["median"] == reverse.median
        assert got["follow_up"]["median_ci"] == [None if v != v else v for v in reverse.median_ci]
        assert got["km_by_group"] == json.loads(json.dumps(by_sex.to_dict()))
        assert_allclose(got["logrank"]["p"], by_sex.logrank.p, rtol=0)
    assert results["table1"] == json.loads(json.dumps(
        outcomes.table1(frame, by="sex", variables=["age", "hgb", "response"]).to_dict()))
    assert results["response"] == json.loads(json.dumps(outcomes.orr(frame["response"]).to_dict()))
    # responders (≥PR) × sex counted by hand from the cohort, then R's fisher.test on that 2×2 table
    responder = frame["response"].isin(["sCR", "CR", "VGPR", "PR"])
    sexes = sorted(frame["sex"].unique())
    table = [[int((responder & (frame["sex"] == s)).sum()) for s in sexes],
             [int((~responder & (frame["sex"] == s)).sum()) for s in sexes]]
    by_group = results["response_by_group"]
    assert [by_group["groups"][s]["responders"] for s in sexes] == table[0]
    assert by_group["test"] == json.loads(json.dumps(outcomes.fisher_exact(table).to_dict()))
    evaluable = frame[frame["response"] != "NE"]
    assert results["response_model"] == json.loads(json.dumps(
        outcomes.ordinal_logit(evaluable, "response", ["age", "sex"]).to_dict()))
    # 300 = 37·8 + 4, so sCR, CR, VGPR and PR occur 38 times each: 4 × 38 = 152 responders (hand count)
    assert results["response"]["responders"] == 152
    assert results["input"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert results["input"]["n_rows"] == 300


def test_sections_and_methods(report):
    out, results, _, path = report
    html = (out / "report.html").read_text(encoding="utf-8")
    for section in ('id="table1"', 'id="response"', 'id="endpoint-os"', 'id="endpoint-pfs"', 'id="methods"'):
        assert section in html
    assert "By sex" in html and "Log-rank test by sex" in html
    assert "Table 1. Patient characteristics by sex" in html and "Overall response (≥PR)" in html
    assert "Clopper–Pearson" in html and "Ordinal regression of best response" in html
    assert "37 not evaluable (NE) left out" in html  # 300 = 37·8 + 4: NE, the 8th code, occurs 37 times
    assert "conf.type = &#34;log&#34;" in html or 'conf.type = "log"' in html
    assert hashlib.sha256(path.read_bytes()).hexdigest() in html
    assert "isamm " + results["isamm_version"] in html
    median = results["endpoints"]["os"]["km"]["groups"][0]["median"]
    assert f"{median:.1f}" in html


def test_user_values_are_escaped(report):
    out, _, _, _ = report
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "cohort &lt;&amp;&gt;.csv" in html


def test_self_contained(report):
    out, _, _, _ = report
    html = (out / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"https?://", html)
    assert "<link" not in html and "<script" not in html
    srcs = re.findall(r'src="([^"]*)"', html)
    assert len(srcs) == 4 and all(s.startswith("data:image/png;base64,") for s in srcs)


def test_failure_leaves_previous_outputs_untouched(report, tmp_path):
    out, _, _, path = report
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    bad = tmp_path / "bad.toml"
    bad.write_text(CONFIG.replace('group = "sex"', 'group = "stage"'), encoding="utf-8")
    with pytest.raises(InputError, match="column 'stage'"):
        cohort_report(bad, out, cohort=path)
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before  # same files, same bytes, no temporary folder left


def test_missing_column_names_the_config_key(mgus_small, tmp_path):
    path, _ = mgus_small
    cfg = tmp_path / "analysis.toml"
    cfg.write_text(CONFIG.replace('time = "ptime"', 'time = "progtime"'), encoding="utf-8")
    with pytest.raises(InputError) as info:
        cohort_report(cfg, tmp_path / "out", cohort=path)
    assert str(info.value).startswith(f"{path.name}, column 'progtime': column named by analysis.toml key "
                                      "'endpoints.pfs.time' not found")
    assert not (tmp_path / "out").exists()


def test_bad_event_value_names_file_row_and_column(mgus_small, tmp_path):
    _, frame = mgus_small
    bad = frame.copy()
    bad.loc[4, "death"] = 2  # spreadsheet row 6 (header is row 1)
    path = tmp_path / "c.csv"
    bad.to_csv(path, index=False)
    cfg = tmp_path / "analysis.toml"
    cfg.write_text(CONFIG, encoding="utf-8")
    with pytest.raises(InputError, match=r"c\.csv, row 6, column 'death'"):
        cohort_report(cfg, tmp_path / "out", cohort=path)


def test_cohort_from_config_relative_path(mgus_small, tmp_path):
    path, _ = mgus_small
    (tmp_path / "data.csv").write_bytes(path.read_bytes())
    cfg = tmp_path / "analysis.toml"
    cfg.write_text('cohort = "data.csv"\n' + CONFIG, encoding="utf-8")
    results = cohort_report(cfg, tmp_path / "out")  # no cohort argument: the config's, relative to it
    assert results["input"]["file"] == "data.csv"
    no_cohort = load_config(cfg).model_copy(update={"cohort": None})
    with pytest.raises(InputError, match="no cohort file given"):
        cohort_report(no_cohort, tmp_path / "o2")


def test_a_group_without_events_is_reported_not_fatal(mgus_small, tmp_path):
    _, frame = mgus_small
    data = frame.copy()
    # "rare" = yes only for censored patients: no events in that level, so its HR diverges (R: "may be infinite")
    data["rare"] = "no"
    data.loc[data.index[data["death"] == 0][:5], "rare"] = "yes"
    path = tmp_path / "c.csv"
    data.to_csv(path, index=False)
    cfg = tmp_path / "analysis.toml"
    cfg.write_text(CONFIG + '\n[cox]\ncovariates = ["age", "rare"]\nendpoints = ["os"]\n', encoding="utf-8")
    results = cohort_report(cfg, tmp_path / "out", cohort=path)
    os_ = results["endpoints"]["os"]
    assert os_["cox_univariable"][0]["terms"][0]["term"] == "age"
    assert os_["cox_univariable"][1]["covariates"] == ["rare"]
    assert "diverges" in os_["cox_univariable"][1]["error"]
    assert "error" in os_["cox_multivariable"] and os_["cox_zph"] is None
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "not estimable" in html and "Univariable model of rare not estimable" in html
    assert "os_forest_univariable" in results["figures"] and "os_forest_multivariable" not in results["figures"]


def test_delayed_entry_endpoint(tmp_path):
    """mayo_myeloma: entry = days from diagnosis to entry (left truncation), passed through to KM and Cox."""
    data = pd.read_csv(TEST_DATA / "mayo_myeloma.csv").head(400)
    path = tmp_path / "myeloma.csv"
    data.to_csv(path, index=False)
    cfg = tmp_path / "analysis.toml"
    cfg.write_text('time_unit = "days"\nlandmarks = [365.25]\n[endpoints.os]\ntime = "futime"\nevent = "death"\n'
                   'entry = "entry"\n[cox]\ncovariates = ["year"]\n', encoding="utf-8")
    results = cohort_report(cfg, tmp_path / "out", cohort=path)
    km = kaplan_meier(data["futime"], data["death"], entry=data["entry"], at=[365.25])
    assert results["endpoints"]["os"]["km"] == json.loads(json.dumps(km.to_dict()))
    cox = outcomes.cox(data, "futime", "death", ["year"], entry="entry")
    assert results["endpoints"]["os"]["cox_univariable"] == [json.loads(json.dumps(cox.to_dict()))]
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "delayed entry &#39;entry&#39;" in html  # named in the methods paragraph


def test_config_text_is_escaped_too(mgus_small, tmp_path):
    path, _ = mgus_small
    cfg = tmp_path / "analysis.toml"
    hostile = "<img src=x onerror=alert(1)>"
    cfg.write_text(CONFIG.replace('title = "Test cohort"', f'title = "{hostile}"')
                   .replace('label = "Overall survival"', 'label = "OS </table><b>"')
                   + f'\n[cox]\ncovariates = ["age"]\nlabels = {{ age = "{hostile}" }}\n', encoding="utf-8")
    cohort_report(cfg, tmp_path / "out", cohort=path)
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "<img src=x" not in html and "<b>" not in html and html.count("</table>") == html.count("<table>")
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "OS &lt;/table&gt;&lt;b&gt;" in html


def test_orr_groups_are_labelled_as_r_prints_them(mgus_small, tmp_path):
    """A number-coded group with an empty cell is read as float; R's factor levels are "1", "2", not "1.0"."""
    _, frame = mgus_small
    data = frame.copy()
    data["arm"] = [1 + (i % 2) for i in range(len(data))]
    data.loc[data.index[0], "arm"] = None
    path = tmp_path / "c.csv"
    data.to_csv(path, index=False)
    cfg = tmp_path / "analysis.toml"
    cfg.write_text(CONFIG.replace('group = "sex"', 'group = "arm"'), encoding="utf-8")
    results = cohort_report(cfg, tmp_path / "out", cohort=path)
    assert set(results["response_by_group"]["groups"]) == {"1", "2"}
