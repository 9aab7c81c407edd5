"""Washout planner: how much daratumumab is still on board, and when it falls below a threshold.

The two published daratumumab models agree during dosing and disagree about
threefold on washout (shared/reference/pk_models.md §4): Xu 2020's saturable
pathway decays with KDES = 0.0013/h (gone ~6 months after the first dose), Luo
2021's with 7.8e-5/h (still ~70% active). Neither paper reports a fit to
post-treatment samples. So the planner runs every model asked for, names the
model in every output, and reports the population prediction interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from isamm._constraints import DAYS_AFTER_DOSE, HORIZON_DAYS, PATIENTS, SEED, STEP_H, THRESHOLD_UG_ML, Each, constrained
from isamm.errors import InputError
from isamm.pk._backend import resolve_backend
from isamm.pk._dosing import build_dosing
from isamm.pk._model import covariate_frame, load_model
from isamm.pk._population import sample_patients
from isamm.pk._simulate import Patients, population_band, simulate, typical_patients

__all__ = ["washout", "Washout", "DARATUMUMAB_MODELS"]

DARATUMUMAB_MODELS = ("daratumumab_xu2020", "daratumumab_luo2021")
_REPORT_DAYS = (30, 60, 90, 180, 365)


@dataclass(frozen=True)
class ModelWashout:
    """One model's washout: per-patient days to threshold and concentration bands after the last dose."""

    model_id: str
    citation: str
    days_to_threshold: np.ndarray  # per patient; NaN = not reached within the horizon
    days_after_last_dose: np.ndarray
    conc_ug_ml: np.ndarray  # [patient, time after last dose]
    report_days: tuple[float, ...] = _REPORT_DAYS

    def at(self, day: float) -> dict[str, float]:
        """Median, 5th and 95th percentile of the concentration (µg/mL) ``day`` days after the last dose (a grid day)."""
        i = int(np.argmin(np.abs(self.days_after_last_dose - day)))
        if abs(self.days_after_last_dose[i] - day) > 1e-9:
            raise InputError("day not on the washout grid", option="at_days", got=day)
        med, p5, p95 = population_band(self.conc_ug_ml[:, i], 90.0)
        return {"median": float(med[0]), "p5": float(p5[0]), "p95": float(p95[0])}

    def band(self) -> pd.DataFrame:
        """Median and 90% prediction interval (5th–95th percentile) of the concentration at each grid day."""
        med, p5, p95 = population_band(self.conc_ug_ml, 90.0)
        return pd.DataFrame({"model": self.model_id, "days_after_last_dose": self.days_after_last_dose,
                             "median_ug_ml": med, "p5_ug_ml": p5, "p95_ug_ml": p95})

    def to_dict(self) -> dict:
        d = self.days_to_threshold
        last = self.days_after_last_dose[-1]
        at = {f"{day:g}": self.at(day) for day in sorted(self.report_days) if day <= last + 1e-9}
        return {
            "model": self.model_id,
            "citation": self.citation,
            "days_to_threshold": {"median": _pct(d, 50), "p5": _pct(d, 5), "p95": _pct(d, 95)},
            "not_reached_pct": float(np.mean(~np.isfinite(d)) * 100),
            "conc_ug_ml_after_last_dose": at,
        }


def _pct(d, q):
    """Percentile of days to threshold; patients who never cross count as later than all others.

    Empirical quantile without interpolation (``inverted_cdf``, R type 1), so a
    percentile that falls among the never-crossed is ``None``, not a blend.
    """
    v = float(np.percentile(np.where(np.isfinite(d), d, np.inf), q, method="inverted_cdf"))
    return None if not np.isfinite(v) else v


@dataclass(frozen=True)
class Washout:
    """Washout predictions of one or more models (see :func:`washout`)."""

    threshold_ug_ml: float
    last_dose_h: float
    results: tuple[ModelWashout, ...]

    def to_dict(self) -> dict:
        """The first model's keys at top level (``model``, ``days_to_threshold`` …), all models under ``models``."""
        per = [r.to_dict() for r in self.results]
        out = {"threshold_ug_ml": self.threshold_ug_ml, "last_dose_h": self.last_dose_h, "n_patients": int(self.results[0].conc_ug_ml.shape[0])}
        out.update({k: v for k, v in per[0].items()})
        out["models"] = {p["model"]: p for p in per}
        meds = [p["days_to_threshold"]["median"] for p in per]
        if len(per) > 1 and all(m is not None for m in meds) and min(meds) > 0:
            out["median_ratio_between_models"] = max(meds) / min(meds)
        return out

    def band(self) -> pd.DataFrame:
        return pd.concat([r.band() for r in self.results], ignore_index=True)


MAX_HORIZON_DAYS = HORIZON_DAYS.high  # 10 years after the last dose: any antibody is long gone


