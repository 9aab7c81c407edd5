"""One patient's IMWG 2016 assessment: baseline, track, every visit, confirmation, best response.

Follows ``shared/reference/imwg.md`` section 9 step by step (the step numbers are
quoted below). Plain Python over one patient's visits: a few dozen rows, where
clarity beats vectorization.
"""

from __future__ import annotations

import math

import pandas as pd

from isamm.response._config import ResponseConfig
from isamm.response._result import Assessment, PatientResponse
from isamm.response._rules import (
    EPS, RANK, dflc_level, flc_ratio_normal, ge, marrow_level, progression_reasons, serum_level, urine_level,
)  # fmt: skip

__all__ = ["assess_patient"]

_FOLLOWED = {"serum": ("serum",), "urine": ("urine",), "serum+urine": ("serum", "urine"),
             "flc": ("dflc",), "bone_marrow": ("marrow",), "none": ()}  # fmt: skip
_NAMES = {"serum": "serum M", "urine": "urine M", "dflc": "dFLC", "marrow": "marrow PC"}
_LEVEL_FN = {"serum": serum_level, "urine": urine_level, "dflc": dflc_level, "marrow": marrow_level}
_MISSING = "downgraded_missing_data"
_MAB = "possible_anti_cd38_ife_interference"


def _last(rows: list, column: str) -> float:
    """The last non-missing value of ``column`` in ``rows`` (NaN if none)."""
    for row in reversed(rows):
        value = getattr(row, column)
        if not math.isnan(value):
            return float(value)
    return math.nan


def _dflc(row, involved: str | None) -> float:
    if involved is None or math.isnan(row.flc_kappa_mg_l) or math.isnan(row.flc_lambda_mg_l):
        return math.nan
    k, lam = row.flc_kappa_mg_l, row.flc_lambda_mg_l
    return k - lam if involved == "kappa" else lam - k


def _nadir(base: float, history: list[float], rule: str) -> float:
    """Step 3 / P2 / P9: lowest of the baseline and the earlier values (never the current one)."""
    if rule == "running_minimum":
        candidates = [base, *history]
    else:  # "confirmed": the level held at two consecutive assessments
        candidates = [base] + [max(a, b) for a, b in zip(history, history[1:])]
    candidates = [c for c in candidates if not math.isnan(c)]
    return min(candidates) if candidates else math.nan


