"""Dask: replicate batches as tasks give the same numbers as the single-process run (isamm.parallel)."""

from __future__ import annotations

import json

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


def test_trial_on_dask_equals_the_single_process_run(local_client, monkeypatch):
    # 4 replicates of 30 per arm in batches of 2 replicates: two tasks, run on two workers
    monkeypatch.setattr(trial_mod, "BATCH_PATIENTS", 60)
    kw = dict(seed=11, replicates=4, n_per_arm=30, follow_up_months=18.0)
    here = tr.run_trial("ICARIA-MM", **kw).to_dict()
    there = tr.run_trial("ICARIA-MM", client=local_client, **kw).to_dict()
    assert json.dumps(here, sort_keys=True) == json.dumps(there, sort_keys=True)


def test_cli_dask_option(cli):
    res = cli("trial", "run", "MM-002", "--seed", "2", "--n-per-arm", "20", "--replicates", "2", "--dask", "nowhere",
              "--json")
    assert res.exit_code == 2 and "scheduler address" in res.stderr and res.stdout == ""
