"""IMWG 2016 rules on single values: response level per parameter, progression.

Small pure functions, each citing its clause (rule codes of
``shared/reference/imwg.md``: R0–R5 response, P1–P8 progression, N1 tolerance).
Reductions are from the **baseline**; increases are from the **nadir**.
"""

from __future__ import annotations

import math

from isamm.response._config import ResponseConfig

_DEFAULT = ResponseConfig()  # IMWG 2016 defaults (data/response/imwg2016.toml) when no config is given

__all__ = ["LEVELS", "RANK", "EPS", "ge", "gt", "serum_level", "urine_level", "dflc_level", "marrow_level",
           "progression_reasons", "flc_ratio_normal"]  # fmt: skip

#: Response categories from worst to best; the index is the rank used for "lower of two".
LEVELS = ("PD", "SD", "MR", "PR", "VGPR", "CR", "sCR")
RANK = {name: i for i, name in enumerate(LEVELS)}

#: N1: comparisons tolerate 1e-9, so that 0.7 − 0.2 (= 0.49999999999999994) counts as 0.5.
EPS = 1e-9


def ge(a: float, b: float) -> bool:
    """``a ≥ b`` within :data:`EPS`."""
    return a >= b - EPS


def gt(a: float, b: float) -> bool:
    """``a > b`` beyond :data:`EPS`."""
    return a > b + EPS


def _fall(base: float, value: float) -> float:
    """Fractional reduction from baseline (base > 0 on every measurable track)."""
    return (base - value) / base


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def serum_level(base: float, value: float, cfg: ResponseConfig | None = None) -> tuple[str, str]:
    """Serum M-protein level (Kumar 2016 VGPR/PR/MR rows: ≥ 90%, ≥ 50%, 25–49% reduction; ``cfg.resp_serum_*``).

    VGPR also when the spike is 0 (detectable by IFE only, or not at all).
    """
    cfg = cfg or _DEFAULT
    fall = _fall(base, value)
    text = f"serum M {value:g} g/dL, {_pct(fall)} below baseline {base:g}"
    if value == 0 or ge(fall, cfg.resp_serum_vgpr_fall):
        return "VGPR", text
    if ge(fall, cfg.resp_serum_pr_fall):
        return "PR", text
    if ge(fall, cfg.resp_serum_mr_fall):
        return "MR", text
    return "SD", text


def urine_level(base: float, value: float, cfg: ResponseConfig | None = None) -> tuple[str, str]:
    """Urine M-protein level (Kumar 2016: VGPR < 100 mg/24 h; PR ≥ 90% or < 200; MR 50–89%).

    Thresholds: ``cfg.resp_urine_*``.
    """
    cfg = cfg or _DEFAULT
    fall = _fall(base, value)
    text = f"urine M {value:g} mg/24h, {_pct(fall)} below baseline {base:g}"
    if value < cfg.resp_urine_vgpr_mg_24h - EPS:
        return "VGPR", text
    if ge(fall, cfg.resp_urine_pr_fall) or value < cfg.resp_urine_pr_mg_24h - EPS:
        return "PR", text
    if ge(fall, cfg.resp_urine_mr_fall):
        return "MR", text
    return "SD", text


def dflc_level(base: float, value: float, cfg: ResponseConfig | None = None) -> tuple[str, str]:
    """FLC-only disease (D2, D3): VGPR ≥ 90% and PR ≥ 50% decrease in dFLC; no MR (``cfg.resp_dflc_*``)."""
    cfg = cfg or _DEFAULT
    fall = _fall(base, value)
    text = f"dFLC {value:g} mg/L, {_pct(fall)} below baseline {base:g}"
    if ge(fall, cfg.resp_dflc_vgpr_fall):
        return "VGPR", text
    if ge(fall, cfg.resp_dflc_pr_fall):
        return "PR", text
    return "SD", text


def marrow_level(base: float, value: float, cfg: ResponseConfig | None = None) -> tuple[str, str]:
    """Marrow-only disease (B2): PR by a ≥ 50% fall in marrow plasma cells; no MR or VGPR.

    Threshold: ``cfg.resp_marrow_pr_fall``.
    """
    cfg = cfg or _DEFAULT
    fall = _fall(base, value)
    text = f"marrow PC {value:g}%, {_pct(fall)} below baseline {base:g}%"
    return ("PR" if ge(fall, cfg.resp_marrow_pr_fall) else "SD"), text


