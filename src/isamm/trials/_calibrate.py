"""Calibration of the free disease-model parameters on the `calibration` targets only.

What is fitted and why (disease_models.md §4.12–§4.13): the parameters whose role in the parameter
file is ``calibrate`` (growth, resistance, isatuximab Emax, sensitivity IIV, the pomalidomide,
dexamethasone and carfilzomib kill rates, the two discontinuation hazards). Everything with role
``fixed`` (EC50, the death hazards, the prior-daratumumab module, ...) is copied unchanged.

Targets: every number of the evidence base whose role is ``calibration`` and whose quantity the
simulation produces (ORR, ≥VGPR, median PFS, median treatment duration, PFS hazard ratio; a median
"not reached" is a constraint). The objective never sees a ``validation`` number: it is built from
:func:`isamm.trials.evidence.targets` with ``role="calibration"`` and nothing else (tested).

Objective [PROJECT CHOICE]: Σ ((simulated − published) / sd)², with sd the published 95% CI
half-width / 1.96 (a 99% CI / 2.576), the binomial SD at the trial's n for proportions without a
CI, and an exponential approximation (sd of log median = 1/√events, events ≈ 0.8·n) for medians
without one. Hazard ratios and medians are compared on the log scale. Each calibration trial is
simulated once per evaluation at ``n_virtual`` patients per arm with **common random numbers** (the
same virtual patients at every evaluation; their doses and PK are kept while the discontinuation
hazards do not change), so the objective is a deterministic function of the parameters.

Medians in the objective [PROJECT CHOICE]: PFS is assessed on a visit grid (every 28 days in most
trials), so the Kaplan–Meier median of a virtual arm is the visit at or after t*, the point where the
curve read at the visits and joined by straight lines crosses 0.5 (:func:`interpolated_median`); it jumps
by a whole interval Δ (0.92 months) at a time and Nelder–Mead sees flat plateaus between jumps. The
default objective (``median="km"``) still uses the KM median, as published medians are; ``median="smooth"``
uses t* + Δ/2 (the rounding up to the next visit replaced by its average: continuous, unbiased for the KM
median). On the shipped targets the smooth form fitted the MM-002 pomalidomide-alone median but left
three other targets outside their CIs (README), so it is not the default. The fit table reports t* for
every PFS median either way: how far the curve is from the next visit.

Optimiser: SciPy's Nelder–Mead on the logarithms of the free parameters (``beta_lines_kG``, which may be
negative, on its own scale), in two alternating stages
(disease parameters with the discontinuation hazards fixed — PK reused; then the two hazards — PK
reused for the patients whose number of doses did not change, integrated for the others), within a time
budget.
"""

from __future__ import annotations

import functools
import hashlib
import math
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import resources
from typing import Callable

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.stats import norm

from isamm import __version__
from isamm.disease import DiseaseParameters, load_parameters
from isamm._constraints import BUDGET_MINUTES, EVALUATIONS, N_VIRTUAL, SEED, constrained
from isamm.errors import InputError
from isamm.pk import resolve_backend
from isamm.trials._run import simulate_arms, trial_patient_hours
from isamm.trials._spec import load_trial
from isamm.outcomes import kaplan_meier
from isamm.parallel import map_ordered
from isamm.trials._trial import _arm_summary, _hazard_ratio
from isamm.units import DAYS_PER_MONTH

__all__ = ["CalibrationResult", "calibrate", "calibration_targets", "interpolated_median", "Target", "BOUNDS",
           "SUPPORTED"]

#: Quantities the simulation produces, by the evidence base's metric names.
SUPPORTED = ("orr", "vgpr_or_better", "median_pfs_months", "median_treatment_weeks", "hr_pfs")
#: Search box of each free parameter (the optimiser works on their logarithms) [PROJECT CHOICE: wide
#: around the literature ranges of disease_models.md §1–§2].
BOUNDS = {
    "kG": (3e-4, 0.03), "lambda_res": (5e-4, 0.1), "emax_isa": (1e-3, 0.5), "omega_sens": (0.05, 2.5),
    "k_pomalidomide": (1e-4, 0.3), "k_dexamethasone": (1e-4, 0.3), "k_carfilzomib": (1e-4, 0.5),
    "k_lenalidomide": (1e-4, 0.3), "k_bortezomib": (1e-4, 0.5),
    "h_disc_isa": (1e-3, 0.3), "h_disc_control": (1e-3, 0.3), "beta_lines_kG": (-0.6, 0.6),
    "f_resistant": (1e-3, 0.6), "rho_resistant": (1e-3, 1.0), "omega_sens_drug": (0.01, 2.0),
}  # fmt: skip
#: Parameters searched on their own scale (they may be negative); all others on the log scale.
_LINEAR = {"beta_lines_kG"}
_DISC = ("h_disc_isa", "h_disc_control")


