"""Exposure at scale: wall time and peak memory for N virtual patients, one process and Dask.

Run on demand, never in tests::

    .venv/bin/python benchmarks/scaling.py [--sizes 1000,10000,100000,1000000] [--backend numpy|jax]

For each N, the streaming path of ``isamm pk exposure --patients N -o out.parquet``
(``isamm.pk.exposure_stream`` of a seeded ``pk.Population`` on ``pk.RegimenCalendar``; each chunk of
4,096 patients draws its patients and builds its calendar itself; per-patient rows written to Parquet
per chunk): isatuximab 10 mg/kg QW×4 then Q2W over ``--weeks`` weeks, seed 1. Three ways: in this
process (no Dask) and on a Dask LocalCluster of 1 and of 2 single-threaded workers. Each
configuration runs in a fresh subprocess, so its peak resident memory (``ru_maxrss``) is its own: the
table gives the largest process (the driver or a worker) and the sum over the driver and its workers.
Prints a table row per run as it finishes, the growth exponent of time in N (least squares of log time
on log N over the sizes ≥ 10,000) and, last, one JSON line (machine, load, versions, date, rows).
The median trough of every configuration of one N is printed too: they must be equal (same seeds).
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
import tempfile
import time

import numpy as np


def one(n: int, workers: int, weeks: int, backend: str) -> dict:
    import pyarrow.parquet as pq

    from isamm import pk
    from isamm.parallel import client_for

    model = pk.load_model("isatuximab_fau2020")
    pop = pk.Population(model, n, seed=1)
    calendar = pk.RegimenCalendar.of("ISA-MONO-10-QW-Q2W", weeks=weeks, drug="isatuximab")
    with tempfile.TemporaryDirectory() as tmp, client_for("local" if workers else None,
                                                          n_workers=workers or None) as client:
        out = os.path.join(tmp, "exposure.parquet")
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        exp = pk.exposure_stream(model, pop, calendar, output=out, backend=backend, client=client)
        summary = exp.to_dict()
        wall = time.perf_counter() - t0
        cpu_driver = time.process_time() - cpu0
        rows_written = pq.ParquetFile(out).metadata.num_rows
        worker_kb, worker_cpu = [], 0.0
        if client is not None:
            worker_kb = list(client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss).values())
            worker_cpu = sum(client.run(lambda: time.process_time()).values())
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"n": n, "workers": workers, "wall_s": wall, "patients_per_s": n / wall,
            "patient_years_per_s": n * weeks / 52.0 / wall,
            "cpu_s": cpu_driver + worker_cpu,
            "peak_rss_mb": max([self_kb] + worker_kb) / 1024, "total_rss_mb": (self_kb + sum(worker_kb)) / 1024,
            "rows_written": rows_written, "median_ctrough_ss": summary["ctrough_ss_ug_ml"]["median"]}


def _machine() -> dict:
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"platform": platform.platform(), "machine": platform.machine(), "cpus": os.cpu_count(),
            "memory_gib": round(mem_gib, 1), "python": sys.version.split()[0], "load_average": load}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000,1000000")
    ap.add_argument("--workers", default="0,1,2", help="Dask workers per run, 0 = no Dask (default 0,1,2).")
    ap.add_argument("--weeks", type=int, default=52)
    ap.add_argument("--backend", default="numpy", choices=["numpy", "jax"])
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one is not None:
        print(json.dumps(one(args.one, int(args.workers), args.weeks, args.backend)))
        return
    worker_counts = [int(w) for w in args.workers.split(",")]
    machine_before = _machine()
    rows = []
    print(f"{'N':>9} {'workers':>8} {'wall s':>9} {'patients/s':>11} {'CPU s':>8} {'peak MB':>9} {'sum MB':>8} "
          f"{'median Ctrough':>15}", flush=True)
    for n in [int(s) for s in args.sizes.split(",")]:
        for workers in worker_counts:
            cmd = [sys.executable, __file__, "--one", str(n), "--workers", str(workers), "--weeks", str(args.weeks),
                   "--backend", args.backend]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
            r = json.loads(out)
            rows.append(r)
            label = "none" if workers == 0 else str(workers)
            print(f"{n:>9} {label:>8} {r['wall_s']:9.1f} {r['patients_per_s']:11.0f} {r['cpu_s']:8.0f} "
                  f"{r['peak_rss_mb']:9.0f} {r['total_rss_mb']:8.0f} {r['median_ctrough_ss']:15.10g}", flush=True)
    exponents, cpu_exponents = {}, {}
    for workers in worker_counts:
        pts = [(r["n"], r["wall_s"], r["cpu_s"]) for r in rows if r["workers"] == workers and r["n"] >= 10_000]
        if len(pts) >= 2:
            x = np.log([p[0] for p in pts])
            exponents[str(workers)] = round(float(np.polyfit(x, np.log([p[1] for p in pts]), 1)[0]), 3)
            cpu_exponents[str(workers)] = round(float(np.polyfit(x, np.log([p[2] for p in pts]), 1)[0]), 3)
    # on a shared machine the wall time carries other work's load; the CPU time much less
    print(f"growth exponent in N, sizes >= 10,000 (workers: exponent): wall time {exponents}, CPU time {cpu_exponents}")
    import dask
    import pandas
    import pyarrow

    import isamm

    versions = {"isamm": isamm.__version__, "numpy": np.__version__, "pandas": pandas.__version__,
                "pyarrow": pyarrow.__version__, "dask": dask.__version__}
    if args.backend == "jax":
        import jax

        versions["jax"] = jax.__version__
    print(json.dumps({
        "benchmark": "scaling", "weeks": args.weeks, "backend": args.backend, "chunk_patients": 4096,
        "rows": rows, "time_exponent_by_workers": exponents, "cpu_time_exponent_by_workers": cpu_exponents,
        "machine": {**machine_before, "load_average_after": _machine()["load_average"]},
        "versions": versions,
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }))


if __name__ == "__main__":
    main()
