"""Rendering the cohort report as one self-contained HTML file (Jinja2, autoescape on).

The template sees only plain view models — sections, tables of *strings*,
figures as base64 PNG — so every number is formatted once, here, and every
user-supplied value (file names, column names, group labels) passes through
Jinja2's autoescaping. Nothing is marked safe; no external CSS, JS or fonts.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

__all__ = ["Table", "FigureRef", "Block", "Section", "render_html", "fmt_num", "fmt_ci", "fmt_pct"]


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]]
    caption: str = ""
    note: str = ""
    indent: list[bool] | None = None  # per row: first cell is an indented level of the row above


@dataclass
class FigureRef:
    id: str
    caption: str
    png: Path
    files: list[str]

    @property
    def png_base64(self) -> str:
        return base64.b64encode(self.png.read_bytes()).decode("ascii")


@dataclass
class Block:
    heading: str = ""
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[FigureRef] = field(default_factory=list)


@dataclass
class Section:
    id: str
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)


def _environment() -> jinja2.Environment:
    # autoescape=True for every template (not select_autoescape): the report is HTML, always
    return jinja2.Environment(
        loader=jinja2.PackageLoader("isamm.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(*, title: str, sections: list[Section], methods: list[str], meta: dict) -> str:
    """Render the cohort report template."""
    template = _environment().get_template("cohort_report.html.j2")
    return template.render(title=title, sections=sections, methods=methods, meta=meta)


def _finite(x) -> bool:
    return x is not None and isinstance(x, (int, float)) and math.isfinite(x)


def fmt_num(x, digits: int = 1) -> str:
    """A number with fixed decimals; "NR" (not reached) for a missing/NaN/inf estimate."""
    return f"{x:.{digits}f}" if _finite(x) else "NR"


def fmt_ci(lo, hi, digits: int = 1) -> str:
    return f"{fmt_num(lo, digits)}–{fmt_num(hi, digits)}"


def fmt_pct(x, digits: int = 1) -> str:
    return f"{100 * x:.{digits}f}" if _finite(x) else "—"