@dataclass(frozen=True)
class Target:
    """One published calibration number and how far a simulation may be from it (``sd``, on ``scale``)."""

    trial: str
    arm: str | None
    metric: str
    value: float | None
    sd: float
    scale: str  # "linear" or "log"
    not_reached: bool
    source: str
    role: str
    window_months: float | None = None  # "not reached": the median exceeds this (published follow-up)

    @property
    def id(self) -> str:
        return f"{self.trial}/{self.arm or '-'}/{self.metric}"

    def residual(self, simulated: float | None, window_months: float) -> float:
        window_months = self.window_months or window_months
        if self.not_reached:  # a constraint: the simulated median should not be reached within the window
            if simulated is None or not math.isfinite(simulated) or simulated >= window_months:
                return 0.0
            return (math.log(window_months) - math.log(simulated)) / self.sd
        if simulated is None or not math.isfinite(simulated):
            simulated = 10 * self.value if self.metric != "orr" else 0.0  # not reached where one was: far off
        if self.scale == "log":
            return (math.log(max(simulated, 1e-9)) - math.log(self.value)) / self.sd
        return (simulated - self.value) / self.sd


def _sd(entry: dict, metric: str, n_arm: int, n_trial: int) -> tuple[float, str]:
    lo, hi, v = entry.get("ci_low"), entry.get("ci_high"), entry.get("value")
    z = norm.ppf(0.5 + float(entry.get("ci_level") or 0.95) / 2)
    log = metric in ("median_pfs_months", "median_treatment_weeks", "hr_pfs")
    if lo is not None and hi is not None and lo > 0:
        return ((math.log(hi) - math.log(lo)) if log else (hi - lo)) / (2 * z), "log" if log else "linear"
    if metric in ("orr", "vgpr_or_better"):
        p = min(max(v, 1.0 / n_arm), 1 - 1.0 / n_arm)
        return math.sqrt(p * (1 - p) / n_arm), "linear"
    if metric == "hr_pfs":
        return 2.0 / math.sqrt(0.8 * n_trial), "log"  # sd(log HR) ≈ 2/√events, events ≈ 0.8·N
    return 1.0 / math.sqrt(0.8 * n_arm), "log"  # sd(log median) ≈ 1/√events (exponential)


def calibration_targets() -> list[Target]:
    """Every supported ``calibration`` number of the evidence base, with its weight. Nothing else."""
    from isamm.trials.evidence import targets

    out = []
    for t in targets("calibration"):
        metric = t["metric"]
        if metric not in SUPPORTED or t.get("role") != "calibration" or t.get("landmark_months") is not None:
            continue
        spec = load_trial(t["trial"])
        n_trial = sum(a.n for a in spec.arms)
        arm = next((a for a in spec.arms if a.id == t.get("arm")), None)
        if t.get("arm") is not None and arm is None:
            raise InputError("a calibration target names an arm the trial file does not have", option=t["trial"],
                             got=t.get("arm"))  # fmt: skip
        not_reached = bool(t.get("not_reached"))
        sd, scale = (0.25, "log") if not_reached else _sd(t, metric, arm.n if arm else n_trial, n_trial)
        out.append(Target(t["trial"], t.get("arm"), metric, t.get("value"), sd, scale, not_reached,
                          str(t.get("source", "")), "calibration", t.get("greater_than")))
    if not out:
        raise InputError("the evidence base holds no supported calibration target")
    return out


@dataclass
class CalibrationResult:
    """Fitted parameters and everything needed to reproduce and judge them."""

    parameters: DiseaseParameters
    start: DiseaseParameters
    objective: float
    start_objective: float
    fit: list[dict]
    evaluations: int
    seconds: float
    settings: dict
    history: list[tuple[int, float]] = field(default_factory=list)
    interrupted: bool = False
    held_out: dict | None = None  # the fit on virtual patients it never saw (:func:`_held_out`); None if interrupted
    #: each Nelder–Mead stage in order: ``{"parameters", "evaluations", "seconds"}`` (the hazard stages recompute PK)
    stages: list[dict] = field(default_factory=list)

    def provenance(self) -> dict:
        return {
            "date": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
            "isamm_version": __version__,
            "optimiser": "scipy.optimize.minimize(method='Nelder-Mead') on log parameters, alternating stages",
            "settings": self.settings,
            "objective": self.objective,
            "start_objective": self.start_objective,
            "evaluations": self.evaluations,
            "seconds": round(self.seconds, 1),
            "targets": [f["id"] for f in self.fit],
            "fit": self.fit,
            "start_file": self.start.path,
            "start_sha256": self.start.sha256,
            "data_sha256": data_hashes(),
            **({"held_out": self.held_out} if self.held_out is not None else {}),
            **({"stages": self.stages} if self.stages else {}),
        }


