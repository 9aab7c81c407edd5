"""The patient a calendar is computed for, and body surface area."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from isamm._constraints import AGE_Y, HEIGHT_CM, WEIGHT_KG
from isamm.errors import InputError

__all__ = ["Patient", "bsa_mosteller"]

# Plausible adult ranges; outside them a value is almost surely a unit mistake (lb, m, months).
_LIMITS = {name: (d.low, d.high) for name, d in (("weight_kg", WEIGHT_KG), ("height_cm", HEIGHT_CM), ("age_y", AGE_Y))}
WEIGHT_LIMITS_KG = _LIMITS["weight_kg"]


def bsa_mosteller(height_cm: float, weight_kg: float) -> float:
    """Body surface area (m²) by Mosteller: ``sqrt(height_cm · weight_kg / 3600)``.

    Mosteller RD. Simplified calculation of body-surface area. *N Engl J Med*
    1987;317:1098. isamm's choice for every BSA-based dose (regimens.md §0,
    [PROJECT CHOICE]; the labels do not prescribe a formula).
    """
    return math.sqrt(height_cm * weight_kg / 3600.0)


class Patient(BaseModel):
    """One patient: the covariates a dosing calendar needs.

    Parameters
    ----------
    weight_kg
        Actual body weight (kg), 20–350. Weight-based doses use it for every
        cycle (the label re-measures before each cycle; give the current weight).
    height_cm
        Height (cm), 100–250; needed only for BSA-based doses (mg/m²).
    age_y
        Age (years), 18–120; dexamethasone is reduced at ≥ 75 y in some regimens.
    sex
        ``"F"`` or ``"M"`` (optional; not used by any dose rule yet).

    Raises
    ------
    InputError
        Naming the field (``option``) and the expected range.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    weight_kg: float = Field(ge=_LIMITS["weight_kg"][0], le=_LIMITS["weight_kg"][1])
    height_cm: float | None = Field(default=None, ge=_LIMITS["height_cm"][0], le=_LIMITS["height_cm"][1])
    age_y: float = Field(ge=_LIMITS["age_y"][0], le=_LIMITS["age_y"][1])
    sex: Literal["F", "M"] | None = None

    def __init__(self, **data):
        try:
            super().__init__(**data)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = str(err["loc"][0]) if err["loc"] else "patient"
            lo_hi = _LIMITS.get(field)
            expected = (
                f"a number from {lo_hi[0]:g} to {lo_hi[1]:g}" if lo_hi else "'F' or 'M'" if field == "sex" else "a valid value"
            )
            message = "missing" if err["type"] == "missing" else "out of range" if lo_hi else "invalid value"
            raise InputError(message, option=field, expected=expected, got=data.get(field)) from None

    @field_validator("sex", mode="before")
    @classmethod
    def _sex(cls, v):
        if isinstance(v, str):
            key = v.strip().lower()
            return {"f": "F", "female": "F", "m": "M", "male": "M"}.get(key, v)
        return v

    @field_validator("weight_kg", "height_cm", "age_y", mode="before")
    @classmethod
    def _finite(cls, v):
        if isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isfinite(v):
            raise ValueError("not finite")
        return v

    @property
    def bsa_m2(self) -> float:
        """Body surface area by Mosteller (m²); needs ``height_cm``."""
        if self.height_cm is None:
            raise InputError("needed for a dose in mg/m² (body surface area)", option="height_cm", expected="a height in cm")
        return bsa_mosteller(self.height_cm, self.weight_kg)
