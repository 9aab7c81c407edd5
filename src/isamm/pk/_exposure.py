"""Exposure metrics per patient and summarised over a population.

Definitions (all times from each patient's first dose; τ = dosing interval):

* ``cmax_first_ug_ml`` — maximum after the first dose, before the second.
* steady state = the last complete dosing interval of the calendar (between the
  last two doses). ``cmax_ss_ug_ml`` its maximum, ``ctrough_ss_ug_ml`` the
  pre-dose concentration at its end, ``auc_tau_ss_ug_h_ml`` its AUC, and
  ``auc_week_ss_ug_h_ml`` the AUC over its first 168 h.
* AUCs come from the AUC state of the ODE (exact to the integration tolerance),
  never a trapezoid. Maxima are taken at every dose start and infusion end (where
  an IV infusion's maximum occurs); with SC or bolus doses, or a threshold, also on
  a ``grid_h`` grid (6 h unless given). An IV-infusion calendar without a threshold
  thus needs no dense output: ~2 output times per dose instead of ~4 per day.
* ``t90_ss_weeks`` — first pre-dose trough from which every later trough is
  ≥ 90% of the steady-state trough ("stays above"); ``t90_first_weeks`` — first
  trough ≥ 90% ("first reaches"). The two differ when the schedule thins out
  (isatuximab QW → Q2W): see README. Troughs are compared at the integrator's
  absolute tolerance (1e-6 µg/mL): troughs all below it reach 90% at the first one.
* ``accumulation_ratio`` — AUCτ,ss / AUC(0–τ) after the first dose given alone.
* ``half_life_terminal_d`` — terminal (β) half-life of the linear part of the
  model (CL at the end of the calendar, Q, V1, V2); target-mediated
  elimination makes the real washout faster, see :func:`isamm.pk.washout`.
* ``time_above_threshold_d`` — time with C ≥ threshold from the first dose to the
  end of the horizon (linear interpolation between grid points).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from isamm.errors import InputError
from isamm.pk._backend import resolve_backend
from isamm.pk._dosing import build_dosing
from isamm.pk._simulate import DEFAULT_ATOL_UG_ML, Patients, population_band, simulate
from isamm.pk._structural import STRUCTURES

__all__ = ["Exposure", "exposure_chunk", "summarise", "linear_half_life_h", "METRICS"]

METRICS = (
    "cmax_first_ug_ml",
    "cmax_ss_ug_ml",
    "ctrough_ss_ug_ml",
    "auc_tau_ss_ug_h_ml",
    "auc_week_ss_ug_h_ml",
    "tau_ss_h",
    "t90_ss_weeks",
    "t90_first_weeks",
    "accumulation_ratio",
    "half_life_terminal_d",
)


def linear_half_life_h(cl, v1, q, v2):
    """Terminal (β) half-life (h) of a linear two-compartment model.

    β = ½[(k10+k12+k21) − sqrt((k10+k12+k21)² − 4·k10·k21)], k10 = CL/V1,
    k12 = Q/V1, k21 = Q/V2 (Gibaldi & Perrier, ch. 2); t½ = ln 2 / β.
    """
    k10, k12, k21 = cl / v1, q / v1, q / v2
    s = k10 + k12 + k21
    beta = 0.5 * (s - np.sqrt(s * s - 4.0 * k10 * k21))
    return np.log(2.0) / beta


def summarise(values) -> dict[str, float]:
    """median, p5, p95, geometric mean and geometric CV% (sqrt(exp(s²) − 1)·100, s = SD of logs)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return {"median": None, "p5": None, "p95": None, "gmean": None, "gcv_pct": None, "n": 0}
    pos = x[x > 0]
    logs = np.log(pos) if pos.size == x.size else None
    med, p5, p95 = population_band(x, 90.0)
    return {
        "median": float(med[0]),
        "p5": float(p5[0]),
        "p95": float(p95[0]),
        "gmean": float(np.exp(logs.mean())) if logs is not None else None,
        "gcv_pct": float(np.sqrt(np.expm1(logs.var(ddof=1))) * 100) if logs is not None and x.size > 1 else None,
        "n": int(x.size),
    }


