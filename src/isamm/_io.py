"""Writing outputs safely: never a partially written file, never a traceback.

Every output is written to a temporary file in the target directory and then
renamed over the target (``os.replace`` is atomic on POSIX and Windows for a
same-directory rename).

Every ``OSError`` met while writing — a read-only folder, a folder where a
file is expected, a file where a folder is expected, a missing parent, a full
disk — becomes one :class:`~isamm.errors.InputError` naming the path, in one
place: :func:`writing` (used by :func:`atomic_path` and by the multi-file
writers).
"""

from __future__ import annotations

import errno
import json
import math
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pandas as pd

from isamm._input import check_not_an_input
from isamm.errors import InputError

__all__ = ["atomic_path", "atomic_write_text", "write_json", "write_table", "table_stream", "TableStream", "writing",
           "write_error", "TABLE_FORMATS", "FIGURE_FORMATS", "figure_format"]

TABLE_FORMATS = {".csv": "csv", ".json": "json", ".parquet": "parquet", ".pq": "parquet"}
FIGURE_FORMATS = ("png", "svg", "pdf")


def figure_format(path: str | os.PathLike[str], option: str | None = None) -> str:
    """The figure format of ``path`` by its suffix; InputError before any drawing for another suffix
    (matplotlib would refuse ``.xyz`` only after the figure was drawn, with a traceback)."""
    suffix = Path(path).suffix
    if suffix.lower().lstrip(".") not in FIGURE_FORMATS:
        raise InputError("unknown figure format", file=None if option else str(path), option=option,
                         expected="a file name ending in .png, .svg or .pdf", got=suffix or "(no suffix)")
    return suffix.lower().lstrip(".")


# errno → (what went wrong, what was expected), in the user's words
_WRITE_ERRORS = {
    errno.EACCES: ("permission denied", "a folder you can write to"),
    errno.EPERM: ("permission denied", "a folder you can write to"),
    errno.EROFS: ("read-only file system", "a folder you can write to"),
    errno.EISDIR: ("is a folder, not a file", "a file name, e.g. a path ending in /result.json"),
    errno.ENOTDIR: ("a part of the path is a file, not a folder", "an existing folder before the file name"),
    errno.ENOENT: ("folder does not exist", "an existing folder"),
    errno.ENOSPC: ("no space left on the device (disk full)", "enough free space"),
    errno.EDQUOT: ("disk quota exceeded", "enough free space"),
    errno.ENAMETOOLONG: ("file name too long", "a shorter name"),
    errno.EEXIST: ("exists and is not a folder", "a folder or a new name"),
}


def write_error(exc: OSError, target: str | os.PathLike[str]) -> InputError:
    """The :class:`InputError` for an ``OSError`` met while writing ``target`` (the path as the user gave it)."""
    what, expected = _WRITE_ERRORS.get(exc.errno, (None, None))
    if what is None:
        what = f"cannot write ({exc.strerror or type(exc).__name__})"
    return InputError(f"cannot write output: {what}", file=str(target), expected=expected)


@contextmanager
def writing(target: str | os.PathLike[str]) -> Iterator[None]:
    """Turn any ``OSError`` raised inside the block into an :class:`InputError` naming ``target``.

    The one handler of the write path: :func:`atomic_path` (hence every
    single-file output) and the folder writers (cohort report, trial report,
    demo) run their file-system calls inside it.
    """
    try:
        yield
    except OSError as exc:
        raise write_error(exc, target) from None


@contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success.

    On any exception the temporary file is removed and ``target`` is untouched;
    an ``OSError`` (in this function or in the caller's block) becomes an
    :class:`InputError` naming ``target`` (:func:`writing`).
    """
    target = Path(target)
    check_not_an_input(target)  # `-o cohort.csv` on the cohort read: its data would be gone
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.exists():
        raise InputError("output directory does not exist", file=str(target))
    if not parent.is_dir():
        raise InputError(f"cannot write output: {parent} is a file, not a folder", file=str(target),
                         expected="an existing folder before the file name")
    if target.is_dir():  # os.replace would refuse (EISDIR) only after the whole output was written
        raise write_error(OSError(errno.EISDIR, os.strerror(errno.EISDIR)), target)
    with writing(target):
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
        os.close(fd)
        tmp_path = Path(tmp)
        try:
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; a plain open() would give 0666 & ~umask
            yield tmp_path
            os.replace(tmp_path, target)
        except BaseException:
            tmp_path.unlink(missing_ok=True)
            raise


@contextmanager
def staged_folder(output_dir: str | os.PathLike[str], option: str = "output_dir") -> Iterator[Path]:
    """Yield a private staging folder beside ``output_dir``; on success its contents become ``output_dir``.

    The one path of every multi-file output (trial and validation reports, cohort report, demo): nothing
    is written into ``output_dir`` until the whole set exists, so a failure while making it leaves the
    earlier set untouched and no half-written set appears. A new ``output_dir`` appears by one rename;
    into an existing one, files in subfolders move first and top-level files last (a reader never sees
    a page whose figures are missing), and files of the earlier set that the new one does not replace
    stay. ``OSError`` becomes an :class:`InputError` naming ``output_dir`` (:func:`writing`).
    """
    output_dir = Path(output_dir)
    if output_dir.exists() and not output_dir.is_dir():
        raise InputError("output exists and is not a folder", option=option, got=str(output_dir))
    parent = output_dir.parent if str(output_dir.parent) else Path(".")
    if not parent.is_dir():
        raise InputError("the output folder's parent does not exist", option=option, got=str(output_dir))
    with writing(output_dir):
        staging = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.isamm-", dir=parent))
    try:
        yield staging
        with writing(output_dir):
            _move_into_place(staging, output_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _move_into_place(staging: Path, output_dir: Path) -> None:
    if not output_dir.exists():  # mkdtemp made the staging folder private; an output folder is not
        os.chmod(staging, 0o777 & ~_umask())
        os.rename(staging, output_dir)
        return
    entries = sorted(staging.rglob("*"), key=lambda p: (len(p.relative_to(staging).parts) == 1, str(p)))
    for src in entries:
        dst = output_dir / src.relative_to(staging)
        if src.is_dir():
            dst.mkdir(exist_ok=True)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)


def _umask() -> int:
    """The process umask (reading it means setting it: set it back at once)."""
    umask = os.umask(0)
    os.umask(umask)
    return umask


def atomic_write_text(target: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding=encoding)


def _json_default(obj: Any) -> Any:
    # NumPy scalars/arrays and pandas timestamps appear in results; JSON has no NaN.
    import numpy as np

    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (pd.Timestamp,)):
        return obj.isoformat()
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    raise TypeError(f"not JSON serializable: {type(obj).__name__}")


def to_json(obj: Any, indent: int | None = 2) -> str:
    """Serialise results to JSON (NaN and ±inf → null: JSON has neither; NumPy types → Python)."""
    return json.dumps(_sanitize(obj), indent=indent, default=_json_default, allow_nan=False)


def _sanitize(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):  # NaN, ±inf
        return None
    if isinstance(obj, dict):
        return {k: _sanitize(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_sanitize(v) for v in obj]
    return obj


def write_json(target: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as JSON to ``target`` atomically."""
    atomic_write_text(target, to_json(obj) + "\n")


def write_table(target: str | os.PathLike[str], frame: pd.DataFrame, fmt: str | None = None) -> None:
    """Write a table atomically as CSV, JSON (records) or Parquet, chosen by suffix or ``fmt``."""
    target = Path(target)
    if fmt is not None and fmt not in TABLE_FORMATS.values():
        raise InputError("unknown output format", option="fmt", expected=" or ".join(sorted(set(TABLE_FORMATS.values()))),
                         got=fmt)
    fmt = fmt or TABLE_FORMATS.get(target.suffix.lower())
    if fmt is None:
        raise InputError(
            "unknown output format",
            file=str(target),
            expected="a file name ending in " + ", ".join(sorted(TABLE_FORMATS)),
            got=target.suffix or "(no suffix)",
        )
    with atomic_path(target) as tmp:
        if fmt == "csv":
            frame.to_csv(tmp, index=False)
        elif fmt == "json":
            tmp.write_text(to_json(frame.to_dict(orient="records")) + "\n", encoding="utf-8")
        else:  # parquet
            frame.to_parquet(tmp, index=False)




class TableStream:
    """Rows written in pieces to one table file (:func:`table_stream`): Parquet row groups, CSV or JSON records."""

    def __init__(self, tmp: Path, fmt: str):
        self._tmp, self._fmt, self._writer, self._fh = tmp, fmt, None, None
        self.rows = 0

    def write(self, frame: pd.DataFrame) -> None:
        """Append ``frame``'s rows (every piece has the columns and types of the first)."""
        if self._fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(frame, preserve_index=False)
            if self._writer is None:
                self._writer = pq.ParquetWriter(self._tmp, table.schema)
            self._writer.write_table(table)  # one row group per piece
        elif self._fmt == "csv":
            if self._fh is None:
                self._fh = open(self._tmp, "w", encoding="utf-8", newline="")
            frame.to_csv(self._fh, index=False, header=self.rows == 0)
        else:  # json: one array of records, written record by record
            if self._fh is None:
                self._fh = open(self._tmp, "w", encoding="utf-8")
                self._fh.write("[")
            for rec in frame.to_dict(orient="records"):
                self._fh.write(("," if self.rows else "") + "\n  " + to_json(rec, indent=None))
                self.rows += 1
            return
        self.rows += len(frame)

    def _close(self) -> None:
        if self._fmt == "json":
            if self._fh is None:
                self._fh = open(self._tmp, "w", encoding="utf-8")
                self._fh.write("[")
            self._fh.write("\n]\n")
        if self._writer is not None:
            self._writer.close()
        if self._fh is not None:
            self._fh.close()

    def _abandon(self) -> None:
        for h in (self._writer, self._fh):
            try:
                if h is not None:
                    h.close()
            except Exception:  # the temporary file is removed anyway
                pass


@contextmanager
def table_stream(target: str | os.PathLike[str]) -> Iterator[TableStream]:
    """A table written piece by piece (Parquet: one row group per piece) to a temporary file beside
    ``target``, renamed onto ``target`` when the block ends without error: never a partial file at
    ``target``. Format by suffix as :func:`write_table`; ``OSError`` becomes an :class:`InputError`.
    """
    target = Path(target)
    fmt = TABLE_FORMATS.get(target.suffix.lower())
    if fmt is None:
        raise InputError("unknown output format", file=str(target),
                         expected="a file name ending in " + ", ".join(sorted(TABLE_FORMATS)),
                         got=target.suffix or "(no suffix)")
    with atomic_path(target) as tmp:
        stream = TableStream(tmp, fmt)
        try:
            yield stream
        except BaseException:
            stream._abandon()
            raise
        if stream.rows == 0 and fmt != "json":
            raise InputError("no rows to write", file=str(target))
        stream._close()
