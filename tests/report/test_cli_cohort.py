"""``isamm cohort report``: outputs, --json, and every error path (exit 2, one line on stderr)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from conftest import TEST_DATA

CONFIG = """
title = "CLI test"
group = "sex"
landmarks = [12]

[endpoints.os]
label = "Overall survival"
time = "futime"
event = "death"
"""


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "mgus_small.csv"
    pd.read_csv(TEST_DATA / "mgus2.csv").head(150).to_csv(path, index=False)
    return path


def write(tmp_path, text):
    path = tmp_path / "analysis.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_report_and_json(cli, cohort, tmp_path):
    cfg = write(tmp_path, CONFIG)
    r = cli("cohort", "report", cohort, "--config", cfg, "-o", tmp_path / "out", "--json")
    assert r.exit_code == 0, r.stderr
    results = json.loads(r.stdout)
    assert results == json.loads((tmp_path / "out" / "results.json").read_text())
    assert sorted(results) == ["config", "cutoff", "endpoints", "figures", "generated", "input", "isamm_version",
                               "response", "response_by_group", "response_model", "table1", "title"]
    assert (tmp_path / "out" / "report.html").is_file()


def test_human_summary(cli, cohort, tmp_path):
    r = cli("cohort", "report", cohort, "--config", write(tmp_path, CONFIG), "-o", tmp_path / "out")
    assert r.exit_code == 0, r.stderr
    assert "Overall survival" in r.stdout and "all patients" in r.stdout
    assert "wrote" in r.stderr and "report.html" in r.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (CONFIG.replace('group = "sex"', 'group = "gender"'),
         "mgus_small.csv, column 'gender': column named by analysis.toml key 'group' not found"),
        (CONFIG.replace('landmarks = [12]', 'landmark = [12]'), "analysis.toml: key 'landmark': unknown key"),
        (CONFIG.replace('event = "death"', 'event = "age"'), "mgus_small.csv, row 2, column 'age'"),
        ("[endpoints.os\n", "analysis.toml: not valid TOML"),
    ],
)
def test_errors_exit_2_with_one_line(cli, cohort, tmp_path, text, message):
    r = cli("cohort", "report", cohort, "--config", write(tmp_path, text), "-o", tmp_path / "out")
    assert r.exit_code == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("isamm: error: ")
    assert message in lines[0]
    assert not (tmp_path / "out").exists()


def test_output_is_a_file(cli, cohort, tmp_path):
    (tmp_path / "taken").write_text("x")
    r = cli("cohort", "report", cohort, "--config", write(tmp_path, CONFIG), "-o", tmp_path / "taken")
    assert r.exit_code == 2
    assert "option -o: output exists and is not a folder" in r.stderr  # the flag as typed


def test_missing_files(cli, cohort, tmp_path):
    r = cli("cohort", "report", tmp_path / "nope.csv", "--config", write(tmp_path, CONFIG), "-o", tmp_path / "out")
    assert r.exit_code == 2
    assert r.stderr == f"isamm: error: {tmp_path / 'nope.csv'}: cohort file not found\n"
    r = cli("cohort", "report", cohort, "--config", tmp_path / "none.toml", "-o", tmp_path / "out")
    assert r.exit_code == 2
    assert r.stderr == f"isamm: error: {tmp_path / 'none.toml'}: config file not found\n"
