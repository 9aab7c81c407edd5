"""Hand-worked patients: CR/sCR, FLC-only and marrow-only disease, anti-CD38 IFE, nadir rule, DCR.

Rule codes of ``shared/reference/imwg.md`` in every docstring; expected values are
worked out by hand from the published thresholds.
"""

from __future__ import annotations

import pandas as pd
import pytest

from isamm.response import assess

from ._cases import categories, labs, one, visit

NEG = dict(serum_ife="negative", urine_ife="negative")
ABNORMAL_RATIO = dict(flc_kappa_mg_l=10, flc_lambda_mg_l=60)  # κ/λ 0.167 < 0.26
NORMAL_RATIO = dict(flc_kappa_mg_l=15, flc_lambda_mg_l=12)  # κ/λ 1.25


# --- CR and sCR (R0, R1, M2) ----------------------------------------------------------------------

def test_cr_needs_negative_ifes_and_marrow_under_5():
    """R1: spike 0, serum and urine IFE negative, marrow 3% (< 5%) → CR; the marrow is carried forward
    to the next visit (needs no confirmation). Abnormal FLC ratio → not sCR (R0)."""
    p = one([visit(0, 2.0), visit(28, 0, bm_pc_pct=3, bm_clonal_pc=True, **NEG, **ABNORMAL_RATIO),
             visit(56, 0, **NEG, **ABNORMAL_RATIO)], isotype="IgA-lambda")  # fmt: skip
    assert categories(p) == ["CR", "CR"] and p.best_response == "CR"
    assert p.flags == ()


def test_scr_needs_normal_ratio_and_no_clonal_cells():
    """R0: CR plus normal κ/λ (1.25) and no clonal marrow plasma cells → sCR at both visits."""
    p = one([visit(0, 2.0), visit(28, 0, bm_pc_pct=2, bm_clonal_pc=False, **NEG, **NORMAL_RATIO),
             visit(56, 0, **NEG, **NORMAL_RATIO)], isotype="IgA-lambda")  # fmt: skip
    assert categories(p) == ["sCR", "sCR"] and p.best_response == "sCR"


def test_cr_then_scr_confirms_cr():
    """C2: CR (abnormal ratio) then sCR → the confirmed level is the lower one, CR."""
    p = one([visit(0, 2.0), visit(28, 0, bm_pc_pct=2, bm_clonal_pc=False, **NEG, **ABNORMAL_RATIO),
             visit(56, 0, **NEG, **NORMAL_RATIO)], isotype="IgA-lambda")  # fmt: skip
    assert categories(p) == ["CR", "sCR"] and p.best_response == "CR"


def test_scr_not_assessable_without_flc_is_cr_with_flag():
    """M2: CR criteria met but no FLC at the visit → sCR cannot be judged → CR, downgraded_missing_data."""
    p = one([visit(0, 2.0), visit(28, 0, bm_pc_pct=2, bm_clonal_pc=False, **NEG)], isotype="IgA-lambda")
    assert categories(p) == ["CR"] and p.assessments[0].flags == ("downgraded_missing_data",)


def test_positive_ife_blocks_cr():
    """R1: spike 0 and marrow 2% but serum IFE positive → VGPR, no missing-data flag."""
    p = one([visit(0, 2.0), visit(28, 0, bm_pc_pct=2, serum_ife="positive", urine_ife="negative")])
    assert categories(p) == ["VGPR"] and p.assessments[0].flags == ()


def test_no_post_baseline_marrow_downgrades_to_vgpr():
    """M2: IFEs negative but no marrow after baseline → VGPR with downgraded_missing_data."""
    p = one([visit(0, 2.0, bm_pc_pct=40), visit(28, 0, **NEG), visit(56, 0, **NEG)])
    assert categories(p) == ["VGPR", "VGPR"]
    assert p.assessments[0].flags == ("downgraded_missing_data",) and p.best_response == "VGPR"


