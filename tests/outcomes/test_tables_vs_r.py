"""Fisher, chi-square, Clopper–Pearson and ORR against R fisher.test / chisq.test / binom.test."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import brentq
from scipy.stats import nchypergeom_fisher

from isamm.errors import InputError
from isamm.outcomes import chisq_test, fisher_exact, orr, proportion_ci

from ._ref import RTOL, ref


@pytest.mark.parametrize("name", ["fisher_sex_pstat", "fisher_tea"])
def test_fisher_equals_r(name):
    r = ref("tests")[name]
    res = fisher_exact(r["table"])
    assert_allclose(res.p, r["p"], rtol=1e-10)
    assert_allclose(res.odds_ratio, r["odds_ratio"], rtol=RTOL)
    assert_allclose(res.ci[0], r["ci"][0], rtol=RTOL)
    if name == "fisher_sex_pstat":
        assert_allclose(res.ci[1], r["ci"][1], rtol=RTOL)


def test_fisher_tea_upper_limit_by_hand():
    """R's upper limit (621.93) comes from uniroot() at its default tolerance; the exact limits solve
    P(X >= 3 | ψ) = 0.025 (lower) and P(X <= 3 | ψ) = 0.025 (upper) for the Fisher noncentral
    hypergeometric X (8 subjects, margins 4 and 4), here with brentq at xtol 1e-12."""
    res = fisher_exact([[3, 1], [1, 3]])
    psi_lo = brentq(lambda psi: nchypergeom_fisher.sf(2, 8, 4, 4, psi) - 0.025, 1e-6, 1, xtol=1e-14)
    psi_hi = brentq(lambda psi: nchypergeom_fisher.cdf(3, 8, 4, 4, psi) - 0.025, 1, 1e5, xtol=1e-12)
    assert_allclose(res.ci, [psi_lo, psi_hi], rtol=1e-6)
    assert ref("tests")["fisher_tea"]["ci"][1] == pytest.approx(psi_hi, rel=1e-2)  # R within 1 %


@pytest.mark.parametrize(("name", "correction"), [("chisq_sex_pstat_yates", True), ("chisq_sex_pstat_plain", False),
                                                  ("chisq_grp_sex", True)])
def test_chisq_equals_r(name, correction):
    r = ref("tests")[name]
    res = chisq_test(r["table"], correction=correction)
    assert res.df == r["df"]
    assert_allclose([res.chisq, res.p], [r["chisq"], r["p"]], rtol=1e-10)


@pytest.mark.parametrize("name", ["binom_orr_seed004", "binom_zero", "binom_all"])
def test_clopper_pearson_equals_r(name):
    r = ref("tests")[name]
    res = proportion_ci(r["k"], r["n"])
    assert_allclose(res.proportion, r["estimate"], rtol=1e-12)
    assert_allclose(res.ci, r["ci"], rtol=1e-8, atol=1e-12)


def test_orr_seed004_counts():
    """Seed 004 (Martino 2025): 3 sCR, 4 CR, 7 VGPR, 15 PR of 51 → ORR 29/51 = 56.9 %."""
    responses = ["sCR"] * 3 + ["cr"] * 4 + ["VGPR"] * 7 + ["PR"] * 15 + ["SD"] * 12 + ["PD"] * 10
    res = orr(responses)
    r = ref("tests")["binom_orr_seed004"]
    assert (res.n, res.orr.k) == (51, 29)
    assert round(100 * res.orr.proportion, 1) == 56.9
    assert_allclose(res.orr.ci, r["ci"], rtol=1e-8)
    assert res.rates["≥VGPR"].k == 14 and res.rates["≥CR"].k == 7
    assert res.counts["CR"] == 4
    out = res.to_dict()
    assert {"n", "responders", "orr", "ci", "counts", "rates"} <= set(out)


def test_orr_errors_and_ne():
    with pytest.raises(InputError, match="unknown response category.*got 'partial'"):
        orr(["PR", "partial"])
    with pytest.raises(InputError, match="c.csv, row 3, column 'best'"):
        orr(["PR", None], source="c.csv", column="best")
    assert orr(["PR", "NE"]).n == 2 and orr(["PR", "NE"], evaluable_only=True).n == 1


def test_table_errors():
    with pytest.raises(InputError, match="2×2"):
        fisher_exact(np.ones((2, 3), int))
    with pytest.raises(InputError, match="counts"):
        chisq_test([[1, -1], [2, 3]])
    with pytest.raises(InputError, match="invalid counts"):
        proportion_ci(5, 3)


def test_conditional_odds_ratio_equals_scipy_on_random_tables():
    """The vectorized noncentral-hypergeometric solver against scipy's odds_ratio (point by point)."""
    from scipy.stats.contingency import odds_ratio

    rng = np.random.default_rng(12)
    for _ in range(150):
        table = rng.integers(0, 15, size=(2, 2))
        if (table.sum(axis=0) == 0).any() or (table.sum(axis=1) == 0).any():
            continue
        ref_res = odds_ratio(table, kind="conditional")
        ci = ref_res.confidence_interval(0.95)
        res = fisher_exact(table)
        assert_allclose([res.odds_ratio, *res.ci], [ref_res.statistic, ci.low, ci.high], rtol=1e-8)


def test_fisher_on_a_large_table_matches_the_large_sample_limit():
    # 200,000 patients: the conditional MLE tends to the sample odds ratio and its exact CI to Woolf's
    # log-odds CI; with ~50,000 per cell both differ by O(1/n) ≈ 1e-4 relative
    table = np.array([[50_000, 50_000], [49_000, 51_000]])
    res = fisher_exact(table)
    sample = (50_000 * 51_000) / (50_000 * 49_000)
    se = np.sqrt((1 / table).sum())
    assert_allclose(res.odds_ratio, sample, rtol=1e-4)
    assert_allclose(res.ci, sample * np.exp(np.array([-1, 1]) * 1.959964 * se), rtol=1e-3)
