"""Benchmark: isamm's vectorized PK engine vs a per-patient ``scipy.integrate.solve_ivp`` loop.

Same virtual population (Fau 2020 isatuximab model, IIV and covariates sampled
with a seed), same regimen (10 mg/kg label schedule, ISA-MONO-10-QW-Q2W, with
the label's piecewise infusion profiles), same output grid. Prints patients per
second of both, their ratio, and the maximum relative error (where C > 1 µg/mL)
of both against a tight reference (LSODA, rtol 1e-10, restarted at every
infusion edge) on a subset of patients.

The baseline is what a careful Python user writes: ``solve_ivp`` (LSODA, which
switches to a stiff method when needed) per patient, restarted at every infusion
start, rate change and stop, evaluating the output grid with ``t_eval``.

With JAX installed (``pip install 'isamm[jax]'``) the same population is also run
with ``backend="jax"``: once to compile (reported separately: once per process
and problem shape), then timed.

Run:  .venv/bin/python benchmarks/pk_engine.py [--patients 2000] [--baseline 100] [--backend numpy|jax|both] [--json]
Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from importlib.util import find_spec

import numpy as np
from scipy.integrate import solve_ivp

from isamm import pk


def _fau_rhs(t, y, rate, p, t_first):
    tt = max(t - t_first, 0.0)
    with np.errstate(over="ignore", divide="ignore"):
        s = 1.0 / (1.0 + np.power(np.float64(p["KCL"]) / tt, p["gamma"]))
    cl = p["CLinf"] * np.exp(p["CLm"] * (1.0 - s))
    c = y[0] / p["Vc"]
    cp = y[1] / p["Vp"]
    return [rate - cl * c - p["Vc"] * p["Vm"] * c / (p["Km"] + c) - p["Q"] * (c - cp), p["Q"] * (c - cp)]


def _pieces(events):
    """Constant-rate pieces (start, end, rate) from the dose-event table of one patient."""
    out = []
    for r in events.itertuples(index=False):
        start = r.time_h
        for d, frac in (r.profile or ((r.duration_h, 1.0),)):
            out.append((start, start + d, r.amount_mg * frac / d))
            start += d
    return out


def solve_one(p, pieces, times, rtol, atol=1e-9):
    """One patient with solve_ivp, restarted at every infusion edge."""
    edges = sorted({0.0, float(times[-1])} | {e for s, f, _ in pieces for e in (s, f)})
    edges = [e for e in edges if e <= times[-1]]
    t_first = pieces[0][0]
    y = np.zeros(2)
    out = np.empty(times.size)
    for a, b in zip(edges[:-1], edges[1:]):
        rate = sum(r for s, f, r in pieces if s <= a < f)
        sel = (times >= a) & (times <= b)
        t_eval = np.union1d(times[sel], [b])  # the segment end carries the state to the next segment
        sol = solve_ivp(_fau_rhs, (a, b), y, method="LSODA", args=(rate, p, t_first), rtol=rtol, atol=atol, t_eval=t_eval)
        if sel.any():
            out[sel] = sol.y[0, np.searchsorted(t_eval, times[sel])] / p["Vc"]
        y = sol.y[:, -1]
    return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--patients", type=int, default=2000, help="population size for the engine")
    ap.add_argument("--baseline", type=int, default=100, help="patients solved by the solve_ivp loop (timed)")
    ap.add_argument("--reference", type=int, default=50, help="patients checked against the rtol 1e-10 reference")
    ap.add_argument("--weeks", type=int, default=52)
    ap.add_argument("--step-h", type=float, default=24.0, help="output grid (h)")
    ap.add_argument("--baseline-rtol", type=float, default=1e-6)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--backend", choices=("numpy", "jax", "both"), default="both" if find_spec("jax") else "numpy",
                    help="engine backend(s) to time (default: both when JAX is installed)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    model = pk.load_model("isatuximab_fau2020")
    pats = pk.sample_patients(model, args.patients, seed=args.seed)
    weights = pats.covariates["weight_kg"].to_numpy()
    events = pk.regimen_events("ISA-MONO-10-QW-Q2W", weights, weeks=args.weeks, drug="isatuximab")
    times = np.arange(0.0, args.weeks * 168.0 + 1e-9, args.step_h)
    params = pats.parameters()

    runs = {}
    for backend in (("numpy", "jax") if args.backend == "both" else (args.backend,)):
        compile_s = None
        if backend == "jax":  # first call compiles
            t0 = time.perf_counter()
            pk.simulate(model, pats, events, times, backend="jax")
            compile_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        sim = pk.simulate(model, pats, events, times, backend=backend)
        runs[backend] = (sim, time.perf_counter() - t0, compile_s)

    per_patient = [events[events.patient == i] for i in range(max(args.baseline, args.reference))]
    p_of = [{k: float(v[i]) for k, v in params.items()} for i in range(len(per_patient))]
    t0 = time.perf_counter()
    base = [solve_one(p_of[i], _pieces(per_patient[i]), times, args.baseline_rtol) for i in range(args.baseline)]
    t_base = time.perf_counter() - t0

    def max_rel(pred, idx):
        worst = 0.0
        for i in idx:
            ref = solve_one(p_of[i], _pieces(per_patient[i]), times, 1e-10, atol=1e-12)
            m = ref > 1.0
            if m.any():
                worst = max(worst, float(np.max(np.abs(pred[i][m] - ref[m]) / ref[m])))
        return worst

    ref_idx = range(args.reference)
    err_base = max_rel(base, range(min(args.reference, args.baseline)))
    base_rate = args.baseline / t_base
    result = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "model": model.id,
        "regimen": "ISA-MONO-10-QW-Q2W",
        "weeks": args.weeks,
        "output_points": int(times.size),
        "engine_patients": args.patients,
        "baseline": f"solve_ivp LSODA rtol {args.baseline_rtol:g} per patient, restarted at infusion edges",
        "baseline_patients": args.baseline,
        "baseline_seconds": t_base,
        "baseline_patients_per_s": base_rate,
        "baseline_max_rel_error": err_base,
        "error_reference": f"LSODA rtol 1e-10 on {args.reference} patients, where C > 1 ug/mL",
    }
    for backend, (sim, seconds, compile_s) in runs.items():
        prefix = "engine" if backend == "numpy" else "jax"
        result[f"{prefix}_seconds"] = seconds
        result[f"{prefix}_patients_per_s"] = args.patients / seconds
        result[f"{prefix}_max_rel_error"] = max_rel(sim.conc_ug_ml, ref_idx)
        result["speedup" if backend == "numpy" else "jax_speedup"] = (args.patients / seconds) / base_rate
        if compile_s is not None:
            result["jax_first_call_seconds"] = compile_s
            result["jax_devices"] = [str(d) for d in __import__("jax").devices()]
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for backend, prefix in (("numpy", "engine"), ("jax", "jax")):
            if backend in runs:
                extra = f", first call (compiles) {result['jax_first_call_seconds']:.1f} s" if backend == "jax" else ""
                print(f"{backend + ' engine':13s}: {result[prefix + '_patients_per_s']:8.1f} patients/s  ({args.patients} patients, "
                      f"{result[prefix + '_seconds']:.2f} s{extra}), max rel. error {result[prefix + '_max_rel_error']:.2e}, "
                      f"{(args.patients / result[prefix + '_seconds']) / base_rate:.0f}x")
        print(f"{'solve_ivp':13s}: {base_rate:8.1f} patients/s  ({args.baseline} patients, {t_base:.2f} s), "
              f"max rel. error {err_base:.2e}   [{result['machine']}]")
    return result


if __name__ == "__main__":
    main()
