"""Exposure at scale: wall time and peak memory for N virtual patients, one process and Dask.

Run on demand (``.venv/bin/python benchmarks/scaling.py [--sizes 1000,10000,100000,1000000]``),
never in tests. For each N, ``isamm.pk.exposure`` of isatuximab 10 mg/kg QW×4 then Q2W over
``--weeks`` weeks (sampled patients, seed 1) in chunks of 4,096 patients, three ways: in this process
(no Dask), and on a Dask LocalCluster of 1 and of 2 single-threaded workers. Every configuration
runs in a fresh subprocess, so its peak resident memory (``ru_maxrss`` of the process and, for
Dask, of its worker processes) is its own. Prints a table, the growth exponent of time in N
(least squares of log time on log N over the sizes ≥ 10,000) and, last, one JSON line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import time

import numpy as np


def one(n: int, workers: int, weeks: int, backend: str) -> dict:
    from isamm import pk
    from isamm.parallel import client_for

    model = pk.load_model("isatuximab_fau2020")
    pats = pk.sample_patients(model, n, seed=1)
    events = pk.regimen_events("ISA-MONO-10-QW-Q2W", pats.covariates["weight_kg"].to_numpy(), weeks=weeks,
                               drug="isatuximab")
    with client_for("local" if workers else None, n_workers=workers or None) as client:
        t0 = time.perf_counter()
        exp = pk.exposure(model, pats, events, backend=backend, client=client)
        wall = time.perf_counter() - t0
        worker_peak_kb = 0
        if client is not None:
            peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
            worker_peak_kb = max(peaks.values())
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"n": n, "workers": workers, "wall_s": wall, "patients_per_s": n / wall,
            "patient_years_per_s": n * weeks / 52.0 / wall, "peak_rss_mb": max(self_kb, worker_peak_kb) / 1024,
            "median_ctrough_ss": float(np.median(exp.per_patient["ctrough_ss_ug_ml"]))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--weeks", type=int, default=52)
    ap.add_argument("--backend", default="numpy", choices=["numpy", "jax"])
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--workers", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one is not None:
        print(json.dumps(one(args.one, args.workers, args.weeks, args.backend)))
        return
    rows = []
    print(f"{'N':>9} {'workers':>8} {'wall s':>9} {'patients/s':>11} {'pt-years/s':>11} {'peak MB':>9}")
    for n in [int(s) for s in args.sizes.split(",")]:
        for workers in (0, 1, 2):
            cmd = [sys.executable, __file__, "--one", str(n), "--workers", str(workers), "--weeks", str(args.weeks),
                   "--backend", args.backend]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
            r = json.loads(out)
            rows.append(r)
            label = "none" if workers == 0 else str(workers)
            print(f"{n:>9} {label:>8} {r['wall_s']:9.2f} {r['patients_per_s']:11.0f} {r['patient_years_per_s']:11.0f} "
                  f"{r['peak_rss_mb']:9.0f}", flush=True)
    exponents = {}
    for workers in (0, 1, 2):
        pts = [(r["n"], r["wall_s"]) for r in rows if r["workers"] == workers and r["n"] >= 10_000]
        if len(pts) >= 2:
            x, y = np.log([p[0] for p in pts]), np.log([p[1] for p in pts])
            exponents[str(workers)] = round(float(np.polyfit(x, y, 1)[0]), 3)
    print(f"growth exponent of time in N (workers: exponent): {exponents}")
    import isamm

    print(json.dumps({
        "benchmark": "scaling", "weeks": args.weeks, "backend": args.backend, "rows": rows,
        "time_exponent_by_workers": exponents,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "versions": {"isamm": isamm.__version__, "numpy": np.__version__},
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }))


if __name__ == "__main__":
    main()
