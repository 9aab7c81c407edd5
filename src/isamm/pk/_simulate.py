"""Patients (covariates + random effects) and the ``simulate`` front door."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from isamm._table import row_numbers
from isamm._constraints import SEED, TIME_H, check_work, constrained
from isamm.errors import InputError, IntegrationWarning, ModelError
from isamm.pk._backend import resolve_backend
from isamm.pk._dosing import build_dosing
from isamm.pk._engine import STATUS, integrate
from isamm.pk._model import PKModel, covariate_frame, load_model
from isamm.pk._structural import STRUCTURES
from isamm.pk._population import sample_covariates, sample_patients  # noqa: F401 (re-exported)

__all__ = ["Patients", "population_band", "band_limits", "typical_patients", "simulate", "simulate_parameters", "Simulation",
           "check_times", "input_breakpoints_h"]


@dataclass(frozen=True)
class Patients:
    """N patients for one model: a validated covariate table and random effects ``etas[N, n_random_effects]``.

    ``etas`` are on each parameter's own scale (log scale for log-normal IIV);
    zeros give the covariate-adjusted typical patient.
    """

    model: PKModel
    covariates: pd.DataFrame
    etas: np.ndarray

    def __post_init__(self) -> None:
        if self.etas.shape != (len(self.covariates), len(self.model.random_effects)):
            raise InputError("random effects have the wrong shape", option="etas",
                             expected=f"({len(self.covariates)}, {len(self.model.random_effects)})", got=self.etas.shape)
        if not np.all(np.isfinite(self.etas)):
            raise InputError("random effects must be finite", option="etas")

    def __len__(self) -> int:
        return len(self.covariates)

    def parameters(self) -> dict[str, np.ndarray]:
        """Individual parameters (arrays of length N, units as in the model file)."""
        return self.model.individual_parameters(self.covariates, self.etas)

    def parameter_frame(self) -> pd.DataFrame:
        """Covariates and individual parameters, one row per patient."""
        return pd.concat([self.covariates.reset_index(drop=True), pd.DataFrame(self.parameters())], axis=1)


def band_limits(coverage_pct: float = 90.0) -> tuple[float, float]:
    """The percentiles bounding a central ``coverage_pct`` % band: 90 → (5, 95)."""
    if not (np.isfinite(coverage_pct) and 0 < coverage_pct < 100):
        raise InputError("invalid coverage", option="coverage_pct", expected="a percentage in (0, 100)", got=coverage_pct)
    return (100 - coverage_pct) / 2, 100 - (100 - coverage_pct) / 2


def population_band(values: np.ndarray, coverage_pct: float = 90.0, *,
                    skip_nan: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median and the central ``coverage_pct`` % band over patients (axis 0) of ``values[patient, time]``.

    The one definition of isamm's population bands (profiles, washout curves and concentrations,
    exposure summaries, plots, trial reports, demo, CLI JSON): NumPy's default percentiles (R's type 7).
    A 1-D ``values`` is one time point. ``skip_nan`` leaves NaN out (a simulated patient no longer
    followed after the trial's cut-off); otherwise a NaN propagates, never silently dropped.
    """
    lo, hi = band_limits(coverage_pct)
    v = np.asarray(values, dtype=float)
    v = v[:, None] if v.ndim == 1 else np.atleast_2d(v)
    median, percentile = (np.nanmedian, np.nanpercentile) if skip_nan else (np.median, np.percentile)
    return median(v, axis=0), percentile(v, lo, axis=0), percentile(v, hi, axis=0)


def typical_patients(model: PKModel | str, covariates: pd.DataFrame | None = None, **values: float) -> Patients:
    """Patients without IIV: one default patient, or one per row of ``covariates``.

    Keyword values (``weight_kg=60, non_igg=1``) override the defaults for the one-patient case.
    """
    model = load_model(model)
    if covariates is None:
        covariates = pd.DataFrame([values]) if values else None
    elif values:
        raise InputError("give either a covariate table or keyword covariates, not both", option="covariates")
    cov = covariate_frame(model, covariates, n=1)
    return Patients(model, cov, np.zeros((len(cov), len(model.random_effects))))


