"""Cox models with covariates on large scales against R survival 3.5-3 (issue 12, defect 1).

``isamm cox flchain.csv --covariates age,sex,kappa,lambda,creatinine`` used to report a monotone
likelihood for 'age'; R ``coxph`` converges in 8 iterations (age coefficient 0.1049, n = 6,524).
Reference: tests/r_reference/make_cox_scales.R → cox_scales.json. The same models in clinical
units (age in days, FLC in mg/L, creatinine in µmol/L, calendar dates in days ≈ 7·10⁵) must give
the coefficients scaled by 1/factor and identical tests. The fit takes R's Newton–Raphson steps, so
coefficients and standard errors agree at rtol 1e-10 (measured: ≤ 6e-14); p and the tests at 1e-4.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from isamm.errors import ModelError
from isamm.outcomes import cox
from isamm.outcomes._coxfit import cox_newton

from ._ref import RTOL, arr, data, ref


def _flchain() -> pd.DataFrame:
    d = data("flchain").copy()
    return d.assign(kappa_mgl=d.kappa * 10, lambda_mgl=d["lambda"] * 10, creat_umol=d.creatinine * 88.42,
                    age_days=d.age * 365.25)


def _mgus2() -> pd.DataFrame:
    d = data("mgus2").copy()
    return d.assign(creat_umol=d.creat * 88.42, hgb_gl=d.hgb * 10, age_days=d.age * 365.25)


CASES = {
    "flchain_5": (_flchain, "futime", "death", ["age", "sex", "kappa", "lambda", "creatinine"], {}),
    "flchain_5_clinical_units": (_flchain, "futime", "death",
                                 ["age_days", "sex", "kappa_mgl", "lambda_mgl", "creat_umol"], {}),
    "flchain_5_breslow": (_flchain, "futime", "death", ["age", "sex", "kappa_mgl", "lambda_mgl", "creat_umol"],
                          {"ties": "breslow"}),
    "mgus2_clinical_strata": (_mgus2, "futime", "death", ["age_days", "hgb_gl", "creat_umol", "mspike"],
                              {"strata": "sex"}),
    "mayo_entry_days": (lambda: data("mayo_myeloma").assign(year_days=lambda d: (d.year + 1900) * 365.25),
                        "futime", "death", ["year_days"], {"entry": "entry"}),
}


@pytest.mark.parametrize("name", list(CASES))
def test_converges_as_r(name):
    make, time, event, covs, kw = CASES[name]
    r = ref("cox_scales")[name]
    assert r["warnings"] == []  # R converges without a warning
    res = cox(make(), time, event, covs, **kw)
    assert (res.n, res.events, res.n_dropped) == (r["n"], r["events"], r["dropped"])
    assert list(res.terms["term"]) == list(np.atleast_1d(r["terms"]))
    assert_allclose(res.terms["coef"], arr(r["coef"]), rtol=1e-10)
    assert_allclose(res.terms["se"], arr(r["se"]), rtol=1e-10)
    assert_allclose(res.terms["p"], arr(r["p"]), rtol=RTOL, atol=1e-300)
    assert_allclose(res.loglik, arr(r["loglik"]), rtol=1e-8)
    assert_allclose([res.wald["chisq"], res.lr["chisq"], res.score["chisq"]],
                    [r["wald"], r["lr"], r["score"]], rtol=RTOL)
    assert_allclose(res.concordance, r["concordance"], rtol=1e-10)


def test_issue_command_numbers():
    """The numbers quoted in issue 12: age coefficient ≈ 0.105, n = 6,524."""
    res = cox(_flchain(), "futime", "death", ["age", "sex", "kappa", "lambda", "creatinine"])
    assert res.n == 6524 and res.n_dropped == 1350
    assert round(float(res.terms.loc[res.terms.term == "age", "coef"].iloc[0]), 3) == 0.105


def test_units_change_only_the_coefficients():
    """Years → days, mg/dL → mg/L, mg/dL → µmol/L: β scales by 1/factor, z and the tests do not move."""
    a = cox(_flchain(), "futime", "death", ["age", "sex", "kappa", "lambda", "creatinine"])
    b = cox(_flchain(), "futime", "death", ["age_days", "sex", "kappa_mgl", "lambda_mgl", "creat_umol"])
    factors = np.array([365.25, 1, 10, 10, 88.42])
    assert_allclose(b.terms["coef"] * factors, a.terms["coef"], rtol=1e-7)
    assert_allclose(b.terms["z"], a.terms["z"], rtol=1e-7)
    assert_allclose(b.lr["chisq"], a.lr["chisq"], rtol=1e-9)


def test_same_iterations_as_r():
    """Newton–Raphson with step halving as coxph.fit: the same number of iterations as R reports."""
    d = _flchain().dropna(subset=["creatinine"])
    X = pd.get_dummies(d[["age", "sex", "kappa", "lambda", "creatinine"]], drop_first=True, dtype=float)
    fit = cox_newton(X.to_numpy(), d.futime.to_numpy(float), d.death.to_numpy())
    assert fit.converged and not fit.infinite.any()
    assert fit.iterations == ref("cox_scales")["flchain_5"]["iter"]


def test_monotone_likelihood_is_named():
    """An indicator of 30 censored patients followed longest: R warns 'coefficient may be infinite'."""
    r = ref("cox_scales")["mgus2_monotone"]
    assert "may be infinite" in " ".join(np.atleast_1d(r["warnings"]))
    mg = data("mgus2").copy()
    key = np.where(mg.death == 0, mg.futime, -np.inf)
    mg["late"] = (pd.Series(-key).rank(method="first") <= 30).astype(float)
    with pytest.raises(ModelError, match="coefficient of 'late' diverges"):
        cox(mg, "futime", "death", ["age", "late"])
