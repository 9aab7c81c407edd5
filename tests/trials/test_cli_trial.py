"""``isamm trial``: JSON contract, output folder, and one-line errors with nothing written."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

import isamm.trials as tr


def test_list_json(cli):
    res = cli("trial", "list", "--json")
    assert res.exit_code == 0
    rows = json.loads(res.stdout)
    assert {"ICARIA-MM", "IKEMA", "MM-002"} <= {r["id"] for r in rows}
    assert set(rows[0]) >= {"id", "name", "arms", "source"}


def test_show_yaml_round_trips(cli, tmp_path):
    res = cli("trial", "show", "IKEMA", "--yaml")
    assert res.exit_code == 0
    path = tmp_path / "copy.yaml"
    path.write_text(res.stdout, encoding="utf-8")
    assert tr.load_trial(path) == tr.load_trial("IKEMA")


def test_run_json_and_outputs(cli, tmp_path):
    out = tmp_path / "run"
    res = cli("trial", "run", "ICARIA-MM", "--seed", "1", "--n-per-arm", "15", "--follow-up-months", "15",
              "--replicates", "2", "--json", "-o", out)
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["trial"] == "ICARIA-MM" and data["replicates"] == 2
    assert [a["n"] for a in data["arms"]] == [15, 15]
    assert data["published"] is not None
    for name in ("report.html", "result.json", "cohort.csv", "labs.csv", "response.toml", "figures/km_pfs.png"):
        assert (out / name).is_file(), name
    assert json.loads((out / "result.json").read_text())["arms"] == data["arms"]
    from isamm.disease import load_parameters

    assert ("uncalibrated" in res.stderr) == ("uncalibrated" in load_parameters().status)
    # the written files are read by the same commands as real data
    km = cli("km", out / "cohort.csv", "--time", "pfs_months", "--event", "pfs_event", "--group", "arm", "--json")
    assert km.exit_code == 0, km.stderr
    assert json.loads(km.stdout)["groups"][0]["n"] == 15
    resp = cli("response", "assess", out / "labs.csv", "--config", out / "response.toml", "--json")
    assert resp.exit_code == 0, resp.stderr
    best = {p["patient_id"]: p["best_response"] for p in json.loads(resp.stdout)["patients"]}
    cohort = pd.read_csv(out / "cohort.csv")
    assert all(best[r.patient_id] == r.best_response for r in cohort.itertuples())
    # html escapes what comes from a user's file
    assert "<script" not in (out / "report.html").read_text()


def test_user_file_with_html_is_escaped(cli, tmp_path):
    data = tr.load_trial("MIKHAEL-2021").model_dump(mode="json")
    data["name"] = "<script>alert(1)</script>"
    data["arms"][0]["id"] = "<b>x</b>"
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    res = cli("trial", "run", path, "--seed", "1", "--n-per-arm", "6", "-o", tmp_path / "o")
    assert res.exit_code == 0, res.stderr
    html = (tmp_path / "o" / "report.html").read_text()
    assert "<script>alert" not in html and "&lt;b&gt;x&lt;/b&gt;" in html


def test_errors_are_one_line_and_write_nothing(cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    data = tr.load_trial("ICARIA-MM").model_dump(mode="json")
    data["arms"][0]["regimen"] = "NOPE"
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")
    for args in (["trial", "run", bad, "--seed", "1"],
                 ["trial", "run", "ICARIA-MM", "--seed", "-1"],
                 ["trial", "run", "ICARIA-MM", "--seed", "1", "--replicates", "0"],
                 ["trial", "run", "ICARIA-MM", "--seed", "1", "--n-per-arm", "0"],
                 ["trial", "run", "NOPE", "--seed", "1"],
                 ["trial", "run", "ICARIA-MM", "--seed", "1", "--parameters", tmp_path / "none.toml"]):
        res = cli(*args, "-o", tmp_path / "out")
        assert res.exit_code == 2, (args, res.stdout, res.stderr)
        assert res.stderr.startswith("isamm: error:") and res.stderr.count("\n") == 1, res.stderr
        assert not (tmp_path / "out").exists()
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    res = cli("trial", "run", "ICARIA-MM", "--seed", "1", "-o", afile)
    assert res.exit_code == 2 and "not a folder" in res.stderr


def test_same_seed_same_trial_on_both_pk_backends(cli):
    # the JAX engine stops each patient at its data cut-off (end_h) like the NumPy engine; every number of
    # the trial (response rates, medians, HR, PK band) comes out the same
    args = ("trial", "run", "ICARIA-MM", "--seed", "3", "--n-per-arm", "40", "--follow-up-months", "18", "--json")
    a, b = (json.loads(cli(*args, "--backend", be).stdout) for be in ("numpy", "jax"))
    flat_a, flat_b = _numbers(a), _numbers(b)
    assert flat_a.keys() == flat_b.keys() and len(flat_a) > 20
    for key, value in flat_a.items():
        assert flat_b[key] == pytest.approx(value, rel=1e-6, abs=1e-9), key


def _numbers(d, prefix=""):
    out = {}
    if isinstance(d, dict):
        for k, v in d.items():
            out.update(_numbers(v, f"{prefix}/{k}"))
    elif isinstance(d, list):
        for i, v in enumerate(d):
            out.update(_numbers(v, f"{prefix}[{i}]"))
    elif isinstance(d, (int, float)) and not isinstance(d, bool):
        out[prefix] = float(d)
    return out
