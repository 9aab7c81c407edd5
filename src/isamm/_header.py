"""The header row of an input table as written in the file, and the check that its names are unique.

pandas renames a repeated column ``t`` to ``t.1`` without a word, so a file
with two ``t`` columns would be read with the second one under a name the user
never wrote. The cohort, lab and covariate readers call
:func:`check_unique_header` after reading, so that a repeated name is an
:class:`~isamm.errors.InputError` naming the file, the column and both
positions.
"""

from __future__ import annotations

import contextlib
import csv
import io
from pathlib import Path

import pandas as pd

from isamm.errors import InputError

__all__ = ["check_text_file", "check_unique_header", "raw_header"]

_MAGIC = {b"PK\x03\x04": "a ZIP archive (an .xlsx workbook?)", b"PAR1": "a Parquet file",
          b"\xd0\xcf\x11\xe0": "an old Excel (.xls) or Word file", b"%PDF": "a PDF"}


@contextlib.contextmanager
def _binary(path):
    """A binary handle on a path, or on an in-memory upload (a file object), rewound before and after."""
    if hasattr(path, "read"):
        path.seek(0)
        try:
            yield path
        finally:
            path.seek(0)
    else:
        with open(path, "rb") as fh:
            yield fh


def check_text_file(path: Path, kind: str, source: str) -> None:
    """InputError for an empty file, or a CSV/TSV that is binary, or an Excel/Parquet file that is not one.

    ``kind`` as the readers use it: ``"csv"``/``"tsv"`` (text), ``"excel"``/``"xlsx"``/``"xls"`` (a ZIP
    workbook or an old OLE2 one),
    ``"parquet"``/``"pq"``; other kinds are not checked.
    """
    with _binary(path) as fh:
        head = fh.read(8192)
    if not head.strip():
        raise InputError("the file is empty", file=source, expected="a header row and at least one data row")
    found = next((what for magic, what in _MAGIC.items() if head.startswith(magic)), None)
    if kind in ("csv", "tsv"):
        if found or b"\x00" in head:
            raise InputError(f"not a text table: the file looks like {found or 'binary data'}", file=source,
                             expected=f"a {kind.upper()} text file (or give the file its own suffix)")
    elif kind in ("excel", "xlsx", "xls") and not head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise InputError("not an Excel workbook" + ("" if found is None else f": the file looks like {found}")
                         + ("" if found or b"\x00" in head else ": it is plain text (a CSV renamed .xlsx?)"),
                         file=source, expected="an .xlsx file saved by Excel (or rename a CSV to .csv)")
    elif kind in ("parquet", "pq") and not head.startswith(b"PAR1"):
        raise InputError("not a Parquet file", file=source, expected="a file written as Parquet")


def raw_header(path: Path, kind: str, sep: str = ",") -> list[str] | None:
    """Names of the first row as written (``kind`` = ``"csv"``, ``"tsv"`` or ``"excel"``); None for other kinds."""
    if kind in ("csv", "tsv"):
        with _binary(path) as fh:
            first = fh.readline()
        text = first.decode("utf-8-sig", errors="replace")
        row = next(csv.reader(io.StringIO(text), delimiter="\t" if kind == "tsv" else sep), [])
        return [c.strip() for c in row]
    if kind == "excel":
        with _binary(path) as fh:
            head = pd.read_excel(fh, header=None, nrows=1)
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
