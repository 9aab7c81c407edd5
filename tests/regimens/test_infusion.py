"""Infusion rate profiles against hand calculations from the label tables (regimens.md §1, §4.1)."""

from __future__ import annotations

import pytest

import isamm.regimens as rg


def test_isatuximab_durations_by_hand():
    # 1st (250 mL): 25 mL/h x 60 min = 25 mL; then 30 min each at 50, 75, 100, 125 mL/h
    # = 25 + 37.5 + 50 + 62.5 mL (total 200 mL at 180 min); 50 mL left at 150 mL/h = 20 min -> 200 min.
    assert rg.isatuximab_profile(1).duration_h == pytest.approx(200 / 60, abs=1e-12)
    # 2nd: 50 mL/h x 30 min = 25 mL, 100 mL/h x 30 min = 50 mL, 175 mL at 200 mL/h = 52.5 min -> 112.5 min.
    assert rg.isatuximab_profile(2).duration_h == pytest.approx(112.5 / 60, abs=1e-12)
    # 3rd+: 250 mL at 200 mL/h = 75 min.
    for n in (3, 4, 20):
        assert rg.isatuximab_profile(n).duration_h == pytest.approx(1.25, abs=1e-12)


def test_isatuximab_rates_match_the_table():
    assert [r for _, r in rg.isatuximab_profile(1).steps] == [25, 50, 75, 100, 125, 150]
    assert [r for _, r in rg.isatuximab_profile(2).steps] == [50, 100, 200]
    assert rg.isatuximab_profile(3).steps == ((1.25, 200.0),)


def test_daratumumab_durations_by_hand():
    # 1st: 1000 mL: 50 + 100 + 150 mL in 3 h, then 700 mL at 200 mL/h = 3.5 h -> 6.5 h.
    assert rg.daratumumab_iv_profile(1).duration_h == pytest.approx(6.5, abs=1e-12)
    assert rg.daratumumab_iv_profile(1).volume_ml == 1000
    # 2nd: 500 mL: 300 mL in 3 h, 200 mL at 200 mL/h = 1 h -> 4.0 h.
    assert rg.daratumumab_iv_profile(2).duration_h == pytest.approx(4.0, abs=1e-12)
    # 3rd+: 100 + 150 mL in 2 h, 250 mL at 200 mL/h = 1.25 h -> 3.25 h.
    assert rg.daratumumab_iv_profile(3).duration_h == pytest.approx(3.25, abs=1e-12)


def test_daratumumab_split_first_dose_numbering():
    # Label: week 1 split (8 mg/kg days 1 and 2, 500 mL each), week 2 = "second infusion", then subsequent.
    d = [rg.daratumumab_iv_profile(n, split_first_dose=True) for n in (1, 2, 3, 4)]
    assert [p.volume_ml for p in d] == [500, 500, 500, 500]
    assert [p.duration_h for p in d] == pytest.approx([4.0, 4.0, 4.0, 3.25], abs=1e-12)
    labels = [rg.infusion_profile_label("daratumumab_iv", n, True) for n in (1, 2, 3, 4)]
    assert labels == ["daratumumab 1st split", "daratumumab 1st split", "daratumumab 2nd", "daratumumab 3rd+"]


def test_labels_resolve_to_the_same_profiles():
    for n in (1, 2, 3, 7):
        assert rg.profile_from_label(rg.infusion_profile_label("isatuximab", n)) == rg.isatuximab_profile(n)
        assert rg.profile_from_label(rg.infusion_profile_label("daratumumab_iv", n)) == rg.daratumumab_iv_profile(n)
    with pytest.raises(ValueError, match="unknown infusion profile"):
        rg.profile_from_label("isatuximab 9th")


def test_dose_fractions_sum_to_one():
    for p in (rg.isatuximab_profile(1), rg.isatuximab_profile(2), rg.daratumumab_iv_profile(1)):
        assert sum(p.dose_fractions()) == pytest.approx(1.0, abs=1e-12)


def test_dose_events_for_daratumumab_split():
    cal = rg.get("D-KD").schedule(rg.Patient(weight_kg=70, height_cm=170, age_y=60), weeks=2)
    ev = rg.dose_events(cal, drugs="daratumumab")
    assert ev["amount_mg"].tolist() == [560.0, 560.0, 1120.0]
    assert ev["duration_h"].tolist() == pytest.approx([4.0, 4.0, 4.0])
    # 500 mL from 50 mL/h: fractions 50/500, 100/500, 150/500, then 200/500.
    assert [f for _, f in ev["profile"].iloc[0]] == pytest.approx([0.1, 0.2, 0.3, 0.4], abs=1e-12)
    k = rg.dose_events(cal, drugs="carfilzomib")
    assert k["duration_h"].tolist() == [0.5] * len(k) and k["profile"].isna().all()
    # carfilzomib starts when the same-day daratumumab infusion ends (day 1: 09:00 + 4 h).
    assert k["time_h"].iloc[0] == 13.0
