"""Library errors name the Python parameter; the CLI names the flag as typed, in one place (issue 12).

Each case is raised twice: from Python (the message names the parameter, never a ``--flag``) and
from the command line (the same message names the flag, as the user typed it). A source scan checks
that no library error names a flag.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pandas as pd
import pytest

from isamm.errors import InputError

SRC = Path(__file__).resolve().parents[2] / "src" / "isamm"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cohort_report"


def _line(r) -> str:
    assert r.exit_code == 2, (r.exit_code, r.stdout, r.stderr)
    (line,) = r.stderr.splitlines()
    assert line.startswith("isamm: error: ")
    return line


def _python(fn, *args, **kwargs) -> str:
    with pytest.raises(InputError) as err:
        fn(*args, **kwargs)
    message = str(err.value)
    assert not re.search(r"(?<![\w-])--?[a-z]", message.replace("<DataFrame>", "")), message
    return message


def test_no_library_error_names_a_flag():
    """Every string in an ``…Error(...)`` call outside ``isamm.cli`` is free of ``--flag`` (ast scan)."""
    found = []
    for path in SRC.rglob("*.py"):
        if "cli" in path.relative_to(SRC).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")).endswith("Error"):
                for const in ast.walk(node):
                    if isinstance(const, ast.Constant) and isinstance(const.value, str) \
                            and re.search(r"(?<![\w-])--[a-z]", const.value):
                        found.append(f"{path.relative_to(SRC)}:{const.lineno}: {const.value!r}")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):  # defaults such as option="--output"
            if isinstance(node, ast.arguments):
                for default in node.defaults + [d for d in node.kw_defaults if d is not None]:
                    if isinstance(default, ast.Constant) and isinstance(default.value, str) \
                            and default.value.startswith("--"):
                        found.append(f"{path.relative_to(SRC)}:{default.lineno}: default {default.value!r}")
    assert not found, "\n".join(found)


@pytest.fixture
def cohort_csv(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("t,e,g,x\n1,1,a,0.5\n2,0,b,1.5\n3,1,a,2.5\n4,0,b,0.1\n")
    return path


def test_declared_both_categorical_and_continuous(cli, cohort_csv):
    from isamm.cohort import read_cohort

    msg = _python(read_cohort, cohort_csv, categorical=["x"], continuous=["x"])
    assert "column 'x', option categorical/continuous: column declared both" in msg
    line = _line(cli("table1", cohort_csv, "--categorical", "x", "--continuous", "x"))
    assert "column 'x', option --categorical/--continuous: column declared both" in line


def test_a_date_in_a_time_column_points_to_dates(cli, tmp_path):
    from isamm.cohort import read_cohort

    path = tmp_path / "d.csv"
    path.write_text("t,e\n1,1\n2024-01-03,0\n")
    assert _python(read_cohort, path, time="t", event="e").endswith("got '2024-01-03' (see option dates)")
    line = _line(cli("km", path, "--time", "t", "--event", "e"))
    assert "row 3, column 't': not a number" in line and line.endswith("(see option --dates)")


def test_unknown_column_names_the_parameter(cli, cohort_csv):
    from isamm.cohort import read_cohort

    assert "column 'nope', option time: no such column" in _python(read_cohort, cohort_csv, time="nope", event="e")
    assert "column 'nope', option --time: no such column" in _line(cli("km", cohort_csv, "--time", "nope",
                                                                      "--event", "e"))


def test_the_output_folder_is_named_as_typed(cli, tmp_path):
    from isamm.report import cohort_report

    afile = tmp_path / "a_file"
    afile.write_text("x")
    msg = _python(cohort_report, EXAMPLE / "analysis.toml", afile, cohort=EXAMPLE / "mgus2.csv")
    assert "option output_dir: output exists and is not a folder" in msg
    for flag in ("-o", "--output"):
        line = _line(cli("cohort", "report", EXAMPLE / "mgus2.csv", "--config", EXAMPLE / "analysis.toml", flag, afile))
        assert f"option {flag}: output exists and is not a folder" in line


def test_staged_folder_names_its_parameter(tmp_path):
    from isamm._io import staged_folder

    with pytest.raises(InputError, match="option output_dir: the output folder's parent does not exist"):
        with staged_folder(tmp_path / "missing" / "out"):
            pass


def test_write_table_format_names_fmt(tmp_path):
    from isamm._io import write_table

    msg = _python(write_table, tmp_path / "t.csv", pd.DataFrame({"a": [1]}), fmt="xlsx")
    assert "option fmt: unknown output format" in msg
    assert list(tmp_path.iterdir()) == []


def test_washout_of_an_isatuximab_model_names_models():
    from isamm import pk

    events = pk.regimen_events("DARA-IV", 70.0, weeks=8, drug="daratumumab")
    msg = _python(pk.washout, events, models=["isatuximab_fau2020"], n_patients=None)
    assert "option models: the washout planner is for daratumumab models" in msg


def test_schedule_horizon_names_both_parameters(cli):
    import isamm.regimens as rg

    reg = rg.get("ISA-PD")
    patient = rg.Patient(weight_kg=70, age_y=60)
    assert "option cycles/weeks: give exactly one" in _python(reg.schedule, patient, cycles=2, weeks=4)
    line = _line(cli("schedule", "ISA-PD", "--weight-kg", "70", "--age", "60", "--cycles", "2", "--weeks", "4"))
    assert "option --cycles/--weeks: give exactly one" in line


def test_schedule_options_named_without_a_table(cli):
    """The regimens CLI had its own table of names; its parameters now carry the library's names."""
    line = _line(cli("schedule", "ISA-PD", "--weight-kg", "70", "--age", "60", "--cycles", "3",
                     "--cycle-weights-kg", "70,71,72,73"))
    assert "option --cycle-weights-kg: 4 weights for 3 cycles" in line
    assert "argument ID: unknown regimen" in _line(cli("schedule", "NOPE", "--weight-kg", "70", "--age", "60"))


def test_evidence_compare_names_the_unknown_id(cli):
    from isamm.trials import evidence as ev

    assert "option id_b: unknown trial in the evidence base" in _python(ev.compare, "ICARIA-MM", "NOPE")
    assert "argument ID_B: unknown trial" in _line(cli("evidence", "compare", "ICARIA-MM", "NOPE"))
    assert "argument ID: unknown trial" in _line(cli("evidence", "show", "NOPE"))
    assert "option --drug: unknown drug" in _line(cli("evidence", "list", "--drug", "aspirin"))


def test_a_trial_of_hours_points_to_n_per_arm(cli):
    from isamm._constraints import check_trial_work

    msg = _python(check_trial_work, 10_000, 100_000)
    assert msg.startswith("option replicates: ") and msg.endswith("(see option n_per_arm)")
    line = _line(cli("trial", "run", "ICARIA-MM", "--seed", "1", "--replicates", "10000", "--n-per-arm", "100000"))
    assert "option --replicates: " in line and line.endswith("(see option --n-per-arm)")


def test_response_option_named_as_typed(cli, tmp_path):
    labs = tmp_path / "labs.csv"
    labs.write_text("patient_id,day,serum_m_g_dl\nA,0,2\nA,28,1\n")
    line = _line(cli("response", "assess", labs, "--serum-measurable-g-dl", "-1"))
    assert "option --serum-measurable-g-dl:" in line
