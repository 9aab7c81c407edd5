"""The ``isamm`` command line.

One Typer sub-app (or a few top-level commands) per pipeline stage, each in
its own private module with a ``register(app)`` function. Commands are thin:
they parse options, call the library, and render the result as a Rich table
(stderr for messages) or as JSON on stdout with ``--json``.

User mistakes are caught once, in :meth:`_IsammGroup.main`, printed as one
line ``isamm: error: …`` on stderr, and turned into exit status 2 — never a
traceback and never a usage box: :class:`isamm.errors.InputError` and
:class:`isamm.errors.ModelError` from the library, and Click's usage errors
(a value of the wrong type, an unknown option or command, a missing argument),
which name the option as the user typed it (``-o`` or ``--output``).
"""

from __future__ import annotations

import os
import sys
import warnings

import typer
from typer.core import TyperGroup

try:  # typer >= 0.20 ships its own copy of Click
    from typer._click import exceptions as click
except ImportError:  # pragma: no cover - older typer runs on Click itself
    import click.exceptions as click

from isamm import __version__
from isamm._input import guarding_inputs
from isamm.cli._common import err_console
from isamm.errors import InputError, IsammWarning, ModelError

__all__ = ["app", "main"]


class _IsammGroup(TyperGroup):
    """Top-level group: every user error becomes one stderr line and exit status 2, here and only here."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """Run the CLI with Click's own error display off (``standalone_mode=False``) and report errors once.

        Exit status: 0 on success, 2 for a user error (usage, input, model),
        1 when aborted (Ctrl-C in a prompt), and the code of an explicit ``typer.Exit``.
        """
        args = list(sys.argv[1:] if args is None else args)
        try:
            with warnings.catch_warnings(), guarding_inputs():  # no output replaces a data file read (isamm._input)
                warnings.simplefilter("always", IsammWarning)
                warnings.showwarning = _one_line_warning  # one line each, no source lines
                rv = super().main(args=args, prog_name=prog_name, complete_var=complete_var, standalone_mode=False,
                                  **extra)
            code = rv if isinstance(rv, int) and not isinstance(rv, bool) else 0  # typer.Exit(code) → code
        except InputError as exc:
            try:
                message = str(as_typed_option(exc, self, args))
            except Exception:  # naming the flag is a nicety: it must never turn the user's error into a traceback
                message = str(exc)
            code = _error(message)
        except ModelError as exc:
            code = _error(str(exc))
        except click.UsageError as exc:  # BadParameter, NoSuchOption, MissingParameter, no such command
            # a bare `isamm` or `isamm response` has printed its help already (no_args_is_help)
            code = exc.exit_code if type(exc).__name__ == "NoArgsIsHelpError" else _error(usage_message(exc, args))
        except click.ClickException as exc:
            code = _error(" ".join(exc.format_message().split()), exc.exit_code)
        except typer.Abort:
            err_console.print("isamm: aborted", markup=False, highlight=False)
            code = 1
        except KeyboardInterrupt:
            err_console.print("isamm: interrupted", markup=False, highlight=False)
            code = 130
        except Exception as exc:  # a bug, not the user's mistake: one line (no locals, no patient rows), exit 1
            if os.environ.get("ISAMM_DEBUG"):
                raise
            code = _error(f"internal error, please report it with the command that caused it: "
                          f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]} (ISAMM_DEBUG=1 shows the "
                          "traceback)", 1)
        if standalone_mode:
            sys.exit(code)
        return code


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings as one line on stderr: isamm's own as a note about a valid result, others (NumPy, pandas) as warnings."""
    kind = "note" if issubclass(category, IsammWarning) else "warning"
    err_console.print(f"isamm: {kind}: {' '.join(str(message).split())}", markup=False, highlight=False,
                      soft_wrap=True)


def _error(message: str, code: int = 2) -> int:
    message = message.replace("\r", "\\r").replace("\n", "\\n")  # one line, whatever the user's text holds
    err_console.print(f"isamm: error: {message}", markup=False, highlight=False, soft_wrap=True)
    return code


