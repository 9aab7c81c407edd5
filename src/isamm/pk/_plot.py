"""Concentration–time figures: one patient as a line, a population as median and prediction band."""

from __future__ import annotations

import numpy as np

from isamm._io import atomic_path, figure_format
from isamm.pk._simulate import population_band

__all__ = ["plot_concentration", "concentration_figure"]


def plot_concentration(path, curves, *, log: bool = False, threshold_ug_ml: float | None = None,
                       x_label: str = "weeks from 00:00 of study day 1", title: str = "", coverage_pct: float = 90.0) -> None:
    """Write a concentration–time figure (PNG/PDF/SVG by suffix), atomically.

    ``curves`` is a list of ``(label, x, conc[patient, time])``; a single patient is
    drawn as a line, several as the median with a ``coverage_pct`` band.
    """
    suffix = figure_format(path)
    fig = concentration_figure(curves, log=log, threshold_ug_ml=threshold_ug_ml, x_label=x_label, title=title,
                               coverage_pct=coverage_pct)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=suffix)


def concentration_figure(curves, *, log: bool = False, threshold_ug_ml: float | None = None,
                         x_label: str = "weeks from 00:00 of study day 1", title: str = "", coverage_pct: float = 90.0):
    """The figure :func:`plot_concentration` writes, as a matplotlib ``Figure``.

    Built without pyplot (no global figure registry), so it is safe in a web server thread.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 4.2), dpi=120)
    ax = fig.subplots()
    lo, hi = (100 - coverage_pct) / 2, 100 - (100 - coverage_pct) / 2
    for label, x, conc in curves:
        conc = np.atleast_2d(conc)
        if conc.shape[0] == 1:
            ax.plot(x, conc[0], lw=1.6, label=label)
        else:
            med, low, high = population_band(conc, hi - lo)
            (line,) = ax.plot(x, med, lw=1.6, label=f"{label}: median")
            ax.fill_between(x, low, high,
                            color=line.get_color(), alpha=0.2, lw=0, label=f"{label}: {lo:g}th–{hi:g}th percentile")
    if threshold_ug_ml is not None:
        ax.axhline(threshold_ug_ml, color="0.3", ls="--", lw=1, label=f"{threshold_ug_ml:g} µg/mL")
    if log:
        ax.set_yscale("log")
        top = max(float(np.nanmax(c)) for _, _, c in curves)
        ax.set_ylim(max(top * 1e-6, 1e-4), top * 2)
    ax.set_xlabel(x_label)
    ax.set_ylabel("concentration (µg/mL)")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