def test_marrow_5_percent_is_not_cr():
    """R1: marrow plasma cells must be < 5% strictly; 5% gives VGPR, without the missing-data flag."""
    p = one([visit(0, 2.0), visit(28, 0, bm_pc_pct=5, **NEG)])
    assert categories(p) == ["VGPR"] and p.assessments[0].flags == ()


def test_missing_urine_ife_and_the_waiver_option():
    """M2 and section 10: strict IMWG needs a urine IFE → VGPR flagged. With ``waive_urine_ife`` a
    patient whose urine was never positive gets CR; one with a positive baseline urine IFE does not."""
    visits = [visit(0, 2.0), visit(28, 0, bm_pc_pct=2, serum_ife="negative", **ABNORMAL_RATIO)]
    assert categories(one(visits, isotype="IgA-lambda")) == ["VGPR"]
    assert categories(one(visits, isotype="IgA-lambda", waive_urine_ife=True)) == ["CR"]
    visits[0]["urine_ife"] = "positive"
    p = one(visits, isotype="IgA-lambda", waive_urine_ife=True)
    assert categories(p) == ["VGPR"] and p.flags == ("downgraded_missing_data",)


# --- anti-CD38 interference (I1, I2) --------------------------------------------------------------

def _near_cr(spike: float, **extra) -> list[dict]:
    """IgG-κ 3.0 g/dL → ``spike`` with a positive serum IFE, negative urine IFE, marrow 2%."""
    row = dict(serum_ife="positive", urine_ife="negative", **ABNORMAL_RATIO) | extra
    return [visit(0, 3.0), visit(28, spike, bm_pc_pct=2, **row), visit(56, spike, **row)]


def test_anti_cd38_possible_interference_is_flagged():
    """I1: on an anti-CD38 antibody, IgG-κ, serum 0.1 g/dL (< 0.25; 96.7% fall → VGPR), serum IFE
    positive, urine IFE negative, marrow < 5% → VGPR (as trials reported) with the flag."""
    p = one(_near_cr(0.1), isotype="IgG-kappa", anti_cd38=True)
    assert categories(p) == ["VGPR", "VGPR"]
    assert "possible_anti_cd38_ife_interference" in p.flags and p.best_response == "VGPR"


@pytest.mark.parametrize(
    ("isotype", "anti_cd38", "spike"),
    [("IgG-kappa", False, 0.1), ("IgA-lambda", True, 0.1), ("IgG-lambda", True, 0.1), ("IgG-kappa", True, 0.25)],
)
def test_no_interference_flag_outside_its_conditions(isotype, anti_cd38, spike):
    """I1: no flag without anti-CD38 exposure, for a non-IgG-κ isotype, or for a spike ≥ 0.25 g/dL."""
    p = one(_near_cr(spike), isotype=isotype, anti_cd38=anti_cd38)
    assert categories(p) == ["VGPR", "VGPR"] and "possible_anti_cd38_ife_interference" not in p.flags


def test_no_interference_flag_with_positive_urine_ife():
    """I1: a positive urine IFE cannot be the antibody (an IgG does not reach the urine) → no flag."""
    p = one(_near_cr(0.1, urine_ife="positive"), isotype="IgG-kappa", anti_cd38=True)
    assert "possible_anti_cd38_ife_interference" not in p.flags


def test_corrected_ife_gives_cr():
    """I2: a negative IFE after removing the antibody band (Hydrashift/DIRA/MS) replaces the plain one → CR."""
    p = one(_near_cr(0.1, serum_ife_mab_corrected="negative"), isotype="IgG-kappa", anti_cd38=True)
    assert categories(p) == ["CR", "CR"] and p.best_response == "CR" and p.flags == ()


def test_corrected_ife_positive_stays_vgpr():
    """I2: a positive corrected IFE is the patient's own M-protein → VGPR, no interference flag."""
    p = one(_near_cr(0.1, serum_ife_mab_corrected="positive"), isotype="IgG-kappa", anti_cd38=True)
    assert categories(p) == ["VGPR", "VGPR"] and p.flags == ()


