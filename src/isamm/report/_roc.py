"""ROC curve of a continuous marker against a binary outcome, with the Youden-optimal point."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from isamm.report._figures import PALETTE, house_style
from isamm.report._results import roc_arrays

__all__ = ["roc_plot"]


def roc_plot(cut, *, title: str | None = None, marker_label: str = "marker", unit: str = "") -> Figure:
    """ROC curve with the chance diagonal and the Youden-optimal cut-off marked.

    Parameters
    ----------
    cut : isamm.outcomes.CutoffResult
        Result of :func:`isamm.outcomes.roc_cutoff` (``fpr``, ``tpr``, ``cutoff``,
        ``sensitivity``, ``specificity``, ``auc``).
    title, marker_label, unit
        Text; the legend reads "Youden cut-off: hgb < 11.85 g/dL" (">" with ``direction="above"``).

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.axes[0]`` holds the ROC line (x = 1 − specificity, y = sensitivity,
        the result's own ``fpr``/``tpr``), the diagonal, and one point at
        (1 − specificity, sensitivity) of the chosen cut-off.
    """
    fpr, tpr, cutoff, sens, spec, auc, direction = roc_arrays(cut)
    sign = "<" if direction == "below" else ">"
    with house_style():
        fig = Figure(figsize=(4.6, 4.4), layout="constrained")
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, 1], color="0.6", lw=0.8, ls="--", gid="roc-chance")
        ax.plot(np.asarray(fpr, float), np.asarray(tpr, float), color=PALETTE[0], lw=1.5, drawstyle="default",
                label=f"AUC = {auc:.3f}", gid="roc-curve")
        ax.plot([1 - spec], [sens], "o", color=PALETTE[1], ms=6, gid="roc-youden",
                label=f"Youden cut-off: {marker_label} {sign} {cutoff:.4g}{(' ' + unit) if unit else ''}")
        ax.annotate(f"sens {sens:.2f}, spec {spec:.2f}", (1 - spec, sens), xytext=(8, -14),
                    textcoords="offset points", fontsize=8)
        ax.set_xlim(-0.01, 1.01)
        ax.set_ylim(-0.01, 1.01)
        ax.set_aspect("equal")
        ax.set_xlabel("1 − specificity (false-positive rate)")
        ax.set_ylabel("Sensitivity (true-positive rate)")
        ax.legend(loc="lower right")
        if title:
            ax.set_title(title, loc="left")
    return fig