def assess_patient(rows: list, cfg: ResponseConfig) -> PatientResponse:
    """Assess one patient's rows (named tuples of the table from :func:`read_labs`, sorted by day)."""
    first = rows[0]
    pid = str(first.patient_id)
    anti_cd38 = next((bool(r.anti_cd38) for r in rows if r.anti_cd38 is not None and not pd.isna(r.anti_cd38)), False)
    heavy, light = (None if pd.isna(v) else v for v in (first.heavy_chain, first.light_chain))

    # Step 1: baseline = last value at or before day 0, per parameter [PROJECT CHOICE: per parameter,
    # so a urine collected a few days before the serum still counts].
    pre = [r for r in rows if r.day <= 0 and not r.spurious]
    flc_rows = [r for r in pre if not (math.isnan(r.flc_kappa_mg_l) or math.isnan(r.flc_lambda_mg_l))]
    kappa0 = flc_rows[-1].flc_kappa_mg_l if flc_rows else math.nan
    lam0 = flc_rows[-1].flc_lambda_mg_l if flc_rows else math.nan
    ratio_normal0 = flc_ratio_normal(kappa0, lam0, cfg)
    involved = light
    flags: set[str] = set()
    if involved is None and ratio_normal0 is False:  # no isotype: the abnormal ratio names the clone
        involved = "kappa" if kappa0 > lam0 else "lambda"
        flags.add("involved_flc_from_ratio")
    base = {
        "serum": _last(pre, "serum_m_g_dl"),
        "urine": _last(pre, "urine_m_mg_24h"),
        "dflc": _dflc(flc_rows[-1], involved) if flc_rows else math.nan,
        "marrow": _last(pre, "bm_pc_pct"),
    }
    involved0 = {"kappa": kappa0, "lambda": lam0}.get(involved, math.nan)
    track = _track(base, involved0, ratio_normal0, cfg)

    # Steps 2-8: every post-baseline visit.
    assessments: list[Assessment] = []
    pd_kind: dict[int, set[str]] = {}
    history: dict[str, list[float]] = {k: [] for k in base}
    marrow_pc, marrow_clonal, mrd = math.nan, None, None
    urine_seen_positive = any(r.urine_ife == "positive" or r.urine_m_mg_24h > 0 for r in pre)
    stopped = False
    for row in (r for r in rows if r.day > 0):
        if stopped or row.new_therapy:  # step 2 / C3
            stopped = True
            assessments.append(Assessment(row.day, None, "after the start of a new line of therapy (C3)",
                                          flags=("after_new_therapy",)))  # fmt: skip
            continue
        if row.spurious and row.new_lesion:  # the mark is about lab values; a new lesion is imaging (P4)
            pd_kind[len(assessments)] = {"imaging"}
            assessments.append(Assessment(row.day, "PD", "PD: new lesion (P4); lab values marked spurious, not used",
                                          flags=("spurious_values",)))  # fmt: skip
            continue
        if row.spurious:  # Kumar 2016 footnote: a spurious value is not used, not even for the nadir
            assessments.append(Assessment(row.day, "NE", "values marked spurious, not used (section 6)",
                                          flags=("spurious_values",)))  # fmt: skip
            continue
        values = {"serum": row.serum_m_g_dl, "urine": row.urine_m_mg_24h, "dflc": _dflc(row, involved),
                  "marrow": row.bm_pc_pct}  # fmt: skip
        nadirs = {k: _nadir(base[k], history[k], cfg.nadir_rule) for k in base}
        for k, v in values.items():
            if not math.isnan(v):
                history[k].append(v)
        if not math.isnan(row.bm_pc_pct):  # marrow carried forward, needs no confirmation
            marrow_pc, marrow_clonal = row.bm_pc_pct, row.bm_clonal_pc
        if row.mrd is not None:  # a marrow test too: carried forward
            mrd = row.mrd
        urine_seen_positive |= row.urine_ife == "positive" or (row.urine_m_mg_24h > 0)
        visit_flags = []
        if not math.isnan(row.calcium_mg_dl) and row.calcium_mg_dl > cfg.hypercalcaemia_mg_dl:  # step 8, K1
            visit_flags.append("clinical_relapse_indicator")

        reasons = progression_reasons(values, nadirs, track, bool(row.new_lesion), cfg)  # step 4
        if reasons:
            pd_kind[len(assessments)] = {kind for kind, _ in reasons}
            assessments.append(Assessment(row.day, "PD", "PD: " + "; ".join(r for _, r in reasons),
                                          flags=tuple(visit_flags)))  # fmt: skip
            continue
        followed = _FOLLOWED[track]
        if not followed:
            assessments.append(Assessment(row.day, "NE", "no measurable disease at baseline (B3)",
                                          flags=tuple(visit_flags)))  # fmt: skip
            continue
        missing = [_NAMES[k] for k in followed if math.isnan(values[k])]
        if missing:  # M1
            assessments.append(Assessment(row.day, "NE", f"{' and '.join(missing)} not measured (M1)",
                                          flags=tuple(visit_flags)))  # fmt: skip
            continue
        levels = [_LEVEL_FN[k](base[k], values[k], cfg) for k in followed]  # step 5
        level = min((lv for lv, _ in levels), key=RANK.get)
        reason = f"{level}: " + "; ".join(text for _, text in levels)
        if len(levels) > 1:
            reason += " (lowest of the followed parameters, U2)"
        urine = values["urine"]
        if track == "serum" and level == "VGPR" and not math.isnan(urine) and ge(urine, cfg.resp_urine_vgpr_mg_24h):
            # R2: VGPR is a >= 90% serum fall "plus urine M-protein < 100 mg/24 h", measurable urine or not
            level = "PR"
            reason = (f"PR: {reason.split(': ', 1)[1]}; urine M {urine:g} mg/24h ≥ {cfg.resp_urine_vgpr_mg_24h:g}, "
                      "not VGPR (R2)")
        level, extra, more_flags = _complete_response(
            level, track, values, row, involved, heavy, anti_cd38, marrow_pc, marrow_clonal,
            urine_seen_positive, cfg,
        )  # fmt: skip
        if extra:
            reason = f"{level}: " + reason.split(": ", 1)[1] + "; " + extra
        if level in ("CR", "sCR") and mrd == "negative":  # section 7: MRD negativity requires CR
            reason += "; MRD negative"
            more_flags.append("mrd_negative")
        assessments.append(Assessment(row.day, level, reason, flags=tuple(visit_flags + more_flags)))

    return _summarise(pid, track, assessments, pd_kind, flags, cfg)


