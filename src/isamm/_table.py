"""The one reader of user tables: cohort, lab and covariate files (CSV, TSV, Excel, Parquet, uploads).

Every way a table can fail to load is one :class:`~isamm.errors.InputError`
naming the file and what was expected: a missing file, a folder, an empty or
header-only file, a binary file, a CSV renamed ``.xlsx``, a repeated column
name (pandas would rename the second ``t`` to ``t.1`` without a word), a row
with more cells than the header. Text is UTF-8 (with or without BOM), else
Windows-1252, the encoding of Excel's plain "CSV" on Windows; a header with
``;`` between cells is a European export with decimal commas (R's
``read.csv2``).

Rows are numbered by one rule, :func:`row_numbers`: in a file, as a spreadsheet
shows them (header = row 1, first data row = row 2, blank lines counted, a
quoted cell over several lines one row); in a DataFrame, from 1. Every reader
and validator names a row by the number :attr:`Table.rows` (or
:func:`row_numbers`) gives it, so "row N" is where the user finds it.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from isamm._input import read_input_bytes
from isamm.errors import InputError

__all__ = ["Table", "read_table", "check_unique_header", "row_numbers", "rows_of", "SUFFIXES", "FIRST_DATA_ROW"]

SUFFIXES = {".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".xlsx": "excel", ".xls": "excel",
            ".parquet": "parquet", ".pq": "parquet"}
FIRST_DATA_ROW = 2  # spreadsheet convention: the header is row 1


def row_numbers(n: int, *, in_file: bool = True, first: int | None = None) -> np.ndarray:
    """The numbers a user finds ``n`` consecutive data rows under: the one rule of every message.

    In a file (``in_file``), as a spreadsheet shows them: the header is row 1, so the first data row
    is :data:`FIRST_DATA_ROW` (2). In a DataFrame, from 1 (``frame.iloc[0]`` is row 1). ``first``
    overrides the number of the first row (a table that starts lower in its file).
    """
    start = first if first is not None else (FIRST_DATA_ROW if in_file else 1)
    return np.arange(int(start), int(start) + int(n))


def rows_of(table) -> np.ndarray:
    """The row number of each row of ``table``: its ``rows`` when it was read from a file (a
    :class:`Table`, an :class:`isamm.cohort.Cohort`), else a DataFrame's, from 1 (:func:`row_numbers`)."""
    rows = getattr(table, "rows", None)
    data = getattr(table, "data", getattr(table, "frame", table))
    if rows is not None and len(rows) == len(data):
        return np.asarray(rows, dtype=int)
    return row_numbers(len(data), in_file=False)

_MAGIC = {b"PK\x03\x04": "a ZIP archive (an .xlsx workbook?)", b"PAR1": "a Parquet file",
          b"\xd0\xcf\x11\xe0": "an old Excel (.xls) or Word file", b"%PDF": "a PDF"}
_DECIMAL_COMMA = re.compile(r"^\s*[+-]?(\d+,?\d*|,\d+)([eE][+-]?\d+)?\s*$")
_TOO_MANY = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


@dataclass(frozen=True)
class Table:
    """A table as read: ``frame`` (columns named as in the header, stripped, index 0 … n−1), ``name`` (the
    path as given, for messages and titles; an upload's file name; ``"<DataFrame>"`` for a table given in
    memory) and ``rows``, the number the user finds each row of ``frame`` under (:func:`row_numbers`; in a
    CSV a blank line skipped by the parser still counts)."""

    frame: pd.DataFrame
    name: str
    rows: np.ndarray

    def row(self, position: int) -> int:
        """The row number of ``frame.iloc[position]`` for a message."""
        return int(self.rows[position])


def read_table(source: Any, *, rows: str = "data rows", text: bool = False) -> Table:
    """Read a table file, an upload (a binary file object with a ``name``) or a DataFrame.

    Parameters
    ----------
    source
        Path (format by suffix: .csv/.txt, .tsv, .xlsx/.xls, .parquet/.pq), binary file object, or DataFrame.
    rows
        What the data rows are, for the header-only message ("no patients", "no assessments").
    text
        Keep CSV cells as text (empty cell = ``""``; decimal commas turned into points in columns of numbers)
        and Excel cells as objects; otherwise pandas infers the types.
    """
    if isinstance(source, pd.DataFrame):
        check_unique_header(source.columns, "<DataFrame>")
        frame, name = source.reset_index(drop=True).copy(), "<DataFrame>"
        numbers = row_numbers(len(frame), in_file=False)
    else:
        name = _name(source)
        suffix = Path(name).suffix
        kind = SUFFIXES.get(suffix.lower())
        if kind is None:
            raise InputError("unknown table file type", file=name,
                             expected="a file ending in " + ", ".join(sorted(SUFFIXES)), got=suffix or "(no suffix)")
        data = _bytes(source, name)
        _check_content(data, kind, name)
        try:
            frame = _PARSERS[kind](data, name, text)
            frame, numbers = frame if isinstance(frame, tuple) else (frame, row_numbers(len(frame)))
        except InputError:
            raise
        except Exception as exc:  # the parser's own words say what is wrong with the file
            raise InputError(f"cannot read the file ({_reason(exc)})", file=name,
                             expected=f"a {kind.upper()} table with one header row") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = _without_unnamed_empty_columns(frame, name)
    frame = _without_trailing_empty_rows(frame)
    if frame.empty:  # a header alone: "n = 0" with exit 0 would look like a finished analysis
        raise InputError(f"no {rows}", file=name, expected="a header row and at least one data row")
    return Table(frame.reset_index(drop=True), name, np.asarray(numbers[: len(frame)], dtype=int))


