"""Swimmer plot of IMWG responses: one bar per patient, coloured by response over time.

Each bar runs from treatment start to the patient's last assessment of this line
of therapy. The stretch up to an assessment takes the colour of the category
assessed there (what was known at that visit). Confirmed progression is a filled
marker, an unconfirmed PD a hollow one, and the start of a new line a bar end "|".
Patients are sorted by bar length, longest on top, as in Mikhael 2021 (seed 001,
Fig. 1A).
"""

from __future__ import annotations

import os
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.patches import Patch

from isamm._io import atomic_path, figure_format
from isamm.errors import InputError
from isamm.report._figures import house_style
from isamm.units import DAYS_PER_MONTH

__all__ = ["RESPONSE_COLOURS", "swimmer_plot", "save_swimmer_plot"]

MAX_SWIMMER_PATIENTS = 300

#: Greens/blues for response (darker = deeper), orange for MR, grey for SD, vermilion for PD
#: (Okabe & Ito palette where it has the colour).
RESPONSE_COLOURS = {
    "sCR": "#00523A", "CR": "#009E73", "VGPR": "#56B4E9", "PR": "#0072B2", "MR": "#E69F00",
    "SD": "#A0A0A0", "PD": "#D55E00", "NE": "#E5E5E5",
}  # fmt: skip


def swimmer_plot(result, *, title: str | None = None, months: bool = True) -> Figure:
    """Draw a swimmer plot from a :class:`isamm.response.ResponseResult`.

    Parameters
    ----------
    result
        The output of :func:`isamm.response.assess`.
    title
        Figure title; default "Response over time (IMWG 2016)".
    months
        x axis in months (1 month = 30.4375 days) when True, else in days.

    Returns
    -------
    matplotlib.figure.Figure
    """
    scale = DAYS_PER_MONTH if months else 1.0
    bars = []
    for p in result.patients:
        visits = [a for a in p.assessments if a.response is not None]
        new_line = next((a.day for a in p.assessments if a.response is None), None)  # day the next line starts
        end = visits[-1].day if visits else 0.0
        bars.append((end, p, visits, new_line))
    if len(bars) > MAX_SWIMMER_PATIENTS:  # one bar per patient: thousands make an image no one can read
        raise InputError(f"a swimmer plot of {len(bars):,} patients", option="plot",
                         expected=f"at most {MAX_SWIMMER_PATIENTS} patients (plot a subset of the lab file)")
    bars.sort(key=lambda b: (b[0], b[1].patient_id))
    with house_style():
        fig = Figure(figsize=(7.0, 1.2 + 0.28 * max(len(bars), 1)))
        ax = fig.add_subplot()
        for y, (end, p, visits, new_line) in enumerate(bars):
            start = 0.0
            for a in visits:
                ax.barh(y, (a.day - start) / scale, left=start / scale, height=0.6,
                        color=RESPONSE_COLOURS[a.response], edgecolor="none")  # fmt: skip
                start = a.day
            if p.progression_day is not None:
                ax.plot(p.progression_day / scale, y, marker="X", color="black", markersize=7, linestyle="none")
            elif p.unconfirmed_pd_day is not None:
                ax.plot(p.unconfirmed_pd_day / scale, y, marker="X", markerfacecolor="white", color="black",
                        markersize=7, linestyle="none")  # fmt: skip
            if new_line is not None:
                ax.plot(new_line / scale, y, marker="|", color="black", markersize=10, linestyle="none")
        ax.set_yticks(range(len(bars)), [f"{b[1].patient_id} ({b[1].best_response})" for b in bars])
        ax.set_xlabel("Time since start of treatment (" + ("months" if months else "days") + ")")
        ax.set_xlim(left=0)
        ax.set_title(title or "Response over time (IMWG 2016)")
        used = {a.response for _, _, visits, _ in bars for a in visits}
        handles = [Patch(color=c, label=k) for k, c in RESPONSE_COLOURS.items() if k in used]
        markers = [
            (any(b[1].progression_day is not None for b in bars), dict(marker="X", color="black"), "progression"),
            (any(b[1].progression_day is None and b[1].unconfirmed_pd_day is not None for b in bars),
             dict(marker="X", markerfacecolor="white", color="black"), "unconfirmed PD"),
            (any(b[3] is not None for b in bars), dict(marker="|", color="black", markersize=10), "new therapy"),
        ]  # fmt: skip
        handles += [ax.plot([], [], linestyle="none", label=label, **style)[0] for used_, style, label in markers if used_]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
        fig.tight_layout()
    return fig


def save_swimmer_plot(result_or_figure, path: str | os.PathLike[str], **kwargs) -> Path:
    """Write a swimmer plot atomically; the format follows the suffix (png, svg, pdf).

    ``result_or_figure`` is a :class:`~isamm.response.ResponseResult` (drawn with
    ``kwargs`` passed to :func:`swimmer_plot`) or an already drawn figure.
    """
    path = Path(path)
    fmt = figure_format(path)
    fig = result_or_figure if isinstance(result_or_figure, Figure) else swimmer_plot(result_or_figure, **kwargs)
    # No creation dates in the file: the same input gives the same bytes.
    metadata = {"Date": None} if fmt == "svg" else ({"Software": None} if fmt == "png" else {})
    with atomic_path(path) as tmp, house_style():
        fig.savefig(tmp, format=fmt, dpi=150, bbox_inches="tight", metadata=metadata)
    return path
