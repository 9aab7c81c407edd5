"""The vectorised visit-grid path gives the reference engine's answer, patient by patient, in every setting."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from isamm.response import assess, assess_visits

ISOTYPES = np.array(["IgG-kappa", "IgG-lambda", "IgA-kappa", "kappa light chain", None], dtype=object)
CONFIGS = st.fixed_dictionaries({
    "nadir_rule": st.sampled_from(["running_minimum", "confirmed"]),
    "count_unconfirmed_pd": st.booleans(),
    "waive_urine_ife": st.booleans(),
    "anti_cd38_ife": st.sampled_from(["flag", "assume_cr", "off"]),
    "dcr_sd_until": st.sampled_from(["last_non_pd_assessment", "progression_or_last_assessment"]),
    "serum_measurable_g_dl": st.sampled_from([0.5, 1.0]),
})  # fmt: skip


def _histories(seed: int, n: int = 40, k: int = 14):
    """Random serum histories built to sit on the rules' edges: 2-decimal values, exact +25%/+0.5 rises,
    zeros (IFE read), small IgG-kappa bands on an anti-CD38 antibody, nadirs above 5 g/dL, new lesions."""
    rng = np.random.default_rng(seed)
    base = rng.choice([0.3, 0.5, 0.99, 1.0, 2.0, 2.4, 4.0, 6.0, 8.0], n)
    steps = rng.choice([0.0, 0.5, 0.75, 0.9, 1.0, 1.25, 1.3, 2.0], (n, k)) * rng.choice([1.0, 0.1], (n, k))
    m = np.round(base[:, None] * np.cumprod(np.where(np.arange(k) == 0, 1.0, steps), axis=1), 2)
    m[:, 1:] = np.where(rng.random((n, k - 1)) < 0.08, np.round(m[:, :-1] + 0.5, 2), m[:, 1:])  # exact P1 steps
    m[:, 1:] = np.where(rng.random((n, k - 1)) < 0.08, np.round(m[:, :-1] + 1.0, 2), m[:, 1:])  # P3 from ≥ 5
    m[:, 1:] = np.where(rng.random((n, k - 1)) < 0.1, rng.choice([0.0, 0.1, 0.2, 0.24, 0.25], (n, k - 1)), m[:, 1:])
    m = np.minimum(m, 14.0)  # the lab reader's plausible range (15 g/dL)
    m[rng.random((n, k)) < 0.01] = np.nan  # a missing value: that patient goes to the reference engine
    ife = np.where(m == 0, rng.choice(np.array(["positive", "negative"], dtype=object), (n, k)),
                   rng.choice(np.array([None, "positive", "negative"], dtype=object), (n, k)))
    marrow = np.where(rng.random((n, k)) < 0.3, rng.choice([0.0, 2.0, 4.99, 5.0, 30.0], (n, k)), np.nan)
    lesion = rng.random((n, k)) < 0.03
    days = np.arange(k) * 28.0 - rng.choice([0.0, 3.0])
    days[0] = min(days[0], 0.0)
    return {
        "patient_id": np.array([f"P{i:03d}" for i in range(n)], dtype=object), "days": days, "serum_m_g_dl": m,
        "n_visits": rng.integers(1, k + 1, n), "serum_ife": ife, "bm_pc_pct": marrow, "new_lesion": lesion,
        "isotype": rng.choice(ISOTYPES, n), "anti_cd38": rng.random(n) < 0.6,
    }  # fmt: skip


def _long(h) -> pd.DataFrame:
    n, k = h["serum_m_g_dl"].shape
    r, c = np.nonzero(np.arange(k)[None, :] < h["n_visits"][:, None])
    return pd.DataFrame({
        "patient_id": h["patient_id"][r], "day": h["days"][c], "serum_m_g_dl": h["serum_m_g_dl"][r, c],
        "serum_ife": h["serum_ife"][r, c], "bm_pc_pct": h["bm_pc_pct"][r, c],
        "new_lesion": h["new_lesion"][r, c].astype(int), "isotype": h["isotype"][r], "anti_cd38": h["anti_cd38"][r],
    })  # fmt: skip


def _check_equal(h, cfg):
    fast = assess_visits(**h, config=cfg)
    ref = {p.patient_id: p for p in assess(_long(h), cfg).patients}
    for i, pid in enumerate(fast.patient_id):
        p = ref[pid]
        got = (fast.measurable[i], fast.best_response[i], fast.progression_day[i], fast.unconfirmed_pd_day[i],
               fast.time_to_response_days[i], bool(fast.dcr[i]))
        want = tuple(np.nan if v is None else v for v in (p.measurable, p.best_response, p.progression_day,
                                                            p.unconfirmed_pd_day, p.time_to_response_days)) + (p.dcr,)
        assert all(a == b or (a != a and b != b) for a, b in zip(got, want)), (pid, got, want)  # NaN == NaN
    return fast


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 2**32 - 1), CONFIGS)
def test_same_answer_as_the_reference_engine(seed, cfg):
    _check_equal(_histories(seed), cfg)


def test_the_histories_reach_every_outcome():
    # the generator is only a test if it produces what the rules distinguish: every category, confirmed and
    # unconfirmed progression, I1 CRs on the drug band, and patients left to the reference engine
    seen, i1_cr, reference, unconfirmed = set(), 0, 0, 0
    for seed in range(30):
        h = _histories(seed)
        fast = _check_equal(h, {"waive_urine_ife": True, "anti_cd38_ife": "assume_cr"})
        seen |= set(fast.best_response)
        reference += int((fast.measurable != "serum").sum())
        unconfirmed += int(np.isfinite(fast.unconfirmed_pd_day).sum())
        flagged = assess_visits(**h, waive_urine_ife=True, anti_cd38_ife="flag")
        i1_cr += int(((fast.best_response == "CR") & (flagged.best_response != "CR")).sum())
    assert {"CR", "VGPR", "PR", "MR", "SD", "PD", "NE"} <= seen
    assert i1_cr > 0 and reference > 0 and unconfirmed > 0


def test_bad_grids_are_refused():
    h = _histories(1, n=3, k=4)
    with pytest.raises(ValueError, match="baseline"):
        assess_visits(**{**h, "days": np.array([1.0, 28.0, 56.0, 84.0])})
    with pytest.raises(ValueError, match="increasing"):
        assess_visits(**{**h, "days": np.array([0.0, 28.0, 28.0, 84.0]), "n_visits": np.array([4, 4, 4])})
    with pytest.raises(ValueError, match="n_visits"):
        assess_visits(**{**h, "n_visits": np.array([0, 2, 2])})
