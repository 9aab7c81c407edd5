"""Survival statistics at scale: isamm vs lifelines' plain usage, same machine, same data.

Run on demand (``.venv/bin/python benchmarks/stats.py [--sizes 10000,100000,1000000]``), never in
tests. For each size N: a synthetic two-group cohort with five covariates (age in years, sex, ISS,
log β2m, creatinine in µmol/L) and Weibull event times with random censoring (seeded), then

- Kaplan–Meier of the whole cohort (isamm.outcomes.kaplan_meier vs lifelines.KaplanMeierFitter),
- log-rank test of the two groups (isamm.outcomes.logrank vs lifelines.statistics.logrank_test),
- Cox model with the five covariates, Efron ties (isamm.outcomes.cox vs lifelines.CoxPHFitter).

Each is timed once after a warm-up on a small cohort; the baseline (lifelines) is measured in the same
run. The printed ratio is lifelines' time / isamm's (> 1: isamm faster). The results are compared too
(median, χ², coefficients), so a fast wrong answer shows. One JSON line last.
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
import pandas as pd


def cohort(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.normal(66, 10, n)
    sex = rng.integers(0, 2, n)
    iss = rng.integers(1, 4, n)
    lb2m = rng.normal(1.2, 0.5, n)
    creat = rng.lognormal(np.log(90), 0.35, n)
    group = rng.integers(0, 2, n)
    lp = 0.03 * (age - 66) + 0.2 * sex + 0.3 * (iss - 2) + 0.4 * lb2m + 0.004 * (creat - 90) - 0.5 * group
    t = 20.0 * (-np.log(rng.random(n)) / np.exp(lp)) ** (1 / 1.3)
    c = rng.uniform(5, 60, n)
    return pd.DataFrame({"time": np.round(np.minimum(t, c), 2), "event": (t <= c).astype(int), "group": group,
                         "age": age, "sex": sex, "iss": iss, "lb2m": lb2m, "creat": creat})


COVS = ["age", "sex", "iss", "lb2m", "creat"]


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def run(n: int, seed: int) -> dict:
    from lifelines import CoxPHFitter, KaplanMeierFitter
    from lifelines.statistics import logrank_test

    from isamm.outcomes import cox, kaplan_meier, logrank

    df = cohort(n, seed)
    row = {"n": n}
    km, row["km_isamm_s"] = timed(lambda: kaplan_meier(df["time"], df["event"]))
    kmf, row["km_lifelines_s"] = timed(lambda: KaplanMeierFitter().fit(df["time"], df["event"]))
    row["km_median_isamm"] = km.groups[0].median
    row["km_median_lifelines"] = float(kmf.median_survival_time_)
    lr, row["logrank_isamm_s"] = timed(lambda: logrank(df["time"], df["event"], df["group"]))
    g = df["group"] == 1
    lrl, row["logrank_lifelines_s"] = timed(lambda: logrank_test(df["time"][g], df["time"][~g], df["event"][g],
                                                                 df["event"][~g]))
    row["logrank_chisq_isamm"], row["logrank_chisq_lifelines"] = float(lr.chisq), float(lrl.test_statistic)
    cx, row["cox_isamm_s"] = timed(lambda: cox(df, "time", "event", COVS))
    cph, row["cox_lifelines_s"] = timed(lambda: CoxPHFitter().fit(df[["time", "event", *COVS]], "time", "event"))
    b_isamm = cx.terms.set_index("term").loc[COVS, "coef"].to_numpy(dtype=float)
    row["cox_max_abs_coef_diff"] = float(np.max(np.abs(b_isamm - cph.params_.loc[COVS].to_numpy())))
    for k in ("km", "logrank", "cox"):
        row[f"{k}_ratio"] = round(row[f"{k}_lifelines_s"] / row[f"{k}_isamm_s"], 2)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated cohort sizes")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    run(500, args.seed)  # warm-up: imports, first-call costs of both libraries
    rows = []
    print(f"{'N':>9} | {'KM isamm':>9} {'lifelines':>9} {'ratio':>6} | {'log-rank':>9} {'lifelines':>9} {'ratio':>6} | "
          f"{'Cox':>9} {'lifelines':>9} {'ratio':>6} | max |Δcoef|")
    for n in sizes:
        r = run(n, args.seed)
        rows.append(r)
        print(f"{n:>9} | {r['km_isamm_s']:9.3f} {r['km_lifelines_s']:9.3f} {r['km_ratio']:6.2f} | "
              f"{r['logrank_isamm_s']:9.3f} {r['logrank_lifelines_s']:9.3f} {r['logrank_ratio']:6.2f} | "
              f"{r['cox_isamm_s']:9.3f} {r['cox_lifelines_s']:9.3f} {r['cox_ratio']:6.2f} | {r['cox_max_abs_coef_diff']:.1e}",
              flush=True)
    import isamm
    import lifelines

    print(json.dumps({
        "benchmark": "stats", "rows": rows,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "versions": {"isamm": isamm.__version__, "lifelines": lifelines.__version__, "numpy": np.__version__,
                     "pandas": pd.__version__},
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }))


if __name__ == "__main__":
    main()