@dataclass(frozen=True)
class Simulation:
    """Result of :func:`simulate`: arrays ``[patient, time]``.

    Attributes
    ----------
    times_h : (T,) output times, hours from 00:00 of study day 1.
    conc_ug_ml : (N, T) model-predicted concentration (µg/mL); pre-dose at bolus times.
    auc_ug_h_ml : (N, T) cumulative AUC from the start of integration (µg·h/mL), exact to the ODE tolerance.
    observed_ug_ml : (N, T) concentration with residual error, or ``None``.
    status : (N,) 0 = integrated to tolerance, 1 = step-size underflow, 2 = too many steps
        (:data:`isamm.pk.STATUS`); a failed patient's rows are NaN and the others are unaffected.
    backend : the engine that ran, ``"numpy"`` or ``"jax"`` (never ``"auto"``).
    """

    model_id: str
    times_h: np.ndarray
    conc_ug_ml: np.ndarray
    auc_ug_h_ml: np.ndarray
    observed_ug_ml: np.ndarray | None
    status: np.ndarray
    n_steps: np.ndarray
    patients: Patients | None = field(repr=False)
    backend: str = "numpy"

    def auc_between(self, t1_h: float, t2_h: float) -> np.ndarray:
        """AUC (µg·h/mL) from ``t1_h`` to ``t2_h`` per patient; both must be output times."""
        i1, i2 = (self._index(t) for t in (t1_h, t2_h))
        return self.auc_ug_h_ml[:, i2] - self.auc_ug_h_ml[:, i1]

    def _index(self, t: float) -> int:
        i = int(np.searchsorted(self.times_h, t))
        if i >= self.times_h.size or abs(self.times_h[i] - t) > 1e-9 * max(1.0, abs(t)):
            raise InputError("not an output time", option="times_h", expected="one of the simulated times", got=t)
        return i

    def band(self, coverage_pct: float = 90.0) -> pd.DataFrame:
        """Median and ``coverage_pct`` prediction interval over patients at each output time.

        Columns ``time_h``, ``median_ug_ml``, ``p{lo}_ug_ml``, ``p{hi}_ug_ml`` (``p5``/``p95`` for
        90%), as :meth:`isamm.pk.Washout.band`; the percentiles are NumPy's default (R type 7).
        """
        lo, hi = band_limits(coverage_pct)
        med, low, high = population_band(self.conc_ug_ml[self.status == 0], coverage_pct)  # failed: reported
        return pd.DataFrame({"time_h": self.times_h, "median_ug_ml": med, f"p{lo:g}_ug_ml": low, f"p{hi:g}_ug_ml": high})

    def to_frame(self) -> pd.DataFrame:
        """Long table: patient, time_h, conc_ug_ml (and observed_ug_ml)."""
        n, nt = self.conc_ug_ml.shape
        frame = pd.DataFrame({
            "patient": np.repeat(np.arange(n), nt),
            "time_h": np.tile(self.times_h, n),
            "conc_ug_ml": self.conc_ug_ml.ravel(),
        })
        if self.observed_ug_ml is not None:
            frame["observed_ug_ml"] = self.observed_ug_ml.ravel()
        frame["model"] = self.model_id
        return frame


# Default integrator tolerances. rtol 1e-7 keeps the stated accuracy (relative error
# ≤ 1e-4 where C > 1 µg/mL) with a 4× margin on all 512 ±4 SD isatuximab corner
# patients (worst 2.6e-5); rtol 1e-6 does not (1.8e-3: at +4 SD Vm and −4 SD Km the
# absolute error made near the peak is carried unchanged while C falls ~100-fold
# through the Michaelis–Menten knee).
DEFAULT_RTOL = 1e-7
DEFAULT_ATOL_UG_ML = 1e-6


def check_times(times_h, option: str = "times_h") -> np.ndarray:
    """Validate output times: finite, ≥ 0, at least one; returned sorted and unique."""
    try:
        arr = np.asarray(times_h, dtype=float).ravel()
    except (TypeError, ValueError):
        raise InputError("times must be numbers", option=option, got=times_h) from None
    if arr.size == 0:
        raise InputError("no output times", option=option, expected="at least one time")
    bad = ~np.isfinite(arr) | (arr < TIME_H.low) | (arr > TIME_H.high)  # vectorized: grids can be long
    if bad.any():
        raise InputError("invalid time", option=option, expected=TIME_H.describe(), got=float(arr[bad][0]))
    return np.unique(arr)