def as_typed_option(exc: InputError, group, args: list[str]) -> InputError:
    """The library names its Python parameter (``option times_h``); say the flag the user typed (``--times-h``).

    The one place where a library parameter becomes a command-line name. The
    command is found from ``args`` (``pk simulate …``); a parameter of that
    command whose Python name is ``exc.option`` is named as typed (``-o`` or
    ``--output``, ``argument ID``). Parameters named together (``cycles/weeks``,
    ``categorical/continuous``) are translated one by one (``--cycles/--weeks``).
    A CLI command names each of its parameters as the library function it calls
    does, so no table of names is needed. Anything else is returned unchanged.
    """
    command = _command_of(group, args)
    changes = {}
    if exc.see and not exc.see.startswith("-"):
        changes["see"] = _as_flags(command, exc.see, args)
    name = exc.option
    if name and not name.startswith("-"):
        if "/" in name:
            changes["option"] = _as_flags(command, name, args)
        elif (param := _param(command, name)) is not None:
            where, typed = _as_typed(param, args)
            changes.update(option=where.removeprefix("option "), got=_as_written(exc.got, typed))
    return exc.replace(**changes) if changes else exc


def _as_flags(command, names: str, args: list[str]) -> str:
    """``cycles/weeks`` → ``--cycles/--weeks``: each parameter of ``command`` as typed, others unchanged."""
    return "/".join(_as_typed(p, args)[0].removeprefix("option ") if (p := _param(command, name)) else name
                    for name in names.split("/"))


def _command_of(group, args: list[str]):
    """The (sub)command ``args`` runs: ``pk simulate …`` → the ``simulate`` command of ``pk``."""
    command = group
    for token in args:
        sub = getattr(command, "commands", {}).get(token)
        if sub is None:
            if not token.startswith("-") and hasattr(command, "commands"):
                break
            continue
        command = sub
    return command


def _param(command, name: str):
    """The option or argument of ``command`` whose Python name is ``name`` (None if it has none)."""
    return next((p for p in getattr(command, "params", []) if p.name == name
                 and p.param_type_name in ("option", "argument")), None)


class _Written(str):
    """A number as the user typed it (``1e6``, not ``1000000.0``), printed without quotes."""

    def __repr__(self) -> str:
        return str(self)


def _as_written(got, typed: str | None):
    """The typed text when Click's conversion of it is the value the library reports."""
    if typed is None or isinstance(got, bool) or not isinstance(got, (int, float)):
        return got
    try:
        same = float(typed) == float(got) or (float(typed) != float(typed) and float(got) != float(got))
    except ValueError:
        return got
    return _Written(typed.strip()) if same else got


def usage_message(exc, args: list[str]) -> str:
    """One line for a Click usage error, naming the option as typed and the help to read.

    ``--cycles 2.5`` → ``option --cycles: expected a whole number, got '2.5' (see 'isamm schedule -h')``.
    """
    param = getattr(exc, "param", None)
    if isinstance(exc, click.BadParameter) and not isinstance(exc, click.MissingParameter) and param is not None:
        where, value = _as_typed(param, args)
        expected = _EXPECTED.get(getattr(getattr(param, "type_descriptor", None), "annotation", None))
        if expected and value is not None:
            text = f"{where}: expected {expected}, got {value!r}"
        else:
            text = f"{where}: {exc.message}"
    else:
        text = exc.format_message()
    text = " ".join(text.split()).rstrip(".").replace("Value error, ", "")
    if exc.ctx is not None:
        text += f" (see '{exc.ctx.command_path} -h')"
    return text


_EXPECTED = {int: "a whole number", float: "a number", bool: "true or false"}


def _as_typed(param, args: list[str]) -> tuple[str, str | None]:
    """(``option -o`` as the user typed it, or ``argument FILE``; the value given, when it can be found)."""
    if param.param_type_name != "option":
        name = getattr(param, "metavar", None) or getattr(param, "human_readable_name", None) or param.name.upper()
        return f"argument {name}", None
    names = [*param.opts, *param.secondary_opts]
    for i, token in enumerate(args):
        for name in names:
            if token == name:
                return f"option {name}", args[i + 1] if i + 1 < len(args) else None
            if token.startswith(name + "="):
                return f"option {name}", token[len(name) + 1:]
    return f"option {max(names, key=len)}", None


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
