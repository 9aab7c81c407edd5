"""``isamm studio``: localhost by default, the URL printed, a warning for any other address, no usage statistics."""

from __future__ import annotations

import pytest

import isamm.cli._studio as studio


@pytest.fixture
def launched(monkeypatch):
    """Capture the command line instead of replacing the process with Streamlit."""
    calls = []
    monkeypatch.setattr(studio, "_exec", calls.append)
    return calls


def _option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_defaults_bind_localhost_and_switch_statistics_off(cli, launched):
    r = cli("studio")
    assert r.exit_code == 0
    assert r.stdout.startswith("isamm studio: http://127.0.0.1:8501")
    assert "warning" not in r.stderr
    (argv,) = launched
    assert argv[1:4] == ["-m", "streamlit", "run"] and argv[4].endswith("isamm/web/app.py")
    assert _option(argv, "--server.address") == "127.0.0.1"
    assert _option(argv, "--server.port") == "8501"
    assert _option(argv, "--browser.gatherUsageStats") == "false"
    assert _option(argv, "--server.headless") == "true"
    assert _option(argv, "--server.maxUploadSize") == "50"
    assert _option(argv, "--client.showErrorDetails") == "false"


def test_another_host_warns_that_there_is_no_authentication(cli, launched):
    r = cli("studio", "--host", "0.0.0.0", "--port", "9000")
    assert r.exit_code == 0
    assert "no authentication" in r.stderr and "0.0.0.0:9000" in r.stderr
    assert r.stdout.startswith("isamm studio: http://0.0.0.0:9000")
    assert _option(launched[0], "--server.address") == "0.0.0.0"


def test_bad_port_is_one_line_exit_2(cli, launched):
    r = cli("studio", "--port", "70000")
    assert r.exit_code == 2
    assert r.stderr.strip() == "isamm: error: option --port: invalid port: expected an integer from 1 to 65535, got 70000"
    assert not launched
