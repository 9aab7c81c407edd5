"""ROC/Youden cut-off against the R computation written out in make_reference.R (which checks it against
pROC 1.18 `roc`/`coords(best.method = "youden")` to 1e-12 before saving), and a hand case."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from isamm.errors import InputError, ModelError
from isamm.outcomes import roc_cutoff

from ._ref import data, ref

CASES = {
    "mgus2_hgb_death": ("mgus2", "hgb", "death", "below"),
    "mgus2_creat_death": ("mgus2", "creat", "death", "above"),
    "flchain_kappa_mgus": ("flchain", "kappa", "mgus", "below"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_cutoff_equals_r(name):
    dname, marker, outcome, direction = CASES[name]
    d = data(dname)
    res = roc_cutoff(d[marker], d[outcome], direction=direction)
    r = ref("roc")[name]
    assert (res.n, res.n_dropped, len(res.thresholds)) == (r["n"], r["n_dropped"], r["n_thresholds"])
    # the cut-off is a midpoint of two observed values: equal to rounding of one addition and halving
    assert_allclose(res.cutoff, r["cutoff"], rtol=1e-12)
    for key in ("youden_j", "sensitivity", "specificity", "auc"):
        assert_allclose(getattr(res, key), r[key], rtol=1e-10, err_msg=key)


def test_hand_case():
    # marker 1..6, outcome 1 for the three lowest values except 3:
    #   values  1 2 3 4 5 6 ; outcome 1 1 0 1 0 0 ; direction below (low marker → outcome)
    # cut 2.5: sens 2/3, spec 3/3 → J = 2/3; cut 4.5: sens 3/3, spec 2/3 → J = 2/3; first max = 2.5.
    # AUC: pairs (pos, neg) with pos < neg: 1<3,1<5,1<6,2<3,2<5,2<6,4<5,4<6 = 8 of 9.
    res = roc_cutoff([1, 2, 3, 4, 5, 6], [1, 1, 0, 1, 0, 0], direction="below")
    assert res.cutoff == 2.5
    assert_allclose([res.youden_j, res.sensitivity, res.specificity, res.auc], [2 / 3, 2 / 3, 1.0, 8 / 9])
    up = roc_cutoff([1, 2, 3, 4, 5, 6], [0, 0, 1, 0, 1, 1], direction="above")
    assert up.cutoff == 2.5 and up.auc == pytest.approx(8 / 9)


def test_errors():
    with pytest.raises(InputError, match="option direction"):
        roc_cutoff([1, 2], [0, 1], direction="up")
    with pytest.raises(InputError, match="both values"):
        roc_cutoff([1, 2, 3], [1, 1, 1])
    with pytest.raises(InputError, match="not 0 or 1"):
        roc_cutoff([1, 2, 3], [0, 1, 2])
    with pytest.raises(InputError, match="element 2 of the marker is not a number"):
        roc_cutoff([1, "high", 3], [0, 1, 1])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 1)), min_size=4, max_size=40))
def test_properties(rows):
    x = np.array([r[0] for r in rows], float)
    y = np.array([r[1] for r in rows])
    if y.min() == y.max():
        return
    if x.min() == x.max():  # issue 12: a constant marker has no cut-off (it printed "m < -inf")
        with pytest.raises(InputError, match="the marker is constant"):
            roc_cutoff(x, y)
        return
    results = {}
    for direction in ("below", "above"):
        try:
            results[direction] = roc_cutoff(x, y, direction=direction)
        except ModelError as exc:  # J <= 0 at every finite cut-off: said so, never a ±inf cut-off
            assert "no cut-off does better than none" in str(exc)
    if len(results) == 2:
        assert results["below"].auc == pytest.approx(1 - results["above"].auc)  # complementary
    for res in results.values():
        assert np.isfinite(res.cutoff) and res.youden_j > 0
        assert 0 <= res.youden_j <= 1 and 0 <= res.auc <= 1
        assert not np.isin(res.cutoff, x)  # never an observed value
        assert np.all(np.diff(res.thresholds) > 0)
