"""Validation: predict every `validation` number of the evidence base, without refitting anything.

Each trial with validation numbers is simulated at its published size, ``replicates`` times, with the
parameter file as it is. For each number: the prediction (median over replicates), the prediction
interval (replicate 2.5–97.5% range: the spread a real trial of that size would show) and whether
the published value falls inside it. Misses are reported, never hidden.

``role="calibration"`` runs the same check on the numbers a parameter file was calibrated on: the
calibration compares one large virtual trial with each published CI; this asks the other question,
whether the published result is one a trial of its real size could show if the model were true.
A published median "not reached" (IKEMA Isa-Kd: > 20.7 months) is covered when the replicate range
reaches beyond it.

Only the main analysis of a trial is simulated (its data cut-off is the trial file's); numbers of a
later analysis are listed as not simulated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from isamm._constraints import REPLICATES, SEED, constrained
from isamm.disease import load_parameters
from isamm.errors import InputError
from isamm.trials._trial import TrialResult, _median, _range, run_trial

__all__ = ["validate", "ValidationResult", "SUPPORTED_VALIDATION", "VALIDATE_ROLES"]

#: The evidence roles ``validate`` can check (``validation``: predictions; ``calibration``: the fit's own numbers),
#: each with the name its table and report carry.
VALIDATE_ROLES = {"validation": "validation", "calibration": "calibration check"}

SUPPORTED_VALIDATION = ("orr", "vgpr_or_better", "cr_or_better", "dcr", "median_pfs_months", "median_os_months",
                        "pfs_at_months", "os_at_months", "median_treatment_weeks", "hr_pfs", "hr_os")  # fmt: skip


def _per_replicate(result: TrialResult, t: dict) -> np.ndarray:
    """The simulated quantity of target ``t`` in every replicate (NaN = not estimable, inf = median not reached)."""
    metric = t["metric"]
    if metric in ("hr_pfs", "hr_os"):
        return np.array([r[metric] for r in result.hazard_ratios], dtype=float)
    a = [arm.id for arm in result.spec.arms].index(t["arm"])
    out = []
    for rep in result.summaries:
        s = rep[a]
        if t.get("subgroup"):
            sg = t["subgroup"]
            part = s["subgroups"].get(sg["covariate"], {}).get(f"{sg['threshold']:g}", {}).get(sg["side"], {})
            v = part.get(metric)
        elif t.get("landmark_months") is not None:
            v = s[metric].get(f"{t['landmark_months']:g}")
        else:
            v = s[metric]
        v = np.nan if v is None else float(v)
        if metric.startswith("median_") and np.isnan(v):
            v = np.inf  # KM median not reached
        out.append(v)
    return np.array(out, dtype=float)


@dataclass(frozen=True)
class ValidationResult:
    """Predicted vs published for every validation number; ``results``: the simulated trials (for plots)."""

    document: dict
    results: dict[str, TrialResult] = field(repr=False)

    def to_dict(self) -> dict:
        """``{"role", "backend", "parameters", "seed", "replicates", "targets": [{"trial", "arm", "quantity", "subgroup",
        "published", "published_greater_than", "published_ci", "predicted", "prediction_interval", "covered",
        "source"}], "not_simulated": [...], "summary": {"targets", "covered"}}``. ``covered`` is None when the
        prediction is not estimable; ``published_greater_than`` is the bound of a median published as not
        reached (``published`` is then None)."""
        return self.document


@constrained(seed=SEED, replicates=REPLICATES)
def validate(*, seed: int = 1, replicates: int = 100, parameters=None, backend: str = "auto",
             progress: Callable[[int, int], None] | None = None, client=None,
             role: str = "validation") -> ValidationResult:
    """Predict every validation number of the evidence base with the parameter file as it is (no fitting).

    ``role``: ``"validation"`` (default) or ``"calibration"`` (the same check on the calibration numbers).
    ``client``: a ``dask.distributed.Client`` to run the replicates on (:func:`isamm.trials.run_trial`).
    """
    if role not in VALIDATE_ROLES:
        raise InputError("unknown role", option="role", expected=" or ".join(VALIDATE_ROLES), got=role)
    from isamm.trials.evidence import get_evidence, targets
    from isamm.trials._spec import list_trials

    params = load_parameters(parameters)
    simulated = {s.evidence: s for s in list_trials() if s.evidence}
    wanted = targets(role)
    by_trial: dict[str, list[dict]] = {}
    skipped = []
    for t in wanted:
        main = get_evidence(t["trial"]).analysis
        if t["trial"] not in simulated or t["metric"] not in SUPPORTED_VALIDATION or t["analysis"] != main:
            skipped.append({"trial": t["trial"], "arm": t["arm"], "quantity": t["metric"], "analysis": t["analysis"],
                            "reason": "later analysis" if t["analysis"] != main else "not simulated"})
            continue
        by_trial.setdefault(t["trial"], []).append(t)
    rows, results = [], {}
    for k, (trial, items) in enumerate(by_trial.items()):
        spec = simulated[trial]
        res = run_trial(spec, seed=seed, replicates=replicates, parameters=params, backend=backend, client=client)
        results[trial] = res
        for t in items:
            v = _per_replicate(res, t)
            v = v[~np.isnan(v)]
            # the same median and replicate range as `isamm trial run` reports
            pred, (lo, hi) = (_median(v), _range(v)) if v.size else (None, (None, None))
            pub, above = t["value"], t.get("greater_than") if t.get("not_reached") else None
            # v holds finite values and inf (a median not reached), so an end of the range given as None is inf
            lo_v, hi_v = (math.inf if x is None else x for x in (lo, hi))
            if not v.size:
                covered = None  # not estimable in any replicate
            elif above is not None:  # "not reached, > above": a trial of this size can show it when the range passes it
                covered = bool(hi_v > above)
            else:  # inf is above every published value
                covered = None if pub is None else bool(lo_v <= pub <= hi_v)
            quantity = t["metric"] + (f"_{t['landmark_months']:g}" if t.get("landmark_months") is not None else "")
            rows.append({
                "trial": trial, "arm": t["arm"], "quantity": quantity, "subgroup": t.get("subgroup"),
                "published": pub, "published_greater_than": above,
                "published_ci": None if t["ci_low"] is None else [t["ci_low"], t["ci_high"]],
                "predicted": pred, "prediction_interval": [lo, hi], "covered": covered,
                "source": t["source"],
            })
        if progress is not None:
            progress(k + 1, len(by_trial))
    n_cov = sum(1 for r in rows if r["covered"])
    engines = sorted({r.backend for r in results.values()})
    doc = {"role": role, "backend": ", ".join(engines) if engines else None,
           "parameters": {k: v for k, v in params.to_dict().items() if k != "values"}, "seed": seed,
           "replicates": replicates, "targets": rows, "not_simulated": skipped,
           "summary": {"targets": len(rows), "covered": n_cov}}
    return ValidationResult(doc, results)