@constrained(n_patients=PATIENTS, seed=SEED, threshold_ug_ml=THRESHOLD_UG_ML, horizon_days=HORIZON_DAYS,
             step_h=STEP_H, at_days=Each(DAYS_AFTER_DOSE, max_len=1000, min_len=0))
def washout(
    events: pd.DataFrame | Callable[[np.ndarray], pd.DataFrame],
    *,
    models: tuple[str, ...] | list[str] = DARATUMUMAB_MODELS,
    n_patients: int | None = 1000,
    seed: int = 0,
    covariates: pd.DataFrame | None = None,
    threshold_ug_ml: float = 1.0,
    horizon_days: float = 730.0,
    step_h: float = 24.0,
    at_days: tuple[float, ...] | list[float] = (),
    backend: str = "auto",
) -> Washout:
    """Predicted daratumumab concentration after the last dose, and days until it falls below a threshold.

    Parameters
    ----------
    events
        The daratumumab history as dose events, or a function ``weights_kg → events``
        (with a ``patient`` column) so that mg/kg doses follow each patient's weight.
    models
        Model ids to run (default both published daratumumab models).
    n_patients, seed
        Virtual population per model (IIV sampled, seeded); ``None`` = the typical patient
        (or the rows of ``covariates``) without IIV.
    covariates
        Optional covariate table (weight_kg, albumin_g_l, non_igg, female); with
        ``n_patients`` given, IIV is sampled for these patients.
    threshold_ug_ml
        Concentration (µg/mL) of interest, e.g. 1 or 0.1.
    horizon_days, step_h
        How long after the last dose to follow (days) and the output grid (h);
        the crossing is interpolated log-linearly between grid points.
    at_days
        Extra days after the last dose at which to report the concentration (e.g. the
        planned start of isatuximab); added to the output grid exactly.
    backend
        ``"auto"`` (default), ``"numpy"`` or ``"jax"``, as for :func:`isamm.pk.simulate`; ``"auto"`` chooses
        once for all models (their patients × hours together).

    The prediction interval is the 5th–95th percentile over the virtual patients.
    """
    at_days = tuple(float(x) for x in at_days)
    if any(x > horizon_days for x in at_days):
        raise InputError("day after the last dose beyond the horizon", option="at_days",
                         expected=f"days up to horizon_days ({horizon_days:g})", got=max(at_days))
    results = []
    last_dose = None
    for mid in models:
        model = load_model(mid)
        if model.drug != "daratumumab":
            raise InputError("the washout planner is for daratumumab models", option="models", got=mid)
        pats = _patients(model, n_patients, seed, covariates)
        ev = events(pats.covariates["weight_kg"].to_numpy()) if callable(events) else events
        dosing = build_dosing(ev, len(pats), model.drug, list(model.model.routes))
        last_start = float(dosing.dose_time.max())
        last_end = float(dosing.dose_end.max())
        last_dose = last_start
        after = np.union1d(np.arange(0.0, horizon_days * 24.0 + step_h / 2, step_h), np.array(at_days) * 24.0)
        times = np.unique(np.concatenate([last_start + after, [last_end]]))
        times = times[times >= last_end]
        if not results:  # one engine for every model: the work of all of them (about the same each)
            backend = resolve_backend(backend, len(models) * len(pats) * (times[-1] - min(0.0, dosing.dose_time.min())))
        sim = simulate(model, pats, ev, times, backend=backend)
        c = sim.conc_ug_ml[sim.status == 0]  # a failed patient (reported by simulate) would read as "never below"
        days = _crossing_days(times - last_start, c, threshold_ug_ml)
        keep = np.isin(times, last_start + after)
        results.append(ModelWashout(model.id, model.citation_line(), days, (times[keep] - last_start) / 24.0,
                                    c[:, keep], tuple(sorted(set(_REPORT_DAYS) | set(at_days)))))
    return Washout(threshold_ug_ml, last_dose, tuple(results))


def _patients(model, n_patients, seed, covariates) -> Patients:
    if n_patients is None:
        return typical_patients(model, covariates)
    if covariates is not None:
        return sample_patients(model, seed=seed, covariates=covariate_frame(model, covariates))
    return sample_patients(model, n_patients, seed=seed)


def _crossing_days(t_h, c, thr):
    """First time (days) C < thr, log-linear interpolation on the grid; NaN if never; 0 if already below."""
    below = c < thr
    first = np.argmax(below, axis=1)
    never = ~below.any(axis=1)
    out = np.full(c.shape[0], np.nan)
    i = np.flatnonzero(~never)
    j = first[i]
    at_start = j == 0
    out[i[at_start]] = t_h[0] / 24.0
    k, jj = i[~at_start], j[~at_start]
    c1, c2 = c[k, jj - 1], np.maximum(c[k, jj], 1e-300)
    t1, t2 = t_h[jj - 1], t_h[jj]
    frac = (np.log(c1) - np.log(thr)) / (np.log(c1) - np.log(c2))
    out[k] = (t1 + frac * (t2 - t1)) / 24.0
    return out