@constrained(seed=SEED)
def simulate(
    model: PKModel | str,
    patients: Patients | pd.DataFrame | None,
    events: pd.DataFrame,
    times_h,
    *,
    residual_error: bool = False,
    seed: int | None = None,
    rtol: float = DEFAULT_RTOL,
    atol_ug_ml: float = DEFAULT_ATOL_UG_ML,
    backend: str = "auto",
    end_h=None,
    stops_h=None,
) -> Simulation:
    """Simulate concentrations of N patients over their dosing calendars.

    Parameters
    ----------
    model
        A :class:`PKModel` or a model id (``"isatuximab_fau2020"``, ``"daratumumab_xu2020"``,
        ``"daratumumab_luo2021"``).
    patients
        :class:`Patients` (covariates + random effects), a covariate table (typical
        patients with those covariates) or ``None`` (one default typical patient).
    events
        Dose events (``isamm.regimens`` schema; rows of other drugs are ignored),
        optionally with a ``patient`` column (0-based) for per-patient calendars/amounts.
    times_h
        Output times (h from 00:00 of study day 1); sorted and de-duplicated.
    residual_error
        Add the model's residual error to ``observed_ug_ml`` (needs ``seed``).
    rtol, atol_ug_ml
        Local error tolerances of the integrator (relative; absolute in µg/mL).
        At the defaults the concentrations are within 1e-4 relative error wherever
        C > 1 µg/mL (tested against LSODA at rtol 1e-10, incl. ±4 SD patients).
    backend
        ``"auto"`` (default), ``"numpy"`` (the reference) or ``"jax"`` (the same algorithm compiled
        with JAX, CPU or GPU; compiled once per machine and calendar size, then loaded from the
        persistent cache, see :func:`isamm.pk.cache_dir`). ``"auto"`` runs JAX from
        :data:`isamm.pk.AUTO_JAX_PATIENT_YEARS` patient-years of work in this call (patients ×
        the span integrated) when JAX is importable, NumPy below; ``Simulation.backend`` says which ran.
    end_h
        Optional per-patient end of follow-up (h): outputs after it are NaN, and both engines
        stop integrating that patient there (a virtual trial's data cut-off).
    stops_h
        Optional times (h) at which every patient's steps also land. The steps of a call land on every
        patient's dose times (the union over the call), so a patient's numbers move at the integrator's
        tolerance with who else is in the call; with the union of a larger group's dose times
        (:func:`input_breakpoints_h`) they are the same, bit for bit, in any subset of that group.

    Returns
    -------
    Simulation

    Examples
    --------
    >>> import isamm.pk as pk
    >>> pats = pk.sample_patients("isatuximab_fau2020", 100, seed=1)
    >>> ev = pk.regimen_events("ISA-MONO-10-QW-Q2W", pats.covariates["weight_kg"], weeks=8, drug="isatuximab")
    >>> sim = pk.simulate("isatuximab_fau2020", pats, ev, times_h=range(0, 8 * 168 + 1, 24))
    >>> sim.conc_ug_ml.shape
    (100, 57)
    """
    model = load_model(model)
    if patients is None or isinstance(patients, pd.DataFrame):
        patients = typical_patients(model, patients)
    if patients.model.id != model.id:
        raise InputError("patients were made for another model", option="patients", expected=model.id, got=patients.model.id)
    res = simulate_parameters(model, patients.parameters(), events, times_h, rtol=rtol, atol_ug_ml=atol_ug_ml,
                              backend=backend, end_h=end_h, stops_h=stops_h)
    observed = None
    if residual_error:
        if seed is None:
            raise InputError("residual error needs a seed", option="seed")
        observed = add_residual_error(model, res.conc_ug_ml, seed)
    return Simulation(model.id, res.times_h, res.conc_ug_ml, res.auc_ug_h_ml, observed, res.status, res.n_steps, patients,
                      res.backend)


# Parameters that may be zero (switching a pathway off); all others must be > 0. CLm may be negative.
_MAY_BE_ZERO = {"Vm", "Vmax", "KDES", "ka", "CLinf", "CL", "Q"}


