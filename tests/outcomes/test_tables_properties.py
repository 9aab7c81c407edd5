"""Properties of ORR, Table 1 and the proportion CI on arbitrary inputs (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from isamm.outcomes import RESPONSE_ORDER, orr, proportion_ci, table1

codes = st.sampled_from(list(RESPONSE_ORDER) + ["scr", "Cr", "vgpr"])


@settings(max_examples=60, deadline=None)
@given(st.lists(codes, min_size=1, max_size=80))
def test_orr_counts_and_nested_rates(responses):
    res = orr(responses)
    assert sum(res.counts.values()) == len(responses) == res.n
    cr, vgpr, pr = (res.rates[k] for k in ("≥CR", "≥VGPR", "≥PR"))
    assert cr.k <= vgpr.k <= pr.k == res.orr.k
    for r in (cr, vgpr, pr):
        assert r.ci[0] <= r.proportion <= r.ci[1]


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 300), st.data())
def test_clopper_pearson_contains_and_is_monotone(n, data):
    k = data.draw(st.integers(0, n))
    lo, hi = proportion_ci(k, n).ci
    assert 0 <= lo <= k / n <= hi <= 1
    assert (lo == 0) == (k == 0) and (hi == 1) == (k == n)
    if k < n:
        assert proportion_ci(k + 1, n).ci[0] >= lo


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from(["x", "y"]),
                          st.one_of(st.none(), st.floats(0, 100))), min_size=4, max_size=60))
def test_table1_counts_add_up(rows):
    frame = pd.DataFrame(rows, columns=["cat", "grp", "val"])
    if frame["grp"].nunique() < 2:
        return
    res = table1(frame, by="grp", variables=["cat", "val"], continuous=["val"])
    stats = res.stats
    cats = stats[(stats.variable == "cat")]
    for group, part in cats.groupby("group"):
        assert part["count"].sum() == part["n"].iloc[0]
        assert np.isclose(part["percent"].sum(), 100.0)
    assert int(res.rows.set_index("variable").loc["n", "overall"]) == len(frame)
    p = res.rows["p"].dropna()
    assert ((p >= 0) & (p <= 1)).all()
