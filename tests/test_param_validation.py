"""Every declared domain is checked, in the library and on the command line (scikit-learn's
``check_param_validation``; issue 12, "Numbers without limits").

For every function in ``isamm._constraints.REGISTRY`` and every parameter it constrains, invalid values
are generated from the declaration and must give an InputError naming the parameter, before any work
(the other arguments are not even given). For every constrained command, the same values typed on the
command line give one line ``isamm: error: option --flag …`` and exit 2; and every numeric or date
option of the commands the issue names has a declared domain.
"""

from __future__ import annotations

import importlib
import math

import pytest

from isamm._constraints import REGISTRY, Dates, Each, Interval
from isamm.errors import InputError

# modules whose constrained functions are imported lazily elsewhere
for _module in ("isamm.cli", "isamm.trials._calibrate", "isamm.trials._sensitivity", "isamm.trials._validate"):
    importlib.import_module(_module)


def invalid_values(domain) -> list:
    """Python values outside ``domain``: just past each bound, non-finite, of the wrong kind."""
    if isinstance(domain, Interval):
        out = [math.nan, math.inf, -math.inf, "5", True]
        if domain.low is not None:
            out.append(domain.low if domain.low_open else domain.low - 1)
        if domain.high is not None:
            out.append(domain.high + 1)
        if domain.kind is int:
            out.append(1.5)
        return out
    if isinstance(domain, Each):
        bad = invalid_values(domain.interval)[0]
        return [[bad], "1,,2", "abc", [1.0] * (domain.max_len + 1)] + ([[]] if domain.min_len else [])
    if isinstance(domain, Dates):
        return ["9999-12-25", "2024-13-01", "1800-01-01", "03/04/2024"]
    raise AssertionError(f"no invalid values for {domain!r}")


def typed_values(domain) -> list[str]:
    """The same, as a user would type them."""
    if isinstance(domain, Interval):
        out = ["nan", "inf"]
        if domain.low is not None:
            out.append(f"{domain.low if domain.low_open else domain.low - 1:g}")
        if domain.high is not None:
            out.append(f"{domain.high * 10 + 1:g}")
        return out
    if isinstance(domain, Each):
        high = domain.interval.high
        return ["nan" if high is None else f"{high * 10 + 1:g}", "1,,2", "abc", ",".join(["1"] * (domain.max_len + 1))]
    return invalid_values(domain)


CASES = [(fn, name, domain) for fn in REGISTRY for name, domain in fn._parameter_constraints.items()]


@pytest.mark.parametrize("fn, name, domain", CASES, ids=[f"{f.__qualname__}-{n}" for f, n, _ in CASES])
def test_every_constrained_parameter_refuses_invalid_values(fn, name, domain):
    for bad in invalid_values(domain):
        with pytest.raises(InputError) as info:
            fn(**{name: bad})
        text = str(info.value)
        assert text.startswith(f"option {name}: ") and f"expected {domain.describe()}" in text, text


BASE = {  # the least each command needs besides the option under test
    "pk simulate": ["pk", "simulate", "--regimen", "ISA-PD", "--weeks", "2"],
    "pk exposure": ["pk", "exposure", "--regimen", "ISA-PD", "--weeks", "8"],
    "pk washout": ["pk", "washout", "--weeks-treated", "8", "--typical"],
    "schedule": ["schedule", "ISA-PD", "--weight-kg", "70", "--age", "60", "--cycles", "2"],
    "trial run": ["trial", "run", "ICARIA-MM", "--seed", "1"],
    "trial sensitivity": ["trial", "sensitivity", "ICARIA-MM", "--parameter", "ec50_isa", "--values", "1"],
    "trial calibrate": ["trial", "calibrate", "-o", "never-written.toml"],
    "trial validate": ["trial", "validate"],
}


def _commands():
    import typer.main

    from isamm.cli import app

    group = typer.main.get_command(app)
    out = {}
    for path in BASE:
        cmd = group
        for part in path.split():
            cmd = cmd.commands[part]
        out[path] = cmd
    return out


COMMANDS = _commands()


def test_every_numeric_and_date_option_has_a_domain():
    for path, cmd in COMMANDS.items():
        declared = getattr(cmd.callback, "_parameter_constraints", {})
        for param in cmd.params:
            numeric = getattr(getattr(param, "type_descriptor", None), "annotation", None) in (int, float)
            numbers_as_text = "date" in param.name or param.name in ("times_h", "values", "cycle_weights")
            if numeric or numbers_as_text:
                assert param.name in declared, f"isamm {path}: {param.opts[0]} has no declared domain"


CLI_CASES = [(path, param, value) for path, cmd in COMMANDS.items()
             for param in cmd.params if param.name in getattr(cmd.callback, "_parameter_constraints", {})
             for value in typed_values(cmd.callback._parameter_constraints[param.name])]


@pytest.mark.parametrize("path, param, value", CLI_CASES,
                         ids=[f"{p}-{q.opts[0]}-{v[:12]}" for p, q, v in CLI_CASES])
def test_cli_names_the_flag_and_the_domain_in_one_line(cli, tmp_path, monkeypatch, path, param, value):
    monkeypatch.chdir(tmp_path)
    flag = max(param.opts, key=len)
    r = cli(*BASE[path], flag, value)
    assert r.exit_code == 2 and r.stdout == "", (path, flag, value, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"isamm: error: option {flag}: "), r.stderr
    assert "expected" in lines[0]
    assert not (tmp_path / "never-written.toml").exists()
