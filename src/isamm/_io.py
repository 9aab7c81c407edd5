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
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pandas as pd

from isamm.errors import InputError

__all__ = ["atomic_path", "atomic_write_text", "write_json", "write_table", "writing", "write_error", "TABLE_FORMATS"]

TABLE_FORMATS = {".csv": "csv", ".json": "json", ".parquet": "parquet", ".pq": "parquet"}


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
            # mkstemp creates 0600; give the output the permissions a plain open() would (0666 & ~umask).
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
            yield tmp_path
            os.replace(tmp_path, target)
        except BaseException:
            tmp_path.unlink(missing_ok=True)
            raise


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
        elif fmt == "parquet":
            frame.to_parquet(tmp, index=False)
        else:  # pragma: no cover - guarded above
            raise InputError("unknown output format", option="--format", got=fmt)


