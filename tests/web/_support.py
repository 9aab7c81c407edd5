"""Example inputs of the studio tests and the unescaping of what the pages print."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LABS = ROOT / "examples" / "labs_small.csv"
MGUS2 = ROOT / "examples" / "cohort_report" / "mgus2.csv"
ANALYSIS = ROOT / "examples" / "cohort_report" / "analysis.toml"


def unescape(text: str) -> str:
    """What the reader sees of a Markdown-escaped message (``\\_`` shows as ``_``)."""
    return re.sub(r"\\(.)", r"\1", text)
