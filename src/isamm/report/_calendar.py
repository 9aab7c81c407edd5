"""A dosing calendar drawn as a month-style grid: one row per week, one cell per day.

The input is the calendar :meth:`isamm.regimens.Regimen.schedule` returns; the
figure only places its rows (study day, date, drug, dose) and computes nothing.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from isamm.report._figures import PALETTE, house_style

__all__ = ["calendar_figure"]

_SHORT = {"isatuximab": "Isa", "daratumumab": "Dara", "pomalidomide": "Pom", "dexamethasone": "Dex",
          "carfilzomib": "Cfz", "lenalidomide": "Len", "bortezomib": "Btz"}
_MAX_WEEKS = 60  # beyond this the cells are too small to read; the figure says where it stops


def _short(drug: str) -> str:
    return _SHORT.get(drug, drug[:4].capitalize())


def calendar_figure(calendar: pd.DataFrame, *, title: str = "") -> Figure:
    """Weeks as rows (week 1 = study days 1–7), days as columns; each dosing day lists its drugs.

    Parameters
    ----------
    calendar
        A schedule table (columns ``day``, ``drug``, ``dose_mg``; ``date`` if present
        labels each cell with its calendar date, else the study day).
    title
        Figure title.
    """
    days = calendar.groupby("day", sort=True)
    last_day = int(calendar["day"].max()) if len(calendar) else 1
    weeks = min((last_day - 1) // 7 + 1, _MAX_WEEKS)
    colour = {d: PALETTE[i % len(PALETTE)] for i, d in enumerate(dict.fromkeys(calendar["drug"]))}
    with house_style():
        fig = Figure(figsize=(8.0, 0.9 + 0.42 * weeks))
        ax = fig.add_subplot()
        ax.set_xlim(0, 7)
        ax.set_ylim(weeks, 0)
        for w in range(weeks + 1):
            ax.axhline(w, color="0.85", lw=0.6)
        for d in range(8):
            ax.axvline(d, color="0.85", lw=0.6)
        for day, rows in days:
            week, col = divmod(int(day) - 1, 7)
            if week >= weeks:
                break
            label = str(rows["date"].iloc[0]) if "date" in rows.columns else f"day {int(day)}"
            ax.text(col + 0.05, week + 0.22, label, fontsize=6, color="0.4", va="center")
            for k, (drug, dose) in enumerate(rows.groupby("drug", sort=False)["dose_mg"].sum().items()):
                ax.text(col + 0.05 + 0.48 * (k % 2), week + 0.52 + 0.3 * (k // 2), f"{_short(drug)} {dose:.4g}",
                        fontsize=5.5, color=colour[drug], va="center")
        ax.set_xticks([i + 0.5 for i in range(7)], [f"+{i}" for i in range(7)])
        ax.set_yticks([w + 0.5 for w in range(weeks)], [f"week {w + 1}" for w in range(weeks)], fontsize=6)
        ax.tick_params(length=0)
        for side in ("top", "right", "bottom", "left"):
            ax.spines[side].set_visible(False)
        note = f" (first {_MAX_WEEKS} weeks)" if (last_day - 1) // 7 + 1 > _MAX_WEEKS else ""
        ax.set_title((title + note) if title else ("Dosing calendar, doses in mg" + note), fontsize=9)
        fig.tight_layout()
    return fig
