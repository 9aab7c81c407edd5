"""The commands of the README section "Cohort statistics" run as written (files in examples/outcomes/)."""

from __future__ import annotations

import re
import shlex

import pytest

from ._ref import TESTS

README = (TESTS.parent / "README.md").read_text(encoding="utf-8")
SECTION = README.split("## Cohort statistics", 1)[1].split("\n## ", 1)[0]
BLOCK = SECTION.split("```sh", 1)[1].split("```", 1)[0]
COMMANDS = [
    re.sub(r"\s*\[[^\]]*\]", "", line.split("#", 1)[0]).strip()
    for line in BLOCK.splitlines()
    if line.startswith("isamm ") and "cohort.csv" not in line
]


def test_section_has_commands():
    assert len(COMMANDS) >= 6


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_runs(cli, command, monkeypatch):
    monkeypatch.chdir(TESTS.parent)
    args = shlex.split(command)[1:]
    res = cli(*args, "--json")
    assert res.exit_code == 0, res.stderr
