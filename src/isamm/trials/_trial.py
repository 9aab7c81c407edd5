"""A virtual trial replicated R times: per-arm summaries from the same statistics as real cohorts.

Each replicate simulates every arm at the trial's n (:func:`isamm.trials.simulate_arm`) and
analyses it with :mod:`isamm.outcomes`: ORR and ≥VGPR/≥CR (``orr``, Clopper–Pearson), Kaplan–Meier
medians and landmarks of PFS and OS (``kaplan_meier``, R ``survfit``), and, with two arms, the
Cox hazard ratio of the first arm vs the second (``cox``, Efron ties), the published convention
(experimental vs control). Reported values are the median over replicates and the replicate
2.5–97.5% range (empirical quantiles without interpolation): the spread a real trial of that
size would show, not a confidence interval of the model.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from isamm import __version__
from isamm._constraints import FOLLOW_UP_MONTHS, N_PER_ARM, REPLICATES, SEED, check_trial_work, constrained
from isamm.disease import DiseaseParameters, load_parameters
from isamm.outcomes import cox, kaplan_meier, orr
from isamm.parallel import map_ordered
from isamm.pk import resolve_backend
from isamm.trials._run import CHUNK_PATIENTS, ArmSimulation, simulate_arms, trial_patient_hours
from isamm.trials._spec import TrialSpec, load_trial
from isamm.units import DAYS_PER_MONTH

__all__ = ["TrialResult", "run_trial", "LANDMARK_MONTHS", "MAX_REPLICATES"]

LANDMARK_MONTHS = (6, 12, 24)
#: Splits of patients with prior daratumumab by months from its last dose (seed 001: 6; seed 004: 6 and 12).
DARATUMUMAB_SPLITS_MONTHS = (3, 6, 12)
MAX_REPLICATES = int(REPLICATES.high)
#: Replicates are simulated in batches of up to this many patients per arm: one PK call for the batch
#: (the engine's cost per step is mostly per call, so 3,000 patients cost ~5x less each than 150).
BATCH_PATIENTS = CHUNK_PATIENTS


def _arm_summary(sim: ArmSimulation) -> dict:
    c = sim.cohort
    rates = orr(c["best_response"]).rates
    pfs = kaplan_meier(c["pfs_months"], c["pfs_event"], at=LANDMARK_MONTHS)["all"]
    os_ = kaplan_meier(c["os_months"], c["os_event"], at=LANDMARK_MONTHS)["all"]

    def landmarks(g):
        return {f"{t:g}": (None if not np.isfinite(s) else float(s)) for t, s in zip(g.at["time"], g.at["surv"])}

    return {
        "n": len(c),
        "orr": rates["≥PR"].proportion,
        "vgpr_or_better": rates["≥VGPR"].proportion,
        "cr_or_better": rates["≥CR"].proportion,
        "dcr": float(c["dcr"].mean()),
        "median_pfs_months": float(pfs.median),  # NaN = not reached
        "median_os_months": float(os_.median),
        "pfs_at_months": landmarks(pfs),
        "os_at_months": landmarks(os_),
        "median_treatment_weeks": float(np.median(c["treatment_weeks"])),
        "pfs_events": pfs.events,
        "deaths": os_.events,
        "median_follow_up_months": _reverse_km_median(c),
        "subgroups": _daratumumab_subgroups(c),
    }


def _rates(c: pd.DataFrame) -> dict:
    if len(c) == 0:
        return {"n": 0, "orr": None, "vgpr_or_better": None, "dcr": None}
    rates = orr(c["best_response"]).rates
    return {"n": len(c), "orr": rates["≥PR"].proportion, "vgpr_or_better": rates["≥VGPR"].proportion,
            "dcr": float(c["dcr"].mean())}


def _daratumumab_subgroups(c: pd.DataFrame) -> dict:
    """Response rates below / at or above each split of months since the last daratumumab dose (prior-exposed only)."""
    months = c["days_since_daratumumab"].to_numpy(dtype=float) / DAYS_PER_MONTH
    exposed = np.isfinite(months)
    if not exposed.any():
        return {}
    out = {}
    for m in DARATUMUMAB_SPLITS_MONTHS:
        out[f"{m:g}"] = {"below": _rates(c[exposed & (months < m)]), "at_or_above": _rates(c[exposed & (months >= m)])}
    return {"months_since_daratumumab": out}


def _reverse_km_median(c: pd.DataFrame) -> float:
    """Median follow-up by the reverse Kaplan–Meier method (censoring as the event), on OS."""
    return float(kaplan_meier(c["os_months"], 1 - c["os_event"])["all"].median)


def _hazard_ratio(a: pd.DataFrame, b: pd.DataFrame, time: str, event: str) -> float:
    frame = pd.concat([a.assign(_first_arm=1), b.assign(_first_arm=0)], ignore_index=True)
    if frame[event].sum() == 0:
        return float("nan")
    return float(cox(frame, time, event, ["_first_arm"]).terms["hr"].iloc[0])


@dataclass(frozen=True)
class TrialResult:
    """Replicated virtual trial. ``summaries[r][a]``: arm ``a`` of replicate ``r``; ``first``: replicate 1's arms."""

    spec: TrialSpec
    seed: int
    replicates: int
    parameters: DiseaseParameters
    summaries: list[list[dict]]
    hazard_ratios: list[dict]
    first: list[ArmSimulation] = field(repr=False)
    backend: str = "numpy"

    def cohort(self) -> pd.DataFrame:
        """Replicate 1, every arm: one row per simulated patient (``isamm km`` / ``cohort report`` format)."""
        return pd.concat([s.cohort for s in self.first], ignore_index=True)

    def labs(self) -> pd.DataFrame:
        """Replicate 1, every arm: the simulated visits (``isamm response assess`` format)."""
        return pd.concat([s.labs for s in self.first], ignore_index=True)

    def published(self) -> dict | None:
        """The trial's published results from the evidence base (``None`` if it has none)."""
        if self.spec.evidence is None:
            return None
        from isamm.trials.evidence import published_summary

        return published_summary(self.spec.evidence)

    def to_dict(self) -> dict:
        """The ``isamm trial run --json`` contract (README, "Virtual trials")."""
        arms = []
        for a, arm in enumerate(self.spec.arms):
            per_rep = [rep[a] for rep in self.summaries]
            arms.append({
                "arm": arm.id,
                "regimen": arm.regimen,
                "n": arm.n,
                **_agg(per_rep, "orr", with_range=True),
                **_agg(per_rep, "vgpr_or_better"),
                **_agg(per_rep, "cr_or_better"),
                **_agg(per_rep, "dcr"),
                **_agg(per_rep, "median_pfs_months", with_range=True),
                **_agg(per_rep, "median_os_months", with_range=True),
                "pfs_at_months": _agg_landmarks(per_rep, "pfs_at_months"),
                "os_at_months": _agg_landmarks(per_rep, "os_at_months"),
                **_agg(per_rep, "median_treatment_weeks"),
                **_agg(per_rep, "median_follow_up_months"),
            })
        out = {
            "trial": self.spec.id,
            "name": self.spec.name,
            "seed": self.seed,
            "replicates": self.replicates,
            "isamm_version": __version__,
            "backend": self.backend,
            "data_cutoff_months": self.spec.data_cutoff_months,
            "parameters": {k: v for k, v in self.parameters.to_dict().items() if k != "values"},
            "arms": arms,
            "hr_pfs": None,
            "hr_os": None,
            "published": self.published(),
        }
        if len(self.spec.arms) == 2:
            for key in ("hr_pfs", "hr_os"):
                v = _values(self.hazard_ratios, key)
                out[key] = {"hr": _median(v), "range": _range(v), "arms": [a.id for a in self.spec.arms]}
        return out


