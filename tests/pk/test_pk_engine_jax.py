"""The JAX backend: the NumPy engine's algorithm compiled with JAX (a regular dependency, tested by ``make test``).

Both backends take the same steps with the same formulas, but XLA orders and fuses
floating-point operations differently, so an accept/reject decision at an error
norm within rounding of 1 can flip and the step sequences part. Both results are
then within the stated accuracy of the truth; the cross-backend bound below (1e-5
where C > 1 µg/mL) is ten times tighter than that accuracy and well above the
rounding-level agreement seen when the steps coincide (~1e-10).

Compiling costs seconds per kernel (one per model structure and calendar size
bucket), so the tests share populations (module fixtures) and calendar sizes; the
session's compiled kernels go to a temporary ``ISAMM_CACHE_DIR`` (tests/conftest.py).
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from isamm import pk
from isamm.errors import InputError
from pk_calendars import dara_events, grid, isa_events
from pk_reference import fau_rhs, reference

CROSS_BACKEND = 1e-5
ACCURACY = 1e-4


def test_missing_jax_is_a_clear_input_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "isamm.pk._engine_jax", None)  # import fails as without JAX
    with pytest.raises(InputError, match="jax"):
        pk.simulate("isatuximab_fau2020", None, isa_events(2), grid(2, 24.0), backend="jax")


def test_unknown_backend_is_an_input_error():
    with pytest.raises(InputError, match="backend"):
        pk.simulate("isatuximab_fau2020", None, isa_events(2), grid(2, 24.0), backend="cuda")


def _rel(a, b, floor=1.0):
    m = b > floor
    assert m.sum() > 10
    return float(np.max(np.abs(a[m] - b[m]) / b[m]))


def _both(model, pats, ev, times, **kw):
    return (pk.simulate(model, pats, ev, times, **kw),
            pk.simulate(model, pats, ev, times, backend="jax", **kw))


@pytest.fixture(scope="module")
def population():
    """300 isatuximab patients, 16 weeks of the label schedule, 12-hourly grid: more patients than slots (64),
    so slots are refilled from the queue while the slowest patients finish."""
    m = pk.load_model("isatuximab_fau2020")
    pats = pk.sample_patients(m, 300, seed=11)
    ev = pk.regimen_events("ISA-MONO-10-QW-Q2W", pats.covariates["weight_kg"], weeks=16, drug="isatuximab")
    times = grid(16, 12.0)
    a, b = _both(m, pats, ev, times)
    return {"model": m, "patients": pats, "events": ev, "times": times, "numpy": a, "jax": b}


def test_population_equals_numpy_backend(population):
    a, b = population["numpy"], population["jax"]
    assert b.conc_ug_ml.shape == a.conc_ug_ml.shape
    assert _rel(b.conc_ug_ml, a.conc_ug_ml) <= CROSS_BACKEND
    assert _rel(b.auc_ug_h_ml, a.auc_ug_h_ml) <= CROSS_BACKEND
    np.testing.assert_allclose(b.n_steps, a.n_steps, rtol=0.05)
    assert (b.conc_ug_ml >= 0).all() and (np.diff(b.auc_ug_h_ml, axis=1) >= 0).all()


@pytest.mark.parametrize("model_id", ["daratumumab_xu2020", "daratumumab_luo2021"])
def test_daratumumab_iv_equals_numpy_backend(model_id):
    m = pk.load_model(model_id)
    pats = pk.sample_patients(m, 40, seed=3)
    a, b = _both(m, pats, dara_events(24), grid(40, 24.0))
    assert _rel(b.conc_ug_ml, a.conc_ug_ml) <= CROSS_BACKEND


def test_subcutaneous_depot_equals_numpy_backend():
    m = pk.load_model("daratumumab_luo2021")
    ev = dara_events(24, amount_mg=1800.0, route="SC")
    pats = pk.sample_patients(m, 30, seed=5)
    a, b = _both(m, pats, ev, grid(30, 24.0))
    assert _rel(b.conc_ug_ml, a.conc_ug_ml) <= CROSS_BACKEND


def test_bolus_at_an_output_time_is_recorded_pre_dose():
    ev = pd.DataFrame({"time_h": [0.0, 168.0], "drug": "daratumumab", "amount_mg": [1200.0, 1200.0],
                       "duration_h": [0.0, 0.0], "route": "IV"})
    times = np.array([0.0, 100.0, 167.999, 168.0, 168.001, 300.0])
    a, b = _both("daratumumab_xu2020", None, ev, times)
    assert b.conc_ug_ml[0, 0] == 0.0
    assert b.conc_ug_ml[0, 3] == pytest.approx(b.conc_ug_ml[0, 2], rel=1e-4)  # before the second dose
    assert b.conc_ug_ml[0, 4] > 2 * b.conc_ug_ml[0, 3]
    np.testing.assert_allclose(b.conc_ug_ml, a.conc_ug_ml, rtol=CROSS_BACKEND)


def test_extreme_patients_against_the_independent_reference():
    # ±4 SD on every random effect (16 of the 512 corners, seeded), as tests/pk/test_pk_stiffness.py
    m, pats = _corners(7)
    ev = isa_events(8)
    times = grid(16, 6.0)
    sim = pk.simulate(m, pats, ev, times, backend="jax")
    assert np.isfinite(sim.conc_ug_ml).all() and (sim.conc_ug_ml >= 0).all()
    assert _worst_rel_err(sim.conc_ug_ml, pats, ev, times) <= ACCURACY


def test_sparse_outputs_take_dop853_steps_on_both_engines_also_at_the_corners():
    # outputs only at dose starts and infusion ends (the exposure path): every output time is a stop and
    # non-stiff steps are DOP853 (isamm.pk._engine docstring); same steps on both engines, the stated accuracy
    # against the independent reference at ±4 SD, and about half the steps of the dense-output method
    m, pats = _corners(8)
    ev = isa_events(8)
    times = np.unique(np.concatenate([ev["time_h"], ev["time_h"] + ev["duration_h"]]))
    a, b = _both(m, pats, ev, times)
    assert np.isfinite(b.conc_ug_ml).all() and (b.conc_ug_ml >= 0).all()
    np.testing.assert_array_equal(b.n_steps, a.n_steps)
    np.testing.assert_allclose(b.conc_ug_ml, a.conc_ug_ml, rtol=CROSS_BACKEND, atol=1e-9)
    assert _worst_rel_err(b.conc_ug_ml, pats, ev, times) <= ACCURACY
    dense = pk.simulate(m, pats, ev, grid(8, 6.0), backend="numpy")
    assert np.median(a.n_steps / dense.n_steps) < 0.75


def test_same_inputs_same_numbers(population):
    p = population
    again = pk.simulate(p["model"], p["patients"], p["events"], p["times"], backend="jax")
    np.testing.assert_array_equal(again.conc_ug_ml, p["jax"].conc_ug_ml)
    np.testing.assert_array_equal(again.n_steps, p["jax"].n_steps)


def _subset(p, idx):
    pats = p["patients"]
    sub = pk.Patients(pats.model, pats.covariates.iloc[idx].reset_index(drop=True), pats.etas[idx])
    w = sub.covariates["weight_kg"]
    return sub, pk.regimen_events("ISA-MONO-10-QW-Q2W", w, weeks=16, drug="isatuximab")


def test_a_patients_numbers_do_not_depend_on_its_slot_or_batch(population):
    # the same patients alone, in another order: other slots, other neighbours, the same numbers (bit for bit)
    idx = np.array([299, 7, 150, 0, 42])
    sub, ev = _subset(population, idx)
    alone = pk.simulate(population["model"], sub, ev, population["times"], backend="jax")
    np.testing.assert_array_equal(alone.conc_ug_ml, population["jax"].conc_ug_ml[idx])
    np.testing.assert_array_equal(alone.auc_ug_h_ml, population["jax"].auc_ug_h_ml[idx])


def test_populations_larger_than_a_chunk_run_chunk_by_chunk(population, monkeypatch):
    import isamm.pk._engine_jax as engine

    # 1,100 patients (the 300 repeated), chunks capped at 512 (the population's kernel, nothing to compile):
    # each core's part of 550 runs in two chunks, and every patient gets the population's numbers
    monkeypatch.setattr(engine, "CHUNKS", (512,))
    idx = np.arange(1100) % 300
    sub, ev = _subset(population, idx)
    big = pk.simulate(population["model"], sub, ev, population["times"], backend="jax")
    np.testing.assert_array_equal(big.conc_ug_ml, population["jax"].conc_ug_ml[idx])
    np.testing.assert_array_equal(big.n_steps, population["jax"].n_steps[idx])


def test_end_of_follow_up_stops_each_patient_like_the_numpy_engine(population):
    p = population
    n = len(p["patients"])
    end = np.random.default_rng(3).uniform(0.0, 1.2 * p["times"][-1], n)
    end[:3] = (0.0, np.inf, p["times"][40])  # at the start, never, exactly on an output time
    a = pk.simulate(p["model"], p["patients"], p["events"], p["times"], end_h=end)
    b = pk.simulate(p["model"], p["patients"], p["events"], p["times"], end_h=end, backend="jax")
    np.testing.assert_array_equal(np.isnan(b.conc_ug_ml), p["times"][None, :] > end[:, None])
    np.testing.assert_array_equal(np.isnan(b.conc_ug_ml), np.isnan(a.conc_ug_ml))
    assert _rel(np.nan_to_num(b.conc_ug_ml), np.nan_to_num(a.conc_ug_ml)) <= CROSS_BACKEND
    # up to their end, the numbers of the run without an end; and the integration stopped there
    seen = ~np.isnan(b.conc_ug_ml)
    np.testing.assert_array_equal(b.conc_ug_ml[seen], p["jax"].conc_ug_ml[seen])
    stopped = end < p["times"][-1] * 0.9
    assert (b.n_steps[stopped] < p["jax"].n_steps[stopped]).all()
    np.testing.assert_allclose(b.n_steps, a.n_steps, rtol=0.05, atol=2)


def test_compiled_kernels_are_cached_for_the_next_process(population, isamm_cache_dir):
    # this session traced the population's kernel (jax.export) and compiled it into ISAMM_CACHE_DIR
    # (tests/conftest.py); a new process running the same calendar size loads both (a compilation-cache hit,
    # nothing new written) instead of tracing and compiling again
    files = sorted(p.name for p in (isamm_cache_dir / "jax").iterdir())
    assert any(f.startswith("isamm-pk-kernel-") and f.endswith(".exported") for f in files)
    assert any(f.endswith("-cache") for f in files)  # JAX's compiled executables
    code = textwrap.dedent("""
        import json, jax, numpy as np
        from isamm import pk
        events = []
        jax.monitoring.register_event_listener(lambda name, **kw: events.append(name))
        m = pk.load_model("isatuximab_fau2020")
        pats = pk.sample_patients(m, 3, seed=11)
        ev = pk.regimen_events("ISA-MONO-10-QW-Q2W", pats.covariates["weight_kg"], weeks=16, drug="isatuximab")
        pk.simulate(m, pats, ev, np.arange(0.0, 16 * 168 + 1, 12.0), backend="jax")
        print(json.dumps({"hits": events.count("/jax/compilation_cache/cache_hits")}))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1])["hits"] >= 1
    assert sorted(p.name for p in (isamm_cache_dir / "jax").iterdir()) == files


