"""Forest plot of Cox proportional-hazards models: HR with 95% CI on a log axis."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, NullLocator

from isamm.report._figures import PALETTE, format_p, house_style
from isamm.report._results import cox_terms

__all__ = ["forest_plot"]

_NICE_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 20, 50, 100)


def forest_plot(cox, *, labels: dict[str, str] | None = None, title: str | None = None,
                xlabel: str = "Hazard ratio (95% CI, log scale)") -> Figure:
    """Forest plot of one Cox model, or of several models stacked (e.g. univariable fits).

    Parameters
    ----------
    cox : isamm.outcomes.CoxResult or sequence of CoxResult
        Fitted model(s); every term of every model becomes one row, top to bottom
        in model order. A sequence of single-covariate models gives the usual
        "univariable" forest plot.
    labels
        Display names for terms (``{"sexM": "Male vs female"}``); default the R term name.
    title, xlabel
        Text.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.axes[0]`` has a log-scaled x axis, a dashed reference line at HR = 1
        and one error bar per estimable term (point = HR, whiskers = 95% CI);
        ``fig.axes[1]`` prints "HR (95% CI)" and p for each row.
    """
    models = [cox] if not isinstance(cox, Sequence) else list(cox)
    if not models:
        raise TypeError("forest_plot expects an isamm.outcomes.CoxResult or a non-empty sequence of them")
    terms = pd.concat([cox_terms(m) for m in models], ignore_index=True)
    labels = labels or {}
    n = len(terms)
    y = np.arange(n)[::-1].astype(float)
    ok = np.isfinite(terms[["hr", "lower", "upper"]].to_numpy(float)).all(axis=1) & (terms["lower"] > 0)

    with house_style():
        fig = Figure(figsize=(7.2, 1.1 + 0.32 * n), layout="constrained")
        # the printed numbers get their own axes, so the layout engine makes room for them
        ax, ax_txt = fig.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [3.0, 1.7], "wspace": 0.02})
        ax.set_xscale("log")
        hr, lo, hi = (terms.loc[ok, c].to_numpy(float) for c in ("hr", "lower", "upper"))
        ax.errorbar(hr, y[ok], xerr=[hr - lo, hi - hr], fmt="s", ms=5, color=PALETTE[0], ecolor=PALETTE[0],
                    elinewidth=1.3, capsize=0, gid="forest-hr")
        ax.axvline(1.0, color="0.4", lw=0.9, ls="--", gid="forest-ref")
        x_lo = min(lo.min() if ok.any() else 0.5, 0.9) / 1.25
        x_hi = max(hi.max() if ok.any() else 2.0, 1.1) * 1.25
        ax.set_xlim(x_lo, x_hi)
        ticks = [t for t in _NICE_TICKS if x_lo <= t <= x_hi]
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticklabels([f"{t:g}" for t in ticks])
        ax.set_yticks(y)
        ax.set_yticklabels([labels.get(t, t) for t in terms["term"]])
        ax.set_ylim(-0.7, n - 0.3)
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        ax.set_xlabel(xlabel)
        ax_txt.axis("off")
        trans = ax_txt.get_yaxis_transform()  # x in axes fraction, y in data (rows)
        ax_txt.text(0.02, n - 0.45, "HR (95% CI)", transform=trans, ha="left", va="bottom", weight="bold")
        ax_txt.text(0.74, n - 0.45, "p", transform=trans, ha="left", va="bottom", weight="bold")
        for yi, row, good in zip(y, terms.itertuples(index=False), ok):
            text = f"{row.hr:.2f} ({row.lower:.2f}–{row.upper:.2f})" if good else "not estimable"
            ax_txt.text(0.02, yi, text, transform=trans, ha="left", va="center", gid="forest-text")
            ax_txt.text(0.74, yi, format_p(row.p), transform=trans, ha="left", va="center", gid="forest-p")
        if title:
            fig.suptitle(title, x=0.02, ha="left", fontsize=10)
    return fig