def _values(rows: list[dict], key: str) -> np.ndarray:
    # a median not reached (NaN) sorts above every reached one
    v = np.array([r[key] for r in rows], dtype=float)
    return np.where(np.isnan(v), np.inf, v)


def _num(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _median(v: np.ndarray) -> float | None:
    return _num(np.quantile(v, 0.5, method="inverted_cdf")) if v.size % 2 else _num(np.median(v))


def _range(v: np.ndarray) -> list[float | None]:
    return [_num(np.quantile(v, q, method="inverted_cdf")) for q in (0.025, 0.975)]


def _agg(rows: list[dict], key: str, with_range: bool = False) -> dict:
    v = _values(rows, key)
    out = {key: _median(v)}
    if with_range:
        out[key.removesuffix("_months") + "_range"] = _range(v)
    return out


def _agg_landmarks(rows: list[dict], key: str) -> dict:
    times = rows[0][key].keys()
    out = {}
    for t in times:
        v = np.array([np.nan if r[key][t] is None else r[key][t] for r in rows], dtype=float)
        v = v[np.isfinite(v)]  # a landmark beyond the follow-up of a replicate is not estimable there
        out[t] = _median(v) if v.size else None
    return out


@dataclass(frozen=True)
class _Batch:
    summaries: list
    hazard_ratios: list
    first: list


def _run_batch(spec: TrialSpec, seed: int, params: DiseaseParameters, backend: str, batch: list[int]) -> _Batch:
    """Replicates ``batch`` of every arm (a Dask task: a pure function of its arguments)."""
    by_arm = [simulate_arms(spec, a, seed=seed, replicates=batch, params=params, backend=backend,
                            keep_pk=(batch[0] == 0)) for a in range(len(spec.arms))]  # fmt: skip
    summaries, hrs, first = [], [], []
    for j, r in enumerate(batch):
        sims = [arm_sims[j] for arm_sims in by_arm]
        summaries.append([_arm_summary(s) for s in sims])
        if len(sims) == 2:
            hrs.append({"hr_pfs": _hazard_ratio(sims[0].cohort, sims[1].cohort, "pfs_months", "pfs_event"),
                        "hr_os": _hazard_ratio(sims[0].cohort, sims[1].cohort, "os_months", "os_event")})
        if r == 0:
            first = sims
    return _Batch(summaries, hrs, first)


@constrained(seed=SEED, replicates=REPLICATES, n_per_arm=N_PER_ARM, follow_up_months=FOLLOW_UP_MONTHS)
def run_trial(trial: str | TrialSpec, *, seed: int, replicates: int = 1, n_per_arm: int | None = None,
              follow_up_months: float | None = None, parameters: str | DiseaseParameters | None = None,
              backend: str = "auto", progress: Callable[[int, int], None] | None = None,
              client=None) -> TrialResult:
    """Run a virtual trial ``replicates`` times.

    Parameters
    ----------
    trial
        A shipped trial id (``isamm trial list``), a YAML path or a :class:`TrialSpec`.
    seed
        Seed of every random draw; replicate r, arm a, patient i uses the stream ``[seed, r, a, i]``,
        so results do not depend on chunking and replicate 1 is the same whatever ``replicates``.
    replicates
        Number of replicate trials at the trial's size (1–10,000).
    n_per_arm, follow_up_months
        Override every arm's n, or the data cut-off (months after the first patient started).
    parameters
        Disease-model parameter file or shipped name (default: ``tgi_v2``; :data:`isamm.disease.SHIPPED`).
    backend
        PK engine, ``"auto"`` (default), ``"numpy"`` or ``"jax"`` (:func:`isamm.pk.simulate`); ``"auto"``
        chooses once for the whole run from its PK work (:func:`isamm.trials._run.trial_patient_hours`),
        and ``TrialResult.backend`` records the engine that ran.
    progress
        Called as ``progress(done, total)`` (arms simulated) after each batch of replicates.
    client
        A ``dask.distributed.Client``: batches of replicates run as Dask tasks (:mod:`isamm.parallel`);
        the numbers are the same as without it (each replicate has its own seed stream).
    """
    spec = load_trial(trial)
    if n_per_arm is not None or follow_up_months is not None:
        spec = spec.with_overrides(n_per_arm=n_per_arm, follow_up_months=follow_up_months)
    check_trial_work(replicates, sum(a.n for a in spec.arms))  # before any work: hours are refused
    backend = resolve_backend(backend, trial_patient_hours(spec, replicates))  # one engine for every batch
    params = load_parameters(parameters)
    total = replicates * len(spec.arms)
    n_max = max(a.n for a in spec.arms)
    per_batch = max(1, min(replicates, BATCH_PATIENTS // n_max))
    if client is not None:  # at least two batches per worker, so no worker waits for one long last batch
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        per_batch = max(1, min(per_batch, math.ceil(replicates / (2 * workers))))
    batches = [list(range(start, min(start + per_batch, replicates))) for start in range(0, replicates, per_batch)]
    done = 0

    def tick(part: _Batch) -> None:
        nonlocal done
        done += len(part.summaries) * len(spec.arms)
        if progress is not None:
            progress(done, total)

    work = functools.partial(_run_batch, spec, int(seed), params, backend)
    parts = map_ordered(work, batches, client=client, done=tick)
    summaries = [s for p in parts for s in p.summaries]
    hrs = [h for p in parts for h in p.hazard_ratios]
    first = parts[0].first
    return TrialResult(spec, int(seed), int(replicates), params, summaries, hrs, first, backend)