@dataclass(frozen=True)
class Exposure:
    """Per-patient exposure (``per_patient``: one row per patient), per-dose table and model id.

    ``per_dose`` (one row per dose interval and patient: ``cmax_ug_ml``, ``ctrough_ug_ml`` µg/mL,
    ``auc_ug_h_ml`` µg·h/mL) is ``None`` when not kept (:func:`isamm.pk.exposure_stream`).
    ``backend``: the PK engine that ran, ``"numpy"`` or ``"jax"``.
    """

    model_id: str
    per_patient: pd.DataFrame
    per_dose: pd.DataFrame | None
    threshold_ug_ml: float | None
    backend: str = "numpy"

    def summary(self) -> dict[str, dict[str, float]]:
        """Each metric summarised over patients (see :func:`summarise`)."""
        return {c: summarise(self.per_patient[c]) for c in self.per_patient.columns if c not in _NOT_METRICS}

    def to_dict(self) -> dict:
        """Typical patient (N = 1): numbers; population: ``{median, p5, p95, gmean, gcv_pct}`` per metric."""
        out: dict = {"model": self.model_id, "n_patients": len(self.per_patient)}
        cols = [c for c in self.per_patient.columns if c not in _NOT_METRICS]
        if len(self.per_patient) == 1:
            out.update({c: _num(self.per_patient[c].iloc[0]) for c in cols})
        else:
            summ = self.summary()
            out.update({c: {k: v for k, v in summ[c].items() if k != "n"} for c in cols})
        if self.threshold_ug_ml is not None:
            out["threshold_ug_ml"] = self.threshold_ug_ml
        if "status" in self.per_patient.columns and (self.per_patient["status"] != 0).any():
            out["n_failed"] = int((self.per_patient["status"] != 0).sum())  # left out of the summaries above
        return out


_NOT_METRICS = ("patient", "status")  # per-patient columns that are not exposure metrics


def _num(v):
    v = float(v)
    return None if not np.isfinite(v) else v