def test_interference_options():
    """Section 9 step 7: ``assume_cr`` reads the possible drug band as negative (CR, still flagged);
    ``off`` neither flags nor changes the category."""
    p = one(_near_cr(0.1), isotype="IgG-kappa", anti_cd38=True, anti_cd38_ife="assume_cr")
    assert categories(p) == ["CR", "CR"] and "possible_anti_cd38_ife_interference" in p.flags
    q = one(_near_cr(0.1), isotype="IgG-kappa", anti_cd38=True, anti_cd38_ife="off")
    assert categories(q) == ["VGPR", "VGPR"] and q.flags == ()


# --- FLC-only disease (D1, D2, D3) ----------------------------------------------------------------

def flc(day: float, kappa: float, lam: float = 10, **other) -> dict:
    return visit(day, flc_kappa_mg_l=kappa, flc_lambda_mg_l=lam, **other)


def test_flc_only_measurable_and_pr():
    """D1, D2: κ 400, λ 10 (ratio 40, involved ≥ 100 mg/L), serum 0 → FLC track; dFLC 390 → 140 is a
    64% fall and 390 → 150 a 62% fall → PR confirmed."""
    p = one([flc(0, 400, serum_m_g_dl=0), flc(28, 150), flc(56, 160)], isotype="kappa light chain")
    assert p.measurable == "flc" and categories(p) == ["PR", "PR"] and p.best_response == "PR"


def test_flc_only_has_no_mr():
    """D2: dFLC 390 → 250 is a 36% fall: would be MR on serum, but FLC-only disease has no MR → SD."""
    p = one([flc(0, 400), flc(28, 260), flc(56, 260)], isotype="kappa light chain")
    assert categories(p) == ["SD", "SD"] and p.best_response == "SD" and not p.cbr


def test_flc_progression_is_strictly_more_than_100_mg_l():
    """P6, D3: dFLC nadir 100; 200 is +100 (not > 100) → not PD (49% fall → SD); 201 is +101 → PD."""
    p = one([flc(0, 400), flc(28, 110), flc(56, 110), flc(84, 210), flc(112, 211), flc(140, 230)],
            isotype="kappa light chain")  # fmt: skip
    assert categories(p) == ["PR", "PR", "SD", "PD", "PD"]
    assert p.progression_day == 112 and p.best_response == "PR"


def test_flc_normal_ratio_is_not_measurable():
    """D1: involved κ 150 mg/L but ratio 1.5 (normal) → no measurable disease → NE."""
    p = one([flc(0, 150, 100), flc(28, 140, 100)], isotype="kappa light chain")
    assert p.measurable == "none" and p.best_response == "NE"


def test_flc_only_scr():
    """D3, R0: dFLC 390 → 5 (VGPR) with a normal ratio (20/15), negative IFEs, marrow 3% without
    clonal cells → sCR."""
    p = one([flc(0, 400), flc(28, 20, 15, bm_pc_pct=3, bm_clonal_pc=False, **NEG), flc(56, 20, 15, **NEG)],
            isotype="kappa light chain")  # fmt: skip
    assert categories(p) == ["sCR", "sCR"]


def test_flc_involved_chain_inferred_without_isotype():
    """Section 2: with no isotype the abnormal ratio (λ 300 vs κ 10) names λ as involved; flagged."""
    p = one([flc(0, 10, 300), flc(28, 10, 100), flc(56, 10, 100)])
    assert p.measurable == "flc" and categories(p) == ["PR", "PR"]
    assert "involved_flc_from_ratio" in p.flags


# --- marrow-only disease (B2, P8) -----------------------------------------------------------------

def test_marrow_only_pr_needs_no_confirmation():
    """B2: marrow 60% at baseline, nothing else measurable; 25% is a 58% fall → PR, confirmed by the
    marrow alone; visits without a marrow are NE (M1)."""
    p = one([visit(0, 0.2, bm_pc_pct=60), visit(28, 0.2), visit(84, 0.2, bm_pc_pct=25)])
    assert p.measurable == "bone_marrow" and categories(p) == ["NE", "PR"]
    assert p.best_response == "PR"


