"""The outcome commands: JSON contracts (numbers from the R references), outputs, and every error path."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from numpy.testing import assert_allclose

from ._ref import DATA, RTOL, ref

MGUS2 = str(DATA / "mgus2.csv")


def _json(result):
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _error(result, *fragments):
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for f in fragments:
        assert f in lines[0], lines[0]
    return lines[0]


def test_km_json_contract_equals_r(cli):
    out = _json(cli("km", MGUS2, "--time", "futime", "--event", "death", "--group", "sex", "--at", "12,60,120",
                    "--json"))
    assert set(out) == {"groups", "logrank"}
    r = ref("km")["mgus2_os_sex"]
    assert [g["group"] for g in out["groups"]] == r["groups"]
    assert [g["median"] for g in out["groups"]] == r["median"]
    assert [g["median_ci"] for g in out["groups"]] == [[lo, hi] for lo, hi in zip(r["lower"], r["upper"])]
    at = pd.DataFrame(r["at"])
    f12 = out["groups"][0]["at"][0]
    row = at[(at.group == "F") & (at.time == 12)].iloc[0]
    assert f12["n_risk"] == row["n_risk"]
    assert_allclose([f12["surv"], *f12["ci"]], [row["surv"], row["lower"], row["upper"]], rtol=RTOL)
    assert_allclose(out["logrank"]["chisq"], ref("logrank")["mgus2_os_sex"]["chisq"], rtol=RTOL)
    assert out["logrank"]["df"] == 1


def test_km_delayed_entry_and_outputs(cli, tmp_path):
    target = tmp_path / "km.json"
    res = cli("km", DATA / "mayo_myeloma.csv", "--time", "futime", "--event", "death", "--entry", "entry",
              "-o", target)
    assert res.exit_code == 0 and "wrote" in res.stderr
    out = json.loads(target.read_text())
    r = ref("km")["mayo_entry"]
    assert out["groups"][0]["median"] == r["print_median"]
    assert "logrank" not in out
    csv = tmp_path / "km.csv"
    assert cli("km", MGUS2, "--time", "futime", "--event", "death", "-o", csv).exit_code == 0
    assert list(pd.read_csv(csv).columns) == ["group", "n", "events", "median", "median_lower", "median_upper"]


def test_km_plot(cli, tmp_path):
    pytest.importorskip("isamm.report")
    png = tmp_path / "km.png"
    res = cli("km", MGUS2, "--time", "futime", "--event", "death", "--group", "sex", "--plot", png)
    assert res.exit_code == 0, res.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_km_dates(cli, tmp_path):
    path = tmp_path / "c.csv"
    pd.DataFrame({"start": ["2024-01-01", "2024-01-01", "2024-01-01"], "last": ["2024-07-01", "2024-03-01", "2025-01-01"],
                  "dead": [1, 1, 0]}).to_csv(path, index=False)
    out = _json(cli("km", path, "--dates", "start,last", "--event", "dead", "--json"))
    # deaths at 182 and 60 days → months 182/30.4375 and 60/30.4375; S drops to 1/3 at the second:
    # median = first time S <= 0.5 = 182 days
    assert_allclose(out["groups"][0]["median"], 182 / 30.4375, rtol=1e-12)


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--time", "futime", "--event", "sex"], ["mgus2.csv, row 2, column 'sex'", "event must be 0 or 1"]),
        (["--time", "nope", "--event", "death"], ["column 'nope'", "--time", "no such column"]),
        (["--event", "death"], ["option --time", "no follow-up time"]),
        (["--time", "futime", "--event", "death", "--at", "12,x"], ["option --at", "not a number"]),
        (["--time", "futime", "--event", "death", "--group", "hgb"], ["row 167", "column 'hgb'", "missing value"]),
        (["--time", "futime", "--event", "death", "--entry", "ptime"], ["column 'ptime'", "entry is not before exit"]),
    ],
)
# row 167: the first line of mgus2.csv with hgb = NA (`grep -n NA tests/data/mgus2.csv`)
def test_km_errors(cli, args, fragments):
    _error(cli("km", MGUS2, *args), *fragments)


def test_km_missing_file_and_bad_output_dir(cli, tmp_path):
    _error(cli("km", tmp_path / "none.csv", "--time", "t", "--event", "e"), "file not found")
    _error(cli("km", MGUS2, "--time", "futime", "--event", "death", "-o", tmp_path / "no" / "x.json"),
           "output directory does not exist")


def test_km_group_without_events_is_reported(cli, tmp_path):
    path = tmp_path / "c.csv"
    pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "e": [1, 1, 1, 0, 0, 0], "arm": list("aaabbb")}).to_csv(path, index=False)
    out = _json(cli("km", path, "--time", "t", "--event", "e", "--group", "arm", "--json"))
    b = out["groups"][1]
    assert (b["events"], b["median"], b["median_ci"]) == (0, None, [None, None])
    assert out["logrank"]["df"] == 1


def test_cox_json_equals_r(cli):
    out = _json(cli("cox", MGUS2, "--time", "futime", "--event", "death", "--covariates",
                    "age,sex,hgb,creat,mspike", "--zph", "--json"))
    r = ref("cox")["mgus2_os"]
    assert (out["n"], out["events"], out["n_dropped"]) == (r["n"], r["events"], r["dropped"])
    assert [t["term"] for t in out["terms"]] == r["terms"]
    assert_allclose([t["hr"] for t in out["terms"]], r["hr"], rtol=RTOL)
    assert_allclose([t["ci"] for t in out["terms"]], list(zip(r["lower"], r["upper"])), rtol=RTOL)
    assert_allclose([t["p"] for t in out["terms"]], r["p"], rtol=RTOL)
    assert_allclose(out["concordance"], r["concordance"], rtol=1e-10)
    assert_allclose([z["chisq"] for z in out["zph"]], r["zph_chisq"], rtol=RTOL)


def test_cox_errors(cli, tmp_path):
    _error(cli("cox", MGUS2, "--time", "futime", "--event", "death", "--covariates", "age,weight"),
           "column 'weight'", "no such column")
    d = pd.read_csv(MGUS2)
    d["age2"] = d["age"] * 2
    path = tmp_path / "c.csv"
    d.to_csv(path, index=False)
    _error(cli("cox", path, "--time", "futime", "--event", "death", "--covariates", "age,age2"),
           "'age2' is collinear")
    _error(cli("cox", MGUS2, "--time", "futime", "--event", "death", "--covariates", "age", "--ties", "exact"),
           "option --ties", "efron")


def test_cutoff_json_equals_r(cli):
    out = _json(cli("cutoff", MGUS2, "--marker", "hgb", "--outcome", "death", "--direction", "below", "--json"))
    r = ref("roc")["mgus2_hgb_death"]
    assert {"cutoff", "youden_j", "sensitivity", "specificity", "auc"} <= set(out)
    assert_allclose([out[k] for k in ("cutoff", "youden_j", "sensitivity", "specificity", "auc")],
                    [r[k] for k in ("cutoff", "youden_j", "sensitivity", "specificity", "auc")], rtol=1e-10)


def test_cutoff_errors(cli):
    _error(cli("cutoff", MGUS2, "--marker", "hgb", "--outcome", "death", "--direction", "up"), "option --direction")
    _error(cli("cutoff", MGUS2, "--marker", "sex", "--outcome", "death"), "row 2, column 'sex'", "not a number")
    _error(cli("cutoff", MGUS2, "--marker", "hgb", "--outcome", "age"), "row 2, column 'age', option --outcome",
           "outcome must be 0 or 1", "got 88.0")
    _error(cli("cutoff", MGUS2, "--marker", "hgb", "--outcome", "dead"), "column 'dead', option --outcome",
           "no such column")


def test_table1_json(cli):
    out = _json(cli("table1", MGUS2, "--by", "sex", "--variables", "age,pstat", "--json"))
    assert out["groups"] == ["F", "M"]
    age = next(r for r in out["rows"] if r["variable"] == "age")
    assert_allclose(age["p"], ref("table1")["age_by_sex"]["p"], rtol=1e-8)
    assert age["test"] == "Wilcoxon rank-sum"
    _error(cli("table1", MGUS2, "--by", "arm"), "column 'arm'", "--by")


def test_orr_json_and_error(cli, tmp_path):
    path = tmp_path / "resp.csv"
    codes = ["sCR"] * 3 + ["CR"] * 4 + ["VGPR"] * 7 + ["PR"] * 15 + ["SD"] * 12 + ["PD"] * 10
    pd.DataFrame({"id": range(51), "best": codes}).to_csv(path, index=False)
    out = _json(cli("orr", path, "--response", "best", "--json"))
    assert (out["n"], out["responders"]) == (51, 29)
    assert_allclose(out["ci"], ref("tests")["binom_orr_seed004"]["ci"], rtol=1e-8)
    pd.DataFrame({"best": ["PR", "CR", "good"]}).to_csv(path, index=False)
    _error(cli("orr", path, "--response", "best"), "resp.csv, row 4, column 'best'", "got 'good'")


def test_ordinal_json_equals_polr(cli, tmp_path):
    d = pd.read_csv(MGUS2)
    d["mspike_cat"] = pd.cut(d["mspike"], [-float("inf"), 0.5, 1.5, float("inf")], labels=["low", "mid", "high"])
    d["age10"] = d["age"] / 10
    path = tmp_path / "m.csv"
    d.to_csv(path, index=False)
    out = _json(cli("ordinal", path, "--response", "mspike_cat", "--covariates", "age10,sex,hgb",
                    "--levels", "low,mid,high", "--json"))
    r = ref("ordinal")
    assert_allclose([t["coef"] for t in out["terms"]], r["coef"], rtol=RTOL)
    assert out["levels"] == ["low", "mid", "high"]


@pytest.mark.parametrize("command", ["km", "cox", "cutoff", "table1", "orr", "ordinal", "crosstab"])
def test_help(cli, command):
    res = cli(command, "--help")
    assert res.exit_code == 0 and "--json" in res.stdout


def test_crosstab_json_equals_r(cli):
    out = _json(cli("crosstab", MGUS2, "--rows", "sex", "--cols", "pstat", "--json"))
    r = ref("tests")
    assert out["test"] == "fisher" and out["table"] == r["fisher_sex_pstat"]["table"]
    assert_allclose(out["p"], r["fisher_sex_pstat"]["p"], rtol=1e-10)
    assert_allclose(out["chisq"]["chisq"], r["chisq_sex_pstat_yates"]["chisq"], rtol=1e-10)
    big = _json(cli("crosstab", DATA / "flchain.csv", "--rows", "flc.grp", "--cols", "sex", "--json"))
    assert big["test"] == "chisq" and big["df"] == r["chisq_grp_sex"]["df"]
    assert_allclose(big["chisq"], r["chisq_grp_sex"]["chisq"], rtol=1e-10)
    _error(cli("crosstab", MGUS2, "--rows", "sex", "--cols", "nope"), "column 'nope'", "--cols")


@pytest.fixture
def mgus2_with_dot(tmp_path):
    """mgus2 with hgb '.' in the 5th patient (spreadsheet row 6): STATA/SPSS exports write missing as '.'."""
    d = pd.read_csv(MGUS2)
    d["hgb"] = d["hgb"].astype(object)
    d.loc[4, "hgb"] = "."
    path = tmp_path / "mgus2_dot.csv"
    d.to_csv(path, index=False)
    return path


def test_text_in_a_numeric_covariate_is_named_not_made_a_factor(cli, mgus2_with_dot):
    """Regression: hgb with one '.' was read as text and fitted as a factor with one term per value."""
    expected = ("mgus2_dot.csv, row 6, column 'hgb': text in a numeric column", "got '.'")
    _error(cli("cox", mgus2_with_dot, "--time", "futime", "--event", "death", "--covariates", "age,hgb"), *expected)
    _error(cli("table1", mgus2_with_dot, "--by", "sex", "--variables", "age,hgb"), *expected)
    # the Table 1 row is right after rows with a missing group were dropped as well
    d = pd.read_csv(mgus2_with_dot)
    d.loc[0, "sex"] = None
    d.to_csv(mgus2_with_dot, index=False)
    _error(cli("table1", mgus2_with_dot, "--by", "sex", "--variables", "hgb"), *expected)


def test_a_messy_column_that_is_not_used_does_not_block_other_commands(cli, mgus2_with_dot):
    out = _json(cli("km", mgus2_with_dot, "--time", "futime", "--event", "death", "--json"))
    assert out["groups"][0]["median"] == ref("km")["mgus2_os"]["print_median"]


def test_text_in_numbers_from_python_names_the_index():
    from isamm.errors import InputError
    from isamm.outcomes import cox, table1

    d = pd.DataFrame({"t": [1.0, 2, 3, 4, 5, 6], "e": [1, 0, 1, 1, 0, 1], "x": ["1.5", "2", "<1", "3", "4", "2"]},
                     index=list("abcdef"))
    # a DataFrame's rows are numbered from 1 (isamm._table.row_numbers); its own index label is named too
    with pytest.raises(InputError, match=r"row 3, column 'x': text in a numeric column \(index 'c'\).*got '<1'"):
        cox(d, "t", "e", ["x"])
    with pytest.raises(InputError, match=r"column 'x'.*got '<1'"):
        table1(d, variables=["x"])


def test_cutoff_leaves_out_patients_with_an_empty_outcome_as_r(cli, tmp_path):
    """Regression: an empty outcome cell was an error ('event must be 0 or 1') while an empty marker was
    dropped. R reference mgus2_hgb_death_na: death blanked for every 10th id, both left out and counted."""
    d = pd.read_csv(MGUS2)
    d["death"] = d["death"].where(d["id"] % 10 != 0)
    path = tmp_path / "mgus2_na.csv"
    d.to_csv(path, index=False)
    out = _json(cli("cutoff", path, "--marker", "hgb", "--outcome", "death", "--direction", "below", "--json"))
    r = ref("roc")["mgus2_hgb_death_na"]
    assert (out["n"], out["n_dropped"]) == (r["n"], r["n_dropped"])
    assert_allclose([out[k] for k in ("cutoff", "youden_j", "sensitivity", "specificity", "auc")],
                    [r[k] for k in ("cutoff", "youden_j", "sensitivity", "specificity", "auc")], rtol=1e-10)


@pytest.mark.parametrize(("args", "option"), [
    (["km", MGUS2, "--time", "futime", "--event", "death", "--group", "arm"], "option --group"),
    (["cox", MGUS2, "--time", "futime", "--event", "death", "--covariates", "age,arm"], "option --covariates"),
    (["cox", MGUS2, "--time", "futime", "--event", "death", "--covariates", "age", "--strata", "arm"],
     "option --strata"),
    (["table1", MGUS2, "--by", "arm"], "option --by"),
    (["crosstab", MGUS2, "--rows", "arm", "--cols", "sex"], "option --rows"),
])
def test_unknown_column_names_the_option_once(cli, args, option):
    """Regression: the option was printed as '----covariates'."""
    line = _error(cli(*args), "column 'arm'", option, "no such column")
    assert "---" not in line


def test_km_groups_without_events_are_reported(cli, tmp_path):
    """R: survfit gives median NA for each group; survdiff prints 'Chisq= 0 on -1 degrees of freedom, p= NA'
    (no test exists without events), so isamm leaves the log-rank test out and says why."""
    path = tmp_path / "censored.csv"
    frame = pd.DataFrame({"t": [1, 2, 3, 4, 5], "e": [0, 0, 0, 0, 0], "arm": ["a", "b", "a", "b", "c"]})
    frame.to_csv(path, index=False)
    out = _json(cli("km", path, "--time", "t", "--event", "e", "--group", "arm", "--at", "2", "--json"))
    assert [(g["group"], g["n"], g["events"], g["median"], g["median_ci"]) for g in out["groups"]] == [
        ("a", 2, 0, None, [None, None]), ("b", 2, 0, None, [None, None]), ("c", 1, 0, None, [None, None])]
    # S(2) = 1 in each group; at risk at 2: a {3}, b {2, 4}, c {5} (first time >= 2 in each group)
    assert [(g["at"][0]["surv"], g["at"][0]["n_risk"]) for g in out["groups"]] == [(1.0, 1), (1.0, 2), (1.0, 1)]
    assert "logrank" not in out
    human = cli("km", path, "--time", "t", "--event", "e", "--group", "arm")
    assert human.exit_code == 0 and "log-rank: not computed (no events)" in human.stdout


def test_km_and_cox_take_the_columns_from_a_config(cli, tmp_path):
    """--config [cohort] time/event/categorical (the issue's "small TOML config"); options win over it."""
    config = tmp_path / "cohort.toml"
    config.write_text('[cohort]\ntime = "futime"\nevent = "death"\ncategorical = ["pstat"]\n', encoding="utf-8")
    out = _json(cli("km", MGUS2, "--config", config, "--json"))
    assert out["groups"][0]["median"] == ref("km")["mgus2_os"]["print_median"]
    r = ref("cox")["mgus2_pfs"]  # coxph(Surv(ptime, pstat) ~ age + sex + mspike, mgus2)
    out = _json(cli("cox", MGUS2, "--config", config, "--time", "ptime", "--event", "pstat",
                    "--covariates", "age,sex,mspike", "--json"))
    assert (out["n"], out["events"]) == (r["n"], r["events"])
    assert_allclose([t["hr"] for t in out["terms"]], r["hr"], rtol=RTOL)
    # a factor declared in the config is named as R names it once pstat is made a factor: pstat1
    out = _json(cli("cox", MGUS2, "--config", config, "--covariates", "age,pstat", "--json"))
    assert [t["term"] for t in out["terms"]] == ["age", "pstat1"]


def test_config_errors(cli, tmp_path):
    config = tmp_path / "cohort.toml"
    config.write_text('[cohort]\ntime = "futime"\n', encoding="utf-8")
    _error(cli("km", MGUS2, "--config", config), "option --event", "no event column")
    _error(cli("km", MGUS2, "--event", "death"), "option --time", "no follow-up time")
    config.write_text('[cohort]\ntime = "futime"\nevnt = "death"\n', encoding="utf-8")
    _error(cli("km", MGUS2, "--config", config, "--event", "death"), "cohort.toml", "cohort.evnt")


def test_cox_zph_singular_is_a_one_line_error(cli, tmp_path):
    """Group b exists only at t = 1, so x·g(t) is collinear with x afterwards. R:
    cox.zph(coxph(Surv(t, e) ~ g + x, d)) stops with 'system is computationally singular:
    reciprocal condition number = 9.2e-19'. Regression: isamm crashed with numpy's LinAlgError."""
    path = tmp_path / "zph.csv"
    pd.DataFrame({"t": [5, 1, 6, 6, 1, 2, 1, 2, 2, 1, 2, 1], "e": [1, 1, 1, 1, 1, 1, 0, 1, 0, 0, 1, 1],
                  "g": list("abaaaaaaabaa"),
                  "x": [0.1, -1.1, -0.1, -0.1, -1.4, -1.2, 1.2, -2.2, 0.1, -0.3, 1.4, 0.6]}).to_csv(path, index=False)
    assert cli("cox", path, "--time", "t", "--event", "e", "--covariates", "g,x").exit_code == 0
    _error(cli("cox", path, "--time", "t", "--event", "e", "--covariates", "g,x", "--zph"),
           "proportional-hazards test", "singular")


def test_option_values_are_named_as_options(cli):
    _error(cli("km", MGUS2, "--time", "futime", "--event", "death", "--conf-level", "95"),
           "option --conf-level", "expected 0 < level < 1, e.g. 0.95, got 95.0")
    _error(cli("cox", MGUS2, "--time", "futime", "--event", "death", "--covariates", "age", "--ties", "exact"),
           "option --ties", "got 'exact'")


def test_km_two_rows_with_zero_logrank_variance(cli, tmp_path):
    """Issue 12, defect 2: `t,e,g` = `1,1,a` / `1,1,b` ended in a LinAlgError traceback."""
    path = tmp_path / "two.csv"
    path.write_text("t,e,g\n1,1,a\n1,1,b\n")
    out = _json(cli("km", path, "--time", "t", "--event", "e", "--group", "g", "--json"))
    assert (out["logrank"]["chisq"], out["logrank"]["df"], out["logrank"]["p"]) == (0.0, 0, 1.0)
    assert out["logrank"]["note"].startswith("no test: the variance of observed minus expected events is 0")
    text = cli("km", path, "--time", "t", "--event", "e", "--group", "g")
    assert text.exit_code == 0 and "log-rank: not computed (no test:" in " ".join(text.stdout.split())
