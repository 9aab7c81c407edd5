"""Dask: replicate batches as tasks give the same numbers as the single-process run (isamm.parallel)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import isamm.trials as tr
import isamm.trials._trial as trial_mod
from isamm.errors import InputError
from isamm.parallel import client_for, map_ordered


def _square(x: int) -> int:
    return x * x


def test_map_ordered_without_a_client_is_a_loop():
    seen = []
    assert map_ordered(_square, [3, 1, 2], done=seen.append) == [9, 1, 4]
    assert seen == [9, 1, 4]


def test_imap_ordered_without_a_client_computes_one_item_at_a_time():
    # a stream of chunks holds one chunk at a time: nothing is computed before it is asked for
    from isamm.parallel import imap_ordered

    computed = []
    stream = imap_ordered(lambda x: computed.append(x) or x * x, iter([3, 1, 2]))
    assert computed == []
    assert next(stream) == 9 and computed == [3]
    assert list(stream) == [1, 4]


def test_no_address_no_client():
    with client_for(None) as client:
        assert client is None


@pytest.mark.parametrize("address", ["localhost:8786", "http://x", "cluster"])
def test_bad_address_is_a_clear_error(address):
    with pytest.raises(InputError, match="scheduler address"):
        with client_for(address):
            pass


@pytest.fixture(scope="module")
def local_client():
    with client_for("local", n_workers=2) as client:
        yield client


def test_map_ordered_on_two_workers_keeps_the_order(local_client):
    seen = []
    assert map_ordered(_square, range(7), client=local_client, done=seen.append) == [i * i for i in range(7)]
    assert sorted(seen) == sorted(i * i for i in range(7))
    assert len(local_client.scheduler_info()["workers"]) == 2
    # patient data stays on this machine: scheduler and workers listen on the loopback address only
    info = local_client.scheduler_info()
    assert info["address"].startswith("tcp://127.0.0.1:")
    assert all(w.startswith("tcp://127.0.0.1:") for w in info["workers"])


def _worker_env() -> dict:
    import os

    return {k: os.environ.get(k) for k in ("MALLOC_TRIM_THRESHOLD_", "OMP_NUM_THREADS", "PJRT_NPROC")}


def test_local_workers_keep_glibc_memory_defaults_and_one_xla_thread(local_client):
    # Dask's MALLOC_TRIM_THRESHOLD_=65536 made every large temporary a fresh set of page faults (a
    # calibration evaluation 2.7 -> 4.7 s); the local cluster drops it and keeps Dask's other settings.
    # PJRT_NPROC=1: a single-threaded worker's XLA pool has one thread (the JAX kernel's small operations
    # spread over a pool of one thread per core cost twice the CPU: benchmarks/README.md)
    for env in local_client.run(_worker_env).values():
        assert env == {"MALLOC_TRIM_THRESHOLD_": None, "OMP_NUM_THREADS": "1", "PJRT_NPROC": "1"}


def test_trial_on_dask_equals_the_single_process_run(local_client, monkeypatch):
    # 4 replicates of 30 per arm in batches of 2 replicates: two tasks, run on two workers
    monkeypatch.setattr(trial_mod, "BATCH_PATIENTS", 60)
    kw = dict(seed=11, replicates=4, n_per_arm=30, follow_up_months=18.0)
    here = tr.run_trial("ICARIA-MM", **kw).to_dict()
    there = tr.run_trial("ICARIA-MM", client=local_client, **kw).to_dict()
    assert json.dumps(here, sort_keys=True) == json.dumps(there, sort_keys=True)


def test_calibration_objective_on_dask_equals_the_single_process_run(local_client):
    from isamm.disease import load_parameters
    from isamm.trials._calibrate import _Objective, calibration_targets

    params = load_parameters()
    targets = calibration_targets()
    here = _Objective(targets, params, seed=5, n_virtual=20, backend="numpy")
    there = _Objective(targets, params, seed=5, n_virtual=20, backend="numpy", client=local_client)
    moved = params.with_values(kG=params["kG"] * 1.3)  # a second evaluation reuses each worker's PK
    for p in (params, moved):
        r_here, v_here = here.residuals(p)
        r_there, v_there = there.residuals(p)
        assert json.dumps(v_here, sort_keys=True) == json.dumps(v_there, sort_keys=True)
        assert r_here.tolist() == r_there.tolist()


def test_cli_dask_option(cli):
    res = cli("trial", "run", "MM-002", "--seed", "2", "--n-per-arm", "20", "--replicates", "2", "--dask", "nowhere",
              "--json")
    assert res.exit_code == 2 and "scheduler address" in res.stderr and res.stdout == ""


def _exposure_inputs():
    from isamm import pk

    m = pk.load_model("isatuximab_fau2020")
    pats = pk.sample_patients(m, 60, seed=5)
    events = pk.regimen_events("ISA-MONO-10-QW-Q2W", pats.covariates["weight_kg"], weeks=12, drug="isatuximab")
    return m, pats, events


def test_exposure_in_chunks_equals_one_run():
    # every patient carries its own steps and the chunks share one calendar, so a patient's numbers do not
    # depend on the chunk it is in: bit for bit (tests/pk/test_pk_stream.py checks other chunk sizes)
    from isamm import pk

    m, pats, events = _exposure_inputs()
    one = pk.exposure(m, pats, events)
    parts = pk.exposure(m, pats, events, chunk_patients=25)
    assert parts.per_patient["patient"].tolist() == list(range(60))
    pd.testing.assert_frame_equal(parts.per_patient, one.per_patient, check_exact=True)
    pd.testing.assert_frame_equal(parts.per_dose, one.per_dose, check_exact=True)


def test_exposure_on_dask_equals_the_same_chunks_here(local_client):
    from isamm import pk

    m, pats, events = _exposure_inputs()
    here = pk.exposure(m, pats, events, chunk_patients=25)
    there = pk.exposure(m, pats, events, chunk_patients=25, client=local_client)
    pd.testing.assert_frame_equal(here.per_patient, there.per_patient)
    pd.testing.assert_frame_equal(here.per_dose, there.per_dose)


def test_streamed_exposure_on_dask_equals_one_process(local_client, tmp_path):
    # the streaming path: each task draws its patients from the seed and builds its calendar; 3 chunks on 2
    # workers, Parquet written in patient order; the same numbers as one process in one chunk
    import pyarrow.parquet as pq

    from isamm import pk

    m = pk.load_model("isatuximab_fau2020")
    pop = pk.Population(m, 60, seed=5)
    calendar = pk.RegimenCalendar.of("ISA-MONO-10-QW-Q2W", weeks=12, drug="isatuximab")
    here = pk.exposure_stream(m, pop, calendar)
    seen = []
    there = pk.exposure_stream(m, pop, calendar, chunk_patients=25, client=local_client, output=tmp_path / "e.parquet",
                               progress=seen.append)
    pd.testing.assert_frame_equal(here.per_patient, there.per_patient, check_exact=True)
    assert sorted(seen) == [10, 25, 25]
    written = pq.read_table(tmp_path / "e.parquet").to_pandas()
    pd.testing.assert_frame_equal(written.drop(columns="model"), here.per_patient, check_exact=True)
    assert pq.ParquetFile(tmp_path / "e.parquet").num_row_groups == 3
    # and the in-memory table of the same seed (sample_patients + regimen_events)
    _, pats, events = _exposure_inputs()
    pd.testing.assert_frame_equal(pk.exposure(m, pats, events).per_patient, here.per_patient, check_exact=True)


def test_cli_exposure_on_a_local_cluster(cli):
    plain = cli("pk", "exposure", "--regimen", "ISA-MONO-10-QW-Q2W", "--weeks", "8", "--patients", "30", "--seed", "3", "--json")
    on_dask = cli("pk", "exposure", "--regimen", "ISA-MONO-10-QW-Q2W", "--weeks", "8", "--patients", "30", "--seed", "3", "--json",
                  "--dask", "local")
    assert plain.exit_code == 0 and on_dask.exit_code == 0, on_dask.stderr
    assert json.loads(plain.stdout) == json.loads(on_dask.stdout)
