"""150 small random cohorts (heavy ties, delayed entry, two strata) and 150 Table 1 comparisons against R.

Made by the last section of tests/r_reference/make_reference.R (``set.seed(2026)``): the data
(random_cases.csv, random_table1.csv) and R's answers (random_*_r.csv). Medians and their CI
exactly equal to ``print(survfit)``; landmark numbers at risk exact; estimates at 1e-4 relative.
Where R gives no answer (NA) the case is skipped for that statistic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from isamm.outcomes import cox, kaplan_meier, logrank, table1

from ._ref import REF, RTOL

CASES = pd.read_csv(REF / "random_cases.csv")
R_SURV = pd.read_csv(REF / "random_survival_r.csv").set_index("k")


def _each_case():
    for k, s in CASES.groupby("k"):
        yield s.reset_index(drop=True), R_SURV.loc[k]


def test_km_median_ci_and_landmark_with_delayed_entry():
    ours, ref = [], []
    for s, r in _each_case():
        g = kaplan_meier(s["t"], s["e"], entry=s["s"], at=[3])["all"]
        ours.append([g.median, *g.median_ci, *g.at.iloc[0][["surv", "lower", "upper", "n_risk"]]])
        ref.append(r[["median", "lcl", "ucl", "surv3", "lower3", "upper3", "n_risk3"]].to_numpy(float))
    ours, ref = np.array(ours, float), np.array(ref, float)
    assert_array_equal(ours[:, :3], ref[:, :3])  # exactly, NaN where R gives NA
    assert_array_equal(ours[:, 6], ref[:, 6])
    assert_allclose(ours[:, 3:6], ref[:, 3:6], rtol=RTOL, equal_nan=True)


def test_stratified_logrank():
    ours, ref = [], []
    for s, r in _each_case():
        if not np.isnan(r["logrank"]):
            ours.append(logrank(s["t"], s["e"], s["g"], strata=s["st"]).chisq)
            ref.append(r["logrank"])
    assert len(ref) > 100
    assert_allclose(ours, ref, rtol=RTOL, atol=1e-12)


def test_cox_with_strata_and_delayed_entry():
    ours, ref = [], []
    for s, r in _each_case():
        if np.isnan(r["coef_gb"]):
            continue
        res = cox(s, "t", "e", ["g", "x"], strata="st", entry="s")
        zph = res.zph()["chisq"].iloc[-1]
        ours.append([*res.terms["coef"], res.terms["se"].iloc[0], res.concordance, zph])
        ref.append(r[["coef_gb", "coef_x", "se_gb", "concordance", "zph_global"]].to_numpy(float))
    assert len(ref) > 100
    assert_allclose(np.array(ours), np.array(ref), rtol=RTOL, equal_nan=True)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_table1_tests():
    data = pd.read_csv(REF / "random_table1.csv")
    r = pd.read_csv(REF / "random_table1_r.csv")
    ours = []
    for k in r["k"]:
        rows = table1(data[data["k"] == k], by="g", variables=["v", "c"], continuous=["v"],
                      categorical=["c"]).rows
        ours.append([rows.loc[(rows.variable == "v") & (rows.kind == "continuous"), "p"].iloc[0],
                     rows.loc[(rows.variable == "c") & (rows.kind == "categorical"), "p"].iloc[0]])
    assert_allclose(np.array(ours), r[["p_wilcoxon", "p_categorical"]].to_numpy(float), rtol=1e-6, equal_nan=True)
