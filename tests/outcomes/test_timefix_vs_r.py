"""Nearly equal times are one time, as R ``aeqSurv`` (``timefix = TRUE``) makes them (make_reference.R, ``timefix``).

0.1 + 0.2 and 0.3 differ by one ulp, as two follow-up times computed from dates / 30.4375 can.
R's reference also records the answer without timefix, to show the case discriminates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.testing import assert_allclose, assert_array_equal

from isamm.outcomes import cox, kaplan_meier, logrank

from ._ref import RTOL, ref

T = np.array([0.1 + 0.2, 0.3, 0.7 + 0.1, 0.8, 1.1 + 2.2, 3.3, 0.3, 2.5, 4, 1.5, 0.8, 2.5])
E = np.array([1, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 0])
X = np.array([1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 0, 1])


def test_the_case_has_false_non_ties():
    assert len(np.unique(T)) == ref("km")["timefix"]["n_times_without_timefix"] == 9
    assert 0.1 + 0.2 != 0.3


def test_km_merges_nearly_equal_times_as_r():
    r = ref("km")["timefix"]
    tab = kaplan_meier(T, E)["all"].table
    assert_allclose(tab["time"], r["time"], rtol=1e-12)
    assert_array_equal(tab["n_risk"], r["n_risk"])
    assert_array_equal(tab["n_event"], r["n_event"])
    assert_allclose(tab["surv"], r["surv"], rtol=RTOL)


def test_cox_and_logrank_merge_nearly_equal_times_as_r():
    r = ref("km")["timefix"]
    res = cox(pd.DataFrame({"t": T, "e": E, "x": X}), "t", "e", ["x"])
    assert_allclose(res.terms["coef"], [r["cox_coef"]], rtol=RTOL)
    assert_allclose(res.terms["se"], [r["cox_se"]], rtol=RTOL)
    assert abs(r["cox_coef"] / r["cox_coef_without_timefix"] - 1) > 100 * RTOL  # the merge is visible
    assert_allclose(logrank(T, E, X).chisq, r["logrank_chisq"], rtol=RTOL)