def test_cli_exposure_and_washout_agree_between_backends(cli):
    for args in (("pk", "exposure", "--regimen", "ISA-MONO-10-QW-Q2W", "--weeks", "12", "--patients", "30"),
                 ("pk", "washout", "--drug", "daratumumab", "--regimen", "DARA-IV", "--weeks-treated", "8",
                  "--threshold-ug-ml", "1", "--patients", "30")):
        a, b = (cli(*args, "--seed", "4", "--json", "--backend", be) for be in ("numpy", "jax"))
        assert a.exit_code == 0 and b.exit_code == 0, a.stderr + b.stderr
        ja, jb = json.loads(a.stdout), json.loads(b.stdout)
        flat_a, flat_b = _numbers(ja), _numbers(jb)
        assert flat_a.keys() == flat_b.keys()
        # abs 1e-5 µg/mL: washout concentrations go far below 1 µg/mL, where only the engines' absolute
        # tolerance (1e-6 µg/mL per step, ~10x that globally) holds, not the relative accuracy
        for key, va in flat_a.items():
            assert flat_b[key] == pytest.approx(va, rel=CROSS_BACKEND, abs=1e-5), key


def _numbers(d, prefix=""):
    out = {}
    if isinstance(d, dict):
        for k, v in d.items():
            out.update(_numbers(v, f"{prefix}/{k}"))
    elif isinstance(d, (int, float)) and not isinstance(d, bool):
        out[prefix] = float(d)
    return out