def _name(source) -> str:
    if hasattr(source, "read"):  # an in-memory upload (isamm studio): its .name gives the format
        return Path(str(getattr(source, "name", "") or "<upload>")).name
    return str(source)


def _bytes(source, name: str) -> bytes:
    """The file's bytes; InputError for a folder, a missing or an unreadable file."""
    if hasattr(source, "read"):
        if hasattr(source, "seek"):
            source.seek(0)
        data = source.read()
        if hasattr(source, "seek"):
            source.seek(0)
        return data.encode("utf-8") if isinstance(data, str) else data
    path = Path(source)
    if path.is_dir():
        raise InputError("is a folder, not a file", file=name, expected="a table file (.csv, .xlsx, .parquet)")
    return read_input_bytes(path, name=name, data=True)  # a regular file only: a named pipe would hang, /dev/zero never end


def _check_content(data: bytes, kind: str, name: str) -> None:
    """InputError for an empty file, a binary CSV/TSV, or an Excel/Parquet file that is not one."""
    head = data[:8192]
    if not head.strip():
        raise InputError("the file is empty", file=name, expected="a header row and at least one data row")
    found = next((what for magic, what in _MAGIC.items() if head.startswith(magic)), None)
    if kind in ("csv", "tsv"):
        if found or b"\x00" in head or b"\x00" in data:
            raise InputError(f"not a text table: the file looks like {found or 'binary data'}", file=name,
                             expected=f"a {kind.upper()} text file (or give the file its own suffix)")
    elif kind == "excel" and not head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise InputError("not an Excel workbook" + ("" if found is None else f": the file looks like {found}")
                         + ("" if found or b"\x00" in head else ": it is plain text (a CSV renamed .xlsx?)"),
                         file=name, expected="an .xlsx file saved by Excel (or rename a CSV to .csv)")
    elif kind == "parquet" and not head.startswith(b"PAR1"):
        raise InputError("not a Parquet file", file=name, expected="a file written as Parquet")


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise InputError(f"neither UTF-8 nor Windows-1252 text (byte {exc.start + 1} is 0x{data[exc.start]:02x})",
                         file=name,
                         expected="a text table saved as UTF-8") from None


def _sniff(header_line: str) -> str:
    """',' unless the header splits into more cells on ';' or a tab."""
    counts = {sep: len(next(csv.reader([header_line], delimiter=sep), [])) for sep in (",", ";", "\t")}
    return max(counts, key=lambda sep: (counts[sep], sep == ","))


def _csv(data: bytes, name: str, text_mode: bool, sep: str | None = None) -> pd.DataFrame:
    text = _decode(data, name)
    if "\r" in text:  # Windows (CRLF) and old Mac (CR only) line ends
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    header_line = next(line for line in text.split("\n") if line.strip()).rstrip("\r")
    sep = sep or _sniff(header_line)
    header = next(csv.reader([header_line], delimiter=sep), [])
    check_unique_header(header, name)
    rows = _data_rows(text, sep, len(header), name)
    decimal = "," if sep == ";" else "."
    try:
        with warnings.catch_warnings():  # extra cells were checked empty: pandas may drop them
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            if text_mode:
                frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, index_col=False)
                frame = _decimal_points(frame) if decimal == "," else frame
            else:
                frame = pd.read_csv(io.StringIO(text), sep=sep, decimal=decimal, index_col=False)
    except pd.errors.ParserError as exc:
        m = _TOO_MANY.search(str(exc))
        if m is None:
            raise
        raise InputError("more cells than the header has names", file=name, row=int(m.group(2)),
                         expected=f"{m.group(1)} cells", got=int(m.group(3))) from None
    if len(rows) != len(frame):  # pragma: no cover - a layout the record count does not foresee
        rows = row_numbers(len(frame))
    return frame, rows


