"""Trial definitions: user-editable YAML files validated with pydantic.

Shipped trials are in ``isamm/data/trials/`` (one file each; schema in the README, "Virtual
trials"). A user copies one, changes a regimen, a dose, n or the population, and runs it with
``isamm trial run path/to/trial.yaml``. Every mistake is an :class:`InputError` naming the
file, the key and what was expected.
"""

from __future__ import annotations

import os
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from isamm._constraints import FOLLOW_UP_MONTHS, N_PER_ARM, validate
from isamm._ids import catalog_key
from isamm._pydantic import input_error
from isamm._input import read_input_bytes
from isamm.errors import InputError
from isamm.population import BaselineSpec

__all__ = ["Arm", "TrialSpec", "load_trial", "list_trials", "parse_trial", "get_regimen"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def get_regimen(regimen: str):
    """A catalog regimen by id, or a regimen data file (``*.toml``, the catalog's schema) by path."""
    import isamm.regimens as rg

    if regimen.lower().endswith(".toml"):
        path = Path(regimen)
        if not path.is_file():
            raise InputError("regimen file not found", file=regimen, expected="a regimen TOML file (catalog schema)")
        return rg.load_regimen_file(path)
    return rg.get(regimen)


class Arm(_Strict):
    """One arm: a label, a regimen (catalog id or a regimen TOML file), its size and its randomisation weight."""

    id: str = Field(min_length=1, max_length=40)
    regimen: str = Field(description="regimen id from the catalog (isamm regimens list) or a regimen .toml file, "
                                     "relative to the trial file")
    n: int = Field(ge=1, le=100_000)
    ratio: float = Field(1.0, gt=0, description="randomisation weight (e.g. 3 and 2 for 3:2)")
    description: str = ""

    @field_validator("regimen")
    @classmethod
    def _known(cls, v: str) -> str:
        try:
            reg = get_regimen(v)
        except InputError as exc:
            if v.lower().endswith(".toml"):
                raise ValueError(f"regimen file: {exc}") from None
            raise ValueError(f"unknown regimen {v!r}: {exc.expected}") from None
        return v if v.lower().endswith(".toml") else reg.id


class Eligibility(_Strict):
    """Inclusion criteria that shape the simulated population."""

    serum_m_min_g_dl: float = Field(0.5, gt=0, le=5, description="measurable disease: serum M-protein (g/dL)")


class TrialSpec(_Strict):
    """A virtual trial (README, "Virtual trials": every key and its unit)."""

    id: str = Field(min_length=1, max_length=60)
    name: str
    sources: list[str] = Field(min_length=1)
    evidence: str | None = Field(None, description="id of the trial's published results in the evidence base")
    setting: str = "RRMM"
    arms: list[Arm] = Field(min_length=1, max_length=6)
    population: BaselineSpec
    eligibility: Eligibility = Eligibility()
    assessment_interval_days: float = Field(28.0, ge=7, le=182)
    accrual_months: float = Field(ge=0, le=120)
    data_cutoff_months: float = Field(gt=0, le=240, description="data cut-off, months after the first patient started")
    response: dict[str, Any] = Field(default_factory=dict, description="IMWG engine settings (isamm.response)")
    notes: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self):
        ids = [a.id for a in self.arms]
        if len(set(ids)) != len(ids):
            raise ValueError(f"arm ids must be unique, got {ids}")
        if self.data_cutoff_months <= self.accrual_months:
            raise ValueError("data_cutoff_months must be later than the end of accrual (accrual_months)")
        n_total, r_total = sum(a.n for a in self.arms), sum(a.ratio for a in self.arms)
        for a in self.arms:
            share_n, share_r = a.n / n_total, a.ratio / r_total
            if abs(share_n - share_r) > 0.05:
                raise ValueError(f"arm {a.id!r}: n = {a.n} is {share_n:.0%} of the trial but its randomisation "
                                 f"ratio gives {share_r:.0%}; the ratios and arm sizes must agree (within 5 points)")
        if self.population.serum_m_g_dl.max <= self.eligibility.serum_m_min_g_dl:
            raise ValueError("population.serum_m_g_dl.max must exceed eligibility.serum_m_min_g_dl")
        from isamm.response import load_config

        try:
            cfg = load_config(self.response)
        except InputError as exc:
            raise ValueError(f"response: {exc}") from None
        # a simulated visit above the IMWG reader's plausible range is reported at that limit, so a baseline
        # beyond it would be changed silently
        if self.population.serum_m_g_dl.max > cfg.serum_m_max_g_dl:
            raise ValueError(f"population.serum_m_g_dl.max must be at most {cfg.serum_m_max_g_dl:g} g/dL "
                             "(the IMWG engine's serum_m_max_g_dl)")
        return self

    def with_overrides(self, *, n_per_arm: int | None = None, follow_up_months: float | None = None) -> TrialSpec:
        """A copy with every arm's n and/or the data cut-off replaced (validated again)."""
        data = self.model_dump()
        if n_per_arm is not None:
            validate({"n_per_arm": N_PER_ARM}, n_per_arm=n_per_arm)
            for a in data["arms"]:
                a["n"] = n_per_arm
                a["ratio"] = 1.0
        if follow_up_months is not None:
            validate({"follow_up_months": FOLLOW_UP_MONTHS}, follow_up_months=follow_up_months)
            if not follow_up_months > self.accrual_months:
                raise InputError("data cut-off before the end of accrual", option="follow_up_months",
                                 expected=f"more months than the accrual ({self.accrual_months:g})",
                                 got=follow_up_months)
            data["data_cutoff_months"] = float(follow_up_months)
        return TrialSpec.model_validate(data)


