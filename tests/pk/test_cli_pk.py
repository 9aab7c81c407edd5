"""``isamm pk``: JSON contracts, outputs, and every error path (exit 2, one stderr line)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

EXPOSURE_KEYS = {"cmax_first_ug_ml", "cmax_ss_ug_ml", "ctrough_ss_ug_ml", "auc_tau_ss_ug_h_ml", "auc_week_ss_ug_h_ml",
                 "t90_ss_weeks", "half_life_terminal_d"}


def test_simulate_typical_json(cli):
    r = cli("pk", "simulate", "--regimen", "ISA-MONO-10", "--weeks", "4", "--typical", "--times-h", "1,168,336", "--json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["model"] == "isatuximab_fau2020" and d["times_h"] == [1.0, 168.0, 336.0]
    assert len(d["conc_ug_ml"]) == 3 and d["conc_ug_ml"][0] == 0.0 and d["conc_ug_ml"][1] > 0  # first dose at 09:00


def test_simulate_population_parquet_and_plot(cli, tmp_path):
    out, fig = tmp_path / "conc.parquet", tmp_path / "conc.png"
    r = cli("pk", "simulate", "--regimen", "ISA-MONO-10", "--weeks", "6", "--patients", "20", "--seed", "3",
            "--step-h", "48", "-o", out, "--plot", fig, "--log", "--json")
    assert r.exit_code == 0, r.stderr
    frame = pd.read_parquet(out)
    assert set(frame.columns) >= {"patient", "time_h", "conc_ug_ml", "model"} and frame.patient.nunique() == 20
    assert fig.stat().st_size > 1000
    d = json.loads(r.stdout)
    assert set(d["conc_ug_ml"]) == {"median", "p5", "p95"}


def test_exposure_typical_and_population_keys(cli):
    r = cli("pk", "exposure", "--regimen", "ISA-MONO-10-QW-Q2W", "--weeks", "20", "--typical", "--json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert EXPOSURE_KEYS <= set(d) and all(isinstance(d[k], float) for k in EXPOSURE_KEYS)
    r = cli("pk", "exposure", "--regimen", "ISA-MONO-10-QW-Q2W", "--weeks", "20", "--patients", "30", "--seed", "1", "--json")
    d = json.loads(r.stdout)
    for k in EXPOSURE_KEYS:
        assert set(d[k]) == {"median", "p5", "p95", "gmean", "gcv_pct"}


def test_exposure_covariate_options_change_the_patient(cli):
    base = json.loads(cli("pk", "exposure", "--regimen", "ISA-MONO-10-QW-Q2W", "--weeks", "20", "--typical", "--json").stdout)
    nonigg = json.loads(cli("pk", "exposure", "--regimen", "ISA-MONO-10-QW-Q2W", "--weeks", "20", "--typical",
                            "--non-igg", "--weight-kg", "60", "--json").stdout)
    assert nonigg["auc_tau_ss_ug_h_ml"] > 1.5 * base["auc_tau_ss_ug_h_ml"]


def test_washout_json_names_both_models(cli):
    r = cli("pk", "washout", "--drug", "daratumumab", "--regimen", "DARA-IV", "--weeks-treated", "24",
            "--threshold-ug-ml", "1", "--patients", "40", "--json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert set(d["days_to_threshold"]) == {"median", "p5", "p95"}
    assert d["model"] == "daratumumab_xu2020"
    assert set(d["models"]) == {"daratumumab_xu2020", "daratumumab_luo2021"}


def test_models_json(cli):
    d = json.loads(cli("pk", "models", "--json").stdout)
    assert {m["id"] for m in d} >= {"isatuximab_fau2020", "daratumumab_xu2020", "daratumumab_luo2021"}


@pytest.mark.parametrize("args, message", [
    (["pk", "simulate", "--regimen", "NOPE", "--typical"], "NOPE"),
    (["pk", "simulate", "--regimen", "ISA-MONO-10", "--weight-kg", "-70"], "--weight-kg"),
    (["pk", "simulate", "--regimen", "ISA-MONO-10", "--times-h", "1,-5"], "option --times-h"),
    (["pk", "simulate", "--regimen", "ISA-MONO-10", "--times-h", "1,x"], "--times-h"),
    (["pk", "simulate", "--regimen", "ISA-MONO-10", "--albumin-g-l", "35"], "--albumin-g-l"),
    (["pk", "simulate", "--regimen", "ISA-MONO-10", "--plot", "fig.txt"], "--plot"),
    (["pk", "simulate", "--regimen", "ISA-MONO-10", "--model", "daratumumab_xu2020"], "--model"),
    (["pk", "simulate", "--regimen", "ISA-MONO-10", "--model", "nope"], "--model"),
    (["pk", "simulate", "--regimen", "PD"], "--regimen"),
    (["pk", "simulate", "--regimen", "ISA-MONO-10", "--patients", "0"], "--patients"),
    (["pk", "simulate", "--regimen", "ISA-MONO-10", "--formulation", "P3F3"], "--formulation"),
    (["pk", "exposure", "--regimen", "ISA-MONO-10", "--weeks", "2"], "two doses"),
    (["pk", "exposure", "--regimen", "ISA-MONO-10", "--threshold-ug-ml", "0"], "--threshold-ug-ml"),
    (["pk", "washout", "--weeks-treated", "0"], "--weeks-treated"),
    (["pk", "washout", "--weeks-treated", "8", "--drug", "isatuximab"], "--drug"),
    (["pk", "washout", "--weeks-treated", "8", "--model", "isatuximab_fau2020"], "--model"),
    (["pk", "washout", "--weeks-treated", "8", "--threshold-ug-ml", "-1"], "--threshold-ug-ml"),
    (["pk", "washout", "--weeks-treated", "8", "--regimen", "NOPE"], "NOPE"),
])
def test_errors_exit_2_with_one_line(cli, args, message):
    r = cli(*args)
    assert r.exit_code == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("isamm: error:") and message in lines[0], r.stderr
    assert r.stdout == ""


def test_covariate_table_errors_name_the_file_row_and_column(cli, tmp_path):
    f = tmp_path / "cov.csv"
    pd.DataFrame({"weight_kg": [70, -1], "non_igg": [0, 1]}).to_csv(f, index=False)
    r = cli("pk", "exposure", "--regimen", "ISA-MONO-10", "--weeks", "8", "--covariates", f)
    # spreadsheet numbering: header is row 1, so the second patient is row 3
    assert r.exit_code == 2 and "cov.csv, row 3, column 'weight_kg'" in r.stderr
    pd.DataFrame({"weight_kg": [70], "crcl": [60]}).to_csv(f, index=False)
    r = cli("pk", "exposure", "--regimen", "ISA-MONO-10", "--weeks", "8", "--covariates", f)
    assert r.exit_code == 2 and "column 'crcl'" in r.stderr


def test_covariate_table_gives_one_patient_per_row(cli, tmp_path):
    f = tmp_path / "cov.csv"
    pd.DataFrame({"weight_kg": [50.0, 100.0], "non_igg": [0, 1]}).to_csv(f, index=False)
    out = tmp_path / "m.csv"
    r = cli("pk", "exposure", "--regimen", "ISA-MONO-10", "--weeks", "8", "--covariates", f, "--typical", "-o", out)
    assert r.exit_code == 0, r.stderr
    m = pd.read_csv(out)
    assert len(m) == 2 and np.all(m.cmax_first_ug_ml > 0)


def test_washout_reports_daratumumab_at_isatuximab_start(cli):
    r = cli("pk", "washout", "--weeks-treated", "12", "--typical", "--isatuximab-start-days", "60", "--json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["isatuximab_start_days"] == 60.0
    assert set(d["conc_ug_ml_at_isatuximab_start"]) == {"daratumumab_xu2020", "daratumumab_luo2021"}
    assert d["conc_ug_ml_at_isatuximab_start"]["daratumumab_xu2020"]["median"] == pytest.approx(
        d["models"]["daratumumab_xu2020"]["conc_ug_ml_after_last_dose"]["60"]["median"], rel=1e-12)
    r = cli("pk", "washout", "--weeks-treated", "12", "--typical", "--isatuximab-start-days", "9999")
    assert r.exit_code == 2 and "--isatuximab-start-days" in r.stderr


def test_washout_dates_give_the_days_between_them(cli):
    r = cli("pk", "washout", "--weeks-treated", "12", "--typical", "--last-dose-date", "2026-01-10",
            "--isatuximab-start-date", "2026-03-11", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["isatuximab_start_days"] == 60.0  # 21 + 28 + 11 days


@pytest.mark.parametrize("args, message", [
    (["--last-dose-date", "2026-01-10"], "--last-dose-date/--isatuximab-start-date"),
    (["--last-dose-date", "2026-13-10", "--isatuximab-start-date", "2026-03-11"], "--last-dose-date"),
    (["--last-dose-date", "2026-03-10", "--isatuximab-start-date", "2026-03-01"], "--isatuximab-start-date"),
])
def test_washout_date_errors(cli, args, message):
    r = cli("pk", "washout", "--weeks-treated", "12", "--typical", *args)
    assert r.exit_code == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_washout_after_sc_history_runs_the_model_that_has_an_sc_route(cli):
    r = cli("pk", "washout", "--regimen", "DARA-SC", "--weeks-treated", "12", "--typical", "--json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert set(d["models"]) == {"daratumumab_luo2021"} and "daratumumab_xu2020" in d["models_skipped"]
    assert "daratumumab_xu2020 not run" in r.stderr
    r = cli("pk", "washout", "--regimen", "DARA-SC", "--weeks-treated", "12", "--typical", "--model", "daratumumab_xu2020")
    assert r.exit_code == 2 and "route" in r.stderr


@pytest.mark.parametrize("command", [["pk", "simulate", "--typical"], ["pk", "washout", "--weeks-treated", "8"]])
def test_unknown_regimen_names_the_option_and_known_ids(cli, command):
    r = cli(*command, "--regimen", "NOPE")
    assert r.exit_code == 2
    assert "option --regimen: unknown regimen" in r.stderr and "ISA-PD" in r.stderr


def test_repeated_output_time_is_an_error(cli):
    res = cli("pk", "simulate", "--regimen", "ISA-PD", "--weeks", "2", "--times-h", "5,5,5", "--json")
    assert res.exit_code == 2 and res.stdout == ""
    assert "--times-h" in res.stderr and "repeated output time" in res.stderr and "got '5'" in res.stderr


def test_repeated_output_time_named_whatever_the_order(cli):
    res = cli("pk", "simulate", "--regimen", "ISA-PD", "--weeks", "2", "--times-h", "5,5,1", "--json")
    assert res.exit_code == 2 and "got '5'" in res.stderr
