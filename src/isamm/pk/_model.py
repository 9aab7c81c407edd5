"""Population PK models as sourced data: loading, validation, individual parameters.

A model is a TOML file in ``isamm/data/pk/`` (parameters with value, unit,
inter-individual variability and source; covariate effects; residual error;
a virtual-population covariate distribution) plus a structural function named
by ``model.structure`` (see :mod:`isamm.pk._structural`). The file is checked by
pydantic on load; a broken file is a bug in isamm, reported as ``ValueError``.
"""

from __future__ import annotations

import math
import tomllib
from functools import lru_cache
from importlib import resources
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from isamm._table import row_numbers
from isamm._constraints import WEIGHT_KG
from isamm.errors import InputError

__all__ = ["PKModel", "load_model", "available_models", "COVARIATES", "covariate_frame"]

# Covariates a patient table may carry (binary ones are 0/1). ``igg`` and
# ``male`` are derived (1 - non_igg, 1 - female) for models that use them.
COVARIATES: dict[str, str] = {
    "weight_kg": "body weight (kg)",
    "b2m_mg_l": "serum beta2-microglobulin (mg/L)",
    "albumin_g_l": "serum albumin (g/L)",
    "non_igg": "1 = non-IgG myeloma, 0 = IgG",
    "female": "1 = female, 0 = male",
    "asian": "1 = Asian, 0 = not",
    "p2f2": "1 = isatuximab phase 3 / marketed drug material (P2F2), 0 = P1F1",
}
_BINARY = {"non_igg", "female", "asian", "p2f2"}
_DERIVED = {"igg": "non_igg", "male": "female"}


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Parameter(_Frozen):
    value: float
    unit: str
    description: str = ""
    iiv_cv_pct: float | None = Field(default=None, gt=0)
    iiv: Literal["lognormal", "normal"] | None = None
    source: str

    @model_validator(mode="after")
    def _iiv_pair(self):
        if (self.iiv_cv_pct is None) != (self.iiv is None):
            raise ValueError("give both iiv_cv_pct and iiv, or neither")
        if self.iiv == "lognormal" and self.value <= 0:
            raise ValueError("a log-normal parameter needs a positive typical value")
        return self

    @property
    def omega(self) -> float:
        """SD of the random effect: sqrt(ln(1+CV^2)) (log-normal) or value*CV (normal)."""
        if self.iiv_cv_pct is None:
            return 0.0
        cv = self.iiv_cv_pct / 100.0
        return math.sqrt(math.log1p(cv * cv)) if self.iiv == "lognormal" else abs(self.value) * cv


class CovariateEffect(_Frozen):
    parameter: str
    covariate: str
    form: Literal["power", "exp", "linear"]
    coefficient: float
    source: str


class Residual(_Frozen):
    proportional_cv: float = Field(ge=0)
    additive_ug_ml: float = Field(ge=0)
    log_sd: float = Field(ge=0)
    source: str


class Spread(_Frozen):
    median: float = Field(gt=0)
    log_sd: float = Field(ge=0)
    min: float = Field(gt=0)
    max: float = Field(gt=0)


class PopulationSpec(_Frozen):
    weight_kg: Spread
    b2m_mg_l: Spread
    albumin_g_l: Spread
    non_igg: float = Field(ge=0, le=1)
    female: float = Field(ge=0, le=1)
    asian: float = Field(ge=0, le=1)
    p2f2: float = Field(ge=0, le=1)
    source: str


class ModelInfo(_Frozen):
    id: str
    drug: str
    structure: str
    title: str
    citation: str
    doi: str
    table: str
    transcription: str
    routes: list[Literal["IV", "SC"]]
    notes: list[str] = []


