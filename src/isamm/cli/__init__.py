"""The ``isamm`` command line.

One Typer sub-app (or a few top-level commands) per pipeline stage, each in
its own private module with a ``register(app)`` function. Commands are thin:
they parse options, call the library, and render the result as a Rich table
(stderr for messages) or as JSON on stdout with ``--json``.

User mistakes (:class:`isamm.errors.InputError`, :class:`isamm.errors.ModelError`)
are caught once, in :class:`_IsammGroup`, printed as one line on stderr, and
turned into exit status 2 — never a traceback.
"""

from __future__ import annotations

import typer
from typer.core import TyperGroup

from isamm import __version__
from isamm.cli._common import err_console
from isamm.errors import InputError, ModelError

__all__ = ["app", "main"]


class _IsammGroup(TyperGroup):
    """Top-level group: user errors become one stderr line and exit status 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (InputError, ModelError) as exc:
            err_console.print(f"isamm: error: {exc}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(code=2) from None


app = typer.Typer(
    name="isamm",
    cls=_IsammGroup,
    help="Isatuximab (anti-CD38) therapy in multiple myeloma: regimens, PK, IMWG response, outcomes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals can hold patient rows
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"isamm {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """isamm: open, validated software for isatuximab therapy in multiple myeloma."""


# Each stage registers its commands here (one line per stage module).
from isamm.cli import _demo  # noqa: E402
from isamm.cli import _response  # noqa: E402
from isamm.cli import _regimens  # noqa: E402
from isamm.cli import _cohort  # noqa: E402
from isamm.cli import _outcomes  # noqa: E402
from isamm.cli import _pk  # noqa: E402
from isamm.cli import _trial  # noqa: E402
from isamm.cli import _evidence  # noqa: E402
from isamm.cli import _studio  # noqa: E402

_demo.register(app)
_response.register(app)
_regimens.register(app)
_cohort.register(app)
_outcomes.register(app)
_pk.register(app)
_trial.register(app)
_evidence.register(app)
_studio.register(app)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="isamm")