def test_marrow_only_progression():
    """P8: marrow nadir 25% → 36% is +11 points (≥ 10) and +44% (≥ 25%) → PD without confirmation."""
    p = one([visit(0, bm_pc_pct=60), visit(84, bm_pc_pct=25), visit(168, bm_pc_pct=36)])
    assert categories(p) == ["PR", "PD"] and p.progression_day == 168 and p.best_response == "PR"


# --- nadir rule (P9) ------------------------------------------------------------------------------

def test_nadir_rule_running_minimum_vs_confirmed():
    """P9, section 10: 2.0, 1.0, 0.4 (isolated low), 1.0, 1.6, 1.7.

    running_minimum: the nadir before day 84 is 0.4; 1.0 is +0.6 and +150% → PD at 84, confirmed at 112.
    confirmed: the lowest level held at two consecutive assessments is max(1.0, 0.4) = 1.0, so day 84
    (1.0, +0) is PR; day 112 (1.6, +0.6, +60%) is PD, confirmed at day 140.
    """
    visits = [visit(0, 2.0), visit(28, 1.0), visit(56, 0.4), visit(84, 1.0), visit(112, 1.6), visit(140, 1.7)]
    p = one(visits)
    assert categories(p) == ["PR", "PR", "PD", "PD", "PD"] and p.progression_day == 84
    q = one(visits, nadir_rule="confirmed")
    assert categories(q) == ["PR", "PR", "PR", "PD", "PD"] and q.progression_day == 112


# --- disease control rate (E3, Mikhael 2021) ------------------------------------------------------

def test_dcr_counts_sd_of_at_least_8_weeks():
    """E3: "DCR, defined as ≥ MR or SD ≥ 8 weeks" (seed 001): best SD with the last non-PD
    assessment at day 56 counts; at day 55 it does not."""
    assert one([visit(0, 2.0), visit(28, 1.9), visit(56, 1.8)]).dcr
    p = one([visit(0, 2.0), visit(28, 1.9), visit(55, 1.8)])
    assert p.best_response == "SD" and not p.dcr


def test_dcr_sd_until_option():
    """E3 option: SD at day 28, PD at days 60 and 90. Default (last non-PD assessment, day 28) → no DCR;
    ``progression_or_last_assessment`` (day 60 ≥ 56) → DCR."""
    visits = [visit(0, 2.0), visit(28, 1.9), visit(60, 2.6), visit(90, 2.7)]
    assert not one(visits).dcr
    assert one(visits, dcr_sd_until="progression_or_last_assessment").dcr


def test_cohort_summary_rates():
    """Section 11: four patients with best PR, MR, SD (≥ 8 weeks) and PD → ORR 1/4, CBR 2/4, DCR 3/4, ≥VGPR 0."""
    frames = [
        labs([visit(0, 2.0), visit(28, 0.9), visit(56, 0.9)], "A"),  # PR
        labs([visit(0, 2.0), visit(28, 1.4), visit(56, 1.4)], "B"),  # MR (30%)
        labs([visit(0, 2.0), visit(28, 1.9), visit(56, 1.9)], "C"),  # SD to day 56
        labs([visit(0, 2.0), visit(28, 2.6), visit(56, 2.7)], "D"),  # PD
    ]
    result = assess(pd.concat(frames, ignore_index=True))
    assert [p.best_response for p in result.patients] == ["PR", "MR", "SD", "PD"]
    s = result.summary()
    assert (s["n"], s["orr"], s["cbr"], s["dcr"], s["vgpr_or_better"]) == (4, 0.25, 0.5, 0.75, 0.0)
    assert s["n_progressed"] == 1


# --- spurious values and MRD (imwg.md sections 6 and 7) -------------------------------------------

def test_spurious_value_is_not_the_nadir():
    """Section 6 (Kumar 2016 footnote): a value judged spurious is not used for the nadir. 2.0 → 1.0, 0.2
    (marked spurious), 1.0, 1.0: the spurious visit is NE and skipped (M1); without the mark, 1.0 after
    0.2 would be +0.8 from the nadir → PD."""
    visits = [visit(0, 2.0), visit(28, 1.0), visit(56, 0.2, spurious=1), visit(84, 1.0), visit(112, 1.0)]
    p = one(visits)
    assert categories(p) == ["PR", "NE", "PR", "PR"] and p.progression_day is None
    assert "spurious_values" in p.flags
    visits[2]["spurious"] = 0
    assert categories(one(visits))[2] == "PD"