class PKModel(_Frozen):
    """A population PK model: typical values, IIV, covariate effects, residual error, sources.

    Load with :func:`load_model`. Parameter values are in the units given in the
    file (L, L/h, mg/h, mg/L/h, mg/L = ug/mL, 1/h, h).
    """

    model: ModelInfo
    reference: dict[str, float]
    defaults: dict[str, float]
    parameters: dict[str, Parameter]
    covariate_effects: list[CovariateEffect]
    residual: Residual
    population: PopulationSpec

    @model_validator(mode="after")
    def _check(self):
        from isamm.pk._structural import STRUCTURES

        if self.model.structure not in STRUCTURES:
            raise ValueError(f"unknown structure {self.model.structure!r}")
        needed = STRUCTURES[self.model.structure].parameters
        missing = [p for p in needed if p not in self.parameters]
        if "SC" in self.model.routes:
            missing += [p for p in ("ka", "F") if p not in self.parameters]
        if missing:
            raise ValueError(f"structure {self.model.structure} needs parameters {missing}")
        for name in ("V1", "V2", "Vc", "Vp", "Km"):
            if name in self.parameters and self.parameters[name].value <= 0:
                raise ValueError(f"{name} must be positive")
        for key in list(self.reference) + list(self.defaults):
            if key not in COVARIATES:
                raise ValueError(f"unknown covariate {key!r}")
        for eff in self.covariate_effects:
            if eff.parameter not in self.parameters:
                raise ValueError(f"covariate effect on unknown parameter {eff.parameter!r}")
            base = _DERIVED.get(eff.covariate, eff.covariate)
            if base not in self.reference:
                raise ValueError(f"covariate {eff.covariate!r} has no reference value")
            if eff.form == "power" and base in _BINARY:
                raise ValueError(f"power effect on binary covariate {eff.covariate!r}")
        return self

    # -- convenience -------------------------------------------------------
    @property
    def id(self) -> str:
        return self.model.id

    @property
    def drug(self) -> str:
        return self.model.drug

    @property
    def random_effects(self) -> list[str]:
        """Names of the parameters with inter-individual variability, in file order."""
        return [k for k, p in self.parameters.items() if p.iiv is not None]

    @property
    def omegas(self) -> np.ndarray:
        """SDs of the random effects, in :attr:`random_effects` order (diagonal Omega)."""
        return np.array([self.parameters[k].omega for k in self.random_effects])

    @property
    def covariates(self) -> list[str]:
        """Covariates this model uses (canonical names)."""
        return list(self.reference)

    def citation_line(self) -> str:
        """Short provenance string for outputs."""
        return f"{self.model.id}: {self.model.citation} doi:{self.model.doi} ({self.model.table})"

    def individual_parameters(self, covariates: pd.DataFrame, etas: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Individual parameter arrays (length N) from a covariate table and random effects.

        Parameters
        ----------
        covariates
            One row per patient, columns from :data:`COVARIATES` (already validated,
            see :func:`covariate_frame`).
        etas
            ``[N, len(random_effects)]`` random effects (SD units of the parameter's
            own scale: log for log-normal, additive for normal); ``None`` = zeros.
        """
        n = len(covariates)
        out = {k: np.full(n, p.value, dtype=float) for k, p in self.parameters.items()}
        cov = {c: covariates[c].to_numpy(dtype=float) for c in covariates.columns}
        for derived, base in _DERIVED.items():
            if base in cov:
                cov[derived] = 1.0 - cov[base]
        ref = dict(self.reference)
        for derived, base in _DERIVED.items():
            if base in ref:
                ref[derived] = 1.0 - ref[base]
        for eff in self.covariate_effects:
            x = cov[eff.covariate]
            if eff.form == "power":
                out[eff.parameter] *= (x / ref[eff.covariate]) ** eff.coefficient
            elif eff.form == "exp":
                out[eff.parameter] *= np.exp(eff.coefficient * (x - ref[eff.covariate]))
            else:
                out[eff.parameter] *= 1.0 + eff.coefficient * (x - ref[eff.covariate])
        if etas is not None:
            etas = np.asarray(etas, dtype=float)
            for j, name in enumerate(self.random_effects):
                if self.parameters[name].iiv == "lognormal":
                    out[name] = out[name] * np.exp(etas[:, j])
                else:
                    out[name] = out[name] + etas[:, j]
        return out


def covariate_frame(model: PKModel, table: pd.DataFrame | None = None, n: int | None = None, source: str = "covariates",
                    rows=None) -> pd.DataFrame:
    """Validate a covariate table for ``model``; missing columns take the model's defaults.

    Unknown column names, non-finite values, non-positive continuous values and
    binary values other than 0/1 raise :class:`InputError` naming the row and
    column. ``rows`` numbers the rows in messages (a file's :attr:`isamm._table.Table.rows`,
    as a spreadsheet shows them); default a DataFrame's, from 1 (:func:`isamm._table.row_numbers`).
    """
    if table is None:
        table = pd.DataFrame(index=range(1 if n is None else n))
    table = table.reset_index(drop=True)
    unknown = [c for c in table.columns if c not in COVARIATES and c != "patient"]
    if unknown:
        raise InputError(
            "unknown covariate", file=source, column=str(unknown[0]), expected="one of " + ", ".join(COVARIATES)
        )
    if len(table) == 0:
        raise InputError("no patients", file=source, expected="at least one row")
    out = pd.DataFrame(index=table.index)
    for name in model.covariates:
        if name not in table.columns:
            out[name] = float(model.defaults.get(name, model.reference[name]))
            continue
        values = pd.to_numeric(table[name], errors="coerce").to_numpy(dtype=float)
        if name in _BINARY:
            ok, expected = (values == 0.0) | (values == 1.0), "0 or 1"
        elif name == "weight_kg":  # the same adult range as a dosing calendar (isamm.regimens)
            ok, expected = (values >= WEIGHT_KG.low) & (values <= WEIGHT_KG.high), WEIGHT_KG.describe()
        else:
            ok, expected = np.isfinite(values) & (values > 0), "a finite number > 0"
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            got = table[name].iloc[i]
            row = int((row_numbers(len(table), in_file=False) if rows is None else rows)[i])
            raise InputError("invalid covariate", file=source, row=row, column=name, expected=expected,
                             got=got.item() if hasattr(got, "item") else got)  # -5, not np.int64(-5)
        out[name] = values
    return out


_DATA = resources.files("isamm").joinpath("data", "pk")


@lru_cache(maxsize=None)
def _load(model_id: str) -> PKModel:
    text = _DATA.joinpath(f"{model_id}.toml").read_text(encoding="utf-8")
    return PKModel.model_validate(tomllib.loads(text))


def available_models() -> list[str]:
    """Ids of the shipped PK models."""
    files = _DATA.iterdir()
    return sorted(f.name[:-5] for f in files if f.name.endswith(".toml"))


def load_model(model_id: str) -> PKModel:
    """Load and validate a shipped model by id (e.g. ``"isatuximab_fau2020"``).

    Raises :class:`InputError` for an unknown id.
    """
    if isinstance(model_id, PKModel):
        return model_id
    known = available_models()
    if model_id not in known:
        raise InputError("unknown PK model", option="model_id", expected="one of " + ", ".join(known), got=model_id)
    return _load(model_id)