def data_hashes() -> dict[str, str]:
    """SHA-256 of the data files a calibration reads: trial definitions and the evidence base."""
    out = {}
    root = resources.files("isamm").joinpath("data")
    for folder in ("trials", "evidence"):
        d = root.joinpath(folder)
        if not d.is_dir():
            continue
        for entry in sorted(d.iterdir(), key=lambda e: e.name):
            if entry.name.endswith((".yaml", ".yml")):
                out[f"{folder}/{entry.name}"] = hashlib.sha256(entry.read_bytes()).hexdigest()
    return out


_SMOOTH = "~smooth"  # key suffix of the continuous PFS median (t* + Δ/2) of median="smooth" (module docstring)
_INTERPOLATED = "~interpolated"  # key suffix of t*, reported in the fit table
MEDIAN_FORMS = ("km", "smooth")


def interpolated_median(table, visit_months: float) -> float:
    """Median of a Kaplan–Meier curve read at the assessment visits and interpolated linearly between them.

    ``table``: :attr:`isamm.outcomes.KMGroup.table` (columns ``time, surv``); ``visit_months``: the
    assessment interval. The step curve is read at 0, Δ, 2Δ, … (its value at or just after each visit's
    progressions) and joined by straight lines; the median is where that line reaches 0.5 — NaN if it
    never does. Continuous in S at the visits, unlike the step median, which jumps by Δ (module
    docstring); where the line reaches 0.5 between two visits, the step median is the later visit.
    """
    times = table["time"].to_numpy(float)
    surv = table["surv"].to_numpy(float)
    visits = np.arange(0.0, times[-1] + visit_months, visit_months)
    i = np.searchsorted(times, visits * (1 + 1e-9), side="right") - 1  # progressions sit on the visit day
    s = np.where(i >= 0, surv[np.maximum(i, 0)], 1.0)
    k = np.flatnonzero(s <= 0.5)
    if not k.size:
        return float("nan")
    k = int(k[0])
    return float(visits[k - 1] + (s[k - 1] - 0.5) / (s[k - 1] - s[k]) * visit_months)


class _PKCache(OrderedDict):
    """The PK of the virtual patients (``simulate_arms(pk_cache=)``), the most recently used entries only.

    One entry per arm and chunk of patients; a new discontinuation hazard adds rows inside an entry
    (``isamm.trials._run._ChunkPK``: the PK of the patients whose number of doses changed), not entries.
    """

    def __init__(self, max_entries: int = 64):
        super().__init__()
        self.max_entries = max_entries

    def __getitem__(self, key):
        self.move_to_end(key)
        return super().__getitem__(key)

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.max_entries:
            self.popitem(last=False)


_PROCESS_PK = _PKCache()  # a Dask worker's cache, kept between the evaluations it runs


def _arm_values(seed: int, params: DiseaseParameters, backend: str, cache, item, replicate: int = 0
                ) -> tuple[dict, pd.DataFrame]:
    """One calibration arm: its simulated quantities and its PFS data (a Dask task: pure in its arguments)."""
    trial, spec, i = item
    sim = simulate_arms(spec, i, seed=seed, replicates=[replicate], params=params, backend=backend,
                        pk_cache=_PROCESS_PK if cache is None else cache)[0]
    s = _arm_summary(sim)
    prefix = f"{trial}/{spec.arms[i].id}/"
    values = {prefix + key: (None if s[key] is None or not math.isfinite(s[key]) else s[key])
              for key in ("orr", "vgpr_or_better", "median_pfs_months", "median_treatment_weeks")}
    values[prefix + "follow_up"] = s["median_follow_up_months"]
    pfs = sim.cohort[["pfs_months", "pfs_event"]]
    visit_months = spec.assessment_interval_days / DAYS_PER_MONTH
    t_star = interpolated_median(kaplan_meier(pfs["pfs_months"], pfs["pfs_event"])["all"].table, visit_months)
    finite = math.isfinite(t_star)
    values[prefix + "median_pfs_months" + _INTERPOLATED] = t_star if finite else None
    values[prefix + "median_pfs_months" + _SMOOTH] = t_star + visit_months / 2 if finite else None
    return values, pfs


