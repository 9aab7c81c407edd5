"""Golden calendars written by hand from shared/reference/regimens.md, one test per shipped regimen.

Study days are computed by hand from regimens.md §0: cycle n day d = (sum of earlier
cycle lengths) + d; daratumumab week w = day 7(w - 1) + 1. Patient: 70 kg, 170 cm
(Mosteller BSA sqrt(170 * 70 / 3600) = 1.818119 m^2), age 60 unless stated.
Doses by hand: 10 mg/kg x 70 kg = 700 mg; 20 mg/kg -> 1400 mg; 16 mg/kg -> 1120 mg;
8 mg/kg -> 560 mg; carfilzomib 20 mg/m^2 -> 36.3624 mg, 56 mg/m^2 -> 101.8147 mg;
bortezomib 1.3 mg/m^2 -> 2.3636 mg. Dose tolerance 1e-4 mg (the hand values are
rounded to 4 decimals of mg); days and cycle numbers are exact.
"""

from __future__ import annotations

import pytest

import isamm.regimens as rg

YOUNG = rg.Patient(weight_kg=70, height_cm=170, age_y=60)
OLD = rg.Patient(weight_kg=70, height_cm=170, age_y=80)
K20, K56, V13 = 36.3624, 101.8147, 2.3636  # mg, hand-computed above
TOL = 1e-4


def r(a, b):
    """Days a..b inclusive."""
    return list(range(a, b + 1))


def days(cal, drug, lo=1, hi=10**6):
    sub = cal[(cal.drug == drug) & (cal.day >= lo) & (cal.day <= hi)]
    return sub["day"].tolist()


def doses(cal, drug, lo=1, hi=10**6):
    sub = cal[(cal.drug == drug) & (cal.day >= lo) & (cal.day <= hi)]
    return sub["dose_mg"].tolist()


def routes(cal, drug, route):
    return cal.loc[(cal.drug == drug) & (cal.route == route), "day"].tolist()


def sched(rid, patient=YOUNG, **kw):
    return rg.get(rid).schedule(patient, **kw)


# Label isatuximab schedule: C1 days 1, 8, 15, 22; C2+ days 1, 15 (28-day cycles).
ISA_LABEL_2C = [1, 8, 15, 22, 29, 43]
WEEKLY_4 = [1, 8, 15, 22]


def test_isa_mono_20():
    cal = sched("ISA-MONO-20", cycles=2)
    assert days(cal, "isatuximab") == ISA_LABEL_2C
    assert doses(cal, "isatuximab") == [1400.0] * 6
    assert set(cal.drug) == {"isatuximab"}


def test_isa_mono_10_variants():
    assert days(sched("ISA-MONO-10", cycles=2), "isatuximab") == [1, 15, 29, 43]
    assert doses(sched("ISA-MONO-10", cycles=2), "isatuximab") == [700.0] * 4
    # Q2W in C1-C2, then day 1 only: C3 starts day 57, C4 day 85.
    assert days(sched("ISA-MONO-10-Q2W-Q4W", cycles=4), "isatuximab") == [1, 15, 29, 43, 57, 85]
    assert days(sched("ISA-MONO-10-QW-Q2W", cycles=2), "isatuximab") == ISA_LABEL_2C


def test_isa_d():
    cal = sched("ISA-D", cycles=2)
    assert days(cal, "isatuximab") == ISA_LABEL_2C and doses(cal, "isatuximab") == [1400.0] * 6
    assert days(cal, "dexamethasone") == [1, 8, 15, 22, 29, 36, 43, 50]
    assert doses(cal, "dexamethasone") == [40.0] * 8
    assert doses(sched("ISA-D", OLD, cycles=2), "dexamethasone") == [20.0] * 8


def test_isa_pd_and_pd():
    for rid in ("ISA-PD", "PD"):
        cal = sched(rid, cycles=2)
        assert days(cal, "pomalidomide") == r(1, 21) + r(29, 49)
        assert doses(cal, "dexamethasone") == [40.0] * 8
        assert doses(sched(rid, OLD, cycles=2), "dexamethasone") == [20.0] * 8
    assert "isatuximab" not in set(sched("PD", cycles=2).drug)
    assert days(sched("ISA-PD", cycles=2), "isatuximab") == ISA_LABEL_2C


