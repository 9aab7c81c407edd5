"""How a user's name for a catalog entry (regimen, trial) is matched to its id: one rule for every catalog."""

from __future__ import annotations

import re

__all__ = ["catalog_key"]

_ALLOWED = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._+/-]*")
_SEPARATORS = re.compile(r"[ ._+/-]")


def catalog_key(name) -> str | None:
    """The key a name is looked up by: case-insensitive, with spaces and ``. _ + / -`` alike and optional
    (``isa pd``, ``IsaPd`` and ``ISA-PD`` are one key). ``None`` (matches nothing) for a name with any other
    character, e.g. a newline or a tab: ``ISA\\nPD`` is not taken for ISA-PD."""
    text = str(name).strip()
    if not _ALLOWED.fullmatch(text):
        return None
    return _SEPARATORS.sub("", text).upper()