class _Objective:
    """Simulate every calibration trial with fixed virtual patients; compare with the targets."""

    def __init__(self, targets: list[Target], start: DiseaseParameters, *, seed: int, n_virtual: int, backend: str,
                 client=None, median: str = "km", replicate: int = 0):
        self.targets, self.start, self.seed, self.n_virtual, self.backend = targets, start, seed, n_virtual, backend
        self.client, self.median = client, median
        self.replicate = replicate  # whose virtual patients: 0 are fitted, 1 the held-out check (HELD_OUT_REPLICATE)
        self.cache = _PKCache()
        self.trials = {}
        for t in targets:
            spec = self.trials.get(t.trial) or load_trial(t.trial).with_overrides(n_per_arm=n_virtual)
            self.trials[t.trial] = spec
        self.evaluations = 0

    def arms_needed(self, trial: str) -> list[int]:
        spec = self.trials[trial]
        names = {t.arm for t in self.targets if t.trial == trial}
        if None in names:  # a trial-level target (HR): every arm
            return list(range(len(spec.arms)))
        return [i for i, a in enumerate(spec.arms) if a.id in names]

    def simulate(self, params: DiseaseParameters) -> dict[str, float | None]:
        self.evaluations += 1
        items = [(trial, spec, i) for trial, spec in self.trials.items() for i in self.arms_needed(trial)]
        cache = self.cache if self.client is None else None  # Dask workers keep their own (_PROCESS_PK)
        work = functools.partial(_arm_values, self.seed, params, self.backend, cache, replicate=self.replicate)
        arms = map_ordered(work, items, client=self.client)
        values: dict[str, float | None] = {}
        for arm_values, _ in arms:
            values.update(arm_values)
        for trial, spec in self.trials.items():
            pfs = {i: cohort for (name, _, i), (_, cohort) in zip(items, arms) if name == trial}
            if len(pfs) == 2 and len(spec.arms) == 2:
                hr = _hazard_ratio(pfs[0], pfs[1], "pfs_months", "pfs_event")
                values[f"{trial}/-/hr_pfs"] = hr if math.isfinite(hr) else None
        return values

    def residuals(self, params: DiseaseParameters) -> tuple[np.ndarray, dict]:
        values = self.simulate(params)
        res = []
        for t in self.targets:
            key = t.id + _SMOOTH if t.metric == "median_pfs_months" and self.median == "smooth" else t.id
            res.append(t.residual(values.get(key), self.window(t, values)))
        return np.array(res), values

    def window(self, t: Target, values: dict) -> float:
        """Months within which a median is looked for: the arm's median follow-up, else the trial's cut-off."""
        follow = values.get(f"{t.trial}/{t.arm}/follow_up")
        return follow if follow is not None and math.isfinite(follow) else self.trials[t.trial].data_cutoff_months


