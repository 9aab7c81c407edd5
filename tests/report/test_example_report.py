"""The shipped example (examples/cohort_report: mgus2 + analysis.toml) renders, and its numbers are isamm.outcomes'."""

from __future__ import annotations

import json
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from conftest import REPO, SHARED, TEST_DATA
from isamm import outcomes
from isamm.report import cohort_report

EXAMPLE = REPO / "examples" / "cohort_report"
COVARIATES = ["age", "sex", "hgb", "creat", "mspike"]


def roundtrip(obj):
    return json.loads(json.dumps(obj))


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    out = tmp_path_factory.mktemp("example")
    results = cohort_report(EXAMPLE / "analysis.toml", out)
    return out, results, pd.read_csv(EXAMPLE / "mgus2.csv")


def test_example_cohort_is_the_r_survival_mgus2():
    # the test copy is the reference; the shared folder, when present, must agree with both
    assert (EXAMPLE / "mgus2.csv").read_bytes() == (TEST_DATA / "mgus2.csv").read_bytes()
    if (SHARED / "data" / "mgus2.csv").exists():
        assert (EXAMPLE / "mgus2.csv").read_bytes() == (SHARED / "data" / "mgus2.csv").read_bytes()


def test_sections_and_figures(example):
    out, results, _ = example
    html = (out / "report.html").read_text(encoding="utf-8")
    for section in ("table1", "endpoint-os", "endpoint-progression", "cutoff", "methods"):
        assert f'id="{section}"' in html
    for text in ("Table 1. Patient characteristics by sex", "Univariable HR (95% CI)", "Multivariable HR (95% CI)",
                 "Youden J", "Log-rank test by sex", "cox.zph", "SHA-256", "Wilcoxon rank-sum"):
        assert text in html
    assert len(results["figures"]) == 10
    for files in results["figures"].values():
        assert all((out / f).is_file() for f in files)


def test_statistics_equal_isamm_outcomes(example):
    _, results, d = example
    assert results["table1"] == roundtrip(
        outcomes.table1(d, by="sex", variables=["age", "sex", "hgb", "creat", "mspike", "dxyr"]).to_dict())
    for key, (time, event) in {"os": ("futime", "death"), "progression": ("ptime", "pstat")}.items():
        got = results["endpoints"][key]
        assert got["km"] == roundtrip(outcomes.kaplan_meier(d[time], d[event], at=[12, 60, 120]).to_dict())
        assert got["km_by_group"] == roundtrip(
            outcomes.kaplan_meier(d[time], d[event], group=d["sex"], at=[12, 60, 120]).to_dict())
        multi = outcomes.cox(d, time, event, COVARIATES)
        assert got["cox_multivariable"] == roundtrip(multi.to_dict())
        assert got["cox_zph"] == roundtrip(multi.zph().to_dict(orient="records"))
        assert got["cox_univariable"] == [roundtrip(outcomes.cox(d, time, event, [c]).to_dict()) for c in COVARIATES]
    assert results["cutoff"]["roc"] == roundtrip(outcomes.roc_cutoff(d["hgb"], d["death"], direction="below").to_dict())


def test_cutoff_groups_and_hazard_ratio(example):
    _, results, d = example
    cutoff = results["cutoff"]["roc"]["cutoff"]
    values = np.unique(d["hgb"].dropna())
    assert np.isclose((values[:-1] + values[1:]) / 2, cutoff, rtol=1e-12).any()  # a midpoint of adjacent values
    low_label, high_label = f"Haemoglobin < {cutoff:.4g} g/dL", f"Haemoglobin ≥ {cutoff:.4g} g/dL"
    # rebuilt independently: a 0/1 indicator (numeric, not a factor) of low haemoglobin
    d = d[d["hgb"].notna()].assign(low=lambda x: (x["hgb"] < cutoff).astype(float))
    hr = outcomes.cox(d, "futime", "death", ["low"]).to_frame().iloc[0]
    (term,) = results["cutoff"]["cox"]["terms"]
    assert_allclose([term["hr"], *term["ci"]], [hr["hr"], hr["lower"], hr["upper"]], rtol=1e-9)
    groups = {g["group"]: g for g in results["cutoff"]["km"]["groups"]}
    assert groups[low_label]["n"] == int(d["low"].sum())
    assert groups[high_label]["n"] == int((1 - d["low"]).sum())
    assert groups[low_label]["events"] == int(d.loc[d["low"] == 1, "death"].sum())
    assert results["cutoff"]["groups"] == [low_label, high_label]  # at-risk group first
    assert np.isfinite(results["cutoff"]["logrank"]["chisq"])
