"""Shared figure plumbing: house style, p-value text, and atomic PNG + SVG output.

Figures are plain :class:`matplotlib.figure.Figure` objects, never registered
with pyplot (no display, no global state, the user's backend untouched), written as
PNG (for the HTML report, embedded as base64) and SVG (for papers), each
through :func:`isamm._io.atomic_path`, so a failed save never leaves half a file.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure

from isamm._io import atomic_path, figure_format

__all__ = ["PALETTE", "format_p", "p_text", "save_figure", "house_style"]

# Okabe & Ito (2008) colour-blind-safe palette, https://jfly.uni-koeln.de/color/
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")

_RC = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "svg.fonttype": "path",  # text as paths: the SVG looks the same without the fonts
    "svg.hashsalt": "isamm",  # stable element ids → byte-identical SVGs for identical input
}


def house_style():
    """Context manager for the house style; wrap all drawing in it (rcParams are read as artists are made)."""
    return matplotlib.rc_context(_RC)


def format_p(p: float | None) -> str:
    """A p-value as it is printed in papers: ``0.043``, ``0.20``, ``<0.001``; ``—`` when undefined."""
    if p is None or p != p:
        return "—"
    if p < 0.001:
        return "<0.001"
    # 3 decimals below 0.1 so that 0.046 is never printed as "0.05"
    return f"{p:.2f}" if p >= 0.1 else f"{p:.3f}"


def p_text(p: float | None) -> str:
    """``"p = 0.012"`` or ``"p < 0.001"``."""
    text = format_p(p)
    return f"p {text[0]} {text[1:]}" if text.startswith("<") else f"p = {text}"


def save_figure(fig: Figure, stem: str | os.PathLike[str], formats: tuple[str, ...] = ("png", "svg"),
                dpi: int = 200) -> list[Path]:
    """Write ``fig`` as ``stem.png`` and ``stem.svg`` (atomically); return the paths written.

    Metadata that changes from run to run (creation date) is left out, so the
    same input gives the same SVG bytes.
    """
    stem = Path(stem)
    for fmt in formats:  # every format checked before the first file is written
        figure_format(stem.with_suffix("." + fmt))
    written = []
    for fmt in formats:
        target = stem.with_suffix("." + fmt)
        metadata = {"Date": None} if fmt == "svg" else {"Software": None}
        with atomic_path(target) as tmp, matplotlib.rc_context(_RC):
            fig.savefig(tmp, format=fmt, dpi=dpi, metadata=metadata)  # constrained layout: no "tight" re-draw
        written.append(target)
    return written