@pytest.mark.parametrize("rid", ["ISA-KD", "KD"])
def test_isa_kd_and_kd_carfilzomib_20_to_56(rid):
    cal = sched(rid, cycles=2)
    # regimens.md §2.4: 20 mg/m2 C1 days 1, 2; 56 mg/m2 from C1 day 8; days 1, 2, 8, 9, 15, 16.
    assert days(cal, "carfilzomib") == [1, 2, 8, 9, 15, 16, 29, 30, 36, 37, 43, 44]
    assert doses(cal, "carfilzomib") == pytest.approx([K20, K20] + [K56] * 10, abs=TOL)
    assert (cal.loc[cal.drug == "carfilzomib", "infusion_h"] == 0.5).all()
    assert days(cal, "dexamethasone") == [1, 2, 8, 9, 15, 16, 22, 23, 29, 30, 36, 37, 43, 44, 50, 51]
    assert doses(cal, "dexamethasone") == [20.0] * 16
    assert doses(sched(rid, OLD, cycles=2), "dexamethasone") == [20.0] * 16  # Kd: no age reduction
    if rid == "ISA-KD":
        assert days(cal, "isatuximab") == ISA_LABEL_2C
        # IV on isatuximab and/or carfilzomib days, PO otherwise: C1 day 22 is an isatuximab day.
        assert routes(cal, "dexamethasone", "PO") == [23, 50, 51]
        # Order on day 1: dexamethasone 08:30, isatuximab 09:00 (200 min), carfilzomib at 12:20.
        day1 = cal[cal.day == 1].set_index("drug")["time_h"]
        assert day1["carfilzomib"] == pytest.approx(9 + 200 / 60, abs=1e-12)
        day8 = cal[cal.day == 8].set_index("drug")["time_h"]
        assert day8["carfilzomib"] == pytest.approx(7 * 24 + 9 + 112.5 / 60, abs=1e-12)
        assert cal[cal.day == 2].set_index("drug")["time_h"]["carfilzomib"] == 24 + 9.0
    else:
        assert routes(cal, "dexamethasone", "PO") == [22, 23, 50, 51]


def test_carfilzomib_bsa_cap():
    # 200 cm, 120 kg: Mosteller sqrt(24000 / 3600) = 2.582 m^2 > 2.2 cap -> 56 x 2.2 = 123.2 mg.
    big = rg.Patient(weight_kg=120, height_cm=200, age_y=60)
    cal = sched("KD", big, cycles=1)
    assert doses(cal, "carfilzomib") == pytest.approx([20 * 2.2] * 2 + [123.2] * 4, abs=1e-9)
    assert "capped" in cal.loc[cal.drug == "carfilzomib", "dose_basis"].iloc[0]


def test_isa_rd():
    cal = sched("ISA-RD", cycles=2)
    assert days(cal, "isatuximab") == ISA_LABEL_2C
    assert days(cal, "lenalidomide") == r(1, 21) + r(29, 49) and doses(cal, "lenalidomide") == [25.0] * 42
    assert doses(cal, "dexamethasone") == [40.0] * 8
    assert doses(sched("ISA-RD", OLD, cycles=1), "dexamethasone") == [20.0] * 4


VRD_DEX_C1 = [1, 2, 4, 5, 8, 9, 11, 12, 15, 22, 23, 25, 26, 29, 30, 32, 33]
VRD_DEX_C1_OLD = [1, 4, 8, 11, 15, 22, 25, 29, 32]
V_DAYS = [1, 4, 8, 11, 22, 25, 29, 32]


