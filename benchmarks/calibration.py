"""Calibration speed: one objective evaluation (every calibration arm, common random numbers, PK cached).

Run on demand (``.venv/bin/python benchmarks/calibration.py [--n-virtual 2000]``), never in tests. An
evaluation is what ``isamm trial calibrate`` repeats a few hundred times; the issue's aim is a calibration
from scratch in ≤ 30 minutes on 2 cores. Prints seconds per evaluation (wall and CPU of this process),
with the parts that dominate, and the same evaluation with the per-patient IMWG engine
(``isamm.response.assess``) in place of the vectorised visit path, measured in the same run: the ratio
shows what the visit path buys, and the objective values must agree exactly. One JSON line last.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import resource
import time
from contextlib import contextmanager


def _rusage() -> tuple[float, float, int]:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime, r.ru_stime, r.ru_minflt


@contextmanager
def _reference_imwg():
    """The trial engine scoring its visits with the per-patient reference engine (the baseline)."""
    import isamm.trials._run as run
    from isamm.response import VisitResponses, assess, visit_labs
    from isamm.response._visits import _endpoints

    def reference(**visits):
        config = visits.pop("config")
        by_id = {p.patient_id: p for p in assess(visit_labs(**visits), config).patients}
        return VisitResponses(visits["patient_id"], **_endpoints([by_id[str(pid)] for pid in visits["patient_id"]]))

    fast = run.assess_visits
    run.assess_visits = reference
    try:
        yield
    finally:
        run.assess_visits = fast


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-virtual", type=int, default=2000, help="virtual patients per calibration arm")
    ap.add_argument("--repeats", type=int, default=3, help="evaluations timed (best of)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    import numpy as np

    import isamm
    from isamm.disease import load_parameters
    from isamm.trials._calibrate import _Objective, calibration_targets

    params = load_parameters()
    objective = _Objective(calibration_targets(), params, seed=args.seed, n_virtual=args.n_virtual, backend="numpy")
    t0 = time.perf_counter()
    first = float(np.sum(objective.residuals(params)[0] ** 2))  # PK of every arm, then cached
    first_s = time.perf_counter() - t0

    def timed() -> tuple[float, float, float, int, float]:
        best = None
        for _ in range(args.repeats):
            u0, s0, f0 = _rusage()
            w = time.perf_counter()
            value = float(np.sum(objective.residuals(params)[0] ** 2))
            wall = time.perf_counter() - w
            u1, s1, f1 = _rusage()
            row = (wall, u1 - u0, s1 - s0, f1 - f0, value)
            best = row if best is None or row[0] < best[0] else best
        return best

    fast = timed()
    with _reference_imwg():
        slow = timed()
    if fast[4] != slow[4] or fast[4] != first:
        raise SystemExit(f"objective differs: visit path {fast[4]!r}, reference engine {slow[4]!r}, first {first!r}")

    print(f"calibration evaluation, {args.n_virtual} virtual patients per arm, 7 arms (best of {args.repeats})")
    print(f"{'IMWG engine':<28} {'wall s':>7} {'user s':>7} {'sys s':>6} {'page faults':>11}")
    for name, row in (("per-patient (baseline)", slow), ("visit path (default)", fast)):
        print(f"{name:<28} {row[0]:>7.2f} {row[1]:>7.2f} {row[2]:>6.2f} {row[3]:>11,}")
    print(f"first evaluation (PK of every arm) {first_s:.1f} s; objective {fast[4]:.6f} in both")
    print(json.dumps({
        "benchmark": "calibration", "n_virtual": args.n_virtual, "seconds_per_evaluation": round(fast[0], 3),
        "seconds_per_evaluation_reference_imwg": round(slow[0], 3), "speedup_vs_reference_imwg": round(slow[0] / fast[0], 2),
        "first_evaluation_s": round(first_s, 2), "objective": fast[4], "isamm": isamm.__version__,
        "numpy": np.__version__, "python": platform.python_version(), "machine": platform.machine(),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