@constrained(seed=SEED, budget_minutes=BUDGET_MINUTES, n_virtual=N_VIRTUAL, max_evaluations=EVALUATIONS)
def calibrate(*, seed: int = 1, budget_minutes: float = 25.0, n_virtual: int = 600, start=None,
              free: tuple[str, ...] | None = None, backend: str = "auto", max_rounds: int = 2,
              max_evaluations: int | None = None,
              progress: Callable[[int, float, float], None] | None = None, client=None,
              median: str = "km") -> CalibrationResult:
    """Fit the ``calibrate``-role parameters to the calibration targets within ``budget_minutes``.

    The budget is the whole call's: the search stops when one more evaluation, the final scoring and
    the held-out check (as long as the first evaluation, which also simulated new patients) would not fit.

    ``max_evaluations`` stops after that many objective evaluations: unlike the time budget it gives the
    same result on any machine (the shipped parameter file is made that way; README).

    ``median``: how a PFS median enters the objective, ``"km"`` (the Kaplan–Meier median, default) or
    ``"smooth"`` (t* + half a visit interval; module docstring).

    ``client``: a ``dask.distributed.Client``; the calibration arms of each evaluation run as Dask tasks
    (each worker keeps the PK of the arms it ran), with the same numbers as without it.

    ``progress(evaluations, best_objective, seconds)`` is called after every evaluation. Ctrl-C stops
    the search and returns the best point so far (the caller writes it, atomically, marked as such).
    """
    if median not in MEDIAN_FORMS:
        raise InputError("unknown median form", option="median", expected=" or ".join(MEDIAN_FORMS), got=median)
    start = load_parameters(start)
    free = tuple(free) if free is not None else start.roles("calibrate")
    fixed_roles = set(start.roles("fixed"))
    leak = sorted(set(free) & fixed_roles)
    if leak:
        raise InputError("a fixed parameter cannot be calibrated", option="free", got=leak[0])
    unknown = sorted(set(free) - set(BOUNDS))
    if unknown:
        raise InputError("no search range for this parameter", option="free", got=unknown[0])
    targets = calibration_targets()
    objective = _Objective(targets, start, seed=int(seed), n_virtual=n_virtual, backend=backend, client=client,
                           median=median)
    # "auto": one engine for the whole search, from the PK of one evaluation (cached between evaluations)
    backend = objective.backend = resolve_backend(backend, sum(trial_patient_hours(spec, 1)
                                                               for spec in objective.trials.values()))
    t0 = time.monotonic()
    deadline = t0 + 60.0 * budget_minutes
    best = {"f": math.inf, "params": start}
    history: list[tuple[int, float]] = []

    def value(params: DiseaseParameters) -> float:
        r, _ = objective.residuals(params)
        f = float(np.sum(r**2))
        if f < best["f"]:
            best["f"], best["params"] = f, params
        history.append((objective.evaluations, f))
        if progress is not None:
            progress(objective.evaluations, best["f"], time.monotonic() - t0)
        return f

    start_f = value(start)
    # the budget covers the whole call: the held-out check simulates new patients, as the start did, and
    # the fit is scored once more at the end (PK cached), so stop when another evaluation and those
    # would not fit (one evaluation's length: the last one's)
    reserve = time.monotonic() - t0
    last = {"s": reserve}

    class _Budget(Exception):
        pass

    stages: list[dict] = []

    def stage(names: tuple[str, ...], base: DiseaseParameters) -> DiseaseParameters:
        record = {"parameters": list(names), "evaluations": 0, "seconds": 0.0}
        stages.append(record)
        n0, s0 = objective.evaluations, time.monotonic()
        try:
            return _search(names, base)
        finally:
            record["evaluations"] = objective.evaluations - n0
            record["seconds"] = round(time.monotonic() - s0, 1)

    def _search(names: tuple[str, ...], base: DiseaseParameters) -> DiseaseParameters:
        lin = np.array([n in _LINEAR for n in names])

        def to_x(v):
            return np.where(lin, v, np.log(np.maximum(np.abs(v), 1e-300)))

        def from_x(x):
            return np.where(lin, x, np.exp(x))

        lo = to_x(np.array([BOUNDS[n][0] for n in names]))
        hi = to_x(np.array([BOUNDS[n][1] for n in names]))
        x0 = np.clip(to_x(np.array([base[n] for n in names])), lo, hi)

        def f(x):
            now = time.monotonic()
            if now + 2.0 * last["s"] + reserve > deadline or (max_evaluations is not None
                                                              and objective.evaluations >= max_evaluations):
                raise _Budget
            out = value(base.with_values(**dict(zip(names, from_x(np.clip(x, lo, hi))))))
            last["s"] = time.monotonic() - now
            return out

        try:
            minimize(f, x0, method="Nelder-Mead", options={"xatol": 0.02, "fatol": 0.05, "maxfev": 400,
                                                            "initial_simplex": _simplex(x0, lo, hi)})
        except _Budget:
            pass
        return best["params"]

    disease = tuple(n for n in free if n not in _DISC)
    disc = tuple(n for n in free if n in _DISC)
    current = start
    interrupted = False
    try:
        for _ in range(max_rounds):
            if disease:
                current = stage(disease, current)
            if disc:
                current = stage(disc, current)
    except KeyboardInterrupt:
        interrupted = True
    params = best["params"]
    residuals, values = objective.residuals(params)
    fit = [{"id": t.id, "trial": t.trial, "arm": t.arm, "metric": t.metric, "published": t.value,
            "not_reached": t.not_reached, "simulated": values.get(t.id),
            "simulated_interpolated": values.get(t.id + _INTERPOLATED), "sd": t.sd, "scale": t.scale,
            "residual": float(r), "residual_km_median": _km_residual(t, values, objective)}
           for t, r in zip(targets, residuals)]  # fmt: skip
    held_out = None if interrupted else _held_out(targets, start, params, fit, seed=int(seed), n_virtual=n_virtual,
                                                  backend=backend, client=client, median=median)
    settings = {"seed": int(seed), "budget_minutes": budget_minutes, "n_virtual": n_virtual, "free": list(free),
                "bounds": {n: list(BOUNDS[n]) for n in free}, "backend": backend, "max_rounds": max_rounds,
                "max_evaluations": max_evaluations, "median": median}
    return CalibrationResult(params, start, float(np.sum(residuals**2)), start_f, fit, objective.evaluations,
                             time.monotonic() - t0, settings, history, interrupted, held_out, stages)