def test_mrd_negative_cr():
    """Section 7: MRD negativity counts only with CR; the marrow MRD result is carried forward like the marrow."""
    cr = [visit(0, 2.0), visit(28, 0, bm_pc_pct=2, bm_clonal_pc=True, mrd="negative", **NEG, **ABNORMAL_RATIO),
          visit(56, 0, **NEG, **ABNORMAL_RATIO)]  # fmt: skip
    p = one(cr, isotype="IgA-lambda")
    assert categories(p) == ["CR", "CR"] and p.mrd_negative_cr
    assert p.assessments[1].flags == ("mrd_negative",)
    q = one([visit(0, 2.0), visit(28, 0.1, bm_pc_pct=2, mrd="negative", serum_ife="positive"),
             visit(56, 0.1, serum_ife="positive")], isotype="IgA-lambda")  # fmt: skip
    assert q.best_response == "VGPR" and not q.mrd_negative_cr


# --- review fixes (each test fails on the code before its fix) ------------------------------------

def _drug_band(**extra) -> list[dict]:
    """IgG-κ 1.5 g/dL → 0.2 g/dL with a positive serum IFE, negative urine IFE, marrow 2%.

    (1.5 − 0.2) / 1.5 = 86.7% < 90%: by size alone PR, although a 0.2 g/dL IgG-κ band on an
    anti-CD38 antibody may be the drug itself (< 0.25 g/dL, Kirchhoff 2021).
    """
    row = dict(serum_ife="positive", urine_ife="negative", **ABNORMAL_RATIO) | extra
    return [visit(0, 1.5), visit(28, 0.2, bm_pc_pct=2, **row), visit(56, 0.2, **row)]


def test_interference_flag_does_not_need_a_90_percent_fall():
    """I1 (imwg.md section 9 step 7 lists its conditions; the size of the fall is not one of them):
    all hold, so the flag is raised; the category by size (PR) is not changed."""
    p = one(_drug_band(), isotype="IgG-kappa", anti_cd38=True)
    assert categories(p) == ["PR", "PR"]
    assert p.assessments[0].flags == ("possible_anti_cd38_ife_interference",)


def test_corrected_ife_gives_cr_when_the_band_is_below_a_90_percent_fall():
    """I2: a negative antibody-corrected IFE says the 0.2 g/dL band is the drug, so the patient's own
    M-protein is undetectable: with urine IFE negative and marrow 2% (< 5%) that is CR (R1)."""
    p = one(_drug_band(serum_ife_mab_corrected="negative"), isotype="IgG-kappa", anti_cd38=True)
    assert categories(p) == ["CR", "CR"] and p.best_response == "CR"
    q = one(_drug_band(), isotype="IgG-kappa", anti_cd38=True, anti_cd38_ife="assume_cr")
    assert categories(q) == ["CR", "CR"]


def test_marrow_progression_irrespective_of_baseline():
    """P8 (Kumar 2016: marrow plasma-cell % "irrespective of baseline status", when serum, urine and
    FLC are not measurable) and B3: marrow 20% at baseline (< 30%, so no measurable disease, NE);
    10% then 21% is +11 points and +110% from the nadir 10% → PD, needing no confirmation."""
    p = one([visit(0, 0.2, bm_pc_pct=20), visit(84, 0.2, bm_pc_pct=10), visit(168, 0.2, bm_pc_pct=21)])
    assert p.measurable == "none"
    assert categories(p) == ["NE", "PD"] and p.progression_day == 168 and p.best_response == "PD"


