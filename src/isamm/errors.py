"""Errors for user mistakes.

One template for every user-facing error, as scikit-learn does it: *where*
(file, row, column or option), *what was expected*, *what was received*.
The library raises :class:`InputError`; only the CLI catches it, prints one
line without a traceback, and exits with status 2.
"""

from __future__ import annotations

from typing import Any

__all__ = ["InputError", "ModelError"]


class InputError(ValueError):
    """A mistake in the user's input (file, option, argument or parameter).

    Parameters
    ----------
    message
        What is wrong, in plain words ("expected 0 or 1").
    file, row, column, option
        Where the problem is. ``row`` is 1-based and counts data rows as a
        spreadsheet user sees them (header = row 1, first data row = row 2)
        when ``file`` is given; callers state which convention they use.
    expected, got
        Optional structured detail; appended as "expected X, got Y".
    see
        Another parameter the fix involves (``dates`` when a time column holds
        dates), appended as "(see option dates)". Like ``option`` it is the
        Python parameter; the CLI names the flag instead (``--dates``).
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        option: str | None = None,
        expected: str | None = None,
        got: Any = None,
        see: str | None = None,
    ) -> None:
        self.detail = message
        self.file = None if file is None else str(file)
        self.row = row
        self.column = column
        self.option = option
        self.expected = expected
        self.got = got
        self.see = see
        super().__init__(self._render())

    def replace(self, **changes: Any) -> "InputError":
        """A copy with some fields changed (``option``, ``see``, ``file`` …): the message re-rendered."""
        fields = {"file": self.file, "row": self.row, "column": self.column, "option": self.option,
                  "expected": self.expected, "got": self.got, "see": self.see}
        message = changes.pop("message", self.detail)
        return InputError(message, **{**fields, **changes})

    def _render(self) -> str:
        where = []
        if self.file is not None:
            where.append(_printable(self.file))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        if self.option is not None:  # the CLI may name a positional argument ("argument TRIAL") instead
            where.append(self.option if self.option.startswith("argument ") else f"option {self.option}")
        text = self.detail
        if self.expected is not None:
            text += f": expected {self.expected}"
            if self.got is not None:
                text += f", got {self.got!r}"
        if self.see is not None:
            text += f" (see {self.see if self.see.startswith('argument ') else 'option ' + self.see})"
        return (", ".join(where) + ": " + text) if where else text


def _printable(text: str) -> str:
    """A file name with its control characters escaped (a newline in a name must not split the one line)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class IsammWarning(UserWarning):
    """Something the user should know about a result that is still valid (the CLI prints ``isamm: note: …``)."""


class IntegrationWarning(IsammWarning):
    """Some patients could not be integrated to tolerance; their outputs are NaN (``Simulation.status``)."""


class ModelError(RuntimeError):
    """A model could not produce a valid answer (e.g. a fit did not converge).

    Raised with advice on what to change; the CLI reports it like an
    :class:`InputError` (exit status 2) because the fix lies with the input.
    """
