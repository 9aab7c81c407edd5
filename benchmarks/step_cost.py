"""Work per patient-step of the JAX kernel, steps per patient-year, and a GPU projection from them.

Run on demand, never in tests::

    .venv/bin/python benchmarks/step_cost.py [--patients 2000] [--json]

1. Runs ``isamm.pk.exposure`` (JAX engine; isatuximab 10 mg/kg QW×4 then Q2W, 52 weeks, Fau 2020
   population, seed 2024) and counts the integration steps each patient took (accepted + rejected:
   the work), per patient-year.
2. Asks XLA for the cost of one lockstep step of the kernel's slots (``compiled.cost_analysis()``:
   flops, transcendental functions, bytes accessed), for the iteration with the explicit method only
   (DOP853 on the exposure path, whose outputs are sparse; DP5 with dense outputs) and for the
   iteration that evaluates it and RODAS4 (when any slot is stiff), divided by the slots. These
   are the step functions of ``isamm.pk._engine_jax`` (``_step_start`` and ``_step_finish``), not
   a model of them. The bytes are XLA's CPU count after fusion (the per-patient tables cut to one
   row, since XLA counts a gather as reading its whole operand), i.e. the traffic if every fused
   operation goes through memory; the slot state that one step must read and write (the traffic
   if a whole step stays in registers) is printed too.
3. Projects 10⁷ patient-years on one GPU from these counts, with three bounds: FP64 arithmetic
   (transcendentals counted as ``--flops-per-transcendental`` flops each), memory traffic, and the
   lockstep iterations (a chunk takes as many iterations as its slowest patient's steps, at
   ``--iteration-us`` µs of fixed cost each). The GPU figures (FP64 TFLOP/s, TB/s, µs per iteration)
   are arguments with the H100 SXM datasheet values as defaults: a projection on paper, not a
   measurement. Prints one JSON line last.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from functools import partial

import numpy as np


def _cost(compiled) -> dict:
    c = compiled.cost_analysis()
    c = c[0] if isinstance(c, (list, tuple)) else c
    return {"flops": float(c.get("flops", 0.0)), "transcendentals": float(c.get("transcendentals", 0.0)),
            "bytes": float(c.get("bytes accessed", 0.0))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--target-patient-years", type=float, default=1e7)
    ap.add_argument("--gpu-fp64-tflops", type=float, default=34.0, help="H100 SXM: 34 (FP64, non-tensor).")
    ap.add_argument("--gpu-tb-per-s", type=float, default=3.35, help="H100 SXM HBM3: 3.35 TB/s.")
    ap.add_argument("--flops-per-transcendental", type=float, default=20.0)
    ap.add_argument("--iteration-us", type=float, default=20.0,
                    help="Fixed cost of one lockstep iteration on the GPU (kernel launches of the while loop body).")
    ap.add_argument("--gpu-chunk", type=int, default=4096, help="Patients per chunk (= slots) on the GPU today.")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    import jax

    from isamm import pk
    import isamm.pk._engine_jax as ej

    seen: dict = {}
    real_integrate, real_kernel = ej.integrate_jax, ej._kernel

    def integrate(*a, **k):
        t0, c0 = time.perf_counter(), time.process_time()
        res = real_integrate(*a, **k)
        seen.setdefault("integration", (res, time.perf_counter() - t0, time.process_time() - c0))
        return res

    def kernel(structure_name, keys, sparse, state, tables, shared):
        if int(state["n_real"]) > 0:
            seen.setdefault("kernel", (structure_name, keys, sparse, state, tables, shared))
        return real_kernel(structure_name, keys, sparse, state, tables, shared)

    ej.integrate_jax, ej._kernel = integrate, kernel

    model = pk.load_model("isatuximab_fau2020")
    weeks = 52
    pats = pk.sample_patients(model, args.patients, seed=args.seed)
    events = pk.regimen_events("ISA-MONO-10-QW-Q2W", pats.covariates["weight_kg"], weeks=weeks, drug="isatuximab")
    pk.exposure(model, pats, events, backend="jax", chunk_patients=args.patients)  # compiles (cached) and warms up
    seen.clear()
    pk.exposure(model, pats, events, backend="jax", chunk_patients=args.patients)
    ej.integrate_jax, ej._kernel = real_integrate, real_kernel
    res, wall, cpu = seen["integration"]
    years = weeks * 7 / 365.25
    attempts = (res.n_steps + res.n_rejected) / years
    accepted = res.n_steps / years

    name, keys, sparse, state, tables, shared = seen["kernel"]
    slots = state["slots"]["t"].shape[0]
    with ej._x64():
        sl = {k: jax.numpy.asarray(v) for k, v in state["slots"].items()}
        start = jax.jit(jax.vmap(partial(ej._step_start, name, keys, sparse, shared)))
        c = start(sl)
        cost_start = _cost(start.lower(sl).compile())
        costs = {}
        # XLA counts a gather as reading its whole operand: with the chunk's [patient, stop] tables that
        # is the table, not the row a slot reads; one-row tables make a gather count one row
        one_row = {key: jax.numpy.asarray(v)[:1] for key, v in tables.items()}
        for mode in ("explicit", "both"):
            fin = jax.jit(jax.vmap(partial(ej._step_finish, name, keys, sparse, shared, one_row, mode)))
            cf = _cost(fin.lower(sl, c).compile())
            costs["explicit_and_rodas4" if mode == "both" else "explicit"] = {k: (cost_start[k] + cf[k]) / slots for k in cf}
    state_bytes = sum(np.asarray(v).nbytes for v in state["slots"].values()) / slots

    method = "DOP853" if sparse else "DP5"
    worst = costs["explicit_and_rodas4"]  # on a GPU's thousands of slots almost every iteration has a stiff slot
    flops = worst["flops"] + args.flops_per_transcendental * worst["transcendentals"]
    patient_steps = args.target_patient_years * float(np.mean(attempts))
    t_compute = patient_steps * flops / (args.gpu_fp64_tflops * 1e12)
    t_memory_xla = patient_steps * worst["bytes"] / (args.gpu_tb_per_s * 1e12)
    t_memory_state = patient_steps * 2 * state_bytes / (args.gpu_tb_per_s * 1e12)
    n_chunks = args.target_patient_years / args.gpu_chunk
    t_iter = n_chunks * float(np.max(attempts)) * args.iteration_us * 1e-6
    bigger_chunk = 2**20
    t_iter_big = args.target_patient_years / bigger_chunk * float(np.max(attempts)) * args.iteration_us * 1e-6

    rows = [
        ("steps per patient-year, accepted: median / mean / p99 / max",
         f"{np.median(accepted):.0f} / {np.mean(accepted):.0f} / {np.percentile(accepted, 99):.0f} / {np.max(accepted):.0f}"),
        ("steps per patient-year, attempted (incl. rejected): median / mean / max",
         f"{np.median(attempts):.0f} / {np.mean(attempts):.0f} / {np.max(attempts):.0f}"),
        ("CPU per attempted patient-step here (JAX engine, all cores)", f"{cpu / np.sum(res.n_steps + res.n_rejected) * 1e9:.0f} ns"),
        ("attempted patient-steps per second of wall time (this device)", f"{np.sum(res.n_steps + res.n_rejected) / wall:.3g}"),
        (f"XLA flops / transcendentals / bytes per patient-step, {method} only",
         f"{costs['explicit']['flops']:.0f} / {costs['explicit']['transcendentals']:.0f} / {costs['explicit']['bytes']:.0f}"),
        (f"XLA flops / transcendentals / bytes per patient-step, {method} and RODAS4",
         f"{worst['flops']:.0f} / {worst['transcendentals']:.0f} / {worst['bytes']:.0f}"),
        ("slot state per patient (read + written each step, lower bound of traffic)", f"{state_bytes:.0f} B"),
        (f"{args.target_patient_years:.0e} patient-years: patient-steps", f"{patient_steps:.3g}"),
        ("GPU bound, FP64 arithmetic", f"{t_compute:.2f} s"),
        ("GPU bound, memory (XLA bytes / slot state only)", f"{t_memory_xla:.2f} s / {t_memory_state:.2f} s"),
        (f"GPU bound, lockstep iterations (chunks of {args.gpu_chunk}; of 2^20)", f"{t_iter:.1f} s; {t_iter_big:.2f} s"),
    ]
    for label, value in rows:
        print(f"{label:<78} {value}")
    print(json.dumps({
        "benchmark": "step_cost", "patients": args.patients, "weeks": weeks, "slots_cpu": slots,
        "steps_per_patient_year": {"accepted_median": float(np.median(accepted)), "accepted_mean": float(np.mean(accepted)),
                                   "attempted_mean": float(np.mean(attempts)), "attempted_max": float(np.max(attempts))},
        "explicit_method": method, "cost_per_patient_step": costs, "slot_state_bytes": state_bytes,
        "cpu_ns_per_patient_step": cpu / float(np.sum(res.n_steps + res.n_rejected)) * 1e9, "wall_s": wall,
        "projection": {"target_patient_years": args.target_patient_years, "gpu_fp64_tflops": args.gpu_fp64_tflops,
                       "gpu_tb_per_s": args.gpu_tb_per_s, "flops_per_transcendental": args.flops_per_transcendental,
                       "iteration_us": args.iteration_us, "compute_s": t_compute, "memory_xla_bytes_s": t_memory_xla,
                       "memory_state_s": t_memory_state, "iterations_s": t_iter, "iterations_chunk_2e20_s": t_iter_big},
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": sys.version.split()[0],
                    "device": jax.default_backend(), "load_average": os.getloadavg()},
        "versions": {"jax": jax.__version__, "numpy": np.__version__},
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }))


if __name__ == "__main__":
    main()
