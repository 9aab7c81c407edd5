"""Exposure in chunks: populations drawn per seeded block, calendars per chunk, streamed rows (isamm.pk._stream)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from isamm import pk
from isamm.errors import InputError

MODEL = "isatuximab_fau2020"
REGIMEN = "ISA-MONO-10-QW-Q2W"


@pytest.fixture(scope="module")
def model():
    return pk.load_model(MODEL)


@pytest.fixture(scope="module")
def calendar():
    return pk.RegimenCalendar.of(REGIMEN, weeks=8, drug="isatuximab")


def test_a_range_of_a_population_is_drawn_alone(model):
    # patient i depends on (seed, i) only: any range, from any part, equals the same rows of the whole
    n = 2 * pk.SAMPLE_BLOCK + 300
    whole = pk.sample_patients(model, n, seed=7)
    for lo, hi in [(0, 5), (1000, 1100), (pk.SAMPLE_BLOCK - 3, pk.SAMPLE_BLOCK + 3), (n - 10, n)]:
        part = pk.Population(model, n, seed=7).patients(lo, hi)
        np.testing.assert_array_equal(part.etas, whole.etas[lo:hi])
        pd.testing.assert_frame_equal(part.covariates, whole.covariates.iloc[lo:hi].reset_index(drop=True))
    nested = pk.Population(model, n, seed=7).part(1000, 2000).part(20, 40).patients()
    np.testing.assert_array_equal(nested.etas, whole.etas[1020:1040])
    # a small population is the start of a larger one with the same seed
    np.testing.assert_array_equal(pk.sample_patients(model, 10, seed=7).etas, whole.etas[:10])
    assert not np.array_equal(pk.sample_patients(model, 10, seed=8).etas, whole.etas[:10])


def test_population_with_a_covariate_table(model):
    one_row = pk.covariate_frame(model, pd.DataFrame([{"weight_kg": 60.0}]))
    pop = pk.Population(model, 50, seed=3, covariates=one_row)
    pats = pop.patients()
    assert (pats.covariates["weight_kg"] == 60.0).all() and len(pats) == 50
    np.testing.assert_array_equal(pop.part(10, 20).patients().etas, pats.etas[10:20])
    typical = pk.Population(model, 50, seed=3, covariates=one_row, iiv=False).patients()
    assert not typical.etas.any()
    with pytest.raises(InputError, match="covariate table does not match"):
        pk.Population(model, 50, seed=3, covariates=pd.concat([one_row] * 2, ignore_index=True))
    with pytest.raises(InputError, match="option n: out of range.*got 0"):
        pk.Population(model, 0, seed=3)
    with pytest.raises(InputError, match="row 2, column 'weight_kg'"):
        pk.Population(model, 2, seed=3, covariates=pd.DataFrame({"weight_kg": [70.0, -1.0]}))


def test_calendar_equals_regimen_events(calendar):
    w = np.array([50.0, 70.0, 123.0])
    pd.testing.assert_frame_equal(calendar(w), pk.regimen_events(REGIMEN, w, weeks=8, drug="isatuximab"))
    with pytest.raises(InputError, match="invalid weight"):
        calendar([70.0, -1.0])


@pytest.fixture(scope="module")
def in_memory(model):
    pats = pk.sample_patients(model, 90, seed=5)
    events = pk.regimen_events(REGIMEN, pats.covariates["weight_kg"], weeks=8, drug="isatuximab")
    return pats, events, pk.exposure(model, pats, events)


@pytest.mark.parametrize("chunk", [90, 40, 7])
def test_streamed_equals_in_memory_whatever_the_chunk_size(model, calendar, in_memory, chunk):
    # the same seed gives the same patients and the same numbers: chunks change neither (bit for bit)
    _, _, one = in_memory
    streamed = pk.exposure_stream(model, pk.Population(model, 90, seed=5), calendar, chunk_patients=chunk)
    pd.testing.assert_frame_equal(streamed.per_patient, one.per_patient, check_exact=True)
    assert streamed.per_dose is None
    assert streamed.to_dict() == one.to_dict()


def test_in_memory_chunks_keep_the_per_dose_table(model, in_memory):
    pats, events, one = in_memory
    parts = pk.exposure(model, pats, events, chunk_patients=40)
    pd.testing.assert_frame_equal(parts.per_patient, one.per_patient, check_exact=True)
    pd.testing.assert_frame_equal(parts.per_dose, one.per_dose, check_exact=True)
    # a Population and a calendar give the in-memory front door the same table
    lazy = pk.exposure(model, pk.Population(model, 90, seed=5),
                       pk.RegimenCalendar.of(REGIMEN, weeks=8, drug="isatuximab"), chunk_patients=40)
    pd.testing.assert_frame_equal(lazy.per_dose, one.per_dose, check_exact=True)


def test_iter_exposure_yields_chunks_in_patient_order(model, calendar):
    seen = []
    parts = list(pk.iter_exposure(model, pk.Population(model, 25, seed=2), calendar, chunk_patients=10,
                                  done=seen.append))
    assert [p.per_patient["patient"].tolist() for p in parts] == [list(range(0, 10)), list(range(10, 20)),
                                                                  list(range(20, 25))]
    assert seen == [10, 10, 5]


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".json"])
def test_streamed_file_is_whole(model, calendar, in_memory, tmp_path, suffix):
    _, _, one = in_memory
    out = tmp_path / f"exposure{suffix}"
    pk.exposure_stream(model, pk.Population(model, 90, seed=5), calendar, chunk_patients=40, output=out)
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]  # no temporary file left
    expected = one.per_patient.assign(model=MODEL)
    if suffix == ".parquet":
        meta = pq.ParquetFile(out)
        assert meta.metadata.num_rows == 90 and meta.num_row_groups == 3  # one row group per chunk
        got = pd.read_parquet(out)
    elif suffix == ".csv":
        got = pd.read_csv(out)
    else:
        got = pd.read_json(out, orient="records")
    assert list(got.columns) == ["patient", *pk.METRICS, "status", "model"]
    pd.testing.assert_frame_equal(got, expected, check_exact=suffix == ".parquet", check_dtype=False)


def test_a_failed_run_leaves_no_file(model, calendar, tmp_path, monkeypatch):
    import isamm.pk._stream as stream

    calls = []

    def failing(*args, **kwargs):  # the second chunk fails after the first was written
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("boom")
        return real(*args, **kwargs)

    real = stream.exposure_chunk
    monkeypatch.setattr(stream, "exposure_chunk", failing)
    out = tmp_path / "exposure.parquet"
    with pytest.raises(RuntimeError, match="boom"):
        pk.exposure_stream(model, pk.Population(model, 30, seed=1), calendar, chunk_patients=10, output=out)
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_output_fails_before_any_work(model, calendar, tmp_path, monkeypatch):
    import isamm.pk._stream as stream

    monkeypatch.setattr(stream, "exposure_chunk", lambda *a, **k: pytest.fail("integrated before the output check"))
    with pytest.raises(InputError, match="does not exist"):
        pk.exposure_stream(model, pk.Population(model, 30, seed=1), calendar, output=tmp_path / "no" / "x.parquet")
    with pytest.raises(InputError, match="unknown output format"):
        pk.exposure_stream(model, pk.Population(model, 30, seed=1), calendar, output=tmp_path / "x.xlsx")


def test_bad_patient_index_in_the_events_is_an_error(model):
    pats = pk.sample_patients(model, 20, seed=1)
    events = pk.regimen_events(REGIMEN, pats.covariates["weight_kg"], weeks=8, drug="isatuximab")
    events.loc[3, "patient"] = 20  # one past the end: silently dropped by a chunk filter before
    with pytest.raises(InputError, match="invalid patient index"):
        pk.exposure(model, pats, events, chunk_patients=7)
