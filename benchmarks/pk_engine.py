"""Benchmark: isamm's PK engines (NumPy, JAX) vs a per-patient ``scipy.integrate.solve_ivp`` loop.

Same virtual population (Fau 2020 isatuximab model, IIV and covariates sampled
with a seed), same regimen (10 mg/kg label schedule, ISA-MONO-10-QW-Q2W, with
the label's piecewise infusion profiles), same output grid (daily by default).
Prints patients and patient-years per second of each, their ratio to the loop,
and the maximum relative error (where C > 1 µg/mL) of each against a tight
reference (LSODA, rtol 1e-10, atol 1e-12, restarted at every infusion edge) on
a subset of patients: half the patients with the most steps in the NumPy engine
(the fast target-mediated tail of the population), half the first patients.

The baseline is what a careful Python user writes: ``solve_ivp`` (LSODA, which
switches to a stiff method when needed) per patient, restarted at every infusion
start, rate change and stop, evaluating the output grid with ``t_eval``.

JAX: ``jax_first_call_s`` is the first ``simulate(backend="jax")`` of a new process
with an empty compilation cache (compiles), ``jax_warm_start_s`` the overhead of the
first call in a second new process with that cache (first call minus the same call
repeated: loading the traced and the compiled kernel), both measured in child processes
with a temporary ``ISAMM_CACHE_DIR`` (``jax_exposure_*``: the same for ``pk.exposure``, run after them). ``exposure_patient_years_per_s_jax`` times
``isamm.pk.exposure(..., backend="jax")`` on the same population (after a warm-up).

Run:  .venv/bin/python benchmarks/pk_engine.py [--quick] [--patients 2000] [--baseline 100] [--json]
The last line printed is one JSON object (machine, versions, date and the numbers).
Not a test: numbers depend on the machine (and on what else runs on it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

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
    ap.add_argument("--quick", action="store_true",
                    help="500 patients, 20 in the loop, 20 references (about a minute on 2 cores)")
    ap.add_argument("--patients", type=int, default=None, help="population size for the engines (default 2000)")
    ap.add_argument("--baseline", type=int, default=None, help="patients solved by the solve_ivp loop (default 100)")
    ap.add_argument("--reference", type=int, default=None, help="patients checked against the rtol 1e-10 reference (50)")
    ap.add_argument("--weeks", type=int, default=52)
    ap.add_argument("--step-h", type=float, default=24.0, help="output grid (h)")
    ap.add_argument("--baseline-rtol", type=float, default=1e-6)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--backend", choices=("numpy", "jax", "both"), default="both", help="engine backend(s) to time")
    ap.add_argument("--json", action="store_true", help="only the JSON line")
    args = ap.parse_args(argv)
    quick = {"patients": 500, "baseline": 20, "reference": 20}
    full = {"patients": 2000, "baseline": 100, "reference": 50}
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    say = (lambda *a: None) if args.json else (lambda *a: print(*a, flush=True))

    model = pk.load_model("isatuximab_fau2020")
    pats = pk.sample_patients(model, args.patients, seed=args.seed)
    weights = pats.covariates["weight_kg"].to_numpy()
    events = pk.regimen_events("ISA-MONO-10-QW-Q2W", weights, weeks=args.weeks, drug="isatuximab")
    times = np.arange(0.0, args.weeks * 168.0 + 1e-9, args.step_h)
    params = pats.parameters()
    years = args.patients * args.weeks * 7.0 / 365.25
    backends = ("numpy", "jax") if args.backend == "both" else (args.backend,)
    result = {
        "benchmark": "pk_engine", "quick": args.quick, "model": model.id, "regimen": "ISA-MONO-10-QW-Q2W",
        "weeks": args.weeks, "output_points": int(times.size), "patients": args.patients, "seed": args.seed,
        "baseline": f"solve_ivp LSODA rtol {args.baseline_rtol:g} per patient, restarted at infusion edges",
    }

    cache = tempfile.mkdtemp(prefix="isamm_bench_cache_")
    if "jax" in backends:  # new processes: empty cache (compiles), then the cache it filled
        cold = _child_first_call(args, cache)
        warm = _child_first_call(args, cache)
        exp_cold = _child_first_call(args, cache, exposure=True)  # kernels of its calendar sizes not seen yet
        exp_warm = _child_first_call(args, cache, exposure=True)
        result.update({
            "jax_first_call_s": cold["first_s"], "jax_warm_first_call_s": warm["first_s"],
            "jax_warm_start_s": max(warm["first_s"] - warm["second_s"], 0.0),
            "jax_import_s": warm["import_s"], "jax_devices": warm["devices"],
            "jax_exposure_first_call_s": exp_cold["first_s"], "jax_exposure_warm_first_call_s": exp_warm["first_s"],
            "jax_exposure_warm_start_s": max(exp_warm["first_s"] - exp_warm["second_s"], 0.0),
        })
        say(f"JAX, new process: first call {cold['first_s']:.1f} s with an empty cache (compiles), "
            f"{warm['first_s']:.2f} s with the cache ({result['jax_warm_start_s']:.2f} s before computing starts; "
            f"imports {warm['import_s']:.1f} s); pk.exposure in a new process: {exp_cold['first_s']:.1f} s after the "
            f"simulate runs, {exp_warm['first_s']:.2f} s, "
            f"{result['jax_exposure_warm_start_s']:.2f} s before computing starts with the cache")
    os.environ["ISAMM_CACHE_DIR"] = cache  # this process loads the kernels the children compiled

    sims = {}
    for backend in backends:
        if backend == "jax":
            pk.simulate(model, pats, events, times, backend="jax")  # warm-up: load the compiled kernel
        t0, c0 = time.perf_counter(), _cpu_s()
        sims[backend] = pk.simulate(model, pats, events, times, backend=backend)
        seconds = time.perf_counter() - t0
        result[f"seconds_{backend}"] = seconds
        result[f"cpu_seconds_{backend}"] = _cpu_s() - c0  # all threads; > seconds when several cores worked
        result[f"patients_per_s_{backend}"] = args.patients / seconds
        result[f"patient_years_per_s_{backend}"] = years / seconds
        say(f"{backend:6s} engine: {args.patients / seconds:8.1f} patients/s, {years / seconds:8.1f} patient-years/s "
            f"({args.patients} patients, {seconds:.2f} s)")

    if "jax" in backends:  # exposure metrics (per-patient Cmax, Ctrough, AUC, ...)
        pk.exposure(model, pats, events, backend="jax")  # warm-up: compile/load the exposure grid's kernels
        t0, c0 = time.perf_counter(), _cpu_s()
        pk.exposure(model, pats, events, backend="jax")
        seconds = time.perf_counter() - t0
        result["exposure_seconds_jax"] = seconds
        result["exposure_cpu_seconds_jax"] = _cpu_s() - c0  # all threads
        result["exposure_patient_years_per_s_jax"] = years / seconds
        result["exposure_path"] = ("pk.exposure: outputs at dose starts and infusion ends only (IV calendar, no dense grid:"
                                   " sparse outputs, DOP853 steps)")
        say(f"exposure (jax): {years / seconds:8.1f} patient-years/s ({seconds:.2f} s)")

    per_patient = {}

    def one(i):
        if i not in per_patient:
            per_patient[i] = ({k: float(v[i]) for k, v in params.items()}, _pieces(events[events.patient == i]))
        return per_patient[i]

    for i in range(args.baseline):  # inputs prepared before the clock starts, as before
        one(i)
    t0 = time.perf_counter()
    base = {i: solve_one(*one(i), times, args.baseline_rtol) for i in range(args.baseline)}
    t_base = time.perf_counter() - t0
    base_rate = args.baseline / t_base
    say(f"solve_ivp loop: {base_rate:8.1f} patients/s ({args.baseline} patients, {t_base:.2f} s)")

    # reference patients: the slowest (most steps: fast target-mediated elimination) and the first ones
    steps = sims["numpy"].n_steps if "numpy" in sims else sims["jax"].n_steps
    tail = np.argsort(steps)[::-1][: args.reference // 2]
    ref_idx = list(dict.fromkeys([int(i) for i in tail] + list(range(args.patients))))[: args.reference]
    refs = {i: solve_one(*one(i), times, 1e-10, atol=1e-12) for i in ref_idx}

    def max_rel(pred_of, idx):
        worst = 0.0
        for i in idx:
            ref, pred = refs[i], pred_of(i)
            m = ref > 1.0
            if m.any():
                worst = max(worst, float(np.max(np.abs(pred[m] - ref[m]) / ref[m])))
        return worst

    result.update({
        "baseline_patients": args.baseline, "baseline_seconds": t_base, "baseline_patients_per_s": base_rate,
        "max_rel_err_baseline": max_rel(lambda i: base[i], [i for i in ref_idx if i in base]),
        "error_reference": (f"LSODA rtol 1e-10 atol 1e-12 on {len(ref_idx)} patients ({len(tail)} with the most steps), "
                            "where C > 1 ug/mL"),
        "reference_patients_steps": [int(steps[i]) for i in ref_idx],
    })
    for backend, sim in sims.items():
        result[f"speedup_{backend}"] = result[f"patients_per_s_{backend}"] / base_rate
        result[f"max_rel_err_{backend}"] = max_rel(lambda i: sim.conc_ug_ml[i], ref_idx)
        say(f"{backend:6s}: {result[f'speedup_{backend}']:.0f}x the loop, max rel. error {result[f'max_rel_err_{backend}']:.1e}")
    say(f"loop  : max rel. error {result['max_rel_err_baseline']:.1e}")
    result.update(_environment())
    print(json.dumps(result))
    return result


_CHILD = """
import json, sys, time
t0 = time.perf_counter()
import numpy as np, jax
from isamm import pk
import isamm.pk._engine_jax
t1 = time.perf_counter()
a = json.loads(sys.argv[1])
m = pk.load_model("isatuximab_fau2020")
pats = pk.sample_patients(m, a["patients"], seed=a["seed"])
ev = pk.regimen_events("ISA-MONO-10-QW-Q2W", pats.covariates["weight_kg"].to_numpy(), weeks=a["weeks"], drug="isatuximab")
times = np.arange(0.0, a["weeks"] * 168.0 + 1e-9, a["step_h"])
run = (lambda: pk.exposure(m, pats, ev, backend="jax")) if a["exposure"] else (
    lambda: pk.simulate(m, pats, ev, times, backend="jax"))
t2 = time.perf_counter()
run()
t3 = time.perf_counter()
run()
t4 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "first_s": t3 - t2, "second_s": t4 - t3, "devices": [str(d) for d in jax.devices()]}))
"""


def _child_first_call(args, cache: str, exposure: bool = False) -> dict:
    """First and second JAX call (``simulate``, or ``exposure``) in a new process with ``ISAMM_CACHE_DIR=cache``."""
    a = {"patients": args.patients, "seed": args.seed, "weeks": args.weeks, "step_h": args.step_h, "exposure": exposure}
    out = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(a)], capture_output=True, text=True, check=True,
                         env=dict(os.environ, ISAMM_CACHE_DIR=cache))
    return json.loads(out.stdout.strip().splitlines()[-1])


def _cpu_s() -> float:
    """CPU time of this process so far (user + system, all threads), s."""
    t = os.times()
    return t.user + t.system


def _environment() -> dict:
    import jax
    import scipy

    import isamm

    return {
        "machine": {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                    "cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None},
        "versions": {"isamm": isamm.__version__, "numpy": np.__version__, "scipy": scipy.__version__,
                     "jax": jax.__version__},
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }


if __name__ == "__main__":
    main()
