"""Cox models against R survival 3.5-3 ``coxph``/``cox.zph`` (tests/r_reference/make_reference.R).

Estimates and test statistics at rtol 1e-4 (4 significant digits); counts (n, events,
dropped rows, concordant/discordant pairs) exact; term names exactly R's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from isamm.errors import InputError, ModelError
from isamm.outcomes import cox

from ._ref import RTOL, arr, data, ref

MODELS = {
    "mgus2_os": ("mgus2", "futime", "death", ["age", "sex", "hgb", "creat", "mspike"], {}),
    "mgus2_pfs": ("mgus2", "ptime", "pstat", ["age", "sex", "mspike"], {}),
    "mgus2_os_strata": ("mgus2", "futime", "death", ["age", "hgb"], {"strata": "sex"}),
    "flchain_grp": ("flchain", "futime", "death", ["age", "sex", "flc.grp"], {"categorical": ["flc.grp"]}),
    "mayo_entry": ("mayo_myeloma", "futime", "death", ["year"], {"entry": "entry"}),
    "mgus2_breslow": ("mgus2", "futime", "death", ["age", "sex"], {"ties": "breslow"}),
}


@pytest.fixture(scope="module", params=list(MODELS))
def fitted(request):
    dname, time, event, covs, kw = MODELS[request.param]
    return cox(data(dname), time, event, covs, **kw), ref("cox")[request.param]


def test_counts_and_names(fitted):
    res, r = fitted
    assert (res.n, res.events, res.n_dropped) == (r["n"], r["events"], r["dropped"])
    assert list(res.terms["term"]) == list(np.atleast_1d(r["terms"]))


def test_coefficients(fitted):
    res, r = fitted
    tab = res.to_frame()
    for col in ("coef", "se", "z", "hr", "lower", "upper", "p"):
        assert_allclose(tab[col], arr(r[col]), rtol=RTOL, err_msg=col)


def test_global_tests_and_loglik(fitted):
    res, r = fitted
    assert_allclose(res.loglik, arr(r["loglik"]), rtol=1e-8)
    for name in ("wald", "lr", "score"):
        stat, df, p = arr(r[name])
        got = getattr(res, name)
        assert got["df"] == df
        assert_allclose([got["chisq"], got["p"]], [stat, p], rtol=RTOL, err_msg=name)


def test_concordance(fitted):
    res, r = fitted
    assert_allclose(res.concordance, r["concordance"], rtol=1e-10)


def test_zph(fitted):
    res, r = fitted
    z = res.zph()
    assert list(z["term"]) == list(np.atleast_1d(r["zph_terms"]))
    assert_array_equal(z["df"], arr(r["zph_df"]))
    assert_allclose(z["chisq"], arr(r["zph_chisq"]), rtol=RTOL)
    assert_allclose(z["p"], arr(r["zph_p"]), rtol=RTOL)


def test_json_contract():
    res = cox(data("mgus2"), "futime", "death", ["age", "sex"])
    out = res.to_dict()
    assert {"n", "events", "concordance", "terms"} <= set(out)
    assert set(out["terms"][0]) >= {"term", "hr", "ci", "p"}
    assert [t["term"] for t in out["terms"]] == ["age", "sexM"]


def test_collinear_covariate_is_named():
    d = data("mgus2").copy()
    d["age_months"] = d["age"] * 12
    with pytest.raises(ModelError, match="'age_months' is collinear"):
        cox(d, "futime", "death", ["age", "sex", "age_months"])


def test_single_level_covariate_is_named():
    d = data("mgus2").copy()
    d["site"] = "A"
    with pytest.raises(InputError, match="column 'site'.*single level"):
        cox(d, "futime", "death", ["age", "site"])


def test_group_without_events_diverges_with_a_named_error():
    d = pd.DataFrame({"t": np.arange(1.0, 21.0), "e": [1, 0] * 10, "arm": ["a", "b"] * 10})
    with pytest.raises(ModelError, match="armb"):
        cox(d, "t", "e", ["arm"])


def _mgus2_labels_csv(tmp_path):
    """mgus2 with a logical covariate and an integer-coded factor, both with empty cells, through a CSV file
    (as make_reference.R builds them: hgb_lo <- hgb < 12; mgrp <- factor(findInterval(mspike, c(.5, 1.5)) + 1))."""
    d = data("mgus2").copy()
    d["hgb_lo"] = (d["hgb"] < 12).where(d["hgb"].notna())
    d["mgrp"] = ((d["mspike"] >= 0.5).astype(int) + (d["mspike"] >= 1.5).astype(int) + 1).where(d["mspike"].notna())
    path = tmp_path / "mgus2_labels.csv"
    d.to_csv(path, index=False)
    return path


def test_level_names_as_r_for_logical_and_float_read_codes(tmp_path):
    """pandas reads the codes with an empty cell as 1.0, 2.0 and the logical as True/False; R names the
    terms mgrp2 and hgb_loTRUE. Regression: they were 'mgrp2.0' and 'hgb_loTrue'."""
    from isamm.cohort import read_cohort

    cohort = read_cohort(_mgus2_labels_csv(tmp_path), time="futime", event="death")
    assert cohort.data["mgrp"].dtype == float  # the case being tested
    res = cox(cohort, "futime", "death", ["age", "hgb_lo", "mgrp"], categorical=["mgrp"])
    r = ref("cox")["mgus2_labels"]
    assert list(res.terms["term"]) == list(r["terms"])
    assert (res.n, res.events, res.n_dropped) == (r["n"], r["events"], r["dropped"])
    for col in ("coef", "se", "hr", "p"):
        assert_allclose(res.terms[col], arr(r[col]), rtol=RTOL, err_msg=col)


def test_group_labels_as_r_in_km_and_table1(tmp_path):
    """The same codes as group labels: levels(factor(mgrp)) in R are "1", "2", "3"."""
    from isamm.cohort import read_cohort
    from isamm.outcomes import kaplan_meier, table1

    cohort = read_cohort(_mgus2_labels_csv(tmp_path), time="futime", event="death")
    d = cohort.data
    levels = list(ref("cox")["mgus2_labels"]["mgrp_levels"])
    assert table1(d, by="mgrp", variables=["age"]).groups == tuple(levels)
    ok = d["mgrp"].notna()
    km = kaplan_meier(d.loc[ok, "futime"], d.loc[ok, "death"], group=d.loc[ok, "mgrp"])
    assert [g.group for g in km.groups] == levels
    assert km.logrank.groups == tuple(levels)
    flags = d["hgb_lo"].dropna()
    assert [g.group for g in kaplan_meier(d.loc[flags.index, "futime"], d.loc[flags.index, "death"],
                                          group=flags).groups] == ["FALSE", "TRUE"]


def test_covariate_constant_within_strata_is_named():
    """R: coxph(Surv(futime, death) ~ age + sex + strata(sex), mgus2) reports sexM as NA (age 0.061418,
    se 0.003402). Regression: isamm printed HR 1.000 (0.000-inf) with an overflow warning."""
    with pytest.raises(ModelError, match="'sexM' is constant within each stratum of 'sex'"):
        cox(data("mgus2"), "futime", "death", ["age", "sex"], strata="sex")
    # collinear only within strata: x = age + 10·(sex == M) is age plus a per-stratum shift
    d = data("mgus2").copy()
    d["x"] = d["age"] + 10 * (d["sex"] == "M")
    with pytest.raises(ModelError, match="'x' is collinear with earlier covariates \\(age\\) within strata of 'sex'"):
        cox(d, "futime", "death", ["age", "x"], strata="sex")
    cox(d, "futime", "death", ["age", "x"])  # without strata the two are not collinear


def test_covariate_without_information_is_named():
    """The only patient with x = 1 is censored at t = 1, before the first event. R:
    coef(coxph(Surv(t, e) ~ x + age, d)) gives x NA. Regression: 'could not be fitted (Singular matrix)'."""
    d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6, 7], "e": [0, 1, 1, 0, 1, 1, 0], "x": [1, 0, 0, 0, 0, 0, 0],
                      "age": [60, 71, 55, 68, 80, 62, 49]})
    with pytest.raises(ModelError, match="'x' does not vary within any risk set at an event time"):
        cox(d, "t", "e", ["x", "age"])
