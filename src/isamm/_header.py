"""The header row of an input table as written in the file, and the check that its names are unique.

pandas renames a repeated column ``t`` to ``t.1`` without a word, so a file
with two ``t`` columns would be read with the second one under a name the user
never wrote. The cohort, lab and covariate readers call
:func:`check_unique_header` after reading, so that a repeated name is an
:class:`~isamm.errors.InputError` naming the file, the column and both
positions.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from isamm.errors import InputError

__all__ = ["check_unique_header", "raw_header"]


def raw_header(path: Path, kind: str, sep: str = ",") -> list[str] | None:
    """Names of the first row as written (``kind`` = ``"csv"``, ``"tsv"`` or ``"excel"``); None for other kinds."""
    if kind in ("csv", "tsv"):
        with open(path, "rb") as fh:
            first = fh.readline()
        text = first.decode("utf-8-sig", errors="replace")
        row = next(csv.reader(io.StringIO(text), delimiter="\t" if kind == "tsv" else sep), [])
        return [c.strip() for c in row]
    if kind == "excel":
        head = pd.read_excel(path, header=None, nrows=1)
        return [str(c).strip() for c in head.iloc[0].tolist()] if len(head) else []
    return None


def check_unique_header(names, source: str) -> None:
    """InputError at the first column name that appears twice (header = spreadsheet row 1)."""
    seen: dict[str, int] = {}
    for i, name in enumerate(names, start=1):
        name = str(name).strip()
        if name in ("", "nan"):  # unnamed columns are left to the readers
            continue
        if name in seen:
            raise InputError(f"column name repeated (columns {seen[name]} and {i})", file=source, row=1,
                             column=name, expected="each column name once (pandas would silently rename the "
                                                   f"second to '{name}.1')")
        seen[name] = i
