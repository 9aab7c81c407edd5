"""Kaplan–Meier figure with confidence band, censor marks and a number-at-risk table.

The curve is drawn from the step table of an :class:`isamm.outcomes.KMResult`
(one row per distinct observed time: ``time, n_risk, n_event, n_censor, surv,
lower, upper``), so the figure shows exactly the estimate in the report — no
refitting here. Layout follows R ``survminer::ggsurvplot(risk.table=TRUE)``:
the number at risk is printed under the plot at the x tick positions.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from isamm.errors import InputError
from isamm.report._figures import PALETTE, house_style, p_text
from isamm.report._results import km_step_tables, logrank_p

__all__ = ["km_plot", "number_at_risk", "km_ticks"]


def number_at_risk(steps: pd.DataFrame, times: Sequence[float]) -> np.ndarray:
    """Number at risk at each of ``times``, read from a KM step table.

    The count at ``t`` is ``n_risk`` of the first tabulated time ``>= t``
    (subjects with follow-up of at least ``t``), and 0 beyond the last time;
    this is how R ``summary(survfit, times=)`` reports ``n.risk`` for
    right-censored data.
    """
    t = steps["time"].to_numpy(dtype=float)
    n = steps["n_risk"].to_numpy()
    idx = np.searchsorted(t, np.asarray(times, dtype=float), side="left")
    out = np.zeros(len(idx), dtype=int)
    inside = idx < len(t)
    out[inside] = n[idx[inside]]
    return out


def km_ticks(t_max: float, nbins: int = 8) -> np.ndarray:
    """X ticks from 0 to ``t_max`` on steps of 1, 2, 3, 6 or 10 × 10^k (so 6, 12, 60 months occur)."""
    ticks = MaxNLocator(nbins=nbins, steps=[1, 2, 3, 6, 10]).tick_values(0.0, t_max)
    return ticks[(ticks >= 0) & (ticks <= t_max * (1 + 1e-9))]


def km_plot(
    km,
    *,
    show_logrank: bool = True,
    title: str | None = None,
    xlabel: str = "Time (months)",
    ylabel: str = "Survival probability",
    xticks: Sequence[float] | None = None,
    t_max: float | None = None,
    ci: bool = True,
    censor_marks: bool = True,
    risk_table: bool = True,
) -> Figure:
    """Kaplan–Meier curves, one per group, with a number-at-risk table underneath.

    Parameters
    ----------
    km : isamm.outcomes.KMResult
        Fitted Kaplan–Meier estimate (one or more groups).
    show_logrank : bool
        Print the p-value of the result's log-rank test (``km.logrank``, present
        with two or more groups) in the plot.
    title, xlabel, ylabel
        Text; ``xlabel`` should name the time unit (default months, 1 month = 30.4375 days).
    xticks
        Times (same unit as the KM table) for the x ticks and the number-at-risk
        columns; default: about 8 round values from 0 to the last observed time.
    t_max
        Right end of the x axis (default: the last observed time). Cutting the
        plot where few patients remain at risk avoids over-reading a noisy tail;
        the estimate itself is unchanged.
    ci, censor_marks, risk_table
        Draw the pointwise confidence band (the KM result's own ``lower``/``upper``),
        a ``+`` at each censoring time, and the number-at-risk table.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.axes[0]`` is the plot; ``fig.axes[1]`` (when ``risk_table``) the table.
        Save with :func:`isamm.report.save_figure`.
    """
    tables = km_step_tables(km)
    if list(tables) == ["all"]:  # isamm.outcomes' label for an ungrouped estimate
        tables = {"All": tables["all"]}
    last = max(float(tab["time"].max()) for tab in tables.values() if len(tab)) if tables else 0.0
    if not last > 0:
        raise InputError("nothing to plot", option="km", expected="a KM result with follow-up time > 0", got=last)
    if t_max is not None and not t_max > 0:
        raise InputError("the x-axis end must be positive", option="t_max", expected="a time > 0", got=t_max)
    t_max = last if t_max is None else float(t_max)
    ticks = km_ticks(t_max) if xticks is None else np.asarray(sorted(float(x) for x in xticks))
    n_groups = len(tables)

    with house_style():
        per_group = 0.38 if _long_labels(tables) else 0.2
        height_risk = 0.35 + per_group * n_groups if risk_table else 0.0
        fig = Figure(figsize=(6.4, 4.0 + height_risk), layout="constrained")
        if risk_table:
            gs = fig.add_gridspec(2, 1, height_ratios=[4.0, height_risk])
            ax = fig.add_subplot(gs[0])
            ax_risk = fig.add_subplot(gs[1], sharex=ax)
        else:
            ax = fig.add_subplot()
        for i, (label, tab) in enumerate(tables.items()):
            color = PALETTE[i % len(PALETTE)]
            # every curve starts at S(0) = 1; an event at t = 0 shows as a drop at 0
            time = np.concatenate([[0.0], tab["time"].to_numpy(float)])
            surv = np.concatenate([[1.0], tab["surv"].to_numpy(float)])
            n = int(tab["n_risk"].iloc[0])
            ax.step(time, surv, where="post", color=color, lw=1.4, label=f"{label} (n = {n})", gid=f"km-{i}")
            if ci:
                lo = np.concatenate([[1.0], tab["lower"].to_numpy(float)])
                hi = np.concatenate([[1.0], tab["upper"].to_numpy(float)])
                ax.fill_between(time, lo, hi, step="post", color=color, alpha=0.18, lw=0, gid=f"km-ci-{i}")
            if censor_marks:
                cens = tab[tab["n_censor"] > 0]
                ax.plot(cens["time"], cens["surv"], ls="", marker="+", ms=5, mew=0.9, color=color, gid=f"km-censor-{i}")
        ax.set_xlim(0, max(t_max, ticks[-1] if len(ticks) else t_max) * 1.02)
        ax.set_xticks(ticks)
        ax.set_ylim(0, 1.02)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if title:
            ax.set_title(title, loc="left")
        if n_groups > 1:
            ax.legend(loc="best")
        p = logrank_p(km) if show_logrank else None
        if p is not None:
            ax.text(0.02, 0.04, f"Log-rank {p_text(p)}", transform=ax.transAxes,
                    ha="left", va="bottom", gid="logrank-p")
        if risk_table:
            _draw_risk_table(ax_risk, tables, ticks)
    return fig


_SHORT_LABEL = 8  # longer group labels go above their row, so they do not squeeze the plot sideways


def _long_labels(tables: dict) -> bool:
    return max(len(str(label)) for label in tables) > _SHORT_LABEL


def _draw_risk_table(ax, tables: dict[str, pd.DataFrame], ticks: np.ndarray) -> None:
    n_groups = len(tables)
    above = _long_labels(tables)
    step = 2 if above else 1  # with labels above, each group takes a label line and a number line
    for i, (label, tab) in enumerate(tables.items()):
        color = PALETTE[i % len(PALETTE)]
        row = (n_groups - 1 - i) * step
        for t, n in zip(ticks, number_at_risk(tab, ticks)):
            ax.text(t, row, str(n), ha="center", va="center", color=color, gid=f"risk-{i}")
        if above:
            ax.text(0.0, row + 0.9, label, transform=ax.get_yaxis_transform(), ha="left", va="center",
                    color=color, fontsize=8, gid=f"risk-label-{i}")
    ax.set_ylim(-0.6, (n_groups - 1) * step + (1.4 if above else 0.6))
    if above:
        ax.set_yticks([])
    else:
        ax.set_yticks(range(n_groups))
        ax.set_yticklabels(list(tables)[::-1])
        for tick_label, i in zip(ax.get_yticklabels(), range(n_groups - 1, -1, -1)):
            tick_label.set_color(PALETTE[i % len(PALETTE)])
    ax.tick_params(axis="x", which="both", bottom=False, labelbottom=False)
    ax.tick_params(axis="y", length=0, pad=22)  # clear of the centred counts at t = 0
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    ax.set_title("Number at risk", loc="left", fontsize=9)
