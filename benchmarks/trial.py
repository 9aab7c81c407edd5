"""Virtual-trial speed: one ICARIA-MM replicate at its published size, and many replicates.

Run on demand (``make bench-trial`` or ``.venv/bin/python benchmarks/trial.py``), never in tests.
Prints a table and, last, one JSON line with ``patients_per_s`` (end to end: calendar, PK, disease,
labs, IMWG, PFS/OS and the per-arm statistics) and ``seconds_per_replicate``, with the machine,
versions and date. Baseline, measured in the same run: the same replicates one by one (no batching
of the PK across replicates), so the ratio shows what batching buys.

Aims (issue 10): one ICARIA-MM replicate (307 patients, through its data cut-off) in ≤ 1 s on 2 CPU
cores; 100 replicates in ≤ 60 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trial", default="ICARIA-MM")
    ap.add_argument("--replicates", type=int, default=20)
    ap.add_argument("--baseline-replicates", type=int, default=3, help="replicates run one by one for the baseline")
    ap.add_argument("--backend", default="numpy", choices=["numpy", "jax"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dask-workers", type=int, default=2,
                    help="also run the replicates on a Dask LocalCluster of this many workers (0: skip)")
    args = ap.parse_args()

    import isamm
    import isamm.trials as tr
    from isamm.trials import _trial

    spec = tr.load_trial(args.trial)
    n = sum(a.n for a in spec.arms)
    tr.run_trial(spec, seed=args.seed, replicates=1, backend=args.backend)  # warm-up (imports, JIT)

    t0 = time.perf_counter()
    for r in range(args.baseline_replicates):  # baseline: one replicate per call, no batching
        old = _trial.BATCH_PATIENTS
        _trial.BATCH_PATIENTS = 1
        try:
            tr.run_trial(spec, seed=args.seed + 1000 + r, replicates=1, backend=args.backend)
        finally:
            _trial.BATCH_PATIENTS = old
    base_s = (time.perf_counter() - t0) / args.baseline_replicates

    t0 = time.perf_counter()
    tr.run_trial(spec, seed=args.seed, replicates=args.replicates, backend=args.backend)
    batch_s = (time.perf_counter() - t0) / args.replicates

    dask_s = None
    if args.dask_workers > 0:
        from isamm.parallel import client_for

        with client_for("local", n_workers=args.dask_workers) as client:
            tr.run_trial(spec, seed=args.seed, replicates=args.dask_workers, backend=args.backend, client=client)  # warm
            t0 = time.perf_counter()
            tr.run_trial(spec, seed=args.seed, replicates=args.replicates, backend=args.backend, client=client)
            dask_s = (time.perf_counter() - t0) / args.replicates

    print(f"{args.trial}: {n} patients per replicate, backend {args.backend}")
    print(f"  one replicate per call (baseline): {base_s:8.3f} s/replicate  {n / base_s:8.0f} patients/s")
    print(f"  {args.replicates} replicates, batched:     {batch_s:8.3f} s/replicate  {n / batch_s:8.0f} patients/s"
          f"  ({base_s / batch_s:.1f}x the baseline)")
    if dask_s is not None:
        print(f"  {args.replicates} replicates, Dask {args.dask_workers} workers: {dask_s:6.3f} s/replicate  "
              f"{n / dask_s:8.0f} patients/s  ({batch_s / dask_s:.1f}x the batched run)")
    best = min(batch_s, dask_s or batch_s)
    print(f"  aim: <= 1 s per replicate; 100 replicates in <= 60 s (here {100 * best:.0f} s)")
    import numpy
    import pandas
    import scipy

    print(json.dumps({
        "benchmark": "trial", "trial": args.trial, "patients_per_replicate": n, "replicates": args.replicates,
        "backend": args.backend, "seconds_per_replicate": round(batch_s, 4), "patients_per_s": round(n / batch_s, 1),
        "baseline_seconds_per_replicate": round(base_s, 4), "speedup_vs_baseline": round(base_s / batch_s, 2),
        "seconds_per_100_replicates": round(100 * batch_s, 1),
        "dask_workers": args.dask_workers or None,
        "dask_seconds_per_replicate": None if dask_s is None else round(dask_s, 4),
        "dask_speedup_vs_batched": None if dask_s is None else round(batch_s / dask_s, 2),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "versions": {"isamm": isamm.__version__, "numpy": numpy.__version__, "scipy": scipy.__version__,
                     "pandas": pandas.__version__},
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
