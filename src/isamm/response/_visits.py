"""IMWG 2016 on a visit grid, vectorised over patients: the serum track of :func:`assess_patient`.

Why a second implementation of the same rules: a calibration scores ~10⁴ virtual patients per
evaluation and hundreds of evaluations, and the reference engine (plain Python per visit, with a
reason text for every assessment) takes ~0.3 ms per patient — most of an evaluation. This path
does the same steps of ``shared/reference/imwg.md`` section 9 as whole-array operations for the lab
histories a virtual trial produces: serum M-protein at every visit, serum IFE, bone-marrow plasma
cells, new lesions, an anti-CD38 antibody; no urine, FLC, MRD, calcium, spurious marks or new
therapy. Patients it does not cover (baseline serum M not measurable, a missing serum value) are
scored by the reference engine, so the answer is always the reference answer; equality is tested on
random histories and every setting (tests/response/test_visits.py).

It returns the endpoints only (no per-visit reason texts); for those, run :func:`isamm.response.assess`
on the same labs (:func:`visit_labs`). Values are not validated: the caller is a simulator that produces valid labs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from isamm.response._assess import assess
from isamm.response._config import ResponseConfig, load_config
from isamm.response._rules import EPS, LEVELS, RANK

__all__ = ["VisitResponses", "assess_visits", "visit_labs"]

_NE = -1  # not evaluable; LEVELS ranks are 0 (PD) … 6 (sCR)
_PD, _SD, _MR, _PR, _VGPR, _CR = (RANK[k] for k in ("PD", "SD", "MR", "PR", "VGPR", "CR"))


@dataclass(frozen=True)
class VisitResponses:
    """Endpoints per patient, in input order (days from treatment start; NaN = none)."""

    patient_id: np.ndarray
    measurable: np.ndarray  # track, as PatientResponse.measurable
    best_response: np.ndarray
    progression_day: np.ndarray
    unconfirmed_pd_day: np.ndarray
    time_to_response_days: np.ndarray
    dcr: np.ndarray  # bool

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({k: getattr(self, k) for k in self.__dataclass_fields__})


def assess_visits(patient_id, days, serum_m_g_dl, n_visits, *, serum_ife=None, bm_pc_pct=None, new_lesion=None,
                  isotype=None, anti_cd38=None, config: Mapping[str, Any] | ResponseConfig | None = None,
                  **overrides: Any) -> VisitResponses:
    """Best confirmed response, progression and disease control of N patients followed on K visits.

    Parameters
    ----------
    patient_id : (N,) ids.
    days : (K,) or (N, K) days from treatment start; visit 0 is the baseline (day ≤ 0), later visits
        are after day 0, increasing.
    serum_m_g_dl : (N, K) serum M-protein (g/dL) as the lab reports it (0 = not quantifiable).
    n_visits : (N,) visits each patient had (≥ 1): visits ``[0, n_visits)`` count, later columns are ignored.
    serum_ife : (N, K) ``"positive"`` / ``"negative"`` / None, or None (not done).
    bm_pc_pct : (N, K) marrow plasma cells (%), NaN when not done, or None.
    new_lesion : (N, K) bool, or None.
    isotype : (N,) e.g. ``"IgG-kappa"`` (None: unknown), or None.
    anti_cd38 : (N,) bool, on an anti-CD38 antibody (or within its washout), or None.
    config, overrides : as :func:`isamm.response.assess`.
    """
    cfg = load_config(config, **overrides)
    a = _arrays(patient_id, days, serum_m_g_dl, n_visits, serum_ife, bm_pc_pct, new_lesion, isotype, anti_cd38)
    m, t, nv = a["serum_m_g_dl"], a["days"], a["n_visits"]
    n, k = m.shape
    if (nv < 1).any() or (nv > k).any():
        raise ValueError(f"n_visits must be in [1, {k}]")
    seen = np.arange(k)[None, :] < nv[:, None]
    if (t[:, 0] > 0).any() or (np.diff(t, axis=1)[seen[:, 1:]] <= 0).any() or (t[:, 1:][seen[:, 1:]] <= 0).any():
        raise ValueError("visit 0 must be the baseline (day ≤ 0) and later visits after day 0, increasing")

    base = m[:, 0]
    covered = np.isfinite(base) & (base >= cfg.serum_measurable_g_dl - EPS) & ~(seen & ~np.isfinite(m)).any(axis=1)
    out = _serum_track(cfg, t, m, seen, a["serum_ife"], a["bm_pc_pct"], a["new_lesion"], _chains(a["isotype"]),
                       a["anti_cd38"])
    out = {name: np.where(covered, v, np.nan if v.dtype.kind == "f" else None) for name, v in out.items()}
    out["measurable"] = np.where(covered, "serum", None).astype(object)
    rows = np.flatnonzero(~covered)
    if rows.size:  # the patients this path does not cover: the reference engine
        sub = {name: v[rows] for name, v in a.items()}
        by_id = {p.patient_id: p for p in assess(_long(sub), cfg).patients}
        for name, v in _endpoints([by_id[str(i)] for i in sub["patient_id"]]).items():
            out[name][rows] = v
    return VisitResponses(patient_id=a["patient_id"], measurable=out["measurable"], best_response=out["best_response"],
                          progression_day=out["progression_day"].astype(float),
                          unconfirmed_pd_day=out["unconfirmed_pd_day"].astype(float),
                          time_to_response_days=out["time_to_response_days"].astype(float),
                          dcr=out["dcr"].astype(bool))


def visit_labs(patient_id, days, serum_m_g_dl, n_visits, *, serum_ife=None, bm_pc_pct=None, new_lesion=None,
               isotype=None, anti_cd38=None) -> pd.DataFrame:
    """The visits of :func:`assess_visits` (same arguments) as a lab table, one row per patient and visit:
    what :func:`isamm.response.assess` reads (a trial's ``labs.csv``)."""
    return _long(_arrays(patient_id, days, serum_m_g_dl, n_visits, serum_ife, bm_pc_pct, new_lesion, isotype,
                         anti_cd38))


def _arrays(patient_id, days, serum_m_g_dl, n_visits, serum_ife, bm_pc_pct, new_lesion, isotype, anti_cd38) -> dict:
    """The visit arrays with their defaults: [patient, visit] or [patient], ``days`` broadcast to [patient, visit]."""
    m = np.asarray(serum_m_g_dl, dtype=float)
    n, k = m.shape
    return {
        "patient_id": np.asarray(patient_id, dtype=object),
        "days": np.broadcast_to(np.asarray(days, dtype=float), (n, k)),
        "serum_m_g_dl": m,
        "n_visits": np.asarray(n_visits, dtype=np.int64),
        "serum_ife": np.full((n, k), None, dtype=object) if serum_ife is None else np.asarray(serum_ife, dtype=object),
        "bm_pc_pct": np.full((n, k), np.nan) if bm_pc_pct is None else np.asarray(bm_pc_pct, dtype=float),
        "new_lesion": np.zeros((n, k), bool) if new_lesion is None else np.asarray(new_lesion).astype(bool),
        "isotype": np.full(n, None, dtype=object) if isotype is None else np.asarray(isotype, dtype=object),
        "anti_cd38": np.zeros(n, bool) if anti_cd38 is None else np.asarray(anti_cd38).astype(bool),
    }  # fmt: skip


def _long(a: dict) -> pd.DataFrame:
    """Rows ``[0, n_visits)`` of each patient of :func:`_arrays`' output, one per visit."""
    r, c = np.nonzero(np.arange(a["serum_m_g_dl"].shape[1])[None, :] < a["n_visits"][:, None])
    return pd.DataFrame({
        "patient_id": a["patient_id"][r], "day": a["days"][r, c], "serum_m_g_dl": a["serum_m_g_dl"][r, c],
        "serum_ife": a["serum_ife"][r, c], "bm_pc_pct": a["bm_pc_pct"][r, c],
        "new_lesion": a["new_lesion"][r, c].astype(np.int8), "isotype": a["isotype"][r], "anti_cd38": a["anti_cd38"][r],
    })  # fmt: skip


def _endpoints(patients) -> dict[str, np.ndarray]:
    """The endpoints of :class:`VisitResponses` from the reference engine's :class:`PatientResponse` list."""
    def days(name):
        return np.array([np.nan if getattr(p, name) is None else getattr(p, name) for p in patients], dtype=float)

    return {"measurable": np.array([p.measurable for p in patients], dtype=object),
            "best_response": np.array([p.best_response for p in patients], dtype=object),
            "progression_day": days("progression_day"), "unconfirmed_pd_day": days("unconfirmed_pd_day"),
            "time_to_response_days": days("time_to_response_days"), "dcr": np.array([p.dcr for p in patients], bool)}


def _chains(isotype: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Heavy and light chain per patient, parsed as the lab reader does."""
    from isamm.response._read import _isotype

    parsed = {text: _isotype(text, 0, "isotype") for text in {v for v in isotype if isinstance(v, str)}}
    chains = [parsed.get(v, (None, None)) if isinstance(v, str) else (None, None) for v in isotype]
    return np.array([c[0] for c in chains], dtype=object), np.array([c[1] for c in chains], dtype=object)


def _serum_track(cfg, t, m, seen, ife, marrow, lesion, chains, anti) -> dict[str, np.ndarray]:
    """Steps 2–11 for patients measurable in serum (every visited serum value present)."""
    n, k = m.shape
    base = m[:, :1]
    post = seen.copy()
    post[:, 0] = False
    safe = np.where(seen, m, base)  # unvisited columns: any finite value, never read for a visit

    # Step 3 / P2: the nadir before each visit, from the baseline and the earlier values
    if cfg.nadir_rule == "running_minimum":
        earlier = np.concatenate([base, safe[:, 1:-1]], axis=1)
    else:  # "confirmed": a level held at two consecutive assessments
        held = np.maximum(safe[:, 1:-1], safe[:, 2:])  # held[:, i] = max(v_{i+1}, v_{i+2})
        earlier = np.concatenate([base, base, held[:, :-1]], axis=1)[:, :k]
    nadir = np.concatenate([base, np.minimum.accumulate(earlier, axis=1)], axis=1)[:, :k]

    # Step 4: PD (P1: +25% and +0.5 g/dL from the nadir; P3: +1 g/dL when the nadir is ≥ 5 g/dL; P4: new lesion)
    inc = safe - nadir
    p1 = (inc >= cfg.pd_serum_increase_g_dl - EPS) & (inc >= cfg.pd_relative_increase * nadir - EPS)
    p3 = (nadir >= cfg.pd_serum_high_nadir_g_dl - EPS) & (inc >= cfg.pd_serum_high_nadir_increase_g_dl - EPS)
    imaging = lesion & post
    pd_visit = (p1 | p3 | imaging) & post

    # Step 5: the level from the fall below baseline
    fall = (base - safe) / base
    level = np.select([(safe == 0) | (fall >= cfg.resp_serum_vgpr_fall - EPS), fall >= cfg.resp_serum_pr_fall - EPS,
                       fall >= cfg.resp_serum_mr_fall - EPS], [_VGPR, _PR, _MR], _SD)  # fmt: skip

    # Steps 6–7: CR — IFE negative (urine waived or absent) and a marrow below the limit, carried forward;
    # I1: a small IgG-kappa band on an anti-CD38 antibody may be the drug itself
    marrow_seen = np.where(post & np.isfinite(marrow), marrow, np.nan)
    last = np.maximum.accumulate(np.where(np.isfinite(marrow_seen), np.arange(k)[None, :], -1), axis=1)
    marrow_pc = np.where(last >= 0, np.take_along_axis(marrow_seen, np.maximum(last, 0), axis=1), np.nan)
    marrow_low = np.isfinite(marrow_pc) & (marrow_pc < cfg.cr_marrow_pc_max_pct - EPS)
    heavy, light = chains
    igg_kappa = (anti & (heavy == "IgG") & (light == "kappa"))[:, None]
    i1 = (ife == "positive") & igg_kappa & (safe < cfg.mab_interference_spike_max_g_dl) & marrow_low \
        & (cfg.anti_cd38_ife != "off")  # fmt: skip
    serum_ife = np.where(i1, "negative", ife)
    cr = (((safe == 0) | i1) & ~(i1 & (cfg.anti_cd38_ife == "flag")) & (serum_ife == "negative")
          & bool(cfg.waive_urine_ife) & marrow_low)  # fmt: skip
    level = np.where(cr, _CR, level)
    level = np.where(pd_visit, _PD, np.where(post, level, _NE))

    # Steps 9–10: confirmation by the next assessment (C1/C2), confirmed progression (C4)
    nxt = np.concatenate([level[:, 1:], np.full((n, 1), _NE)], axis=1)
    paired = (level >= _MR) & (nxt >= _MR)
    pair_level = np.minimum(level, nxt)
    pd_confirmed = pd_visit & (imaging | (nxt == _PD))
    prog_at = _first(pd_confirmed)
    last_visit = seen.sum(axis=1) - 1
    unconfirmed = (prog_at < 0) & (last_visit > 0) & (level[np.arange(n), last_visit] == _PD)
    unconfirmed_day = np.where(unconfirmed, t[np.arange(n), last_visit], np.nan)
    prog_day = np.where(prog_at >= 0, t[np.arange(n), np.maximum(prog_at, 0)], np.nan)
    if cfg.count_unconfirmed_pd:
        prog_day = np.where(unconfirmed, unconfirmed_day, prog_day)
    end = np.where(np.isfinite(prog_day), prog_day, np.inf)[:, None]

    # Step 11: best response before progression; SD if only unconfirmed levels; disease control
    before = post & (t < end)
    pairs = paired & before
    best_rank = np.where(pairs, pair_level, -1).max(axis=1)
    non_pd = post & (level != _PD) & before
    best = np.where(best_rank >= 0, np.asarray(LEVELS, dtype=object)[np.maximum(best_rank, 0)],
                    np.where(non_pd.any(axis=1), "SD", np.where(np.isfinite(prog_day), "PD", "NE")))
    responded = _first(pairs & (pair_level >= _PR))
    ttr = np.where(responded >= 0, t[np.arange(n), np.maximum(responded, 0)], np.nan)
    if cfg.dcr_sd_until == "last_non_pd_assessment":
        sd_until = np.where(non_pd, t, -np.inf).max(axis=1)
    else:
        sd_until = np.where(np.isfinite(prog_day), prog_day, np.where(post, t, -np.inf).max(axis=1))
    dcr = (best_rank >= _MR) | ((best == "SD") & (sd_until >= cfg.dcr_sd_min_days - EPS))
    return {"best_response": best.astype(object), "progression_day": prog_day, "unconfirmed_pd_day": unconfirmed_day,
            "time_to_response_days": ttr, "dcr": dcr}


def _first(mask: np.ndarray) -> np.ndarray:
    """Index of the first True per row, −1 if none."""
    return np.where(mask.any(axis=1), mask.argmax(axis=1), -1)