def test_isa_vrd_cycles_1_2_and_5():
    # 42-day C1-C4 then 28-day: C2 starts day 43, C5 day 1 + 4 x 42 = 169, C6 day 197.
    cal = sched("ISA-VRD", cycles=6)
    c = cal.drop_duplicates("cycle").set_index("cycle")["day"]
    assert c.to_dict() == {1: 1, 2: 43, 3: 85, 4: 127, 5: 169, 6: 197}
    assert days(cal, "isatuximab") == [1, 8, 15, 22, 29, 43, 57, 71, 85, 99, 113, 127, 141, 155, 169, 183, 197, 211]
    assert doses(cal, "isatuximab") == [700.0] * 18
    assert days(cal, "bortezomib", 1, 84) == V_DAYS + [42 + d for d in V_DAYS]
    assert doses(cal, "bortezomib") == pytest.approx([V13] * 32, abs=TOL)
    assert days(cal, "bortezomib", 169) == []
    assert days(cal, "lenalidomide", 1, 84) == r(1, 14) + r(22, 35) + r(43, 56) + r(64, 77)
    assert days(cal, "lenalidomide", 169) == r(169, 189) + r(197, 217)
    assert days(cal, "dexamethasone", 1, 42) == VRD_DEX_C1
    assert days(cal, "dexamethasone", 43, 84) == [42 + d for d in VRD_DEX_C1]
    assert days(cal, "dexamethasone", 169) == [169, 176, 183, 190, 197, 204, 211, 218]
    assert set(doses(cal, "dexamethasone")) == {20.0}
    old = sched("ISA-VRD", OLD, cycles=5)
    assert days(old, "dexamethasone", 1, 42) == VRD_DEX_C1_OLD
    assert days(old, "dexamethasone", 169) == [169, 176, 183, 190]


def test_isa_vrd_isatuximab_from_cycle_18():
    # C5-C17 days 1, 15; C18+ day 1. C17 starts 169 + 12 x 28 = 505, C18 533, C19 561.
    cal = sched("ISA-VRD", cycles=19)
    assert days(cal, "isatuximab", 505) == [505, 519, 533, 561]


def test_vrd():
    cal = sched("VRD", cycles=5)
    assert "isatuximab" not in set(cal.drug)
    assert days(cal, "bortezomib", 1, 42) == V_DAYS
    assert days(cal, "lenalidomide", 169) == r(169, 189)
    assert days(cal, "dexamethasone", 1, 42) == VRD_DEX_C1


def test_isa_rvd_hd7_stops_after_3_cycles():
    cal = sched("ISA-RVD-HD7", cycles=5)
    assert sorted(set(cal.cycle)) == [1, 2, 3]
    assert days(cal, "isatuximab") == [1, 8, 15, 22, 29, 43, 57, 71, 85, 99, 113]
    assert days(cal, "lenalidomide", 85) == r(85, 98) + r(106, 119)
    assert cal["day"].max() == 119


def test_isa_krd_cycles_1_2_3_7():
    cal = sched("ISA-KRD", cycles=7)
    # isatuximab weekly C1-C2, days 1, 15 C3-C6, day 1 C7+ (C3 = day 57, C7 = day 169).
    assert days(cal, "isatuximab") == [1, 8, 15, 22, 29, 36, 43, 50, 57, 71, 85, 99, 113, 127, 141, 155, 169]
    assert days(cal, "carfilzomib", 1, 84) == [1, 8, 15, 29, 36, 43, 57, 64, 71]
    assert doses(cal, "carfilzomib", 1, 28) == pytest.approx([K20, K56, K56], abs=TOL)
    assert days(cal, "carfilzomib", 169) == [169, 176, 183]
    # dexamethasone on the day of and after every carfilzomib and isatuximab dose
    assert days(cal, "dexamethasone", 1, 28) == [1, 2, 8, 9, 15, 16, 22, 23]
    assert days(cal, "dexamethasone", 57, 84) == [57, 58, 64, 65, 71, 72]
    assert days(cal, "dexamethasone", 169) == [169, 170, 176, 177, 183, 184]
    assert days(cal, "lenalidomide", 169) == r(169, 189)


DARA_33W = [1, 8, 15, 22, 29, 36, 43, 50] + [57, 71, 85, 99, 113, 127, 141, 155] + [169, 197, 225]


