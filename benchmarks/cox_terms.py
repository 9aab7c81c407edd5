"""Cox models with many terms: time and memory of ``isamm.outcomes.cox`` (and ``cox.zph``) as p grows.

Run on demand (``.venv/bin/python benchmarks/cox_terms.py [--rows 3000] [--terms 50,100,150,200]``),
never in tests. For each p: a seeded cohort of ``--rows`` patients with p standard-normal covariates,
exponential event times (small true effects) and exponential censoring, times rounded to 0.01 (ties);
``cox(...)`` then ``result.zph()`` are timed (wall and CPU seconds of this process, all threads) and the
peak resident memory of the process is reported. To compare with another version of the code, run the
same command with ``PYTHONPATH=<that checkout>/src`` (the 2-terms-per-GB memory check of older versions
needs ``ISAMM_MEMORY_GB=8`` at 200 terms). One JSON line last.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import resource
import time

import numpy as np
import pandas as pd


def cohort(n: int, p: int, seed: int) -> pd.DataFrame:
    """``x0 … x{p-1}``, ``time`` (months, 2 decimals) and ``event`` (0/1) for n patients."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    t = rng.exponential(np.exp(-X @ rng.normal(scale=0.05, size=p))) * 12
    c = rng.exponential(12, size=n)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(p)])
    frame["time"] = np.round(np.minimum(t, c), 2)
    frame["event"] = (t <= c).astype(int)
    return frame


def measure(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=3000)
    ap.add_argument("--terms", default="50,100,150,200")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    import isamm
    from isamm.outcomes import cox

    cox(cohort(200, 3, 0), "time", "event", ["x0", "x1", "x2"]).zph()  # warm-up (imports, first calls)
    rows = []
    print(f"{'terms':>5} {'rows':>6} {'cox wall s':>10} {'cox CPU s':>9} {'zph wall s':>10} {'zph CPU s':>9} "
          f"{'peak RSS MB':>11}")
    for p in [int(x) for x in args.terms.split(",")]:
        frame = cohort(args.rows, p, args.seed)
        covs = [f"x{i}" for i in range(p)]
        res, cox_wall, cox_cpu = measure(lambda: cox(frame, "time", "event", covs))
        _, zph_wall, zph_cpu = measure(res.zph)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rows.append({"terms": p, "rows": args.rows, "cox_wall_s": round(cox_wall, 3), "cox_cpu_s": round(cox_cpu, 3),
                     "zph_wall_s": round(zph_wall, 3), "zph_cpu_s": round(zph_cpu, 3), "peak_rss_mb": round(peak),
                     "loglik": res.loglik[1]})
        print(f"{p:>5} {args.rows:>6} {cox_wall:>10.2f} {cox_cpu:>9.2f} {zph_wall:>10.2f} {zph_cpu:>9.2f} "
              f"{peak:>11.0f}")
    with open("/proc/loadavg") as fh:
        load = fh.read().split()[0]
    print(json.dumps({"benchmark": "cox_terms", "isamm": isamm.__version__, "python": platform.python_version(),
                      "numpy": np.__version__, "machine": platform.machine(), "load_average": float(load),
                      "date": dt.date.today().isoformat(), "results": rows}))


if __name__ == "__main__":
    main()