def _track(base: dict[str, float], involved0: float, ratio_normal0: bool | None, cfg: ResponseConfig) -> str:
    """Measurable disease at baseline (Rajkumar 2011 / Kumar 2016; imwg.md section 2, D1, B2, B3)."""
    serum = not math.isnan(base["serum"]) and ge(base["serum"], cfg.serum_measurable_g_dl)
    urine = not math.isnan(base["urine"]) and ge(base["urine"], cfg.urine_measurable_mg_24h)
    if serum and urine:
        return "serum+urine"
    if serum or urine:
        return "serum" if serum else "urine"
    if ratio_normal0 is False and not math.isnan(involved0) and ge(involved0, cfg.flc_measurable_mg_l):
        if base["dflc"] > 0:
            return "flc"
    if not math.isnan(base["marrow"]) and ge(base["marrow"], cfg.marrow_measurable_pct):
        return "bone_marrow"
    return "none"


def _complete_response(level, track, values, row, involved, heavy, anti_cd38, marrow_pc, marrow_clonal,
                       urine_seen_positive, cfg):  # fmt: skip
    """Step 6-7: CR and sCR on top of the M-protein level; returns (level, reason, flags)."""
    ratio_normal = flc_ratio_normal(row.flc_kappa_mg_l, row.flc_lambda_mg_l, cfg)
    followed = _FOLLOWED[track]
    corrected = row.serum_ife_mab_corrected
    serum_ife = corrected or row.serum_ife  # I2: a corrected IFE replaces the plain one
    cr_pc = cfg.cr_marrow_pc_max_pct
    marrow_low = not math.isnan(marrow_pc) and marrow_pc < cr_pc - EPS
    flags: list[str] = []

    # I1: on an anti-CD38 antibody, an IgG-kappa band below 0.25 g/dL with a positive plain IFE
    # may be the antibody itself (Kirchhoff 2021); the visible spike may be the drug too.
    serum_small = not math.isnan(values["serum"]) and values["serum"] < cfg.mab_interference_spike_max_g_dl
    mab_band = anti_cd38 and heavy == "IgG" and involved == "kappa" and serum_small
    i1 = (corrected is None and row.serum_ife == "positive" and mab_band and cfg.anti_cd38_ife != "off"
          and row.urine_ife != "positive" and marrow_low)  # fmt: skip
    if track in ("serum", "urine", "serum+urine"):
        # A small IgG-kappa spike that may be the drug is judged by the IFE, not by its size: with a baseline
        # under 2.5 g/dL a 0.2 g/dL drug band is a < 90% fall (PR), yet the patient may be in CR (I1, I2).
        drug_spike = mab_band and all(values[k] == 0 for k in followed if k != "serum")
        own_zero = level == "VGPR" and all(values[k] == 0 for k in followed)
        if not (own_zero or (drug_spike and (corrected is not None or i1))):
            return level, "", flags
    elif track == "flc" and ratio_normal is not True:
        return level, "", flags
    elif track == "bone_marrow" and not marrow_low:
        return level, "", flags

    if i1:
        flags.append(_MAB)
        if cfg.anti_cd38_ife == "flag":
            return level, "serum IFE positive, possibly the anti-CD38 antibody (I1)", flags
        serum_ife = "negative"  # assume_cr: read the drug band as negative
    urine_ife = row.urine_ife
    waived = ""
    if urine_ife is None and cfg.waive_urine_ife and not urine_seen_positive:
        urine_ife, waived = "negative", " (urine IFE waived: urine never positive)"
    if "positive" in (serum_ife, urine_ife):
        which = " and ".join(n for n, v in (("serum", serum_ife), ("urine", urine_ife)) if v == "positive")
        return level, f"{which} IFE positive, not CR (R1)", flags
    if None in (serum_ife, urine_ife):
        which = " and ".join(n for n, v in (("serum", serum_ife), ("urine", urine_ife)) if v is None)
        return level, f"{which} IFE missing, CR not assessable (M2)", flags + [_MISSING]
    if math.isnan(marrow_pc):
        return level, "IFE negative but no post-baseline marrow, CR not assessable (M2)", flags + [_MISSING]
    if ge(marrow_pc, cr_pc):
        return level, f"IFE negative but marrow PC {marrow_pc:g}% ≥ {cr_pc:g}%, not CR (R1)", flags
    text = f"serum and urine IFE negative{waived}, marrow PC {marrow_pc:g}% < {cr_pc:g}% (R1)"
    if track == "flc":
        text += ", normal FLC ratio"
    if ratio_normal is True and marrow_clonal is False:
        return "sCR", text + "; normal FLC ratio and no clonal marrow PC (R0)", flags
    if ratio_normal is False or marrow_clonal is True:
        return "CR", text, flags
    return "CR", text + "; sCR not assessable (FLC ratio or marrow clonality missing, M2)", flags + [_MISSING]


