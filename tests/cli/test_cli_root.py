"""The root command: help, version, and the error path (exit 2, one line, no traceback)."""

from __future__ import annotations

import subprocess
import sys

import isamm


def test_help_and_version(cli):
    r = cli("--help")
    assert r.exit_code == 0
    assert "isamm" in r.stdout
    r = cli("--version")
    assert r.exit_code == 0
    assert r.stdout.strip() == f"isamm {isamm.__version__}"


def test_console_script_runs():
    r = subprocess.run([sys.executable, "-m", "isamm", "--version"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("isamm ")