#: The replicate whose virtual patients check a fit: the calibration fits replicate 0's ([seed, 0, arm, i]).
HELD_OUT_REPLICATE = 1


def _held_out(targets: list[Target], start: DiseaseParameters, params: DiseaseParameters, fit: list[dict], *,
              seed: int, n_virtual: int, backend: str, client, median: str) -> dict:
    """The fitted parameters on virtual patients the fit never saw (same objective, replicate 1's patients).

    A fit to one set of virtual patients also fits that set's chance features; this says how much of the
    fit remains on others. Adds ``held_out_simulated`` / ``held_out_residual`` (and the KM-median residual)
    to each row of ``fit``; returns ``{"replicate", "objective", "outside"}`` (ids beyond 1.96 sd, KM medians).
    """
    check = _Objective(targets, start, seed=seed, n_virtual=n_virtual, backend=backend, client=client,
                       median=median, replicate=HELD_OUT_REPLICATE)
    residuals, values = check.residuals(params)
    outside = []
    for row, t, r in zip(fit, targets, residuals):
        r_km = _km_residual(t, values, check)
        row["held_out_simulated"] = values.get(t.id)
        row["held_out_residual"] = float(r)
        row["held_out_residual_km_median"] = r_km
        judged = r_km if r_km is not None else float(r)
        if not math.isfinite(judged) or abs(judged) > 1.96:
            outside.append(t.id)
    return {"replicate": HELD_OUT_REPLICATE, "objective": float(np.sum(residuals**2)), "outside": outside}


def _km_residual(t: Target, values: dict, objective: _Objective) -> float | None:
    """A median target's residual with the ordinary (step) KM median, the one compared with published CIs."""
    if t.metric != "median_pfs_months":
        return None
    return float(t.residual(values.get(t.id), objective.window(t, values)))


def _simplex(x0: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Initial simplex: each vertex moves one coordinate by 0.3 (×1.35 on the log scale) toward the middle of its box."""
    pts = [x0]
    for i in range(x0.size):
        x = x0.copy()
        x[i] += 0.3 if x0[i] < (lo[i] + hi[i]) / 2 else -0.3
        pts.append(x)
    return np.array(pts)


def _toml_ready(obj):
    """TOML has no null: drop None values (an absent key reads as "not available")."""
    if isinstance(obj, dict):
        return {k: _toml_ready(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, (list, tuple)):
        return [_toml_ready(v) for v in obj if v is not None]
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    return obj


def parameter_file_text(result: CalibrationResult) -> str:
    """The calibrated parameter file (TOML, the schema of the shipped files) with a ``[calibration]`` table."""
    import tomli_w

    spec = result.start.spec
    prov = result.provenance()
    fitted = set(result.settings["free"])
    params = {}
    for name, p in spec["parameters"].items():
        p = dict(p)
        if name in fitted:
            p["source"] = (f"isamm trial calibrate (seed {result.settings['seed']}, {prov['date'][:10]}) on the "
                           f"calibration targets; start {p['value']:g} from: {p['source']}")
            p["value"] = float(result.parameters[name])
            p["tag"] = "calibrated"
        params[name] = p
    status = (f"calibrated on {len(result.fit)} calibration targets (isamm trial calibrate, seed "
              f"{result.settings['seed']}, {prov['date'][:10]}, objective {result.objective:.3g})")
    if result.interrupted:
        status = "INTERRUPTED calibration, best point so far: " + status
    data = {"model": dict(spec["model"], status=status), "parameters": params,
            "reference_dose_rate_mg_per_day": spec["reference_dose_rate_mg_per_day"],
            "calibration": _toml_ready(prov)}
    header = ("# isamm disease-model parameters written by `isamm trial calibrate`.\n"
              "# Provenance (targets, per-target fit, optimiser, seed, data SHA-256) in [calibration].\n")
    return header + tomli_w.dumps(_toml_ready(data))