def flc_ratio_normal(kappa: float, lam: float, cfg: ResponseConfig) -> bool | None:
    """Normal κ/λ ratio (0.26–1.65 by default); None when a value is missing or both are 0.

    λ = 0 with κ > 0 (λ below the assay's limit) is an infinite, hence abnormal, ratio.
    """
    if math.isnan(kappa) or math.isnan(lam) or (kappa == 0 and lam == 0):
        return None
    if lam == 0:
        return False
    return ge(kappa / lam, cfg.flc_ratio_low) and ge(cfg.flc_ratio_high, kappa / lam)


def _rise(value: float, nadir: float, absolute: float, cfg: ResponseConfig, strict: bool = False) -> bool:
    """≥ 25% above the nadir and an absolute increase ≥ (or > when ``strict``) ``absolute``."""
    inc = value - nadir
    big = gt(inc, absolute) if strict else ge(inc, absolute)
    return big and ge(inc, cfg.pd_relative_increase * nadir)


def progression_reasons(values: dict[str, float], nadirs: dict[str, float], track: str, new_lesion: bool,
                        cfg: ResponseConfig) -> list[tuple[str, str]]:  # fmt: skip
    """Every PD criterion met at one assessment, as ``(kind, reason)``.

    ``kind`` is ``"imaging"`` (P4, needs no confirmation), ``"marrow"`` (P8 on the
    marrow track, needs no confirmation) or ``"biochemical"`` (P1/P3/P6/P7).
    Serum and urine rules apply to any values present (whatever the track). dFLC
    (P6) applies when neither serum nor urine is measurable (tracks ``flc``,
    ``bone_marrow``, ``none``) and marrow (P8) when serum, urine and FLC are not
    (``bone_marrow``, ``none``): Kumar 2016 words P6 "in patients without measurable
    serum and urine M-protein levels" and P8 "irrespective of baseline status", so
    a marrow under 30% at baseline can still progress (B3: PD criteria apply to any
    values present).
    """
    out = []
    v, n = values.get("serum", math.nan), nadirs.get("serum", math.nan)
    if not (math.isnan(v) or math.isnan(n)):
        inc = v - n
        if _rise(v, n, cfg.pd_serum_increase_g_dl, cfg):
            out.append(("biochemical", f"serum M {v:g} g/dL, +{inc:.3g} from nadir {n:g} (P1)"))
        elif ge(n, cfg.pd_serum_high_nadir_g_dl) and ge(inc, cfg.pd_serum_high_nadir_increase_g_dl):
            out.append(("biochemical", f"serum M {v:g} g/dL, +{inc:.3g} from nadir {n:g} ≥ {cfg.pd_serum_high_nadir_g_dl:g} g/dL (P3)"))
    v, n = values.get("urine", math.nan), nadirs.get("urine", math.nan)
    if not (math.isnan(v) or math.isnan(n)) and _rise(v, n, cfg.pd_urine_increase_mg_24h, cfg):
        out.append(("biochemical", f"urine M {v:g} mg/24h, +{v - n:.4g} from nadir {n:g} (P7)"))
    if track in ("flc", "bone_marrow", "none"):
        v, n = values.get("dflc", math.nan), nadirs.get("dflc", math.nan)
        if not (math.isnan(v) or math.isnan(n)) and _rise(v, n, cfg.pd_dflc_increase_mg_l, cfg, strict=True):
            out.append(("biochemical", f"dFLC {v:g} mg/L, +{v - n:.4g} from nadir {n:g} (P6)"))
    if track in ("bone_marrow", "none"):
        v, n = values.get("marrow", math.nan), nadirs.get("marrow", math.nan)
        if not (math.isnan(v) or math.isnan(n)) and _rise(v, n, cfg.pd_marrow_increase_pct, cfg):
            out.append(("marrow", f"marrow PC {v:g}%, +{v - n:.3g} points from nadir {n:g}% (P8)"))
    if new_lesion:
        out.append(("imaging", "new lesion (P4)"))
    return out
