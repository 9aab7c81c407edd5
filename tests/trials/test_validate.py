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
        if r["covered"] is not None and hi is not None and lo is not None:
            assert r["covered"] == (lo <= r["published"] <= hi)
        if r["covered"] is not None and r["published"] is not None and lo is None:  # not reached in every replicate
            assert r["covered"] is False
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


@pytest.fixture(scope="module")
def ikema_check():
    # the calibration check on one trial (IKEMA: it holds the one median published as not reached)
    mp = pytest.MonkeyPatch()
    mp.setattr(ev, "targets", lambda role: [t for t in _all_targets(role) if t["trial"] == "IKEMA"])
    try:
        yield validate(seed=3, replicates=2, role="calibration")
    finally:
        mp.undo()


_all_targets = ev.targets


def test_calibration_check_uses_calibration_numbers_only(ikema_check):
    doc = ikema_check.to_dict()
    assert doc["role"] == "calibration"
    assert doc["backend"] in ("numpy", "jax")  # the engine that ran, never "auto"
    listed = {(t["arm"], t["metric"]) for t in _all_targets("calibration") if t["trial"] == "IKEMA"}
    assert {(r["arm"], r["quantity"]) for r in doc["targets"]} == listed
    validation = {(t["trial"], t["arm"], t["metric"]) for t in _all_targets("validation")}
    assert not {(r["trial"], r["arm"], r["quantity"]) for r in doc["targets"]} & validation


def test_not_reached_median_is_covered_when_the_range_passes_it(ikema_check):
    (row,) = [r for r in ikema_check.to_dict()["targets"] if r["published_greater_than"] is not None]
    assert (row["arm"], row["quantity"], row["published"]) == ("Isa-Kd", "median_pfs_months", None)
    assert row["published_greater_than"] == 20.7  # IKEMA interim: not reached, median follow-up 20.7 months
    hi = row["prediction_interval"][1]  # None: not reached in the upper replicates either
    assert row["covered"] == (hi is None or hi > 20.7)
    for r in ikema_check.to_dict()["targets"]:
        if r is not row:
            assert r["published_greater_than"] is None and r["published"] is not None


def test_calibration_check_report_and_role_errors(ikema_check, tmp_path, cli):
    from isamm.errors import InputError
    from isamm.trials._report import write_validation_outputs

    out = tmp_path / "cal"
    write_validation_outputs(ikema_check, out)
    assert sorted(p.name for p in out.iterdir()) == ["calibration.html", "calibration.json", "figures"]
    html = (out / "calibration.html").read_text(encoding="utf-8")
    assert "calibration check" in html and "&gt; 20.7" in html
    with pytest.raises(InputError, match="role"):
        validate(replicates=1, role="training")
    res = cli("trial", "validate", "--role", "training")
    assert res.exit_code == 2 and "--role" in res.stderr
