"""Ordinal regression against MASS::polr and Table 1 ingredients against R (make_reference.R)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from isamm.errors import InputError
from isamm.outcomes import ordinal_logit, table1

from ._ref import RTOL, data, ref


def _mgus2_ordinal():
    d = data("mgus2").copy()
    d["mspike_cat"] = pd.cut(d["mspike"], [-np.inf, 0.5, 1.5, np.inf], labels=["low", "mid", "high"])
    d["age10"] = d["age"] / 10
    return d


def test_polr():
    r = ref("ordinal")
    res = ordinal_logit(_mgus2_ordinal(), "mspike_cat", ["age10", "sex", "hgb"])
    assert (res.n, res.n_dropped) == (r["n"], r["n_dropped"])
    assert list(res.terms["term"]) == r["terms"]
    assert list(res.cutpoints["cut"]) == r["zeta_names"]
    assert_allclose(res.terms["coef"], r["coef"], rtol=RTOL)
    assert_allclose(res.terms["se"], r["se"], rtol=RTOL)
    assert_allclose(res.cutpoints["zeta"], r["zeta"], rtol=RTOL)
    assert_allclose(res.loglik, r["loglik"], rtol=1e-9)


def test_ordinal_orders_imwg_responses_worst_first():
    rng = np.random.default_rng(4)
    x = rng.normal(size=200)
    cats = np.array(["PD", "SD", "PR", "VGPR", "CR"])
    y = cats[np.clip(np.round(x + rng.normal(size=200) + 2), 0, 4).astype(int)]
    res = ordinal_logit(pd.DataFrame({"best": y, "x": x}), "best", ["x"])
    assert res.levels == ("PD", "SD", "PR", "VGPR", "CR")
    assert res.terms["coef"].iloc[0] > 0  # higher x → better response, by construction


def test_ordinal_needs_three_levels():
    with pytest.raises(InputError, match="three ordered categories"):
        ordinal_logit(pd.DataFrame({"y": ["a", "b"] * 5, "x": range(10)}), "y", ["x"])


def test_table1_by_sex_equals_r():
    r = ref("table1")
    res = table1(data("mgus2"), by="sex", variables=["age", "hgb", "pstat"])
    st = res.stats
    for var in ("age", "hgb"):
        for g in ("F", "M"):
            row = st[(st.variable == var) & (st.group == g)].iloc[0]
            assert_allclose([row["q1"], row["median"], row["q3"]], r[f"{var}_by_sex"][g], rtol=1e-12)
    rows = res.rows.set_index(["variable", "level"])
    assert_allclose(rows.loc[("age", "median [IQR]"), "p"], r["age_by_sex"]["p"], rtol=1e-8)
    assert_allclose(rows.loc[("hgb", "median [IQR]"), "p"], r["hgb_by_sex"]["p"], rtol=1e-8)
    assert rows.loc[("hgb", "missing"), "overall"] == str(r["hgb_by_sex"]["missing"])
    assert_allclose(rows.loc[("pstat", ""), "p"], r["pstat_by_sex"]["p"], rtol=1e-10)
    assert rows.loc[("pstat", ""), "test"] == "Fisher exact"
    # counts: R table(pstat, sex) rows 0/1, columns F/M
    counts = r["pstat_by_sex"]["counts"]
    assert rows.loc[("pstat", "1"), "F"].startswith(f"{counts[1][0]} (")
    assert rows.loc[("pstat", "0"), "M"] == f"{counts[0][1]} ({100 * counts[0][1] / 753:.1f}%)"
    assert rows.loc[("n", ""), "F"] == "631"


def test_table1_many_groups_equals_r():
    r = ref("table1")
    res = table1(data("flchain"), by="flc.grp", variables=["age", "sex"])
    rows = res.rows.set_index(["variable", "level"])
    assert rows.loc[("age", "median [IQR]"), "test"] == "Kruskal-Wallis"
    assert_allclose(rows.loc[("age", "median [IQR]"), "p"], r["age_by_grp"]["p"], rtol=1e-8)
    assert rows.loc[("sex", ""), "test"] == "Pearson chi-square"
    assert_allclose(rows.loc[("sex", ""), "p"], r["sex_by_grp"]["p"], rtol=1e-8)
    assert res.groups == tuple(str(i) for i in range(1, 11))


def test_table1_exact_wilcoxon_small_samples():
    w = ref("table1")["wilcox_small"]
    frame = pd.DataFrame({"v": w["x"] + w["y"], "g": ["a"] * len(w["x"]) + ["b"] * len(w["y"])})
    res = table1(frame, by="g", variables=["v"], continuous=["v"])
    assert_allclose(res.rows.set_index("variable").loc["v", "p"], w["p"], rtol=1e-12)


def test_table1_json_and_errors():
    res = table1(data("mgus2"), by="sex", variables=["age"])
    out = res.to_dict()
    assert out["groups"] == ["F", "M"] and out["rows"][1]["variable"] == "age"
    with pytest.raises(InputError, match="column 'nope'"):
        table1(data("mgus2"), by="nope")
    with pytest.raises(InputError, match="single level"):
        table1(pd.DataFrame({"g": ["a", "a"], "x": [1, 2]}), by="g")


def test_ordinal_refuses_imwg_codes_mixed_with_ne_instead_of_sorting_alphabetically():
    """Regression: one 'NE' made the order alphabetical (CR < NE < PD < PR < SD < VGPR), silently."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=60)
    y = np.array(["PD", "SD", "PR ", "vgpr", "CR"] * 12, dtype=object)  # stray space and lower case are codes
    y[:3] = "NE"
    frame = pd.DataFrame({"best": y, "x": x})
    with pytest.raises(InputError, match=r"column 'best'.*outside the IMWG order.*got \['NE'\]"):
        ordinal_logit(frame, "best", ["x"])
    frame.loc[:2, "best"] = None  # not evaluable left empty: dropped and counted, as R na.omit
    res = ordinal_logit(frame, "best", ["x"])
    assert res.levels == ("PD", "SD", "PR ", "vgpr", "CR") and (res.n, res.n_dropped) == (57, 3)