def test_dflc_progression_without_measurable_disease():
    """P6 (Kumar 2016: dFLC "in patients without measurable serum and urine M-protein levels") and B3:
    IgG-κ, serum 0.4 g/dL, κ 60 / λ 10 (involved < 100 mg/L: not measurable) → none. dFLC 50 → 151 is
    +101 mg/L (> 100) and +202% → PD at day 28, confirmed at day 56 (dFLC 190)."""
    p = one([flc(0, 60, serum_m_g_dl=0.4), flc(28, 161, serum_m_g_dl=0.4), flc(56, 200, serum_m_g_dl=0.4)],
            isotype="IgG-kappa")  # fmt: skip
    assert p.measurable == "none"
    assert categories(p) == ["PD", "PD"] and p.progression_day == 28


def test_undetectable_uninvolved_chain_is_an_abnormal_ratio():
    """D1: κ 300 mg/L with λ 0 (below the assay's limit) is an infinite κ/λ ratio, abnormal, so the
    disease is FLC-measurable; dFLC 300 → 100 is a 67% fall → PR."""
    p = one([flc(0, 300, 0), flc(28, 100, 0), flc(56, 100, 0)], isotype="kappa light chain")
    assert p.measurable == "flc" and categories(p) == ["PR", "PR"]


def test_new_lesion_on_a_row_with_spurious_labs_is_still_pd():
    """P4, C4: ``spurious`` marks the row's laboratory values (section 6); a new lesion on imaging is not a
    laboratory value, so it is PD at once (needs no confirmation): progression at day 84."""
    p = one([visit(0, 2.0), visit(28, 0.9), visit(56, 0.9), visit(84, 0.1, spurious=1, new_lesion=1)])
    assert categories(p) == ["PR", "PR", "PD"] and p.progression_day == 84 and p.best_response == "PR"


# --- non-secretory and oligosecretory myeloma (issue 12, defect 3) --------------------------------

@pytest.mark.parametrize("isotype", ["non-secretory", "Non-secretory", "nonsecretory", "NON SECRETORY",
                                     "oligosecretory", "Oligo-secretory"])
def test_non_secretory_follows_the_flc_track(isotype):
    """D1, D2: no M-protein in serum or urine, λ 300 vs κ 10 → FLC track with λ involved (from the
    ratio, flagged); dFLC 290 → 90 is a 69% fall → PR confirmed. The reader used to reject the isotype."""
    p = one([flc(0, 10, 300, serum_m_g_dl=0, urine_m_mg_24h=0), flc(28, 10, 100), flc(56, 10, 100)],
            isotype=isotype)  # fmt: skip
    assert p.measurable == "flc" and categories(p) == ["PR", "PR"] and p.best_response == "PR"
    assert "involved_flc_from_ratio" in p.flags


def test_non_secretory_with_normal_flc_follows_the_marrow_track():
    """B2: non-secretory, normal κ/λ, marrow 60% → marrow track; 25% is a 58% fall → PR (no confirmation)."""
    p = one([visit(0, 0, bm_pc_pct=60, **NORMAL_RATIO), visit(84, 0, bm_pc_pct=25, **NORMAL_RATIO)],
            isotype="non-secretory")  # fmt: skip
    assert p.measurable == "bone_marrow" and categories(p) == ["PR"]


def test_non_secretory_without_measurable_disease_is_ne():
    """B3: non-secretory with a normal ratio and no marrow → not evaluable, as any such patient."""
    p = one([visit(0, 0, **NORMAL_RATIO), visit(28, 0, **NORMAL_RATIO)], isotype="non-secretory")
    assert p.measurable == "none" and p.best_response == "NE"


def test_oligosecretory_with_its_isotype_keeps_the_chains():
    """An isotype after the word is read as usual: the involved chain is given, not inferred."""
    from isamm.response import read_labs

    frame = labs([flc(0, 400, serum_m_g_dl=0.4), flc(28, 150), flc(56, 160)], isotype="oligosecretory IgG-kappa")
    rows = read_labs(frame)
    assert (rows["heavy_chain"].iloc[0], rows["light_chain"].iloc[0]) == ("IgG", "kappa")
    p = assess(frame)["P"]
    assert p.measurable == "flc" and p.best_response == "PR" and "involved_flc_from_ratio" not in p.flags
