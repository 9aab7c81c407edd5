"""Exposure of a population chunk by chunk: bounded memory, streamed output, chunks as Dask tasks.

A chunk is patients ``lo..hi−1``. With a :class:`~isamm.pk.Population` (patients drawn per seeded
block) and a :class:`~isamm.pk.RegimenCalendar` (the calendar of one reference patient), a chunk draws
its own patients and builds its own dose events, so nothing of size N exists but the per-patient
metrics (a few float columns). Every chunk goes through :func:`isamm.pk._exposure.exposure_chunk`,
in this process or as a Dask task; a chunk's numbers depend only on its patients, so they are the
same whoever runs it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np
import pandas as pd

from isamm._table import row_numbers
from isamm._constraints import PATIENTS, STEP_H, THRESHOLD_UG_ML, constrained
from isamm.errors import InputError
from isamm.parallel import imap_ordered
from isamm.pk._backend import resolve_backend
from isamm.pk._exposure import Exposure, exposure_chunk
from isamm.pk._model import load_model
from isamm.pk._population import Population
from isamm.pk._simulate import DEFAULT_RTOL, Patients, typical_patients

__all__ = ["exposure", "exposure_stream", "iter_exposure", "EXPOSURE_CHUNK"]

#: Patients per chunk (memory: a chunk's [patient, output time] arrays and its dose events).
EXPOSURE_CHUNK = 4_096


@dataclass(frozen=True)
class _Options:
    threshold_ug_ml: float | None
    grid_h: float | None
    rtol: float
    backend: str
    per_dose: bool


class _EventRows:
    """Rows of a dose-event table by patient, found once (a chunk's rows without scanning the whole table)."""

    def __init__(self, events: pd.DataFrame, n: int):
        self.events = events
        self.shared = "patient" not in events.columns  # one calendar for every patient
        if self.shared:
            return
        pat = pd.to_numeric(events["patient"], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(pat) | (pat < 0) | (pat >= n) | (pat != np.round(pat))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError("invalid patient index", file="dose events", row=int(row_numbers(len(pat), in_file=False)[i]),
                             column="patient",
                             expected=f"an integer in [0, {n - 1}]", got=events["patient"].iloc[i])
        self.pat = pat.astype(np.int64)
        self.order = np.argsort(self.pat, kind="stable")
        self.sorted = self.pat[self.order]

    def rows(self, lo: int, hi: int) -> pd.DataFrame:
        if self.shared:
            return self.events
        a, b = np.searchsorted(self.sorted, [lo, hi])
        rows = np.sort(self.order[a:b])
        return self.events.iloc[rows].assign(patient=self.pat[rows] - lo)


def _items(patients, events, bounds) -> Iterator[tuple[int, Any, Any]]:
    """``(lo, patients of the chunk or their Population, their events or the calendar)`` per chunk, lazily."""
    rows = None if callable(events) else _EventRows(events, len(patients))
    for lo, hi in bounds:
        if isinstance(patients, Population):
            part = patients.part(lo, hi)
        else:
            part = Patients(patients.model, patients.covariates.iloc[lo:hi].reset_index(drop=True), patients.etas[lo:hi])
        yield lo, part, events if rows is None else rows.rows(lo, hi)


def _run_chunk(model, opts: _Options, item) -> Exposure:
    """One chunk (a Dask task: a pure function of its arguments); patients numbered from the chunk's ``lo``."""
    lo, part, events = item
    pats = part.patients() if isinstance(part, Population) else part
    if callable(events):
        events = events(pats.covariates["weight_kg"].to_numpy())
    exp = exposure_chunk(model, pats, events, threshold_ug_ml=opts.threshold_ug_ml, grid_h=opts.grid_h,
                         rtol=opts.rtol, backend=opts.backend, per_dose=opts.per_dose)
    per_dose = None if exp.per_dose is None else exp.per_dose.assign(patient=exp.per_dose["patient"] + lo)
    return Exposure(exp.model_id, exp.per_patient.assign(patient=exp.per_patient["patient"] + lo), per_dose,
                    exp.threshold_ug_ml, exp.backend)


def _span_h(model, events) -> float:
    """Hours integrated per patient (from time 0 or the first dose to the last dose start of ``model``'s drug)."""
    ev = events(np.array([70.0])) if callable(events) else events
    ev = ev[ev["drug"].astype(str).str.lower() == model.drug] if "drug" in ev.columns else ev
    t = pd.to_numeric(ev["time_h"], errors="coerce").to_numpy(dtype=float) if "time_h" in ev.columns else np.zeros(0)
    t = t[np.isfinite(t)]
    return float(t.max() - min(0.0, t.min())) if t.size else 0.0


@constrained(threshold_ug_ml=THRESHOLD_UG_ML, grid_h=STEP_H, chunk_patients=PATIENTS)
def iter_exposure(
    model,
    patients: Patients | Population | pd.DataFrame | None,
    events: pd.DataFrame | Callable[[np.ndarray], pd.DataFrame],
    *,
    threshold_ug_ml: float | None = None,
    grid_h: float | None = None,
    rtol: float = DEFAULT_RTOL,
    backend: str = "auto",
    chunk_patients: int | None = None,
    client=None,
    per_dose: bool = False,
    done: Callable[[int], None] | None = None,
) -> Iterator[Exposure]:
    """The exposure of each chunk of patients, in patient order, as soon as it (and those before it) is done.

    Arguments as :func:`exposure`; ``done(n_patients)`` is called as each chunk finishes (a progress bar).
    Without ``client`` the chunks are computed one at a time as the iterator is consumed.
    """
    model = load_model(model)
    if patients is None or isinstance(patients, pd.DataFrame):
        patients = typical_patients(model, patients)
    if patients.model.id != model.id:
        raise InputError("patients were made for another model", option="patients", expected=model.id,
                         got=patients.model.id)
    if not callable(events) and not isinstance(events, pd.DataFrame):
        raise InputError("dose events must be a table or a calendar", option="events",
                         expected="a DataFrame or isamm.pk.RegimenCalendar", got=type(events).__name__)
    chunk_patients = EXPOSURE_CHUNK if chunk_patients is None else chunk_patients  # read at call time
    n = len(patients)
    backend = resolve_backend(backend, n * _span_h(model, events))  # one engine for every chunk
    bounds = [(lo, min(lo + chunk_patients, n)) for lo in range(0, n, chunk_patients)]
    # a task carries its own patients and events (or their seed and the calendar), never the whole population
    work = functools.partial(_run_chunk, model, _Options(threshold_ug_ml, grid_h, rtol, backend, per_dose))
    yield from imap_ordered(work, _items(patients, events, bounds), client=client,
                            done=None if done is None else (lambda exp: done(len(exp.per_patient))))


@constrained(threshold_ug_ml=THRESHOLD_UG_ML, grid_h=STEP_H, chunk_patients=PATIENTS)
def exposure(
    model,
    patients: Patients | Population | pd.DataFrame | None,
    events: pd.DataFrame | Callable[[np.ndarray], pd.DataFrame],
    *,
    threshold_ug_ml: float | None = None,
    grid_h: float | None = None,
    rtol: float = DEFAULT_RTOL,
    backend: str = "auto",
    chunk_patients: int | None = None,
    client=None,
) -> Exposure:
    """Exposure metrics of N patients on one dosing calendar (definitions: :mod:`isamm.pk._exposure`).

    Parameters
    ----------
    model, patients, events
        As for :func:`isamm.pk.simulate`; every patient must have the same dose times (amounts may
        differ) and at least two doses. ``patients`` may also be a :class:`isamm.pk.Population`
        (drawn chunk by chunk) and ``events`` a :class:`isamm.pk.RegimenCalendar` (or any function of
        the patients' weights in kg returning their events).
    threshold_ug_ml
        Optional concentration (µg/mL) for ``time_above_threshold_d``.
    grid_h
        Grid spacing (h) for maxima between infusion ends and for the threshold. ``None``
        (default): no grid for a calendar of IV infusions only without a threshold (its
        maxima are at infusion ends), else 6 h.
    rtol, backend
        As for :func:`isamm.pk.simulate`; ``"auto"`` (default) chooses once for the whole population
        (N × the calendar's span), so every chunk runs the same engine; ``Exposure.backend`` says which.
    chunk_patients
        Patients integrated together (default :data:`EXPOSURE_CHUNK`, 4,096; memory: a chunk's
        concentration arrays and events). A patient's numbers do not depend on the chunk it is in
        (bit for bit, tested), nor on ``client``.
    client
        A ``dask.distributed.Client``: the chunks run as Dask tasks (:mod:`isamm.parallel`).

    Returns
    -------
    Exposure
        With the per-dose table; for large N use :func:`exposure_stream` (per-patient rows only,
        written as they come).
    """
    parts = list(iter_exposure(model, patients, events, threshold_ug_ml=threshold_ug_ml, grid_h=grid_h, rtol=rtol,
                               backend=backend, chunk_patients=chunk_patients, client=client, per_dose=True))
    if len(parts) == 1:
        return parts[0]
    per_patient = pd.concat([p.per_patient for p in parts], ignore_index=True)
    per_dose = pd.concat([p.per_dose for p in parts], ignore_index=True)
    per_dose = per_dose.sort_values(["dose", "patient"], kind="stable", ignore_index=True)
    return Exposure(parts[0].model_id, per_patient, per_dose, threshold_ug_ml, parts[0].backend)


@constrained(threshold_ug_ml=THRESHOLD_UG_ML, grid_h=STEP_H, chunk_patients=PATIENTS)
def exposure_stream(
    model,
    patients: Patients | Population | pd.DataFrame | None,
    events: pd.DataFrame | Callable[[np.ndarray], pd.DataFrame],
    *,
    output=None,
    threshold_ug_ml: float | None = None,
    grid_h: float | None = None,
    rtol: float = DEFAULT_RTOL,
    backend: str = "auto",
    chunk_patients: int | None = None,
    client=None,
    progress: Callable[[int], None] | None = None,
) -> Exposure:
    """:func:`exposure` for large N: per-patient rows only, optionally written to ``output`` as chunks finish.

    ``output`` (a path ending in .parquet, .csv or .json): the per-patient table with a ``model`` column,
    written chunk by chunk (a Parquet row group per chunk) to a temporary file renamed onto ``output``
    at the end, so an interrupted or failed run leaves no file there. ``progress(n_patients)`` is called
    as each chunk finishes. Memory: one chunk's work plus the per-patient metrics (~100 bytes per patient);
    no per-dose table (``per_dose`` is ``None``). The numbers equal :func:`exposure`'s for the same chunks.
    """
    from contextlib import nullcontext

    from isamm._io import table_stream

    model = load_model(model)
    columns: list[pd.DataFrame] = []
    with (table_stream(output) if output is not None else nullcontext()) as sink:
        for part in iter_exposure(model, patients, events, threshold_ug_ml=threshold_ug_ml, grid_h=grid_h, rtol=rtol,
                                  backend=backend, chunk_patients=chunk_patients, client=client, done=progress):
            if sink is not None:
                sink.write(part.per_patient.assign(model=model.id))
            columns.append(part.per_patient)
    per_patient = columns[0] if len(columns) == 1 else pd.concat(columns, ignore_index=True)
    return Exposure(model.id, per_patient, None, threshold_ug_ml, part.backend)
