"""``isamm pk exposure -o``: per-patient rows streamed per chunk, in place only when whole; progress on stderr."""

from __future__ import annotations

import errno
import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

from isamm import pk

ARGS = ("pk", "exposure", "--regimen", "ISA-MONO-10-QW-Q2W", "--weeks", "8", "--patients", "30", "--seed", "4")


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 12 patients, so 30 patients make three chunks (three row groups)."""
    import isamm.pk._stream as stream

    monkeypatch.setattr(stream, "EXPOSURE_CHUNK", 12)


def _one_error_line(r, *fragments):
    assert r.exit_code == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("isamm: error:"), r.stderr
    for f in fragments:
        assert f in lines[0], r.stderr
    assert r.stdout == ""


def test_parquet_output_is_whole_and_matches_the_summary(cli, tmp_path, small_chunks):
    out = tmp_path / "exposure.parquet"
    r = cli(*ARGS, "--json", "-o", out)
    assert r.exit_code == 0, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exposure.parquet"]
    f = pq.ParquetFile(out)
    assert f.metadata.num_rows == 30 and f.num_row_groups == 3
    table = pd.read_parquet(out)
    assert list(table.columns) == ["patient", *pk.METRICS, "status", "model"]
    assert table["patient"].tolist() == list(range(30)) and set(table["model"]) == {"isatuximab_fau2020"}
    summary = json.loads(r.stdout)  # stdout is the JSON alone: no progress bar in it
    assert summary["n_patients"] == 30
    assert summary["ctrough_ss_ug_ml"]["median"] == pytest.approx(table["ctrough_ss_ug_ml"].median(), rel=1e-12)
    # the same numbers as the in-memory API for the same seed
    m = pk.load_model("isatuximab_fau2020")
    pats = pk.sample_patients(m, 30, seed=4)
    exp = pk.exposure(m, pats, pk.regimen_events("ISA-MONO-10-QW-Q2W", pats.covariates["weight_kg"], weeks=8,
                                                 drug="isatuximab"))
    pd.testing.assert_frame_equal(table.drop(columns="model"), exp.per_patient, check_exact=True)


@pytest.mark.parametrize("target, fragment", [
    ("missing/out.parquet", "does not exist"),
    ("afile/out.parquet", "is a file, not a folder"),
    ("adir", "is a folder, not a file"),
    ("out.xlsx", "unknown output format"),
])
def test_unwritable_output_is_one_line_and_no_file(cli, tmp_path, target, fragment):
    (tmp_path / "afile").write_text("x")
    (tmp_path / "adir.parquet").mkdir()
    target = target.replace("adir", "adir.parquet")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    _one_error_line(cli(*ARGS, "-o", tmp_path / target), fragment)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_a_failure_mid_run_leaves_no_partial_file(cli, tmp_path, small_chunks, monkeypatch):
    # the disk fills up while the second chunk is written: no file at the target, no temporary file left
    from isamm import _io

    real, calls = _io.TableStream.write, []

    def write(self, frame):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(self, frame)

    monkeypatch.setattr(_io.TableStream, "write", write)
    out = tmp_path / "exposure.parquet"
    _one_error_line(cli(*ARGS, "-o", out), "no space left", "exposure.parquet")
    assert list(tmp_path.iterdir()) == []


def test_progress_bar_on_stderr_when_asked(cli, tmp_path):
    r = cli(*ARGS, "--json", "--progress")
    assert r.exit_code == 0, r.stderr
    assert "30/30" in r.stderr and "patients" in r.stderr
    json.loads(r.stdout)  # stdout stays pure JSON
    r = cli(*ARGS, "--json")  # not a terminal, not asked: no bar
    assert r.exit_code == 0 and r.stderr == ""
