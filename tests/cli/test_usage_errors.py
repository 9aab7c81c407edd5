"""Click/Typer usage errors are one line ``isamm: error: …`` with exit 2, naming the option as typed.

Issue 12, "One line, the option as typed": ``--cycles 2.5``, ``--weight-kg abc``, an unknown
option, a missing argument used to print a multi-line usage box. One handler (``_IsammGroup.main``)
now reports them as it reports library errors.
"""

from __future__ import annotations

import pytest

from isamm.cli import app


def _one_line(result) -> str:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("isamm: error: ")
    assert "╭" not in lines[0] and "Usage:" not in lines[0] and "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.parametrize("args, line", [
    (["schedule", "ISA-PD", "--cycles", "2.5"],
     "isamm: error: option --cycles: expected a whole number, got '2.5' (see 'isamm schedule -h')"),
    (["schedule", "ISA-PD", "--cycles=two"],
     "isamm: error: option --cycles: expected a whole number, got 'two' (see 'isamm schedule -h')"),
    (["pk", "simulate", "--typical", "--weight-kg", "abc"],
     "isamm: error: option --weight-kg: expected a number, got 'abc' (see 'isamm pk simulate -h')"),
    (["km", "cohort.csv", "--conf-level", "high"],
     "isamm: error: option --conf-level: expected a number, got 'high' (see 'isamm km -h')"),
    (["km", "cohort.csv", "--bogus"], "isamm: error: No such option: --bogus (see 'isamm km -h')"),
    (["schedule", "ISA-PD", "--cycle=3"],
     "isamm: error: No such option: --cycle (Possible options: --cycles) (see 'isamm schedule -h')"),
    (["--bogus"], "isamm: error: No such option: --bogus (see 'isamm -h')"),
    (["km"], "isamm: error: Missing argument 'file' (see 'isamm km -h')"),
    (["response", "assess"], "isamm: error: Missing argument 'labs' (see 'isamm response assess -h')"),
    (["cox", "cohort.csv"], "isamm: error: Missing option '--covariates' (see 'isamm cox -h')"),
    (["nocommand"], "isamm: error: No such command 'nocommand' (see 'isamm -h')"),
    (["km", "cohort.csv", "-o"], "isamm: error: Option '-o' requires an argument"),
])
def test_usage_errors_are_one_line(cli, args, line):
    assert _one_line(cli(*args)) == line


def test_the_alias_typed_is_the_one_named(cli, tmp_path):
    """An option with a short and a long name is reported under the name the user typed."""
    from isamm.cli import _as_typed

    class Opt:
        param_type_name = "option"
        opts, secondary_opts = ["-o", "--output"], []

    assert _as_typed(Opt, ["km", "-o", "x"]) == ("option -o", "x")
    assert _as_typed(Opt, ["km", "--output=y"]) == ("option --output", "y")
    assert _as_typed(Opt, ["km"]) == ("option --output", None)


def test_library_errors_still_one_line(cli, tmp_path):
    line = _one_line(cli("km", tmp_path / "none.csv", "--time", "t", "--event", "e"))
    assert line.endswith("file not found")


def test_help_and_success_keep_exit_0(cli):
    assert cli("--help").exit_code == 0
    assert cli("schedule", "--help").exit_code == 0
    assert cli("--version").exit_code == 0


def test_bare_group_prints_its_help(cli):
    """``isamm response`` with no subcommand shows the group's help (no_args_is_help), no error line."""
    r = cli("response")
    assert "Usage" in r.stdout and "isamm: error" not in r.stderr


def test_standalone_false_returns_the_code():
    """Embedding: ``main(standalone_mode=False)`` returns the exit status instead of exiting."""
    import typer.main

    cmd = typer.main.get_command(app)
    assert cmd.main(["schedule", "ISA-PD", "--cycles", "2.5"], prog_name="isamm", standalone_mode=False) == 2
    assert cmd.main(["--version"], prog_name="isamm", standalone_mode=False) == 0


def test_console_script_one_line():
    """The installed entry point behaves the same (no CliRunner in between)."""
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "isamm", "schedule", "ISA-PD", "--cycles", "2.5"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == "isamm: error: option --cycles: expected a whole number, got '2.5' (see 'isamm schedule -h')\n"


def test_abort_is_one_line_exit_1(cli, monkeypatch):
    """Ctrl-C at a prompt (typer.Abort): 'isamm: aborted', exit 1, no traceback."""
    import typer

    import isamm.regimens as rg

    def abort(*args, **kwargs):
        raise typer.Abort()

    monkeypatch.setattr(rg, "get", abort)
    r = cli("schedule", "ISA-PD", "--weight-kg", "70", "--age", "60", "--cycles", "1")
    assert r.exit_code == 1 and r.stderr == "isamm: aborted\n"


@pytest.mark.parametrize("args, expected", [
    (["pk", "simulate", "--regimen", "ISA-PD", "--weeks", "2", "--times-h", "-5"], "option --times-h: entry 1 of 1 out of range"),
    (["pk", "simulate", "--regimen", "ISA-PD", "--weeks", "2", "--backend", "foo"], "option --backend: unknown backend"),
    (["km", "cohort.csv", "--time", "t", "--event", "e", "--at", "-3"], "option --at: landmark times"),
])
def test_library_parameter_names_become_the_flags(cli, tmp_path, args, expected):
    """Issue 12: 'option times_h', 'option backend', 'option at' reached the user; one place translates them."""
    (tmp_path / "cohort.csv").write_text("t,e\n1,1\n2,0\n")
    args = [str(tmp_path / a) if a == "cohort.csv" else a for a in args]
    assert expected in _one_line(cli(*args))


def test_translation_leaves_other_errors_alone():
    from isamm.cli import app, as_typed_option
    from isamm.errors import InputError
    import typer.main

    group = typer.main.get_command(app)
    exc = InputError("bad", option="not_a_param")
    assert as_typed_option(exc, group, ["pk", "simulate"]) is exc
    exc = InputError("bad", option="--weeks")
    assert as_typed_option(exc, group, ["pk", "simulate"]) is exc
    moved = as_typed_option(InputError("bad", option="times_h", got=-5), group, ["pk", "simulate", "--times-h", "-5"])
    assert str(moved) == "option --times-h: bad"


def test_cli_exposure_too_short_names_weeks(cli):
    res = cli("pk", "exposure", "--regimen", "ISA-PD", "--weeks", "1", "--typical")
    assert res.exit_code == 2 and "option --weeks:" in res.stderr and "events" not in res.stderr
