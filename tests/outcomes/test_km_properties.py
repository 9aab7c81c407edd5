"""Properties of the Kaplan–Meier and log-rank engines on arbitrary user data (hypothesis).

Independent references: without censoring the KM estimate is the empirical survival
function; lifelines' KaplanMeierFitter (a separate implementation) gives the same
estimate; swapping group labels leaves the log-rank statistic unchanged.
"""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from lifelines.exceptions import StatError
from numpy.testing import assert_allclose

from isamm.outcomes import kaplan_meier, logrank

times = st.lists(st.integers(1, 30), min_size=2, max_size=60)


@settings(max_examples=60, deadline=None)
@given(times)
def test_no_censoring_is_the_empirical_survival(t):
    t = np.array(t, float)
    tab = kaplan_meier(t, np.ones(len(t)))["all"].table
    expected = np.array([(t > u).mean() for u in tab["time"]])
    assert_allclose(tab["surv"], expected, atol=1e-12)
    assert tab["n_event"].sum() == len(t)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 30), st.integers(0, 1), st.integers(0, 10)), min_size=2, max_size=60))
def test_equals_lifelines_estimate_with_and_without_entry(rows):
    t = np.array([r[0] for r in rows], float)
    e = np.array([r[1] for r in rows])
    s = np.minimum(np.array([r[2] for r in rows], float), t - 0.5)  # entry strictly before exit
    for entry in (None, s):
        tab = kaplan_meier(t, e, entry=entry)["all"].table
        try:
            kmf = KaplanMeierFitter().fit(t, e, entry=entry)
        except StatError:  # lifelines refuses curves that reach 0 early under truncation
            assume(False)
        ref = kmf.survival_function_at_times(tab["time"]).to_numpy()
        assert_allclose(tab["surv"], ref, atol=1e-12)
        assert (np.diff(tab["surv"]) <= 1e-15).all()
        ok = tab["surv"] > 0
        assert ((tab["lower"][ok] <= tab["surv"][ok] + 1e-15) & (tab["surv"][ok] <= tab["upper"][ok] + 1e-15)).all()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 20), st.integers(0, 1), st.booleans()), min_size=4, max_size=50))
def test_logrank_is_symmetric_in_the_groups(rows):
    t = np.array([r[0] for r in rows], float)
    e = np.array([r[1] for r in rows])
    g = np.array(["a" if r[2] else "b" for r in rows])
    if e.sum() == 0 or len(set(g)) < 2:
        return
    a = logrank(t, e, g)
    b = logrank(t, e, np.where(g == "a", "b", "a"))
    assert_allclose(a.chisq, b.chisq, rtol=1e-10, atol=1e-12)
    assert 0 <= a.p <= 1