def simulate_parameters(
    model: PKModel | str,
    parameters,
    events: pd.DataFrame,
    times_h,
    *,
    rtol: float = DEFAULT_RTOL,
    atol_ug_ml: float = DEFAULT_ATOL_UG_ML,
    backend: str = "auto",
    end_h=None,
    stops_h=None,
) -> Simulation:
    """Simulate patients given their individual parameters directly (no covariate model, no IIV).

    ``parameters`` is a table or mapping with one column per model parameter
    (units as in the model file), one row per patient; e.g. post-hoc estimates.
    Setting ``Vm``/``Vmax`` (and ``CLm``) to 0 switches the nonlinear (and
    time-varying) terms off. The other arguments are those of :func:`simulate`.
    """
    model = load_model(model)
    for name, v, lo in (("rtol", rtol, 1e-13), ("atol_ug_ml", atol_ug_ml, 0.0)):
        if not (isinstance(v, (int, float)) and math.isfinite(v) and lo < v < 1):
            raise InputError("invalid tolerance", option=name, expected=f"a number in ({lo}, 1)", got=v)
    frame = pd.DataFrame(parameters).reset_index(drop=True)
    unknown = [c for c in frame.columns if c not in model.parameters]
    missing = [c for c in model.parameters if c not in frame.columns]
    if unknown or missing:
        raise InputError("parameter table does not match the model", column=str((unknown or missing)[0]),
                         expected="columns " + ", ".join(model.parameters))
    params = {}
    for name in model.parameters:
        v = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)
        ok = np.isfinite(v) & ((v >= 0) if name in _MAY_BE_ZERO else (v > 0))
        if name == "CLm":
            ok = np.isfinite(v)
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            raise InputError("invalid individual parameter", row=int(row_numbers(len(v), in_file=False)[i]), column=name,
                             expected="a finite number " + (">= 0" if name in _MAY_BE_ZERO else "> 0"), got=float(v[i]))
        params[name] = v
    times = check_times(times_h)
    extra = None
    if stops_h is not None:
        try:
            extra = np.asarray(stops_h, dtype=float).ravel()
        except (TypeError, ValueError):
            extra = np.array([np.nan])
        if not np.isfinite(extra).all():
            raise InputError("invalid stop times", option="stops_h", expected="finite times (h)")
    n = len(frame)
    check_work(n, len(times), "times_h")  # before any work: the output must fit in memory
    dosing = build_dosing(events, n, model.drug, list(model.model.routes))
    structure = STRUCTURES[model.model.structure]
    k = structure.prepare(params)
    f = params.get("F", np.ones(n))
    start = min(0.0, float(times[0]), float(dosing.dose_time.min()) if dosing.dose_time.size else 0.0)
    if end_h is None:
        backend = resolve_backend(backend, n * (float(times[-1]) - start))
        res = _report_failures(_integrator(backend)(structure, k, f, dosing, times, rtol=rtol, atol_ug_ml=atol_ug_ml,
                                                    stops_h=extra))
        return Simulation(model.id, times, res.conc_ug_ml, res.auc_ug_h_ml, None, res.status, res.n_steps, None, backend)
    end = np.broadcast_to(np.asarray(end_h, dtype=float), (n,))
    if not np.all(end >= 0) or np.isnan(end).any():
        raise InputError("invalid end of follow-up", option="end_h", expected="times >= 0 h (inf: none)")
    backend = resolve_backend(backend, float(np.sum(np.clip(np.minimum(end, times[-1]) - start, 0.0, None))))
    res = _report_failures(_integrator(backend)(structure, k, f, dosing, times, rtol=rtol, atol_ug_ml=atol_ug_ml,
                                                end_h=end, stops_h=extra))
    after = times[None, :] > end[:, None]
    conc = np.where(after, np.nan, res.conc_ug_ml)
    auc = np.where(after, np.nan, res.auc_ug_h_ml)
    return Simulation(model.id, times, conc, auc, None, res.status, res.n_steps, None, backend)


def input_breakpoints_h(model: PKModel | str, events: pd.DataFrame, n_patients: int = 1) -> np.ndarray:
    """The times (h, sorted, unique) at which the input of ``events`` to ``model`` changes: every infusion
    piece's start and end and every bolus, over all patients (``patient`` column as in :func:`simulate`)."""
    model = load_model(model)
    return build_dosing(events, n_patients, model.drug, list(model.model.routes)).breakpoints_h()


def _report_failures(res):
    """Warn about patients the engine could not integrate (their rows are NaN); all of them failing is an error."""
    bad = np.flatnonzero(res.status != 0)
    if not bad.size:
        return res
    why = "; ".join(f"{STATUS[c]}: {int((res.status == c).sum())}" for c in sorted(set(res.status[bad].tolist())))
    if bad.size == res.status.size:
        raise ModelError(f"PK integration failed for every patient ({why}); check the parameters or try a larger rtol")
    shown = ", ".join(str(i) for i in bad[:10]) + (", …" if bad.size > 10 else "")
    warnings.warn(f"{bad.size} of {res.status.size} patients could not be integrated ({why}); their outputs are "
                  f"empty (NaN) and Simulation.status says which: patient index {shown}", IntegrationWarning,
                  stacklevel=3)
    return res


def _integrator(backend: str):
    """The integrate function of a resolved backend (:func:`isamm.pk._backend.resolve_backend` checked it)."""
    if backend == "jax":
        from isamm.pk._engine_jax import integrate_jax

        return integrate_jax
    return integrate


def add_residual_error(model: PKModel, conc_ug_ml: np.ndarray, seed: int) -> np.ndarray:
    """Observed concentrations: C·(1 + prop·ε1) + add·ε2, times exp(log_sd·ε3) (model's residual block)."""
    rng = np.random.default_rng([seed, 2])
    r = model.residual
    e = rng.standard_normal((3,) + conc_ug_ml.shape)
    obs = conc_ug_ml * (1 + r.proportional_cv * e[0]) + r.additive_ug_ml * e[1]
    return obs * np.exp(r.log_sd * e[2])
