"""Regression tests for the adversarial pass over every command (issue 12): one test per class of failure
found, each fixed at its mechanism. The full list of inputs tried is in the commit messages of the pass."""

from __future__ import annotations

import warnings

import numpy as np
import pytest


def _one_line(r, code: int = 2) -> str:
    assert r.exit_code == code, (r.exit_code, r.stdout, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("isamm: error: "), r.stderr
    return lines[0]


@pytest.fixture
def ids_file(tmp_path):
    """300 patients, one id each: a column that is not a set of groups."""
    rng = np.random.default_rng(1)
    rows = [f"P{i},{rng.exponential(5):.2f},{i % 2},{i % 3},{rng.normal():.3f}" for i in range(300)]
    path = tmp_path / "ids.csv"
    path.write_text("pid,t,e,g,x\n" + "\n".join(rows) + "\n")
    return path


# --- a bug is one line, never a traceback with locals ------------------------------------------------

def test_an_unexpected_exception_is_one_line_exit_1(cli, monkeypatch):
    import isamm.regimens as rg

    def boom(*a, **k):
        raise RuntimeError("something\nbroke")

    monkeypatch.setattr(rg, "get", boom)
    line = _one_line(cli("schedule", "ISA-PD", "--weight-kg", "70", "--age", "60", "--cycles", "1"), code=1)
    assert "internal error" in line and "RuntimeError: something broke" in line and "ISAMM_DEBUG=1" in line
    monkeypatch.setenv("ISAMM_DEBUG", "1")
    with pytest.raises(RuntimeError):
        cli("schedule", "ISA-PD", "--weight-kg", "70", "--age", "60", "--cycles", "1")


def test_warnings_are_one_line_each(cli, monkeypatch):
    import isamm.regimens as rg

    real = rg.get

    def noisy(*a, **k):
        warnings.warn("overflow encountered\n  in subtract", RuntimeWarning)
        return real(*a, **k)

    monkeypatch.setattr(rg, "get", noisy)
    r = cli("schedule", "ISA-PD", "--weight-kg", "70", "--age", "60", "--cycles", "1", "--json")
    assert r.exit_code == 0
    assert r.stderr.splitlines() == ["isamm: warning: overflow encountered in subtract"]


# --- figures: the suffix is checked before drawing ----------------------------------------------------

@pytest.mark.parametrize("args", [
    lambda d: ["km", d / "c.csv", "--time", "t", "--event", "e", "--plot", d / "f.xyz"],
    lambda d: ["response", "assess", d / "labs.csv", "--plot", d / "f.xyz"],
    lambda d: ["pk", "simulate", "--regimen", "ISA-PD", "--weeks", "2", "--plot", d / "f.xyz"],
])
def test_unknown_figure_format(cli, tmp_path, args):
    (tmp_path / "c.csv").write_text("t,e\n1,1\n2,0\n")
    (tmp_path / "labs.csv").write_text("patient_id,day,serum_m_g_dl\nA,0,2\nA,28,1\n")
    line = _one_line(cli(*args(tmp_path)))
    assert "option --plot: unknown figure format: expected a file name ending in .png, .svg or .pdf" in line
    assert not (tmp_path / "f.xyz").exists()


# --- no pydantic wording reaches the user -------------------------------------------------------------

@pytest.mark.parametrize("content, args, needle", [
    ("[thresholds]\nx = 1\n", lambda d: ["response", "assess", d / "labs.csv", "--config", d / "c.toml"],
     "option thresholds: invalid response setting, unknown key"),
    (None, lambda d: ["response", "assess", d / "labs.csv", "--serum-measurable-g-dl", "-1"],
     "invalid response setting, out of range: expected a number > 0"),
    ('time = 5\nevent = "e"\n', lambda d: ["km", d / "c.csv", "--config", d / "c.toml"],
     "option cohort.time: wrong type: expected text, got 5"),
])
def test_validation_messages_are_isamm_words(cli, tmp_path, content, args, needle):
    (tmp_path / "labs.csv").write_text("patient_id,day,serum_m_g_dl\nA,0,2\nA,28,1\n")
    (tmp_path / "c.csv").write_text("t,e\n1,1\n2,0\n")
    if content is not None:
        (tmp_path / "c.toml").write_text(content)
    line = _one_line(cli(*args(tmp_path)))
    assert needle in line
    for pydantic in ("Input should", "Extra inputs", "Value error", "pydantic", "<class"):
        assert pydantic not in line


# --- a column with one value per patient is not a set of groups -------------------------------------------

@pytest.mark.parametrize("args", [
    lambda p: ["km", p, "--time", "t", "--event", "e", "--group", "pid"],
    lambda p: ["crosstab", p, "--rows", "pid", "--cols", "g"],
    lambda p: ["table1", p, "--by", "x"],
    lambda p: ["cox", p, "--time", "t", "--event", "e", "--covariates", "pid"],
    lambda p: ["ordinal", p, "--response", "pid", "--covariates", "x"],
])
def test_too_many_levels(cli, ids_file, args):
    line = _one_line(cli(*args(ids_file)))
    assert "distinct values: not a set of groups" in line and "at most 200 levels" in line


def test_table1_of_a_wide_export(cli, tmp_path):
    names = [f"c{i}" for i in range(600)]
    path = tmp_path / "wide.csv"
    path.write_text("g," + ",".join(names) + "\n" + "\n".join(f"{i % 2}," + ",".join("1" for _ in names)
                                                             for i in range(4)) + "\n")
    assert "600 columns would be rows of the table" in _one_line(cli("table1", path, "--by", "g"))


def test_a_column_named_twice(cli, ids_file):
    line = _one_line(cli("cox", ids_file, "--time", "t", "--event", "e", "--covariates", "x,x"))
    assert "option --covariates: column 'x' named twice" in line


# --- numbers no statistic survives -----------------------------------------------------------------------

@pytest.mark.parametrize("cell", ["1e308", "inf", "-inf", "-1e16"])
def test_absurd_numbers_in_a_cohort(cli, tmp_path, cell):
    path = tmp_path / "c.csv"
    path.write_text(f"t,e,x\n1,1,5\n2,0,{cell}\n3,1,7\n")
    line = _one_line(cli("cox", path, "--time", "t", "--event", "e", "--covariates", "x"))
    assert "row 3, column 'x': number out of range" in line


@pytest.mark.parametrize("day", ["1e300", "-1e308", "99999"])
def test_absurd_lab_days(cli, tmp_path, day):
    path = tmp_path / "labs.csv"
    path.write_text(f"patient_id,day,serum_m_g_dl\nA,0,2\nA,{day},1\n")
    assert "row 3, column 'day': day out of range" in _one_line(cli("response", "assess", path))


def test_cox_on_a_numerically_singular_information():
    from isamm.outcomes._coxfit import TOLER_CHOL, _LDL

    singular = np.array([[1.0, 1.0], [1.0, 1.0]])
    factor = _LDL(singular, TOLER_CHOL)
    assert factor.keep.tolist() == [True, False]  # R cholesky2: the second pivot is 0
    assert np.isfinite(factor.solve(np.array([1.0, 1.0]))).all()
    assert np.isfinite(factor.inverse()).all()


# --- ids with Rich markup are data, printed as written ----------------------------------------------------

def test_markup_in_ids_and_columns(cli, tmp_path):
    labs = tmp_path / "labs.csv"
    labs.write_text("patient_id,day,serum_m_g_dl\n[/bold],0,2\n[/bold],28,0.9\n[red]x,0,2\n[red]x,28,1.9\n")
    r = cli("response", "assess", labs)
    assert r.exit_code == 0, r.stderr
    assert "[/bold]" in r.stdout and "[red]x" in r.stdout
    cohort = tmp_path / "c.csv"
    cohort.write_text("t,e,[/bold]\n1,1,[red]a\n2,0,b\n3,1,[red]a\n4,0,b\n")
    r = cli("km", cohort, "--time", "t", "--event", "e", "--group", "[/bold]")
    assert r.exit_code == 0 and "[red]a" in r.stdout, r.stderr


# --- studio: an address or a port that cannot serve is refused before Streamlit starts ------------------------

@pytest.mark.parametrize("args, needle", [
    (["--host", "[/bold]", "--port", "8501"], "option --host: unknown address"),
    (["--host", "192.0.2.1", "--port", "8501"], "option --host: not an address of this computer"),
])
def test_studio_host_checked_before_starting(cli, monkeypatch, args, needle):
    import isamm.cli._studio as studio

    monkeypatch.setattr(studio, "_exec", lambda argv: pytest.fail("Streamlit was started"))
    assert needle in _one_line(cli("studio", *args))


def test_studio_port_in_use(cli, monkeypatch):
    import socket

    import isamm.cli._studio as studio

    monkeypatch.setattr(studio, "_exec", lambda argv: pytest.fail("Streamlit was started"))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert "option --port: cannot listen on 127.0.0.1" in _one_line(cli("studio", "--port", port))


# --- work refused before it starts ------------------------------------------------------------------------

def test_a_pk_run_of_hours_is_refused_before_sampling(cli, monkeypatch):
    import isamm.pk as pk

    monkeypatch.setattr(pk, "sample_patients", lambda *a, **k: pytest.fail("sampling started"))
    line = _one_line(cli("pk", "simulate", "--regimen", "ISA-PD", "--weeks", "520", "--patients", "1000000"))
    assert "option --patients: this run would take about" in line and "pk exposure --dask local" in line


def test_a_washout_of_hours_is_refused(cli):
    line = _one_line(cli("pk", "washout", "--weeks-treated", "8", "--patients", "1000000", "--horizon-days", "3650"))
    assert "option --patients: this run would take about" in line


def test_a_trial_of_hours_is_refused(cli):
    line = _one_line(cli("trial", "run", "ICARIA-MM", "--seed", "1", "--replicates", "10000", "--n-per-arm", "1000"))
    assert "option --replicates: 10,000 replicate(s) × 2,000 patients" in line


def test_every_sensitivity_value_is_checked_before_the_first_run(cli, monkeypatch):
    import isamm.trials._sensitivity as sens

    monkeypatch.setattr(sens, "run_trial", lambda *a, **k: pytest.fail("a run started"))
    line = _one_line(cli("trial", "sensitivity", "ICARIA-MM", "--parameter", "ec50_isa", "--values", "1,-1"))
    assert "option --values: ec50_isa = -1: invalid parameter value" in line


@pytest.mark.parametrize("args, needle", [
    (["--last-dose-date", "2024-01-01", "--isatuximab-start-date", "2034-01-01"],
     "option --isatuximab-start-date: isatuximab start is 3653 days after the last dose, beyond --horizon-days"),
    (["--isatuximab-start-days", "3000", "--horizon-days", "100"], "option --isatuximab-start-days: beyond"),
])
def test_washout_start_beyond_the_horizon_names_the_flag(cli, args, needle):
    assert needle in _one_line(cli("pk", "washout", "--weeks-treated", "8", "--typical", *args))


def test_a_folder_as_trial_file(cli, tmp_path):
    (tmp_path / "t.yaml").mkdir()
    assert "t.yaml: is a folder, not a file" in _one_line(cli("trial", "show", tmp_path / "t.yaml"))


def test_a_newline_in_a_file_name_stays_on_one_line(cli, tmp_path):
    line = _one_line(cli("km", tmp_path / "no\nfile.csv", "--time", "t", "--event", "e"))
    assert "no\\nfile.csv: file not found" in line


def test_a_report_error_names_the_cohort_and_the_config_section(cli, tmp_path):
    from pathlib import Path

    import pandas as pd

    example = Path(__file__).resolve().parents[2] / "examples" / "cohort_report"
    one_sex = pd.read_csv(example / "mgus2.csv").assign(sex="F")
    one_sex.to_csv(tmp_path / "one_sex.csv", index=False)
    line = _one_line(cli("cohort", "report", tmp_path / "one_sex.csv", "--config", example / "analysis.toml",
                         "-o", tmp_path / "out"))
    assert "one_sex.csv, column 'sex': [table1] of analysis.toml: grouping column has a single level" in line
    assert "<DataFrame>" not in line and "option" not in line
    assert not (tmp_path / "out").exists()


def test_a_cox_model_too_big_for_memory_is_refused(monkeypatch):
    from isamm.errors import InputError
    from isamm.outcomes._coxfit import cox_newton

    monkeypatch.setenv("ISAMM_MEMORY_GB", "0.001")
    X = np.random.default_rng(1).normal(size=(2000, 10))
    with pytest.raises(InputError, match=r"option covariates: a Cox model of 10 terms on 2,000 rows needs ~0.0"):
        cox_newton(X, np.arange(2000.0), np.ones(2000))


def test_a_positional_argument_is_named_as_an_argument(cli):
    # the library names its parameter (trial, regimen); the CLI says which positional argument it was
    res = cli("trial", "run", "NOPE", "--seed", "1")
    assert res.exit_code == 2 and "isamm: error: argument TRIAL: unknown trial" in res.stderr
    assert "Traceback" not in res.stderr
    res = cli("regimens", "show", "NOPE")
    assert res.exit_code == 2 and "argument ID: unknown regimen" in res.stderr


# --- inputs that are not regular files: a named pipe hung the command, /dev/zero never ended -----------

@pytest.mark.parametrize("command", [
    ["km", "{fifo}.csv", "--time", "t", "--event", "e"],
    ["response", "assess", "{good}", "--config", "{fifo}.toml"],
    ["cohort", "report", "{good}", "--config", "{fifo}.toml", "-o", "{out}"],
    ["pk", "simulate", "--regimen", "ISA-PD", "--weeks", "2", "--covariates", "{fifo}.csv"],
    ["trial", "show", "{fifo}.yaml"],
])
def test_a_named_pipe_is_refused_before_reading(cli, tmp_path, command):
    import os

    for suffix in (".csv", ".toml", ".yaml"):
        os.mkfifo(tmp_path / f"pipe{suffix}")  # reading one blocks until a writer comes: a hang
    good = tmp_path / "labs.csv"
    good.write_text("patient_id,day,serum_m_g_dl\nA,0,2\nA,28,1\n")
    args = [a.format(fifo=tmp_path / "pipe", good=good, out=tmp_path / "out") for a in command]
    line = _one_line(cli(*args))
    assert "not a regular file (a named pipe)" in line


def test_a_link_to_a_device_and_a_file_over_the_budget(cli, tmp_path, monkeypatch):
    import os

    os.symlink("/dev/zero", tmp_path / "zero.csv")  # read_bytes would never end
    assert "zero.csv: not a regular file (a device)" in _one_line(cli("km", tmp_path / "zero.csv", "--time", "t",
                                                                     "--event", "e"))
    big = tmp_path / "big.csv"
    big.write_text("t,e\n" + "1,1\n" * 100_000)
    monkeypatch.setenv("ISAMM_MEMORY_GB", "0.001")
    line = _one_line(cli("km", big, "--time", "t", "--event", "e"))
    assert "big.csv: file of" in line and "memory budget (ISAMM_MEMORY_GB)" in line


def test_cox_linear_algebra_runs_on_one_blas_thread():
    """p × p solves on a busy machine: OpenBLAS threads waiting for a core made a 300-term cox.zph take minutes."""
    from threadpoolctl import threadpool_info

    from isamm._blas import one_thread

    with one_thread():
        assert all(p["num_threads"] == 1 for p in threadpool_info() if p["user_api"] == "blas")


# --- an output naming the input data file: `-o cohort.csv` replaced the patients' data by the result -----

def test_an_output_never_replaces_the_data_file_read(cli, tmp_path, ids_file):
    before = ids_file.read_bytes()
    for args in (["km", ids_file, "--time", "t", "--event", "e", "-o", ids_file],
                 ["table1", ids_file, "-o", tmp_path / "." / ids_file.name]):  # the same file by another path
        line = _one_line(cli(*args))
        assert "the output would replace an input file" in line
    assert ids_file.read_bytes() == before
    labs = tmp_path / "labs.csv"
    labs.write_text("patient_id,day,serum_m_g_dl\nA,0,2\nA,28,1\n")
    assert "replace an input file" in _one_line(cli("response", "assess", labs, "-o", labs))
    r = cli("km", ids_file, "--time", "t", "--event", "e", "-o", tmp_path / "km.csv")  # another name: written
    assert r.exit_code == 0 and (tmp_path / "km.csv").exists()


def test_python_callers_may_write_where_they_read(tmp_path):
    """Only the command line guards its inputs (a script may rewrite a table it read)."""
    import pandas as pd

    from isamm._io import write_table
    from isamm.cohort import read_cohort

    path = tmp_path / "c.csv"
    path.write_text("t,e\n1,1\n2,0\n")
    read_cohort(path, time="t", event="e")
    write_table(path, pd.DataFrame({"t": [3], "e": [1]}))
    assert path.read_text().startswith("t,e\n3,1")
