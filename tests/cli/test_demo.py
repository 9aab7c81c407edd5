"""``isamm demo``: the main job runs and leaves complete, consistent outputs."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import isamm
from isamm.disease import load_parameters


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    """One demo run shared by the tests (it simulates a trial: seconds, not milliseconds)."""
    from typer.testing import CliRunner

    from isamm.cli import app

    out = tmp_path_factory.mktemp("demo")
    r = CliRunner().invoke(app, ["demo", "--output-dir", str(out)], catch_exceptions=False)
    assert r.exit_code == 0, r.stderr
    return out


def test_demo_writes_calendar_outputs(demo_dir):
    tmp_path = demo_dir
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["isamm_version"] == isamm.__version__
    cal = pd.read_csv(tmp_path / "isa-pd_calendar.csv")
    ics = (tmp_path / "isa-pd_calendar.ics").read_text()
    # one VEVENT per administration
    assert ics.count("BEGIN:VEVENT") == len(cal) == manifest["steps"]["calendar"]["administrations"]
    # 68-year-old, 70 kg on the label schedule: 10 mg/kg = 700 mg, C1 weekly then days 1 and 15
    # (Sarclisa label; regimens.md §2.3), 6 cycles → 4 + 5 × 2 = 14 isatuximab infusions.
    isa = cal[cal["drug"] == "isatuximab"]
    assert len(isa) == 14
    assert set(isa["dose_mg"]) == {700.0}
    dex = cal[cal["drug"] == "dexamethasone"]
    assert set(dex["dose_mg"]) == {40.0}  # < 75 years: no age reduction
    # no temporary files left behind
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_demo_pk_profile(demo_dir):
    tmp_path = demo_dir
    pk = pd.read_csv(tmp_path / "isatuximab_pk.csv")
    assert (tmp_path / "isatuximab_pk.png").stat().st_size > 0
    conc = pk[["conc_ug_ml", "population_p5_ug_ml", "population_median_ug_ml", "population_p95_ug_ml"]]
    assert conc.notna().all().all() and (conc >= 0).all().all()
    assert (pk["population_p5_ug_ml"] <= pk["population_median_ug_ml"]).all()
    assert (pk["population_median_ug_ml"] <= pk["population_p95_ug_ml"]).all()
    # nothing on board before the first infusion starts (09:00 on day 1)
    assert (pk.loc[pk["time_h"] < 9.0, "conc_ug_ml"] == 0).all()
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["steps"]["pk"]["model"] == "isatuximab_fau2020"
    assert "doi:10.1002/psp4.12561" in manifest["steps"]["pk"]["source"]


def test_demo_virtual_trial(demo_dir):
    manifest = json.loads((demo_dir / "manifest.json").read_text())
    step = manifest["steps"]["trial"]
    assert step["trial"] == "ICARIA-MM" and step["parameters"]["model"] == load_parameters().model_id  # the default file
    result = json.loads((demo_dir / "trial" / "result.json").read_text())
    assert [a["arm"] for a in result["arms"]] == ["Isa-Pd", "Pd"]
    assert [a["n"] for a in result["arms"]] == [154, 153]  # the published size
    assert (demo_dir / "trial" / "report.html").stat().st_size > 0
    cohort = pd.read_csv(demo_dir / "trial" / "cohort.csv")
    assert len(cohort) == 307