def _data_rows(text: str, sep: str, n_header: int, name: str) -> np.ndarray:
    """The spreadsheet row of every data record pandas will read (blank lines are skipped by pandas but
    keep their row), and an InputError at the first row with a filled cell beyond the header's width:
    pandas would read rows that all have one cell more than the header with the first column as the
    index, every value one column off."""
    rows, header_seen = [], False
    for row, cells in enumerate(csv.reader(io.StringIO(text), delimiter=sep), start=1):
        if len(cells) > n_header and any(c.strip() for c in cells[n_header:]):
            raise InputError("more cells than the header has names", file=name, row=row,
                             expected=f"{n_header} cells", got=len(cells))
        if len(cells) <= 1 and not "".join(cells).strip():  # a blank line: pandas skips it
            continue
        if header_seen:
            rows.append(row)
        header_seen = True
    return np.asarray(rows, dtype=int)


def _tsv(data: bytes, name: str, text_mode: bool) -> pd.DataFrame:
    return _csv(data, name, text_mode, sep="\t")


def _decimal_points(frame: pd.DataFrame) -> pd.DataFrame:
    """In text cells of a ';' file: '70,5' → '70.5' in columns whose filled cells are all numbers."""
    for col in frame.columns:
        cells = frame[col]
        filled = cells.str.strip() != ""
        if filled.any() and cells[filled].str.fullmatch(_DECIMAL_COMMA).all():
            frame[col] = cells.str.replace(",", ".", regex=False)
    return frame


def _excel(data: bytes, name: str, text_mode: bool) -> pd.DataFrame:
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        try:
            import xlrd  # noqa: F401  (optional: only old .xls workbooks need it)
        except ImportError:
            raise InputError("an old Excel (.xls) workbook cannot be read here", file=name,
                             expected="the sheet saved as .xlsx or .csv") from None
    book = pd.ExcelFile(io.BytesIO(data))
    head = book.parse(0, header=None, nrows=1)
    if len(head):
        check_unique_header(head.iloc[0].tolist(), name)
    elif len(book.sheet_names) > 1:  # the table is on another sheet: say which one is read
        raise InputError(f"the first sheet ({book.sheet_names[0]!r}) is empty; isamm reads the first sheet",
                         file=name, expected="the table on the first sheet of the workbook")
    return book.parse(0, dtype=object if text_mode else None)


def _parquet(data: bytes, name: str, text_mode: bool) -> pd.DataFrame:
    frame = pd.read_parquet(io.BytesIO(data))
    check_unique_header(frame.columns, name)
    return frame


_PARSERS = {"csv": _csv, "tsv": _tsv, "excel": _excel, "parquet": _parquet}


def _reason(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) < 200 else text[:197] + "..."


_UNNAMED = re.compile(r"^Unnamed: \d+$")  # pandas' name for a blank header cell


def _without_unnamed_empty_columns(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """A blank header cell over empty cells (a trailing ',' in every line) is no column; over data, an error."""
    drop = []
    for i, col in enumerate(frame.columns):
        if not _UNNAMED.match(col):
            continue
        cells = frame.iloc[:, i]
        filled = cells.notna() & ~cells.astype(str).str.strip().eq("")
        if filled.any():
            raise InputError(f"column {i + 1} has data but no name", file=name, row=1,
                             expected="a name in every header cell above data")
        drop.append(i)
    return frame.drop(columns=frame.columns[drop]) if drop else frame


def _without_trailing_empty_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Spreadsheets export formatted but empty rows at the end (",,,,"): not data. Only trailing ones go,
    so that row numbers in messages stay those of the file."""
    if frame.empty:
        return frame
    filled = np.zeros(len(frame), dtype=bool)
    for col in frame.columns:
        cells = frame[col]
        present = cells.notna().to_numpy()
        if cells.dtype == object:
            present &= ~cells.astype(str).str.strip().eq("").to_numpy()
        filled |= present
    last = np.flatnonzero(filled)
    return frame.iloc[: last[-1] + 1] if last.size else frame.iloc[:0]


def check_unique_header(names, source: str) -> None:
    """InputError at the first column name that appears twice (header = spreadsheet row 1)."""
    seen: dict[str, int] = {}
    for i, name in enumerate(names, start=1):
        name = str(name).strip()
        if name in ("", "nan", "None"):  # unnamed columns are left to the readers
            continue
        if name in seen:
            raise InputError(f"column name repeated (columns {seen[name]} and {i})", file=source, row=1,
                             column=name, expected="each column name once (pandas would silently rename the "
                                                   f"second to '{name}.1')")
        seen[name] = i

