"""The disease-model parameter file: values with unit, source, tag and role, validated once.

Shipped files (``isamm/data/disease/``, by name in :data:`SHIPPED`): ``tgi_v2`` (the default: two
populations, disease_models.md §4.1 option B) and ``tgi_v1`` (the published one-population form),
each calibrated from its ``*_start.toml``. A user passes another file of the same schema, or a
shipped name. Every parameter the engine reads must be in the file: there are no numbers in the code.
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from isamm._toml import parse_toml
from isamm._pydantic import input_error
from isamm._input import read_input_bytes
from isamm.errors import InputError

__all__ = ["DiseaseParameters", "load_parameters", "PARTNER_DRUGS", "REQUIRED", "OPTIONAL", "SHIPPED", "DEFAULT"]

#: Shipped parameter files by name (``--parameters tgi_v1`` runs the one-population form).
SHIPPED = {
    "tgi_v2": "calibrated two-population TGI (sensitive + resistant cells; disease_models.md §4.1 option B)",
    "tgi_v1": "calibrated one-population TGI (the published Claret form; disease_models.md §4.1)",
    "tgi_v2_prior": "literature starting values of the tgi_v2 calibration from scratch (uncalibrated)",
    "tgi_v1_start": "starting values of the tgi_v1 calibration (uncalibrated)",
}
#: The file used when none is given.
DEFAULT = "tgi_v2"

#: Partner drugs with a K-PD effect (disease_models.md §4.3).
PARTNER_DRUGS = ("pomalidomide", "dexamethasone", "carfilzomib", "lenalidomide", "bortezomib")

#: Every parameter the engine reads.
REQUIRED = (
    "kG", "omega_kG", "lambda_res", "omega_lambda", "omega_sens", "beta_nonigg_kG", "beta_lines_kG", "beta_hrca_kG",
    "f_resistant", "omega_f_resistant", "rho_resistant", "rho_resistant_isa", "kG_resistant_ratio",
    "emax_isa", "ec50_isa", "hill_isa", "k_bio", *(f"k_{d}" for d in PARTNER_DRUGS),
    "phi0_dara_refractory", "phi0_dara_exposed", "phi_inf_dara", "k_rec_dara", "theta_occ_dara", "kocc_dara",
    "h_nm", "gamma_burden_nm", "beta_emd_nm", "beta_hrca_nm", "h_disc_isa", "h_disc_control", "h_death_pre",
    "death_post_median_months", "death_post_shape", "beta_g_death",
    "sigma_prop", "sigma_add", "spep_lod_g_dl", "ife_lod_g_dl", "bm_pc_baseline_pct",
)  # fmt: skip

#: Parameters added after files were written: a file without one gets this value, which is the
#: model as it was before the parameter existed (files written earlier keep their meaning).
OPTIONAL = {
    "omega_sens_drug": {
        "value": 0.0, "unit": "log-SD", "tag": "project choice", "role": "fixed",
        "description": "between-patient SD of a log sensitivity multiplier of each drug of its own, on top of the "
                       "common one (0: one sensitivity for every drug)",
        "source": "disease_models.md §4.5 [PROJECT CHOICE]: a common sensitivity multiplier on every kill term; "
                  "also the value of files written before the parameter existed",
    },
}  # fmt: skip

# Parameters that may be negative (log-ratios); the others are >= 0 and some > 0.
_SIGNED = {"beta_nonigg_kG", "beta_lines_kG", "beta_hrca_kG", "beta_emd_nm", "beta_hrca_nm", "beta_g_death"}
_POSITIVE = {"ec50_isa", "hill_isa", "k_bio", "death_post_median_months", "death_post_shape", "kocc_dara",
             "spep_lod_g_dl", "ife_lod_g_dl", "bm_pc_baseline_pct", "kG_resistant_ratio"}  # fmt: skip
_FRACTIONS = {"phi0_dara_refractory", "phi0_dara_exposed", "phi_inf_dara", "theta_occ_dara", "f_resistant",
              "rho_resistant", "rho_resistant_isa"}  # fmt: skip


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Parameter(_Strict):
    value: float
    unit: str
    description: str
    tag: Literal["published", "secondary extraction", "project choice", "calibrated"]
    source: str = Field(min_length=1)
    role: Literal["calibrate", "fixed"]

    @field_validator("value")
    @classmethod
    def _finite(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError("must be a finite number")
        return v


class ModelInfo(_Strict):
    id: str
    title: str
    status: str
    reference: str


class _File(_Strict):
    model: ModelInfo
    parameters: dict[str, Parameter]
    reference_dose_rate_mg_per_day: dict[str, float]
    calibration: dict | None = None  # provenance written by `isamm trial calibrate` (next issue)


@dataclass(frozen=True)
class DiseaseParameters:
    """A validated parameter file. ``values`` maps name → value in the unit of the file."""

    model_id: str
    status: str
    values: dict[str, float]
    spec: dict  # the whole file (for reports and provenance)
    path: str
    sha256: str

    def __getitem__(self, name: str) -> float:
        return self.values[name]

    def ref_rate(self, drug: str) -> float:
        """Reference dose rate of a partner drug (mg/day)."""
        return self.spec["reference_dose_rate_mg_per_day"][drug]

    def roles(self, role: str) -> tuple[str, ...]:
        """Names of the parameters with ``role`` (``"calibrate"`` or ``"fixed"``)."""
        return tuple(n for n, p in self.spec["parameters"].items() if p["role"] == role)

    def with_values(self, **values: float) -> DiseaseParameters:
        """A copy with some values replaced (e.g. a sensitivity analysis); checked like the file."""
        unknown = sorted(set(values) - set(self.values))
        if unknown:
            raise InputError("unknown disease-model parameter", option=unknown[0], expected=", ".join(self.values))
        new = dict(self.values, **{k: float(v) for k, v in values.items()})
        _check_values(new, self.path)
        spec = dict(self.spec, parameters={n: dict(p, value=new[n]) for n, p in self.spec["parameters"].items()})
        return DiseaseParameters(self.model_id, self.status + " (values overridden)", new, spec, self.path, self.sha256)

    def to_dict(self) -> dict:
        """Provenance for outputs: id, status, file, SHA-256 and every value."""
        return {"model": self.model_id, "status": self.status, "file": self.path, "sha256": self.sha256,
                "values": dict(self.values)}  # fmt: skip


def _check_values(values: dict[str, float], path: str) -> None:
    for name, v in values.items():
        ok = math.isfinite(v) and (name in _SIGNED or (v > 0 if name in _POSITIVE else v >= 0))
        if ok and name in _FRACTIONS:
            ok = v <= 1
        if not ok:
            want = "a number in [0, 1]" if name in _FRACTIONS else ("a number > 0" if name in _POSITIVE else "a number >= 0")
            raise InputError("invalid parameter value", file=path, column=f"parameters.{name}.value", expected=want, got=v)


def load_parameters(source: str | os.PathLike[str] | DiseaseParameters | None = None) -> DiseaseParameters:
    """Load and validate a disease-model parameter file (``None``: the shipped default; a name of
    :data:`SHIPPED`: that shipped file)."""
    if isinstance(source, DiseaseParameters):
        return source
    if source is None:
        return _shipped(DEFAULT)
    if isinstance(source, str) and source in SHIPPED and not Path(source).is_file():
        return _shipped(source)
    path = Path(source)
    if not path.exists():
        raise InputError("parameter file not found", file=str(path),
                         expected="a TOML file or a shipped name (" + ", ".join(SHIPPED) + ")")
    return _parse(read_input_bytes(path, what="parameter file"), str(path))  # a regular file only


@lru_cache(maxsize=None)
def _shipped(name: str) -> DiseaseParameters:
    data = resources.files("isamm").joinpath("data", "disease", f"{name}.toml").read_bytes()
    return _parse(data, f"isamm/data/disease/{name}.toml")


def _parse(data: bytes, name: str) -> DiseaseParameters:
    raw = parse_toml(data, name)
    try:
        spec = _File.model_validate(raw)
    except ValidationError as exc:
        raise input_error(exc, file=name) from None
    missing = [p for p in REQUIRED if p not in spec.parameters]
    unknown = [p for p in spec.parameters if p not in REQUIRED and p not in OPTIONAL]
    if missing or unknown:
        key = (missing or unknown)[0]
        raise InputError("missing parameter" if missing else "unknown parameter", file=name,
                         column=f"parameters.{key}", expected="the parameters " + ", ".join((*REQUIRED, *OPTIONAL)))
    absent = [d for d in PARTNER_DRUGS if d not in spec.reference_dose_rate_mg_per_day]
    if absent:
        raise InputError("missing reference dose rate", file=name, column=f"reference_dose_rate_mg_per_day.{absent[0]}")
    bad = [d for d, v in spec.reference_dose_rate_mg_per_day.items() if not (math.isfinite(v) and v > 0)]
    if bad:
        raise InputError("invalid reference dose rate", file=name, column=f"reference_dose_rate_mg_per_day.{bad[0]}",
                         expected="a number > 0 (mg/day)")
    values = {n: p.value for n, p in spec.parameters.items()}
    _check_values(values, name)
    dumped = spec.model_dump()
    for n, default in OPTIONAL.items():
        if n not in values:
            values[n] = default["value"]
            dumped["parameters"][n] = dict(default)
    return DiseaseParameters(spec.model.id, spec.model.status, values, dumped, name,
                             hashlib.sha256(data).hexdigest())
