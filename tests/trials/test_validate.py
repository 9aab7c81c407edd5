"""Validation: every validation number predicted (never fitted), misses reported, the report written whole."""

from __future__ import annotations

import json

import pytest

import isamm.trials.evidence as ev
from isamm.trials._validate import validate


@pytest.fixture(scope="module")
def result():
    return validate(seed=2, replicates=2)


def test_every_validation_number_is_predicted(result):
    doc = result.to_dict()
    listed = {(t["trial"], t["arm"], t["metric"], t["landmark_months"], json.dumps(t["subgroup"], sort_keys=True))
              for t in ev.targets("validation")}
    got = {(r["trial"], r["arm"], r["quantity"].split("_12")[0] if r["quantity"].endswith("_12") else r["quantity"],
            12.0 if r["quantity"].endswith("_12") else None, json.dumps(r["subgroup"], sort_keys=True))
           for r in doc["targets"]}
    skipped = {(s["trial"], s["arm"], s["quantity"]) for s in doc["not_simulated"]}
    assert {k[:3] for k in listed - got} <= skipped
    # the three validation sources of calibration_targets.md, with the two anti-CD38 washout subgroups
    trials = {r["trial"] for r in doc["targets"]}
    assert {"TED10893", "MARTINO-2025", "MIKHAEL-2021"} <= trials
    assert any(r["subgroup"] and r["trial"] == "MIKHAEL-2021" for r in doc["targets"])
    assert any(r["subgroup"] and r["trial"] == "MARTINO-2025" for r in doc["targets"])
    # TED10893 is simulated for its validation arm; no calibration number appears
    assert {r["arm"] for r in doc["targets"] if r["trial"] == "TED10893"} == {"Isa-d"}


def test_rows_are_consistent(result):
    for r in result.to_dict()["targets"]:
        lo, hi = r["prediction_interval"]
        if r["predicted"] is not None and lo is not None and hi is not None:
            assert lo <= r["predicted"] <= hi
        if r["covered"] is not None and hi is not None:
            assert r["covered"] == (lo <= r["published"] <= hi)
        assert r["source"]


def test_report_and_cli(result, tmp_path, cli):
    from isamm.trials._report import write_validation_outputs

    out = tmp_path / "val"
    doc = write_validation_outputs(result, out)
    assert (out / "validation.html").is_file() and (out / "figures" / "forest.png").is_file()
    assert json.loads((out / "validation.json").read_text())["summary"] == doc["summary"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    res = cli("trial", "validate", "--replicates", "0")
    assert res.exit_code == 2 and res.stderr.startswith("isamm: error:")