def exposure_chunk(model, patients: Patients, events: pd.DataFrame, *, threshold_ug_ml, grid_h, rtol,
                   backend, per_dose: bool = True) -> Exposure:
    """Exposure of one chunk of patients (all of them in one simulation; patients numbered from 0).

    The one integration path of :func:`isamm.pk.exposure` and :func:`isamm.pk.exposure_stream`.
    ``per_dose=False``: no per-dose table (``Exposure.per_dose`` is ``None``).
    """
    n = len(patients)
    dosing = build_dosing(events, n, model.drug, list(model.model.routes))
    if grid_h is None and (threshold_ug_ml is not None or dosing.bol_time.size):
        grid_h = 6.0  # SC and bolus maxima fall between output times; a threshold needs crossings
    starts = np.unique(dosing.dose_time)
    per_patient_count = np.bincount(dosing.dose_patient, minlength=n)
    if np.any(per_patient_count != starts.size):
        raise InputError("exposure metrics need the same dose times for every patient", option="events")
    if starts.size < 2:
        raise InputError("exposure metrics need at least two doses", option="events", expected=">= 2 doses", got=int(starts.size))
    ends = np.unique(dosing.dose_end)
    t_first, t_last = starts[0], starts[-1]
    backend = resolve_backend(backend, n * (t_last - min(0.0, t_first)))  # both simulations below: one engine
    tau = t_last - starts[-2]
    horizon = t_last
    grid = np.arange(t_first, horizon, grid_h) if grid_h is not None else []
    times = np.unique(np.concatenate([starts, ends[ends <= horizon], grid,
                                      [starts[-2] + 168.0] if starts[-2] + 168.0 <= horizon else []]))
    sim = simulate(model, patients, events, times, rtol=rtol, backend=backend)
    c, auc = sim.conc_ug_ml, sim.auc_ug_h_ml
    pos = np.searchsorted(times, starts)

    # per dose: max on [start_j, start_{j+1}], trough at start_{j+1}, AUC over the interval
    cmax = np.empty((n, starts.size - 1))
    trough = np.empty((n, starts.size - 1))
    auc_int = np.empty((n, starts.size - 1))
    for j in range(starts.size - 1):
        a, b = pos[j], pos[j + 1]
        cmax[:, j] = c[:, a:b + 1].max(axis=1)
        trough[:, j] = c[:, b]
        auc_int[:, j] = auc[:, b] - auc[:, a]
    table = _per_dose(n, starts, cmax, trough, auc_int) if per_dose else None

    ctrough_ss = trough[:, -1]
    # at the integrator's resolution: troughs within its absolute tolerance of 90% count as reached (a fast
    # target-mediated patient's troughs are ~1e-12 µg/mL, below it: otherwise the week would be noise)
    ok = trough >= 0.9 * ctrough_ss[:, None] - DEFAULT_ATOL_UG_ML
    # stays-above: last index where ok is False, +1
    stays = np.where(ok.all(axis=1), 0, starts.size - 1 - np.argmax(~ok[:, ::-1], axis=1))
    stays = np.minimum(stays, starts.size - 2)
    first_reach = np.argmax(ok, axis=1)
    week = 168.0
    t90_ss = (starts[1:][stays] - t_first) / week
    t90_first = (starts[1:][first_reach] - t_first) / week

    # accumulation: the first dose alone, over one steady-state interval
    first_events = _first_dose_events(events, model.drug, t_first)
    single = simulate(model, patients, first_events, [t_first, t_first + tau], rtol=rtol, backend=backend)
    acc = auc_int[:, -1] / single.auc_between(t_first, t_first + tau)

    params = patients.parameters()
    structure = STRUCTURES[model.model.structure]
    cl_end = structure.linear_clearance(np.full(n, horizon) - dosing.first_dose_h, params)
    half = linear_half_life_h(cl_end, params[structure.volume], params["Q"], params[structure.periph_volume]) / 24.0

    i_week = np.searchsorted(times, starts[-2] + 168.0)
    auc_week = auc[:, i_week] - auc[:, pos[-2]] if starts[-2] + 168.0 <= horizon else np.full(n, np.nan)
    per_patient = pd.DataFrame({
        "patient": np.arange(n),
        "cmax_first_ug_ml": cmax[:, 0],
        "cmax_ss_ug_ml": cmax[:, -1],
        "ctrough_ss_ug_ml": ctrough_ss,
        "auc_tau_ss_ug_h_ml": auc_int[:, -1],
        "auc_week_ss_ug_h_ml": auc_week,
        "tau_ss_h": np.full(n, tau),
        "t90_ss_weeks": t90_ss,
        "t90_first_weeks": t90_first,
        "accumulation_ratio": acc,
        "half_life_terminal_d": half,
    })
    if threshold_ug_ml is not None:
        per_patient["time_above_threshold_d"] = _time_above(times, c, threshold_ug_ml, t_first) / 24.0
    # Simulation.status: a patient the engine could not integrate has NaN metrics; say so in its row
    per_patient["status"] = np.maximum(sim.status, single.status).astype(np.int8)
    return Exposure(model.id, per_patient, table, threshold_ug_ml, sim.backend)


def _per_dose(n, starts, cmax, trough, auc_int) -> pd.DataFrame:
    """One row per (dose, patient), dose-major: the steady state is the last ``dose``."""
    k = starts.size - 1
    return pd.DataFrame({"patient": np.tile(np.arange(n), k), "dose": np.repeat(np.arange(1, k + 1), n),
                         "start_h": np.repeat(starts[:-1], n), "interval_h": np.repeat(np.diff(starts), n),
                         "cmax_ug_ml": cmax.T.ravel(), "ctrough_ug_ml": trough.T.ravel(),
                         "auc_ug_h_ml": auc_int.T.ravel()})


def _first_dose_events(events: pd.DataFrame, drug: str, t_first: float) -> pd.DataFrame:
    ev = events[(events["drug"].astype(str).str.lower() == drug)]
    return ev[np.isclose(ev["time_h"].astype(float), t_first)]


def _time_above(times, c, thr, t_from):
    """Time (h) with C ≥ thr after ``t_from``, linear interpolation of crossings between grid points."""
    sel = times >= t_from
    t, y = times[sel], c[:, sel]
    dt = np.diff(t)
    a, b = y[:, :-1] - thr, y[:, 1:] - thr
    both = (a >= 0) & (b >= 0)
    up = (a < 0) & (b >= 0)
    down = (a >= 0) & (b < 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac_up = np.where(up, b / (b - a), 0.0)
        frac_down = np.where(down, a / (a - b), 0.0)
    return (dt * (both + frac_up + frac_down)).sum(axis=1)
