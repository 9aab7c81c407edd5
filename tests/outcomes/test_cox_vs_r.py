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
