"""The analysis TOML: valid files load, every mistake names the file and the key."""

from __future__ import annotations

import pytest

from isamm.errors import InputError
from isamm.report import AnalysisConfig, load_config

MINIMAL = """
[endpoints.os]
time = "futime"
event = "death"
"""


def write(tmp_path, text):
    path = tmp_path / "analysis.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_config_and_relative_cohort(tmp_path):
    cfg = load_config(write(tmp_path, 'cohort = "data/c.csv"\n' + MINIMAL))
    assert isinstance(cfg, AnalysisConfig)
    assert cfg.cohort == tmp_path / "data" / "c.csv"  # resolved against the config's folder
    assert cfg.endpoints["os"].time == "futime"
    assert cfg.time_unit == "months"
    assert cfg.columns() == {"futime": "endpoints.os.time", "death": "endpoints.os.event"}


def test_landmarks_sorted(tmp_path):
    cfg = load_config(write(tmp_path, "landmarks = [60, 12]\n" + MINIMAL))
    assert cfg.landmarks == [12, 60]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (MINIMAL + "[cox]\ncovariats = ['age']\n", "key 'cox.covariats': unknown key"),
        (MINIMAL + "[cox]\n", "key 'cox.covariates': required key is missing"),
        ("[endpoints.os]\ntime = 'futime'\n", "key 'endpoints.os.event': required key is missing"),
        ("landmarks = [-12]\n" + MINIMAL, "key 'landmarks': landmarks must be positive times"),
        ("time_unit = 'hours'\n" + MINIMAL, "key 'time_unit'"),
        ("title = 'x'\n", "key 'endpoints': required key is missing"),
        ("[endpoints]\n", "key 'endpoints'"),
        (MINIMAL + "[cutoff]\nmarker = 'hgb'\nendpoint = 'pfs'\n",
         "key 'cutoff.endpoint': not a defined endpoint: expected one of os, got 'pfs'"),
        (MINIMAL + "[cutoff]\nmarker = 'hgb'\nendpoint = 'os'\ndirection = 'under'\n", "key 'cutoff.direction'"),
        ("[endpoints.'o s']\ntime = 'a'\nevent = 'b'\n", "key 'endpoints'"),
        ("x = [", "not valid TOML"),
    ],
)
def test_mistakes_name_file_and_key(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="config file not found"):
        load_config(tmp_path / "nope.toml")
