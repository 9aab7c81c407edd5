"""The one TOML loader for user files (cohort, report and response configs, regimens, disease parameters).

Every way a TOML file can fail to load — missing, a folder, unreadable, not
UTF-8 (a file saved as Windows-1252, a binary file), invalid TOML — is an
:class:`~isamm.errors.InputError` naming the file; nothing else escapes.
"""

from __future__ import annotations

import os
import tomllib
from typing import Any

from isamm._input import read_input_bytes
from isamm.errors import InputError

__all__ = ["load_toml", "parse_toml"]


def load_toml(path, *, what: str = "config file", name: str | None = None) -> dict[str, Any]:
    """Read and parse a TOML file (a path or an ``importlib.resources`` traversable).

    Parameters
    ----------
    path
        The file.
    what
        What the file is, for messages: ``"config file not found"``.
    name
        How to name the file in messages (default: the path as given).
    """
    name = str(path) if name is None else name
    if isinstance(path, (str, os.PathLike)):  # a user's file: a regular file only (a named pipe would hang)
        return parse_toml(read_input_bytes(path, name=name, what=what), name)
    try:  # a shipped resource (importlib.resources)
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{what} not found", file=name) from None
    except IsADirectoryError:
        raise InputError(f"{what} is a folder, not a file", file=name) from None
    except OSError as exc:
        raise InputError(f"cannot read the {what} ({exc.strerror or type(exc).__name__})", file=name) from None
    return parse_toml(data, name)


def parse_toml(data: bytes, name: str) -> dict[str, Any]:
    """Parse TOML bytes (UTF-8, with or without BOM); InputError naming ``name`` otherwise."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start + 1} is 0x{data[exc.start]:02x})", file=name,
                         expected="a TOML text file saved as UTF-8") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML ({exc})", file=name) from None
