"""Reading a user's input file: the one place that opens one (tables, TOML configs).

Only a regular file is read. A named pipe (FIFO) would block the read until
another program writes to it — the command hangs — and a device such as
``/dev/zero`` (or a link to it) never ends; both are refused before the first
byte, as is a file too large for the memory budget (``ISAMM_MEMORY_GB``).
Every failure is one :class:`~isamm.errors.InputError` naming the file.

Inside :func:`guarding_inputs` (the CLI runs every command in it) the data
tables read are remembered, and :func:`check_not_an_input` refuses an output
that would replace one: ``isamm km cohort.csv … -o cohort.csv`` would have
replaced the patients' data by the result table.
"""

from __future__ import annotations

import os
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from isamm._constraints import memory_budget_bytes
from isamm.errors import InputError

__all__ = ["read_input_bytes", "guarding_inputs", "check_not_an_input"]

_DATA_READ: set[Path] | None = None  # resolved paths of the data tables read inside guarding_inputs()

#: A file may take at most this share of the memory budget: parsing it makes several copies.
BUDGET_SHARE = 0.25


@contextmanager
def guarding_inputs() -> Iterator[None]:
    """Remember the data tables read in the block; outputs may not replace them (:func:`check_not_an_input`)."""
    global _DATA_READ
    outer, _DATA_READ = _DATA_READ, set()
    try:
        yield
    finally:
        _DATA_READ = outer


def check_not_an_input(target: str | os.PathLike[str]) -> None:
    """InputError when ``target`` is a data table read in this :func:`guarding_inputs` block."""
    if _DATA_READ and _resolved(target) in _DATA_READ:
        raise InputError("the output would replace an input file", file=str(target),
                         expected="another file name for the output (the input is data)")


def _resolved(path) -> Path:
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError):  # a loop of links: compared as given
        return Path(path).absolute()


def read_input_bytes(path: str | os.PathLike[str], *, name: str | None = None, what: str = "file",
                     data: bool = False) -> bytes:
    """The bytes of the regular file ``path``; InputError for anything else.

    Parameters
    ----------
    path
        The file (symbolic links are followed).
    name
        How to name the file in messages (default: the path as given).
    what
        What the file is, for messages (``"config file not found"``).
    data
        A data table (cohort, labs, covariates): no output may replace it (:func:`guarding_inputs`).
    """
    name = str(path) if name is None else name
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError(f"{what} not found", file=name) from None
    except OSError as exc:  # a loop of links, a name too long, no permission on a folder
        raise InputError(f"cannot read the {what} ({exc.strerror or type(exc).__name__})", file=name) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{what} is a folder, not a file", file=name)
    if not stat.S_ISREG(info.st_mode):
        kind = ("a named pipe" if stat.S_ISFIFO(info.st_mode) else "a device" if stat.S_ISCHR(info.st_mode)
                or stat.S_ISBLK(info.st_mode) else "a socket" if stat.S_ISSOCK(info.st_mode) else "not a file")
        raise InputError(f"not a regular file ({kind})", file=name, expected="a file saved on disk")
    limit = int(memory_budget_bytes() * BUDGET_SHARE)
    if info.st_size > limit:
        raise InputError(f"file of {info.st_size / 1e6:,.0f} MB, over {BUDGET_SHARE:.0%} of the "
                         f"{memory_budget_bytes() / 1e9:.1f} GB memory budget (ISAMM_MEMORY_GB)", file=name,
                         expected=f"at most {limit / 1e6:,.0f} MB (split the file, or raise ISAMM_MEMORY_GB)")
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the {what} ({exc.strerror or type(exc).__name__})", file=name) from None
    if data and _DATA_READ is not None:
        _DATA_READ.add(_resolved(path))
    return content
