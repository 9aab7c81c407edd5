"""Cox engine on arbitrary data: agreement with lifelines (an independent Efron implementation) and invariances."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import CoxPHFitter
from numpy.testing import assert_allclose

from isamm.errors import InputError, ModelError
from isamm.outcomes import cox


# lifelines stops Newton at a step norm of 1e-7 by default, which leaves ~2e-5 relative error in β;
# its `precision` is tightened so that the comparison tests the likelihood, not the stopping rule.


def _frame(seed: int, n: int = 80) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.integers(0, 2, size=n)
    t = np.ceil(rng.exponential(10 * np.exp(-0.5 * x1 - 0.7 * x2)))  # integer times: many ties
    e = (rng.uniform(size=n) < 0.75).astype(int)
    return pd.DataFrame({"t": t, "e": e, "x1": x1, "x2": x2.astype(float), "site": rng.choice(["a", "b"], n)})


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000))
def test_equals_lifelines_efron(seed):
    d = _frame(seed)
    ours = cox(d, "t", "e", ["x1", "x2"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = CoxPHFitter().fit(d[["t", "e", "x1", "x2"]], "t", "e", fit_options={"precision": 1e-12})
    assert_allclose(ours.terms["coef"], ref.params_.to_numpy(), rtol=1e-5, atol=1e-8)
    assert_allclose(ours.terms["se"], ref.standard_errors_.to_numpy(), rtol=1e-4)
    assert 0 <= ours.concordance <= 1


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.floats(-50, 50), st.floats(0.1, 10))
def test_invariances(seed, shift, scale):
    d = _frame(seed)
    base = cox(d, "t", "e", ["x1", "x2"])
    moved = d.assign(x1=d["x1"] * scale + shift)
    res = cox(moved, "t", "e", ["x1", "x2"])
    # coefficient scales by 1/scale; shifts change nothing; z, p, concordance and cox.zph are unchanged
    assert_allclose(res.terms["coef"].iloc[0], base.terms["coef"].iloc[0] / scale, rtol=1e-6)
    assert_allclose(res.terms["z"], base.terms["z"], rtol=1e-6)
    assert_allclose(res.concordance, base.concordance, rtol=1e-12)
    assert_allclose(res.zph()["chisq"], base.zph()["chisq"], rtol=1e-6)


def test_stratified_equals_lifelines():
    d = _frame(7, n=150)
    ours = cox(d, "t", "e", ["x1", "x2"], strata="site")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = CoxPHFitter().fit(d[["t", "e", "x1", "x2", "site"]], "t", "e", strata=["site"],
                                 fit_options={"precision": 1e-12})
    assert_allclose(ours.terms["coef"], ref.params_.to_numpy(), rtol=1e-5)


def test_missing_rows_are_dropped_and_counted():
    d = _frame(3)
    d.loc[[0, 5, 9], "x1"] = np.nan
    res = cox(d, "t", "e", ["x1"])
    assert (res.n, res.n_dropped) == (77, 3)


def test_bad_inputs():
    d = _frame(1)
    try:
        cox(d.assign(e=0), "t", "e", ["x1"])
    except ModelError as exc:
        assert "no events" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected ModelError")
    for kwargs, err in (({"covariates": []}, InputError), ({"covariates": ["nope"]}, InputError)):
        try:
            cox(d, "t", "e", **kwargs)
        except err:
            pass
        else:  # pragma: no cover
            raise AssertionError(kwargs)


def _pairs_by_hand(t, e, s, st, eta):
    """Concordance counts by enumerating every pair (the definition in R's ?concordance)."""
    conc = disc = tied = 0
    for i in np.flatnonzero(e == 1):
        for j in range(len(t)):
            if j == i or st[j] != st[i] or not (s[j] < t[i] <= t[j]) or (t[j] == t[i] and e[j] == 1):
                continue
            conc += eta[i] > eta[j]
            disc += eta[i] < eta[j]
            tied += eta[i] == eta[j]
    return conc, disc, tied


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000))
def test_concordance_sweep_equals_pairs(seed):
    from isamm.outcomes._coxrisk import concordance

    rng = np.random.default_rng(seed)
    n = 50
    t = rng.integers(1, 12, n).astype(float)  # heavy ties in time ...
    e = rng.integers(0, 2, n)
    s = np.minimum(rng.integers(0, 8, n).astype(float), t - 1)
    strata = rng.integers(0, 2, n)
    eta = rng.integers(0, 4, n).astype(float)  # ... and in the linear predictor
    got = concordance(t, e, s, strata, eta)
    assert (got["concordant"], got["discordant"], got["tied_x"]) == _pairs_by_hand(t, e, s, strata, eta)