def test_a_damaged_kernel_file_is_traced_again(population, isamm_cache_dir, monkeypatch):
    import isamm.pk._engine_jax as engine

    files = list((isamm_cache_dir / "jax").glob("isamm-pk-kernel-*.exported"))
    assert files
    for f in files:
        f.write_bytes(b"not a kernel")
    monkeypatch.setattr(engine, "_KERNELS", {})  # as in a new process
    idx = np.array([3, 4])
    sub, ev = _subset(population, idx)
    again = pk.simulate(population["model"], sub, ev, population["times"], backend="jax")
    np.testing.assert_array_equal(again.conc_ug_ml, population["jax"].conc_ug_ml[idx])
    assert any(f.read_bytes() != b"not a kernel" for f in files)  # written again


def _worst_rel_err(conc_ug_ml, pats, ev, times) -> float:
    """Largest relative error against the independent reference solver, where the reference is > 1 µg/mL."""
    params = pats.parameters()
    infusions = [(r.time_h, r.duration_h, r.amount_mg) for r in ev.itertuples()]
    worst = 0.0
    for i in range(conc_ug_ml.shape[0]):
        p = {k: float(v[i]) for k, v in params.items()}
        ref = reference(fau_rhs, p, infusions, times, p["Vc"])
        mask = ref > 1.0
        if mask.any():
            worst = max(worst, float(np.max(np.abs(conc_ug_ml[i][mask] - ref[mask]) / ref[mask])))
    return worst