def _parse(text: str, name: str, folder: Path | None = None) -> TrialSpec:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise InputError(f"not valid YAML{where}: {getattr(exc, 'problem', exc)}", file=name) from None
    if not isinstance(raw, dict):
        raise InputError("a trial file is a YAML mapping of keys", file=name, expected="id, name, arms, population, ...")
    if folder is not None and isinstance(raw.get("arms"), list):  # regimen files relative to the trial file
        for arm in raw["arms"]:
            reg = arm.get("regimen") if isinstance(arm, dict) else None
            if isinstance(reg, str) and reg.lower().endswith(".toml") and not Path(reg).is_absolute():
                arm["regimen"] = str(folder / reg)
    try:
        return TrialSpec.model_validate(raw)
    except ValidationError as exc:
        raise input_error(exc, file=name) from None


def parse_trial(text: str, name: str = "trial.yaml") -> TrialSpec:
    """A trial definition from YAML text (e.g. edited in ``isamm studio``); errors name ``name`` and the key."""
    return _parse(text, name)


@lru_cache(maxsize=1)
def _shipped() -> dict[str, TrialSpec]:
    out = {}
    folder = resources.files("isamm").joinpath("data", "trials")
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith((".yaml", ".yml")):
            spec = _parse(entry.read_text(encoding="utf-8"), f"isamm/data/trials/{entry.name}")
            out[catalog_key(spec.id)] = spec
    return out


def list_trials() -> list[TrialSpec]:
    """The shipped trial definitions, sorted by id."""
    return sorted(_shipped().values(), key=lambda s: s.id)


def load_trial(source: str | os.PathLike[str] | TrialSpec) -> TrialSpec:
    """A shipped trial by id (case- and punctuation-insensitive) or a YAML file path."""
    if isinstance(source, TrialSpec):
        return source
    text = str(source)
    if text.lower().endswith((".yaml", ".yml")) or os.sep in text or Path(text).exists():
        path = Path(text)
        if path.is_dir():
            raise InputError("is a folder, not a file", file=text, expected="a YAML trial definition")
        if not path.exists():
            raise InputError("trial file not found", file=text, expected="a YAML file or a shipped trial id")
        try:
            body = read_input_bytes(path, name=text, what="trial file").decode("utf-8")
        except UnicodeDecodeError:
            raise InputError("not a UTF-8 text file", file=text, expected="a YAML trial definition") from None
        return _parse(body, text, path.resolve().parent)
    spec = _shipped().get(catalog_key(text))
    if spec is None:
        raise InputError("unknown trial", option="trial", expected="a YAML file or one of "
                         + ", ".join(s.id for s in list_trials()), got=text)  # fmt: skip
    return spec
