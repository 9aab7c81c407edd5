"""The analysis configuration of a cohort report: a small TOML file, validated on load.

Example (``examples/cohort_report/analysis.toml`` is a complete one)::

    title = "MGUS: survival and progression"
    cohort = "mgus2.csv"              # relative to this file; the CLI argument overrides it
    time_unit = "months"              # unit of the time columns (1 month = 30.4375 days)
    group = "sex"                     # KM curves, log-rank and Table 1 by this column
    landmarks = [12, 60, 120]         # survival reported at these times (time_unit)

    [endpoints.os]                    # one table per time-to-event endpoint
    label = "Overall survival"
    time = "futime"
    event = "death"                   # 1 = event, 0 = censored

    [table1]
    variables = ["age", "hgb", "sex"]

    [cox]
    covariates = ["age", "sex", "hgb"]

    [cutoff]
    marker = "hgb"
    endpoint = "os"                   # its event column is the ROC outcome
    direction = "below"               # low marker values predict the event

Every mistake (unknown key, wrong type, a reference to an undefined endpoint)
is an :class:`~isamm.errors.InputError` naming the file and the key.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from isamm._toml import load_toml
from isamm._pydantic import error_parts
from isamm.errors import InputError
from isamm.units import TIME_UNITS

__all__ = ["AnalysisConfig", "Endpoint", "load_config"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Endpoint(_Strict):
    """A time-to-event endpoint: a time column and a 0/1 event column."""

    time: str = Field(min_length=1, description="column with the time to event or censoring (time_unit)")
    event: str = Field(min_length=1, description="column with 1 = event, 0 = censored")
    label: str | None = Field(None, description="display name, e.g. 'Overall survival'")
    entry: str | None = Field(None, description="column with the delayed-entry time (left truncation)")
    event_label: str = Field("event", description="what the event is, for text: 'death', 'progression'")
    ylabel: str | None = Field(None, description="y-axis label of the KM plots (default: label), "
                               "e.g. 'Free of progression'")


class Table1Config(_Strict):
    variables: list[str] = Field(min_length=1)
    by: str | None = Field(None, description="column to split by; default the top-level `group`")
    categorical: list[str] = Field(default_factory=list, description="force these variables to be categorical")
    continuous: list[str] = Field(default_factory=list, description="force these variables to be continuous")
    labels: dict[str, str] = Field(default_factory=dict, description="display names of variables")


class CoxConfig(_Strict):
    covariates: list[str] = Field(min_length=1)
    endpoints: list[str] | None = Field(None, description="endpoint keys to model; default all")
    univariable: bool = True
    multivariable: bool = True
    categorical: list[str] = Field(default_factory=list, description="force these covariates to be categorical")
    labels: dict[str, str] = Field(default_factory=dict, description="display names of model terms, e.g. "
                                   "{sexM = 'Male (vs female)'}")


class CutoffConfig(_Strict):
    marker: str = Field(min_length=1, description="continuous marker column, e.g. haemoglobin")
    endpoint: str = Field(min_length=1, description="endpoint key whose event column is the binary outcome")
    direction: Literal["below", "above"] = "below"
    unit: str = Field("", description="unit of the marker, for labels (e.g. 'g/dL')")
    label: str | None = Field(None, description="display name of the marker")


class ResponseConfig(_Strict):
    column: str = Field(min_length=1, description="best-response column (IMWG codes sCR, CR, VGPR, PR, MR, SD, PD, NE)")
    threshold: Literal["sCR", "CR", "VGPR", "PR", "MR", "SD"] = Field(
        "PR", description="lowest category counted as a response (IMWG overall response: PR or better)")
    evaluable_only: bool = Field(False, description="leave NE patients out of the denominator")
    covariates: list[str] = Field(default_factory=list, description="ordinal (proportional-odds) regression of "
                                  "best response on these; empty: no model")
    categorical: list[str] = Field(default_factory=list, description="numeric-coded covariates to treat as factors")


class AnalysisConfig(_Strict):
    """A validated cohort-report configuration (see the module docstring for the TOML form)."""

    title: str = "Cohort report"
    cohort: Path | None = Field(None, description="cohort file, relative to the config file")
    time_unit: Literal[TIME_UNITS] = "months"  # a tuple in Literal[...] lists its values
    group: str | None = None
    landmarks: list[float] = Field(default_factory=list)
    plot_max_time: float | None = Field(None, gt=0, description="right end of the KM plots' x axis (time_unit)")
    endpoints: dict[str, Endpoint] = Field(min_length=1)
    table1: Table1Config | None = None
    cox: CoxConfig | None = None
    cutoff: CutoffConfig | None = None
    response: ResponseConfig | None = None
    source: Path | None = Field(None, exclude=True, description="where the config was read from (set by load_config)")

    @field_validator("landmarks")
    @classmethod
    def _landmarks_positive(cls, v: list[float]) -> list[float]:
        if any(not (x > 0) for x in v):
            raise ValueError("landmarks must be positive times")
        return sorted(v)

    @field_validator("endpoints")
    @classmethod
    def _keys_are_names(cls, v: dict[str, Endpoint]) -> dict[str, Endpoint]:
        for key in v:
            if not key.replace("_", "").isalnum():
                raise ValueError(f"endpoint key {key!r} must be letters, digits and '_' (it names output files)")
        return v

    def endpoint_label(self, key: str) -> str:
        return self.endpoints[key].label or key

    def columns(self) -> dict[str, str]:
        """Every cohort column the analysis uses → the config key that names it."""
        out: dict[str, str] = {}
        for key, ep in self.endpoints.items():
            out.setdefault(ep.time, f"endpoints.{key}.time")
            out.setdefault(ep.event, f"endpoints.{key}.event")
            if ep.entry:
                out.setdefault(ep.entry, f"endpoints.{key}.entry")
        if self.group:
            out.setdefault(self.group, "group")
        if self.table1:
            for v in self.table1.variables:
                out.setdefault(v, "table1.variables")
            if self.table1.by:
                out.setdefault(self.table1.by, "table1.by")
        if self.cox:
            for v in self.cox.covariates:
                out.setdefault(v, "cox.covariates")
        if self.cutoff:
            out.setdefault(self.cutoff.marker, "cutoff.marker")
        if self.response:
            out.setdefault(self.response.column, "response.column")
            for v in self.response.covariates:
                out.setdefault(v, "response.covariates")
        return out


def load_config(path: str | os.PathLike[str]) -> AnalysisConfig:
    """Read and validate an analysis TOML file.

    Parameters
    ----------
    path
        The TOML file. A relative ``cohort`` inside it is resolved against the
        file's directory.

    Raises
    ------
    InputError
        Unreadable file, invalid TOML, or an invalid key (the message names the
        file and the dotted key, e.g. ``cox.covariates``).
    """
    path = Path(path)
    raw = load_toml(path)
    try:
        cfg = AnalysisConfig.model_validate(raw)
    except ValidationError as exc:
        # a misspelt key explains the "missing" error it causes, so report it first
        msg, key, expected, got = error_parts(exc)  # a misspelt key first: it explains a "missing" one
        msg = "required key is missing" if msg == "missing key" else msg
        raise InputError(f"key {key or '(top level)'!r}: {msg}", file=str(path), expected=expected,
                         got=None if expected is None or isinstance(got, dict) else got) from None
    _check_references(cfg, path)
    cohort = cfg.cohort
    if cohort is not None and not cohort.is_absolute():
        cohort = path.parent / cohort
    return cfg.model_copy(update={"cohort": cohort, "source": path})


def _check_references(cfg: AnalysisConfig, path: Path) -> None:
    known = sorted(cfg.endpoints)
    refs = []
    if cfg.cutoff is not None:
        refs.append(("cutoff.endpoint", cfg.cutoff.endpoint))
    if cfg.cox is not None and cfg.cox.endpoints is not None:
        refs += [("cox.endpoints", key) for key in cfg.cox.endpoints]
    for where, key in refs:
        if key not in cfg.endpoints:
            raise InputError(f"key {where!r}: not a defined endpoint", file=str(path),
                             expected="one of " + ", ".join(known), got=key)
