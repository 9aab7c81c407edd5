"""Dose events for a population from the regimen catalog (``isamm.regimens``).

The calendar is expanded once, for a reference patient, and weight-based
(mg/kg) doses are scaled to each patient's weight: expanding the calendar per
patient gives the same table (tested) at ~15 ms per patient.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from isamm.errors import InputError

__all__ = ["regimen_events", "get_regimen", "RegimenCalendar"]

_REF_WEIGHT_KG = 70.0


def get_regimen(regimen: str):
    """``isamm.regimens.get`` (its errors name the ``regimen`` parameter; the CLI says ``--regimen``)."""
    import isamm.regimens as rg

    return rg.get(regimen)


@dataclass(frozen=True)
class RegimenCalendar:
    """A regimen's calendar expanded once (reference patient); called with weights, the dose events of those patients.

    ``RegimenCalendar.of("ISA-PD", weeks=52, drug="isatuximab")(weights_kg)`` equals
    :func:`regimen_events` for those weights. Small (one row per dose), so a chunk of patients
    or a Dask task builds its own patients' events from it.
    """

    regimen_id: str
    template: pd.DataFrame  # one row per dose of the reference patient; ``per_kg``: amount scales with weight

    @classmethod
    def of(cls, regimen: str, *, weeks: int | None = None, cycles: int | None = None,
           drug: str | None = None) -> "RegimenCalendar":
        """Expand ``regimen`` (a catalog id) over ``weeks`` (or ``cycles``), keeping ``drug``'s rows (``None``: all)."""
        import isamm.regimens as rg

        reg = get_regimen(regimen)
        cal = reg.schedule(rg.Patient(weight_kg=_REF_WEIGHT_KG, height_cm=170.0, age_y=65.0), weeks=weeks, cycles=cycles)
        ev = rg.dose_events(cal, drugs=drug) if drug is not None else rg.dose_events(cal)
        if ev.empty:
            raise InputError(f"regimen {regimen} has no {drug} doses", option="regimen",
                             expected=f"a regimen containing {drug}", got=regimen)
        per_kg = cal.loc[cal["drug"].isin(ev["drug"].unique()), ["time_h", "drug", "dose_basis"]]
        per_kg = per_kg.assign(per_kg=per_kg["dose_basis"].astype(str).str.contains("mg/kg"))
        ev = ev.merge(per_kg[["time_h", "drug", "per_kg"]].drop_duplicates(["time_h", "drug"]), on=["time_h", "drug"],
                      how="left")
        return cls(reg.id, ev.assign(per_kg=ev["per_kg"].fillna(False).astype(bool)))

    def __call__(self, weights_kg) -> pd.DataFrame:
        """Dose events of patients ``0..len(weights_kg)−1`` (a ``patient`` column); mg/kg doses follow each weight."""
        weights = np.atleast_1d(np.asarray(weights_kg, dtype=float))
        if weights.size == 0 or not np.all(np.isfinite(weights) & (weights > 0)):
            raise InputError("invalid weight", option="weights_kg", expected="weights > 0 kg", got=weights_kg)
        ev = self.template
        scale = np.where(ev["per_kg"].to_numpy()[None, :], weights[:, None] / _REF_WEIGHT_KG, 1.0)
        n, m = weights.size, len(ev)
        out = ev.drop(columns="per_kg").iloc[np.tile(np.arange(m), n)].reset_index(drop=True)
        out["amount_mg"] = np.tile(ev["amount_mg"].to_numpy(dtype=float), n) * scale.ravel()
        out["patient"] = np.repeat(np.arange(n), m)
        return out


def regimen_events(regimen: str, weights_kg, *, weeks: int | None = None, cycles: int | None = None,
                   drug: str | None = None) -> pd.DataFrame:
    """Dose events (``isamm.regimens`` schema plus a ``patient`` column) for patients of given weights.

    Parameters
    ----------
    regimen
        A catalog id (``isamm regimen list``), e.g. ``"ISA-MONO-10-QW-Q2W"`` or ``"DARA-IV"``.
    weights_kg
        Body weight of each patient (kg); mg/kg doses scale with it.
    weeks, cycles
        Horizon of the calendar (give one).
    drug
        Keep only this drug's rows (e.g. ``"isatuximab"``); ``None`` keeps all.
    """
    weights = np.atleast_1d(np.asarray(weights_kg, dtype=float))
    if weights.size == 0 or not np.all(np.isfinite(weights) & (weights > 0)):  # before the calendar is expanded
        raise InputError("invalid weight", option="weights_kg", expected="weights > 0 kg", got=weights_kg)
    return RegimenCalendar.of(regimen, weeks=weeks, cycles=cycles, drug=drug)(weights)
