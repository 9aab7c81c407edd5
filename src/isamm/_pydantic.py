"""The one translation of a pydantic ``ValidationError`` into an :class:`~isamm.errors.InputError`.

Every config, regimen, trial, evidence and parameter file is validated by
pydantic; its messages ("Extra inputs are not permitted", "Input should be
greater than 0", "Value error, ...") are library wording. Here they become the
isamm template: where (file and key), what was expected, what was received.
A misspelt key is reported before the "missing" error it causes.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from isamm.errors import InputError

__all__ = ["input_error", "error_parts"]

_BOUNDS = {"greater_than": "> {gt}", "greater_than_equal": ">= {ge}", "less_than": "< {lt}",
           "less_than_equal": "<= {le}"}
_TYPES = {"float_parsing": "a number", "float_type": "a number", "int_parsing": "a whole number",
          "int_type": "a whole number", "int_from_float": "a whole number", "bool_parsing": "true or false",
          "bool_type": "true or false", "string_type": "text", "list_type": "a list", "dict_type": "a table of keys",
          "model_type": "a table of keys", "finite_number": "a finite number", "date_from_datetime_parsing": "a date",
          "date_parsing": "a date YYYY-MM-DD", "tuple_type": "a list", "path_type": "a file path (text)"}


def error_parts(exc: ValidationError) -> tuple[str, str | None, str | None, Any]:
    """``(message, key, expected, got)`` for the first error, in plain words (no pydantic wording)."""
    err = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")[0]
    kind, ctx = err["type"], err.get("ctx") or {}
    key = ".".join(str(p) for p in err["loc"]) or None
    got = err.get("input")
    if kind == "extra_forbidden":
        return "unknown key", key, None, None
    if kind == "missing":
        return "missing key", key, "a value", None
    if kind in _BOUNDS:
        bounds = {k: f"{v:g}" if isinstance(v, (int, float)) else v for k, v in ctx.items()}
        return "out of range", key, "a number " + _BOUNDS[kind].format(**bounds), got
    if kind in _TYPES:
        return "wrong type", key, _TYPES[kind], got
    if kind == "literal_error":
        return "invalid value", key, str(ctx.get("expected", "one of the allowed values")), got
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"]), key, None, got
    return err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, "), key, None, got


def input_error(exc: ValidationError, *, file: str | None = None, key_as: str = "column",
                prefix: str = "") -> InputError:
    """The InputError for ``exc``: the key goes to ``column`` (file keys) or ``option`` (settings)."""
    message, key, expected, got = error_parts(exc)
    key = None if key is None else prefix + key
    where = {key_as: key} if key_as in ("column", "option") else {}
    if isinstance(got, (dict, list)) and len(repr(got)) > 80:
        got = None  # a whole table is not a useful "got"
    return InputError(message, file=file, expected=expected, got=got if expected is not None else None, **where)