def _corners(seed: int, n: int = 16):
    """The Fau 2020 model and ``n`` of its 512 ±4 SD random-effect corners, drawn with ``seed``."""
    m = pk.load_model("isatuximab_fau2020")
    corners = np.array(list(itertools.product([-4.0, 4.0], repeat=len(m.random_effects)))) * m.omegas
    corners = corners[np.random.default_rng(seed).choice(len(corners), n, replace=False)]
    return m, pk.Patients(m, pk.covariate_frame(m, None, n=len(corners)), corners)


@pytest.mark.parametrize(("env", "expected"), [({}, 2), ({"PJRT_NPROC": "1"}, 1), ({"NPROC": "1"}, 1),
                                               ({"PJRT_NPROC": "0"}, 2), ({"PJRT_NPROC": "two"}, 2)])
def test_kernel_threads_never_exceed_the_xla_pool(monkeypatch, env, expected):
    # kernel calls run on XLA's CPU pool: with PJRT_NPROC=1 (Dask's local workers) two calls would queue
    import isamm.pk._engine_jax as ej

    for name in ("PJRT_NPROC", "NPROC"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(ej.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(ej.jax, "default_backend", lambda: "cpu")
    assert ej._workers(10_000, 64) == expected
    assert ej._workers(100, 64) == 1  # fewer patients than two full slot sets per core: one call