def test_dara_iv_weeks_1_8_9_24_25():
    # weeks 1-8 weekly, 9-24 every 2 weeks (8 doses), from week 25 (day 169) every 4 weeks.
    cal = sched("DARA-IV", weeks=33)  # study days 1..231
    assert days(cal, "daratumumab") == DARA_33W
    assert doses(cal, "daratumumab") == [1120.0] * len(DARA_33W)
    # regimens.md §4.1: 6.5 h, 4.0 h, then 3.25 h.
    assert cal["infusion_h"].tolist()[:4] == [6.5, 4.0, 3.25, 3.25]


def test_dara_sc_and_d_pd():
    cal = sched("DARA-SC", weeks=33)
    assert days(cal, "daratumumab") == DARA_33W and set(doses(cal, "daratumumab")) == {1800.0}
    assert cal["infusion_h"].isna().all() and set(cal.route) == {"SC"}
    dpd = sched("D-PD", cycles=2)
    assert days(dpd, "daratumumab") == DARA_33W[:8]
    assert days(dpd, "pomalidomide") == r(1, 21) + r(29, 49)
    assert doses(dpd, "dexamethasone") == [40.0] * 8
    assert doses(sched("D-PD", OLD, cycles=2), "dexamethasone") == [20.0] * 8


def test_d_kd_split_first_dose():
    cal = sched("D-KD", weeks=26)
    assert days(cal, "daratumumab") == [1, 2] + DARA_33W[1:17]
    assert doses(cal, "daratumumab")[:3] == [560.0, 560.0, 1120.0]
    # Split: two 500 mL infusions of 4.0 h, the week-2 dose is the label's 2nd infusion (4.0 h), then 3.25 h.
    assert cal.loc[cal.drug == "daratumumab", "infusion_h"].tolist()[:5] == [4.0, 4.0, 4.0, 3.25, 3.25]
    assert days(cal, "carfilzomib", 1, 56) == [1, 2, 8, 9, 15, 16, 29, 30, 36, 37, 43, 44]
    assert doses(cal, "carfilzomib", 1, 28) == pytest.approx([K20, K20] + [K56] * 4, abs=TOL)
    assert days(cal, "dexamethasone", 1, 28) == [1, 2, 8, 9, 15, 16, 22]
    assert doses(cal, "dexamethasone", 1, 28) == [20.0] * 6 + [40.0]
    old = sched("D-KD", OLD, cycles=1)
    assert days(old, "dexamethasone") == [1, 8, 15, 22] and doses(old, "dexamethasone") == [20.0] * 4
    at75 = sched("D-KD", rg.Patient(weight_kg=70, height_cm=170, age_y=75), cycles=1)
    assert doses(at75, "dexamethasone")[-1] == 40.0  # CANDOR: 20 mg weekly only if > 75 y


def test_d_rd():
    cal = sched("D-RD", weeks=33)
    assert days(cal, "daratumumab") == DARA_33W
    assert days(cal, "lenalidomide", 1, 56) == r(1, 21) + r(29, 49)
    assert set(doses(cal, "dexamethasone")) == {40.0}
    at76 = sched("D-RD", rg.Patient(weight_kg=70, height_cm=170, age_y=76), cycles=1)
    assert doses(at76, "dexamethasone") == [20.0] * 4


def test_d_vd_three_week_cycles():
    # Vd row of regimens.md §4.1: weekly weeks 1-9, every 3 weeks weeks 10-24, every 4 weeks from week 25.
    cal = sched("D-VD", weeks=33)
    weeks = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 16, 19, 22, 25, 29, 33]
    assert days(cal, "daratumumab") == [7 * (w - 1) + 1 for w in weeks]
    assert days(cal, "bortezomib", 1, 42) == [1, 4, 8, 11, 22, 25, 29, 32]
    assert days(cal, "bortezomib", 148) == [148, 151, 155, 158]  # C8 = day 1 + 7 x 21
    assert days(cal, "dexamethasone", 1, 21) == [1, 2, 4, 5, 8, 9, 11, 12]
    assert days(cal, "dexamethasone", 169) == []


