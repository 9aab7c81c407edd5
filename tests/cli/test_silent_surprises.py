"""Inputs that used to be accepted silently with a wrong or surprising result (issue 12, "Silent surprises").

Each is now an error naming where and what, or a stated outcome; each test gives the input of the issue.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from conftest import TEST_DATA
from isamm._io import to_json
from isamm.errors import InputError

SCHEDULE = ["schedule", "ISA-PD", "--weight-kg", "70", "--age", "60"]


def _one_line(result, *fragments) -> str:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("isamm: error: "), result.stderr
    for f in fragments:
        assert f in lines[0], lines[0]
    return lines[0]


# --- lists of numbers: an empty entry is not dropped (it would shift the later values) -----------

@pytest.mark.parametrize("text, entry", [("70,,66", "entry 2 of 3 is empty"), ("70,68,", "entry 3 of 3 is empty"),
                                         (",70", "entry 1 of 2 is empty")])
def test_empty_entry_in_a_list(cli, text, entry):
    _one_line(cli(*SCHEDULE, "--cycles", "3", "--cycle-weights-kg", text), "option --cycle-weights-kg", entry,
              repr(text))


def test_more_weights_than_cycles(cli):
    _one_line(cli(*SCHEDULE, "--cycles", "2", "--cycle-weights-kg", "70,68,66"),
              "option --cycle-weights-kg: 3 weights for 2 cycles")
    assert cli(*SCHEDULE, "--cycles", "3", "--cycle-weights-kg", "70,68,66", "--json").exit_code == 0
    assert cli(*SCHEDULE, "--cycles", "3", "--cycle-weights-kg", "70, 68", "--json").exit_code == 0  # last carried


def test_more_weights_than_cycles_in_the_library():
    import isamm.regimens as rg

    with pytest.raises(InputError, match="option weight_kg_by_cycle: 3 weights for 2 cycles"):
        rg.get("ISA-PD").schedule(rg.Patient(weight_kg=70, age_y=60), cycles=2, weight_kg_by_cycle=[70, 68, 66])


# --- options that would be ignored without a word --------------------------------------------------

def test_typical_with_patients(cli):
    _one_line(cli("pk", "simulate", "--regimen", "ISA-PD", "--weeks", "2", "--typical", "--patients", "5"),
              "option --patients", "--typical", "not both")


def test_covariate_table_with_patients(cli, tmp_path):
    table = tmp_path / "cov.csv"
    table.write_text("weight_kg\n70\n80\n")
    _one_line(cli("pk", "simulate", "--regimen", "ISA-PD", "--weeks", "2", "--covariates", table, "--patients", "5"),
              "option --patients", "one patient per row")


# --- values outside their domain ---------------------------------------------------------------------

def test_time_unit_is_checked(cli):
    _one_line(cli("km", TEST_DATA / "mgus2.csv", "--time", "futime", "--event", "death", "--time-unit", "parsecs"),
              "option --time-unit: unknown time unit: expected months or days or weeks or years, got 'parsecs'")
    ok = cli("km", TEST_DATA / "mgus2.csv", "--time", "futime", "--event", "death", "--time-unit", "months")
    assert ok.exit_code == 0


def test_the_report_config_takes_the_same_units():
    from typing import get_args

    from isamm.report._config import AnalysisConfig
    from isamm.units import TIME_UNITS

    assert get_args(AnalysisConfig.model_fields["time_unit"].annotation) == TIME_UNITS


def test_follow_up_date_in_the_future(tmp_path):
    from isamm.cohort import read_cohort

    path = tmp_path / "c.csv"
    path.write_text("start,end,death\n2019-01-01,2020-01-01,1\n2019-02-01,2099-01-01,0\n")
    with pytest.raises(InputError, match=r"c.csv, row 3, column 'end': date in the future: expected an observed "
                                         r"date, on or before today \(\d{4}-\d\d-\d\d\), got '2099-01-01'"):
        read_cohort(path, dates=("start", "end"), event="death")


# --- tables: a repeated header, a header without rows ----------------------------------------------

def test_repeated_header_in_a_cohort(cli, tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("t,e,t\n1,1,5\n2,0,6\n")
    _one_line(cli("km", path, "--time", "t", "--event", "e"),
              "dup.csv, row 1, column 't': column name repeated (columns 1 and 3)", "'t.1'")


def test_repeated_header_in_a_semicolon_csv_and_a_dataframe(tmp_path):
    from isamm.cohort import read_cohort

    path = tmp_path / "eu.csv"
    path.write_text("t;e;e\n1,5;1;0\n2;0;1\n")
    with pytest.raises(InputError, match="column 'e': column name repeated"):
        read_cohort(path, time="t", event="e")
    frame = pd.DataFrame([[1, 1, 0]], columns=["t", "e", "e"])
    with pytest.raises(InputError, match=r"<DataFrame>, row 1, column 'e': column name repeated"):
        read_cohort(frame, time="t")


def test_a_column_really_named_t1_is_fine(tmp_path):
    from isamm.cohort import read_cohort

    path = tmp_path / "c.csv"
    path.write_text("t,e,t.1\n1,1,5\n2,0,6\n")
    assert list(read_cohort(path, time="t", event="e").data.columns) == ["t", "e", "t.1"]


def test_repeated_header_in_labs_and_covariates(cli, tmp_path):
    labs = tmp_path / "labs.csv"
    labs.write_text("patient_id,day,day\nA,0,1\n")
    _one_line(cli("response", "assess", labs), "row 1, column 'day': column name repeated (columns 2 and 3)")
    cov = tmp_path / "cov.csv"
    cov.write_text("weight_kg,weight_kg\n70,80\n")
    _one_line(cli("pk", "simulate", "--regimen", "ISA-PD", "--weeks", "2", "--covariates", cov),
              "column 'weight_kg': column name repeated")


def test_header_only_lab_file(cli, tmp_path):
    labs = tmp_path / "labs.csv"
    labs.write_text("patient_id,day,serum_m_g_dl\n")
    _one_line(cli("response", "assess", labs), "labs.csv: no assessments: expected a header row and at least one")


# --- cut-off on a constant marker; JSON never holds ±inf ------------------------------------------

def test_cutoff_on_a_constant_marker(cli, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("m,y\n1,0\n1,1\n1,0\n")
    for extra in ([], ["--json"]):
        _one_line(cli("cutoff", path, "--marker", "m", "--outcome", "y", *extra),
                  "c.csv, column 'm', option --marker: the marker is constant among complete pairs")


def test_cutoff_without_a_useful_direction(cli, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("m,y\n1,1\n2,1\n3,0\n4,0\n")
    _one_line(cli("cutoff", path, "--marker", "m", "--outcome", "y", "--direction", "above"),
              "no cut-off does better than none with direction 'above'", "try direction 'below'")
    out = cli("cutoff", path, "--marker", "m", "--outcome", "y", "--direction", "below", "--json")
    assert json.loads(out.stdout)["cutoff"] == 2.5


def test_json_has_no_infinity():
    import numpy as np

    assert to_json({"a": float("inf"), "b": [np.float32("-inf"), 1.5]}, indent=None) == '{"a": null, "b": [null, 1.5]}'


# --- user text is never Rich markup --------------------------------------------------------------

def test_patient_ids_with_markup(cli, tmp_path):
    labs = tmp_path / "labs.csv"
    labs.write_text("patient_id,day,serum_m_g_dl\n[/bold],0,2\n[/bold],28,0.5\n[/bold],56,0.4\n[red]x,0,2\n"
                    "[red]x,28,1\n")
    for extra in ([], ["--details"]):
        r = cli("response", "assess", labs, *extra)
        assert r.exit_code == 0, r.stderr
        assert "[/bold]" in r.stdout and "[red]x" in r.stdout
