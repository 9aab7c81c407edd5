"""The published evidence as text: one trial of a comparison as table cells, numbers with CI and role.

Shared by ``isamm evidence show|compare`` and the studio's evidence page, so both print the same text.
"""

from __future__ import annotations

__all__ = ["number_text", "prior_lines_text", "refractory_text", "side_cells"]


def number_text(num: dict | None, pct: bool, role: bool = True) -> str:
    """``60.4% [calibration]``, ``11.53 (8.94–13.9)``, ``NR``, ``0.531 (99% CI 0.318–0.889)``; ``—`` if absent."""
    if not num:
        return "—"
    if num.get("not_reached"):
        text = "NR"
    else:
        f = (lambda v: f"{100 * v:.3g}%") if pct else (lambda v: f"{v:.4g}")
        text = f(num["value"])
        if num.get("ci_low") is not None and num.get("ci_high") is not None:
            level = num.get("ci_level")
            lead = f"{100 * level:g}% CI " if level and level != 0.95 else ""
            text += f" ({lead}{f(num['ci_low'])}–{f(num['ci_high'])})"
    return f"{text} [{num['role']}]" if role and num.get("role") else text


def prior_lines_text(prior: dict | None) -> str:
    """Median prior lines with their range, ``2 (1–4)``; the source's note when there is no median."""
    if not prior:
        return "—"
    if prior.get("median") is None:
        return prior.get("note") or "—"
    text = f"{prior['median']:g}"
    if prior.get("min") is not None and prior.get("max") is not None:
        text += f" ({prior['min']}–{prior['max']})"
    return text


def refractory_text(shares: dict) -> str:
    """``lenalidomide 92.7%, PI 76.2%``: refractory shares of an arm; ``—`` if none."""
    return ", ".join(f"{k.replace('_', ' ')} {100 * v:.3g}%" for k, v in shares.items()) or "—"


def side_cells(side: dict) -> dict[str, str]:
    """One trial of :func:`isamm.trials.evidence.compare` as the rows of a side-by-side table (label → text)."""
    arms = side["arms"]

    def vs(fn) -> str:
        return " vs ".join(fn(a) for a in arms)

    return {
        "trial": f"{side['id']} ({side['drug']}, {side['setting']})",
        "design": side["design"],
        "analysis": side["analysis"],
        "source": side["source"],
        "arms": vs(lambda a: a["id"]),
        "regimen": " | ".join(f"{a['id']}: {a['regimen']}" for a in arms),
        "partner drugs": vs(lambda a: "+".join(a["partner_drugs"]) or "none"),
        "n": vs(lambda a: "—" if a["n"] is None else str(a["n"])),
        "prior lines, median (range)": vs(lambda a: prior_lines_text(a["prior_lines"])),
        "refractory": " | ".join(f"{a['id']}: {refractory_text(a['refractory'])}" for a in arms),
        "ORR": vs(lambda a: number_text(a["orr"], True)),
        "≥VGPR": vs(lambda a: number_text(a["vgpr_or_better"], True)),
        "median PFS, months": vs(lambda a: number_text(a["median_pfs_months"], False)),
        "HR PFS (first arm vs second)": number_text(side["hr_pfs"], False),
    }