def test_isa_sc_pd():
    cal = sched("ISA-SC-PD", cycles=2)
    isa = cal[cal.drug == "isatuximab"]
    assert isa["day"].tolist() == ISA_LABEL_2C and set(isa.dose_mg) == {1400.0}
    assert set(isa.route) == {"SC"} and isa["infusion_h"].isna().all()


def test_krd_label_schedule():
    # C1 20 mg/m2 days 1, 2 then 27 mg/m2; days 8, 9 omitted from C13 (day 337 = 1 + 12 x 28); none after C18.
    cal = sched("KRD", cycles=19)
    assert days(cal, "carfilzomib", 1, 56) == [1, 2, 8, 9, 15, 16, 29, 30, 36, 37, 43, 44]
    assert doses(cal, "carfilzomib", 1, 28) == pytest.approx([K20, K20] + [27 * 1.818119] * 4, abs=TOL)
    assert days(cal, "carfilzomib", 337, 364) == [337, 338, 351, 352]
    # C18 starts 1 + 17 x 28 = 477 (still days 1, 2, 15, 16); C19 starts 505: no carfilzomib.
    assert days(cal, "carfilzomib", 477) == [477, 478, 491, 492]
    assert days(cal, "lenalidomide", 505) == r(505, 525)
    assert cal.loc[cal.drug == "carfilzomib", "infusion_h"].iloc[0] == pytest.approx(10 / 60, abs=1e-12)


def test_mm002_pom_and_pom_lodex():
    # Richardson 2014 (MM-002 abstract): pomalidomide 4 mg/day on days 1-21 of 28-day cycles, with or
    # without dexamethasone 40 mg/week; no age reduction in the abstract (POM-LODEX keeps 40 mg at 80 y)
    for rid in ("POM", "POM-LODEX"):
        cal = sched(rid, cycles=2)
        assert days(cal, "pomalidomide") == r(1, 21) + r(29, 49)
        assert set(doses(cal, "pomalidomide")) == {4.0}
    assert set(sched("POM", cycles=2).drug) == {"pomalidomide"}
    cal = sched("POM-LODEX", OLD, cycles=2)
    assert days(cal, "dexamethasone") == [1, 8, 15, 22, 29, 36, 43, 50]
    assert set(doses(cal, "dexamethasone")) == {40.0}


def test_every_shipped_regimen_has_a_golden_test():
    tested = {
        "ISA-MONO-20", "ISA-MONO-10", "ISA-MONO-10-Q2W-Q4W", "ISA-MONO-10-QW-Q2W", "ISA-D", "ISA-PD", "PD",
        "ISA-KD", "KD", "ISA-RD", "ISA-VRD", "VRD", "ISA-RVD-HD7", "ISA-KRD", "DARA-IV", "DARA-SC", "D-PD",
        "D-KD", "D-RD", "D-VD", "ISA-SC-PD", "KRD", "POM", "POM-LODEX",
    }  # fmt: skip
    assert {reg.id for reg in rg.list_regimens()} == tested


@pytest.mark.parametrize(("age", "isa_pd_dex_mg", "vrd_c1_dex_doses"), [(74, 40.0, 17), (75, 20.0, 9)])
def test_dexamethasone_age_boundary_is_75_inclusive(age, isa_pd_dex_mg, vrd_c1_dex_doses):
    """regimens.md §0/§5: 20 mg instead of 40 mg at age ≥ 75 (so 75 is reduced, 74 is not); Isa-VRd C1
    at ≥ 75 y keeps 20 mg on the 8 bortezomib days and day 15 only (9 doses instead of 17, §2.6)."""
    patient = rg.Patient(weight_kg=70, height_cm=170, age_y=age)
    assert set(doses(sched("ISA-PD", patient, cycles=1), "dexamethasone")) == {isa_pd_dex_mg}
    assert len(days(sched("ISA-VRD", patient, cycles=1), "dexamethasone")) == vrd_c1_dex_doses