def _summarise(pid, track, assessments, pd_kind, flags, cfg) -> PatientResponse:
    """Steps 9-11 and the endpoints of section 11."""
    ev = [i for i, a in enumerate(assessments) if a.response not in (None, "NE")]  # M1: NE visits skipped
    confirmed = [False] * len(assessments)
    pairs: list[tuple[float, str]] = []  # (day of the first assessment, confirmed level), C1/C2
    for j, i in enumerate(ev):
        a = assessments[i]
        if a.response == "PD" or RANK[a.response] < RANK["MR"]:
            continue
        if track == "bone_marrow":  # a marrow needs no confirmation
            confirmed[i] = True
            pairs.append((a.day, a.response))
        elif j + 1 < len(ev) and RANK[assessments[ev[j + 1]].response] >= RANK["MR"]:
            confirmed[i] = True
            pairs.append((a.day, min(a.response, assessments[ev[j + 1]].response, key=RANK.get)))

    progression_day = unconfirmed_pd_day = None  # step 10, C4
    for j, i in enumerate(ev):
        if assessments[i].response != "PD":
            continue
        no_confirmation_needed = bool(pd_kind[i] & {"imaging", "marrow"})
        next_pd = j + 1 < len(ev) and assessments[ev[j + 1]].response == "PD"
        if no_confirmation_needed or next_pd:
            progression_day, confirmed[i] = assessments[i].day, True
            break
        if j + 1 == len(ev):
            unconfirmed_pd_day = assessments[i].day
            if cfg.count_unconfirmed_pd:
                progression_day = unconfirmed_pd_day
    end = math.inf if progression_day is None else progression_day

    before = [(d, lv) for d, lv in pairs if d < end]  # step 11
    non_pd_days = [assessments[i].day for i in ev if assessments[i].response != "PD" and assessments[i].day < end]
    if before:
        best = max((lv for _, lv in before), key=RANK.get)
    elif non_pd_days:
        best = "SD"
    elif progression_day is not None:
        best = "PD"
    else:
        best = "NE"

    response_day = next((d for d, lv in before if RANK[lv] >= RANK["PR"]), None)
    dor = dor_event = None
    if response_day is not None:
        last = max(assessments[i].day for i in ev)
        dor_event = progression_day is not None
        dor = (progression_day if dor_event else last) - response_day
    if cfg.dcr_sd_until == "last_non_pd_assessment":
        sd_until = max(non_pd_days, default=-math.inf)
    else:
        sd_until = progression_day if progression_day is not None else max(
            (assessments[i].day for i in ev), default=-math.inf)  # fmt: skip
    rank = RANK.get(best, -1)
    out = tuple(Assessment(a.day, a.response, a.reason, confirmed[i], a.flags) for i, a in enumerate(assessments))
    for a in out:
        flags.update(a.flags)
    return PatientResponse(
        patient_id=pid, measurable=track, best_response=best, progression_day=progression_day,
        unconfirmed_pd_day=unconfirmed_pd_day, time_to_response_days=response_day,
        duration_of_response_days=dor, dor_event=dor_event,
        orr=rank >= RANK["PR"], vgpr_or_better=rank >= RANK["VGPR"], cbr=rank >= RANK["MR"],
        dcr=rank >= RANK["MR"] or (best == "SD" and ge(sd_until, cfg.dcr_sd_min_days)),
        flags=tuple(sorted(flags)), assessments=out,
        mrd_negative_cr=rank >= RANK["CR"] and any("mrd_negative" in a.flags and a.day < end for a in out),
    )  # fmt: skip
