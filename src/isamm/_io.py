"""Writing outputs safely: never a partially written file.

Every output is written to a temporary file in the target directory and then
renamed over the target (``os.replace`` is atomic on POSIX and Windows for a
same-directory rename).
"""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pandas as pd

from isamm.errors import InputError

__all__ = ["atomic_path", "atomic_write_text", "write_json", "write_table", "TABLE_FORMATS"]

TABLE_FORMATS = {".csv": "csv", ".json": "json", ".parquet": "parquet", ".pq": "parquet"}


@contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success.

    On any exception the temporary file is removed and ``target`` is untouched.
    """
    target = Path(target)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.exists():
        raise InputError("output directory does not exist", file=str(target))
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
    os.close(fd)
    # mkstemp creates 0600; give the output the permissions a plain open() would (0666 & ~umask).
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    tmp_path = Path(tmp)
    try:
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
        return None if np.isnan(obj) else float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (pd.Timestamp,)):
        return obj.isoformat()
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    raise TypeError(f"not JSON serializable: {type(obj).__name__}")


def to_json(obj: Any, indent: int | None = 2) -> str:
    """Serialise results to JSON (NaN → null, NumPy types → Python)."""
    return json.dumps(_sanitize(obj), indent=indent, default=_json_default, allow_nan=False)


def _sanitize(obj: Any) -> Any:
    if isinstance(obj, float) and obj != obj:  # NaN
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


