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
  (isatuximab QW → Q2W): see README.
* ``accumulation_ratio`` — AUCτ,ss / AUC(0–τ) after the first dose given alone.
* ``half_life_terminal_d`` — terminal (β) half-life of the linear part of the
  model (CL at the end of the calendar, Q, V1, V2); target-mediated
  elimination makes the real washout faster, see :func:`isamm.pk.washout`.
* ``time_above_threshold_d`` — time with C ≥ threshold from the first dose to the
  end of the horizon (linear interpolation between grid points).
"""

from __future__ import annotations

import functools

from dataclasses import dataclass

import numpy as np
import pandas as pd

from isamm._constraints import PATIENTS, STEP_H, THRESHOLD_UG_ML, constrained
from isamm.errors import InputError
from isamm.pk._dosing import build_dosing
from isamm.pk._model import load_model
from isamm.pk._simulate import DEFAULT_RTOL, Patients, simulate, typical_patients
from isamm.pk._structural import STRUCTURES
from isamm.parallel import map_ordered

#: Patients per chunk of :func:`exposure` (memory: a chunk's [patient, output time] arrays).
EXPOSURE_CHUNK = 4_096

__all__ = ["exposure", "Exposure", "summarise", "linear_half_life_h", "METRICS"]

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
    return {
        "median": float(np.median(x)),
        "p5": float(np.percentile(x, 5)),
        "p95": float(np.percentile(x, 95)),
        "gmean": float(np.exp(logs.mean())) if logs is not None else None,
        "gcv_pct": float(np.sqrt(np.expm1(logs.var(ddof=1))) * 100) if logs is not None and x.size > 1 else None,
        "n": int(x.size),
    }


@dataclass(frozen=True)
class Exposure:
    """Per-patient exposure (``per_patient``: one row per patient), per-dose table and model id."""

    model_id: str
    per_patient: pd.DataFrame
    per_dose: pd.DataFrame
    threshold_ug_ml: float | None

    def summary(self) -> dict[str, dict[str, float]]:
        """Each metric summarised over patients (see :func:`summarise`)."""
        return {c: summarise(self.per_patient[c]) for c in self.per_patient.columns if c != "patient"}

    def to_dict(self) -> dict:
        """Typical patient (N = 1): numbers; population: ``{median, p5, p95, gmean, gcv_pct}`` per metric."""
        out: dict = {"model": self.model_id, "n_patients": len(self.per_patient)}
        cols = [c for c in self.per_patient.columns if c != "patient"]
        if len(self.per_patient) == 1:
            out.update({c: _num(self.per_patient[c].iloc[0]) for c in cols})
        else:
            summ = self.summary()
            out.update({c: {k: v for k, v in summ[c].items() if k != "n"} for c in cols})
        if self.threshold_ug_ml is not None:
            out["threshold_ug_ml"] = self.threshold_ug_ml
        return out


def _num(v):
    v = float(v)
    return None if not np.isfinite(v) else v


@constrained(threshold_ug_ml=THRESHOLD_UG_ML, grid_h=STEP_H, chunk_patients=PATIENTS)
def exposure(
    model,
    patients: Patients | pd.DataFrame | None,
    events: pd.DataFrame,
    *,
    threshold_ug_ml: float | None = None,
    grid_h: float | None = None,
    rtol: float = DEFAULT_RTOL,
    backend: str = "numpy",
    chunk_patients: int = EXPOSURE_CHUNK,
    client=None,
) -> Exposure:
    """Exposure metrics of N patients on one dosing calendar (see module docstring).

    Parameters
    ----------
    model, patients, events
        As for :func:`isamm.pk.simulate`; every patient must have the same dose
        times (amounts may differ) and at least two doses.
    threshold_ug_ml
        Optional concentration (µg/mL) for ``time_above_threshold_d``.
    grid_h
        Grid spacing (h) for maxima between infusion ends and for the threshold. ``None``
        (default): no grid for a calendar of IV infusions only without a threshold (its
        maxima are at infusion ends), else 6 h.
    rtol, backend
        As for :func:`isamm.pk.simulate`.
    chunk_patients
        Patients integrated together (bounded memory: a chunk's concentration arrays only). The
        chunks are the same with and without ``client``, so the numbers are too.
    client
        A ``dask.distributed.Client``: the chunks run as Dask tasks (:mod:`isamm.parallel`).
    """
    model = load_model(model)
    if patients is None or isinstance(patients, pd.DataFrame):
        patients = typical_patients(model, patients)
    if len(patients) > chunk_patients:
        bounds = [(lo, min(lo + chunk_patients, len(patients))) for lo in range(0, len(patients), chunk_patients)]
        # each task carries its own patients and doses only (not the whole population: Dask would copy it per task)
        work = functools.partial(_exposure_part, model, threshold_ug_ml, grid_h, rtol, backend)
        parts = map_ordered(work, [_chunk(patients, events, lo, hi) for lo, hi in bounds], client=client)
        per_patient = pd.concat([p.per_patient.assign(patient=p.per_patient["patient"] + lo)
                                 for p, (lo, _) in zip(parts, bounds)], ignore_index=True)
        per_dose = pd.concat([p.per_dose.assign(patient=p.per_dose["patient"] + lo)
                              for p, (lo, _) in zip(parts, bounds)], ignore_index=True)
        per_dose = per_dose.sort_values(["dose", "patient"], kind="stable", ignore_index=True)
        return Exposure(model.id, per_patient, per_dose, threshold_ug_ml)
    return _exposure_one(model, patients, events, threshold_ug_ml=threshold_ug_ml, grid_h=grid_h, rtol=rtol,
                         backend=backend)


def _chunk(patients: Patients, events: pd.DataFrame, lo: int, hi: int) -> tuple[Patients, pd.DataFrame]:
    """Patients ``lo..hi−1``: their rows of the covariates and random effects, and of the calendar (renumbered)."""
    part = Patients(patients.model, patients.covariates.iloc[lo:hi].reset_index(drop=True), patients.etas[lo:hi])
    ev = events
    if "patient" in events.columns:
        pat = pd.to_numeric(events["patient"], errors="coerce")
        ev = events[(pat >= lo) & (pat < hi)].assign(patient=lambda e: pd.to_numeric(e["patient"]) - lo)
    return part, ev


def _exposure_part(model, threshold_ug_ml, grid_h, rtol, backend, item: tuple[Patients, pd.DataFrame]) -> Exposure:
    """One chunk (a Dask task: a pure function of its arguments)."""
    part, ev = item
    return _exposure_one(model, part, ev, threshold_ug_ml=threshold_ug_ml, grid_h=grid_h, rtol=rtol, backend=backend)


def _exposure_one(model, patients: Patients, events: pd.DataFrame, *, threshold_ug_ml, grid_h, rtol,
                  backend) -> Exposure:
    """Exposure of one chunk of patients (all of them in one simulation)."""
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
    tau = t_last - starts[-2]
    horizon = t_last
    grid = np.arange(t_first, horizon, grid_h) if grid_h is not None else []
    times = np.unique(np.concatenate([starts, ends[ends <= horizon], grid,
                                      [starts[-2] + 168.0] if starts[-2] + 168.0 <= horizon else []]))
    sim = simulate(model, patients, events, times, rtol=rtol, backend=backend)
    c, auc = sim.conc_ug_ml, sim.auc_ug_h_ml
    pos = np.searchsorted(times, starts)

    # per dose: max on [start_j, start_{j+1}], trough at start_{j+1}, AUC over the interval
    rows = []
    cmax = np.empty((n, starts.size - 1))
    trough = np.empty((n, starts.size - 1))
    auc_int = np.empty((n, starts.size - 1))
    for j in range(starts.size - 1):
        a, b = pos[j], pos[j + 1]
        cmax[:, j] = c[:, a:b + 1].max(axis=1)
        trough[:, j] = c[:, b]
        auc_int[:, j] = auc[:, b] - auc[:, a]
    for j in range(starts.size - 1):
        rows.append(pd.DataFrame({"patient": np.arange(n), "dose": j + 1, "start_h": starts[j],
                                  "interval_h": starts[j + 1] - starts[j], "cmax_ug_ml": cmax[:, j],
                                  "ctrough_ug_ml": trough[:, j], "auc_ug_h_ml": auc_int[:, j]}))
    per_dose = pd.concat(rows, ignore_index=True)

    ctrough_ss = trough[:, -1]
    ok = trough >= 0.9 * ctrough_ss[:, None]
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
    return Exposure(model.id, per_patient, per_dose, threshold_ug_ml)


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
