"""Property tests (hypothesis): any catalog regimen, any plausible patient and horizon."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import isamm.regimens as rg

IDS = [r.id for r in rg.list_regimens()]
weights = st.floats(20, 350, allow_nan=False)
heights = st.floats(100, 250, allow_nan=False)
ages = st.floats(18, 120, allow_nan=False)
horizon = st.one_of(
    st.builds(lambda n: {"cycles": n}, st.integers(1, 20)), st.builds(lambda n: {"weeks": n}, st.integers(1, 80))
)
FAST = settings(max_examples=60, deadline=None)


@FAST
@given(rid=st.sampled_from(IDS), w=weights, h=heights, age=ages, hz=horizon)
def test_calendar_invariants(rid, w, h, age, hz):
    reg = rg.get(rid)
    cal = reg.schedule(rg.Patient(weight_kg=w, height_cm=h, age_y=age), **hz)
    assert len(cal) > 0
    assert (cal["day"] >= 1).all() and (cal["time_h"] >= 0).all()
    assert not cal.duplicated(["drug", "day"]).any()  # no drug twice on one day
    assert cal["day"].is_monotonic_increasing and cal["time_h"].is_monotonic_increasing
    assert np.isfinite(cal["dose_mg"]).all() and (cal["dose_mg"] > 0).all()
    # time_h lies within its study day
    assert ((cal["time_h"] >= 24 * (cal["day"] - 1)) & (cal["time_h"] < 24 * cal["day"])).all()
    # cycle/day bookkeeping: day = start of cycle + cycle_day - 1, cycle_day within the cycle
    start = 1
    for c in range(1, int(cal["cycle"].max()) + 1):
        sub = cal[cal.cycle == c]
        assert (sub["day"] == start + sub["cycle_day"] - 1).all()
        assert (sub["cycle_day"] <= reg.spec.cycle_length(c)).all()
        start += reg.spec.cycle_length(c)
    if "weeks" in hz:
        assert cal["day"].max() <= 7 * hz["weeks"]
    else:
        assert cal["cycle"].max() <= hz["cycles"]
    ev = rg.dose_events(cal)
    assert len(ev) == len(cal)


def _mosteller(h, w):  # independent of the package: Mosteller 1987
    return math.sqrt(h * w / 3600)


@FAST
@given(rid=st.sampled_from(IDS), w1=weights, w2=weights, h=heights, age=ages)
def test_doses_scale_with_weight_and_bsa(rid, w1, w2, h, age):
    a = rg.get(rid).schedule(rg.Patient(weight_kg=w1, height_cm=h, age_y=age), cycles=2)
    b = rg.get(rid).schedule(rg.Patient(weight_kg=w2, height_cm=h, age_y=age), cycles=2)
    assert a[["day", "drug"]].equals(b[["day", "drug"]])  # weight never changes the calendar
    for (drug, unit_text), ra, rb in zip(zip(a.drug, a.dose_basis), a.itertuples(), b.itertuples()):
        if "mg/kg" in unit_text:
            assert math.isclose(ra.dose_mg / w1, rb.dose_mg / w2, rel_tol=1e-12)
        elif "mg/m²" in unit_text:
            cap = 2.2 if drug == "carfilzomib" else math.inf  # Kyprolis label BSA cap
            bsa1, bsa2 = min(_mosteller(h, w1), cap), min(_mosteller(h, w2), cap)
            assert math.isclose(ra.dose_mg / bsa1, rb.dose_mg / bsa2, rel_tol=1e-12)
        else:
            assert ra.dose_mg == rb.dose_mg


@FAST
@given(w=weights, k=st.floats(0.1, 10))
def test_isatuximab_dose_is_linear_in_weight(w, k):
    w2 = min(max(w * k, 20), 350)
    one = rg.get("ISA-PD").schedule(rg.Patient(weight_kg=w, age_y=60), cycles=1)
    two = rg.get("ISA-PD").schedule(rg.Patient(weight_kg=w2, age_y=60), cycles=1)
    isa1 = one.loc[one.drug == "isatuximab", "dose_mg"].to_numpy()
    isa2 = two.loc[two.drug == "isatuximab", "dose_mg"].to_numpy()
    np.testing.assert_allclose(isa1, 10 * w, rtol=1e-12)
    np.testing.assert_allclose(isa2 / isa1, w2 / w, rtol=1e-12)
