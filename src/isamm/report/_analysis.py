"""Running the statistics a cohort report asks for, with :mod:`isamm.outcomes`.

This is the only module of :mod:`isamm.report` that calls the statistics; it
computes nothing itself. Its output, :class:`CohortAnalysis`, holds the
``isamm.outcomes`` result objects that the figures, the HTML and
``results.json`` are all drawn from — so the three always agree.
"""

from __future__ import annotations

from contextlib import contextmanager

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from isamm import outcomes
from isamm.cohort import read_cohort
from isamm.errors import InputError, ModelError
from isamm.report._config import AnalysisConfig

__all__ = ["CohortAnalysis", "EndpointAnalysis", "CutoffAnalysis", "NotEstimable", "run_analysis",
           "read_configured_cohort"]


@dataclass(frozen=True)
class NotEstimable:
    """A model that could not be fitted (e.g. no events in one group): reported, not fatal.

    Like R, which fits the other models and warns about this one, the report goes on
    and says why this model has no estimate.
    """

    covariates: tuple[str, ...]
    reason: str

    def to_dict(self) -> dict:
        return {"covariates": list(self.covariates), "error": self.reason}


@dataclass
class EndpointAnalysis:
    key: str
    label: str
    km: object                      # KMResult, whole cohort
    km_by_group: object | None      # KMResult by config.group
    logrank: object | None          # LogrankResult by config.group
    cox_univariable: list = field(default_factory=list)   # one CoxResult per covariate
    cox_multivariable: object | None = None
    zph: pd.DataFrame | None = None  # cox.zph of the multivariable model: term, chisq, df, p
    follow_up: object | None = None  # reverse Kaplan–Meier (censoring as the event) KMResult


@dataclass
class CutoffAnalysis:
    endpoint: str
    roc: object                     # CutoffResult
    group_column: str               # derived column, e.g. "hgb < 11.85"
    labels: tuple[str, str]         # (low group, high group)
    km: object
    logrank: object
    cox: object


@dataclass
class CohortAnalysis:
    config: AnalysisConfig
    cohort_file: Path
    sha256: str
    frame: pd.DataFrame
    table1: object | None = None
    response: object | None = None
    response_model: object | None = None  # OrdinalResult (or NotEstimable) of best response on covariates
    n_not_evaluable: int = 0              # NE patients left out of that model
    response_by_group: dict = field(default_factory=dict)  # group label → ORRResult
    response_test: object | None = None   # FisherResult (2 groups) or ChisqResult: responders × group
    endpoints: dict[str, EndpointAnalysis] = field(default_factory=dict)
    cutoff: CutoffAnalysis | None = None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class _Numbered:
    """A table of the cohort file with each row's number in it (``rows``) and the file's name (``source``):
    what the statistics are given, so that an error inside one names the row where the user finds it,
    also in a subset (NE patients left out, a missing marker dropped)."""

    data: pd.DataFrame
    rows: tuple[int, ...]
    source: str

    def __getitem__(self, column: str) -> pd.Series:
        return self.data[column]

    def subset(self, keep) -> "_Numbered":
        keep = np.asarray(keep, dtype=bool)
        return _Numbered(self.data[keep].reset_index(drop=True), tuple(np.asarray(self.rows)[keep]), self.source)

    def assign(self, **columns) -> "_Numbered":
        return _Numbered(self.data.assign(**columns), self.rows, self.source)


def _numbered(cohort: Path, **columns) -> _Numbered:
    c = read_cohort(cohort, **columns)
    return _Numbered(c.data, c.rows, cohort.name)


def read_configured_cohort(cfg: AnalysisConfig, cohort: Path) -> pd.DataFrame:
    """Read the cohort file and check that every column the config names exists."""
    frame = read_cohort(cohort).data
    missing = [(col, key) for col, key in cfg.columns().items() if col not in frame.columns]
    if missing:
        col, key = missing[0]
        src = cfg.source.name if cfg.source else "the config"
        raise InputError(f"column named by {src} key {key!r} not found", file=cohort.name, column=col,
                         expected="one of " + ", ".join(map(str, frame.columns)))
    return frame


def run_analysis(cfg: AnalysisConfig, cohort: Path) -> CohortAnalysis:
    """Run every analysis the config asks for; return the result objects."""
    cohort = Path(cohort)
    frame = read_configured_cohort(cfg, cohort)
    numbered = _numbered(cohort)
    out = CohortAnalysis(config=cfg, cohort_file=cohort, sha256=_sha256(cohort), frame=frame)
    if cfg.table1 is not None:
        by = cfg.table1.by or cfg.group
        with _section(cfg, "table1", cohort):
            out.table1 = outcomes.table1(numbered, by=by, variables=cfg.table1.variables,
                                         categorical=cfg.table1.categorical or None,
                                         continuous=cfg.table1.continuous or None)
    with _section(cfg, "response", cohort):
        _run_response(cfg, cohort, numbered, out)
    for key, ep in cfg.endpoints.items():
        # row-by-row checks of this endpoint's columns (event 0/1, time >= 0, entry < exit), naming file and row
        data = _numbered(cohort, time=ep.time, event=ep.event, entry=ep.entry)
        with _section(cfg, f"endpoints.{key}", cohort):
            out.endpoints[key] = _run_endpoint(cfg, key, data)
    if cfg.cutoff is not None:
        ep = cfg.endpoints[cfg.cutoff.endpoint]
        data = _numbered(cohort, time=ep.time, event=ep.event, entry=ep.entry)
        with _section(cfg, "cutoff", cohort):
            out.cutoff = _run_cutoff(cfg, data)
    return out


@contextmanager
def _section(cfg: AnalysisConfig, key: str, cohort: Path):
    """An InputError inside one analysis names the cohort file and the config section that asked for it
    (the library names its own parameters, which mean nothing to the author of a config)."""
    try:
        yield
    except InputError as exc:
        src = cfg.source.name if cfg.source else "the config"
        raise InputError(f"[{key}] of {src}: {exc.detail}", file=cohort.name if exc.file in (None, "<DataFrame>")
                         else exc.file, row=exc.row, column=exc.column, expected=exc.expected, got=exc.got) from None


def _run_response(cfg: AnalysisConfig, cohort: Path, numbered: _Numbered, out) -> None:
    if cfg.response is not None:
        r = cfg.response
        out.response = outcomes.orr(numbered[r.column], threshold=r.threshold, evaluable_only=r.evaluable_only,
                                    source=cohort.name, column=r.column, rows=numbered.rows)
        if r.covariates:
            out.response_model, out.n_not_evaluable = _run_ordinal(cfg, numbered)
        if cfg.group:
            out.response_by_group, out.response_test = _response_by_group(cfg, numbered.data)


def _response_by_group(cfg: AnalysisConfig, frame: pd.DataFrame):
    """ORR per group and the test of responders × group (seed 004: Fisher for 2×2, Pearson χ² otherwise)."""
    r = cfg.response
    data = frame[frame[cfg.group].notna()]
    levels = outcomes.r_levels(data[cfg.group])  # R factor order
    by = {outcomes.r_label(g): outcomes.orr(data.loc[data[cfg.group] == g, r.column], threshold=r.threshold,
                               evaluable_only=r.evaluable_only) for g in levels}
    table = [[res.orr.k for res in by.values()], [res.orr.n - res.orr.k for res in by.values()]]
    if len(by) < 2 or min(sum(row) for row in table) == 0:
        return by, None  # one group, or nobody (or everybody) responded: no test
    test = outcomes.association_test(table)
    return by, test


def _run_ordinal(cfg: AnalysisConfig, frame: _Numbered):
    r = cfg.response
    # NE has no place on the response scale (IMWG): left out of the ordered outcome, and counted
    ne = frame[r.column].astype(str).str.strip().str.upper() == "NE"
    try:
        model = outcomes.ordinal_logit(frame.subset(~ne), r.column, r.covariates,
                                       categorical=[c for c in r.categorical if c in r.covariates] or None)
    except ModelError as exc:
        model = NotEstimable(tuple(r.covariates), str(exc))
    return model, int(ne.sum())


def _km(data, ep, landmarks, group: str | None = None):
    entry = data[ep.entry] if ep.entry else None
    return outcomes.kaplan_meier(data[ep.time], data[ep.event], entry=entry, at=landmarks,
                                 group=None if group is None else data[group])


def _run_endpoint(cfg: AnalysisConfig, key: str, data: _Numbered) -> EndpointAnalysis:
    ep = cfg.endpoints[key]
    km = _km(data, ep, cfg.landmarks)
    km_g = None
    if cfg.group:
        # like R survfit(Surv(t, e) ~ g), patients with a missing group are left out of the comparison
        km_g = _km(data.subset(data[cfg.group].notna()), ep, cfg.landmarks, cfg.group)
    # median follow-up by the reverse Kaplan–Meier method (Schemper & Smith, Control Clin Trials 1996;17:343)
    entry = data[ep.entry] if ep.entry else None
    follow_up = outcomes.kaplan_meier(data[ep.time], 1 - data[ep.event], entry=entry)
    ea = EndpointAnalysis(key=key, label=cfg.endpoint_label(key), km=km, km_by_group=km_g,
                          logrank=None if km_g is None else km_g.logrank, follow_up=follow_up)
    if cfg.cox is not None and (cfg.cox.endpoints is None or key in cfg.cox.endpoints):
        if cfg.cox.univariable:
            ea.cox_univariable = [_cox(cfg, data, ep, [c]) for c in cfg.cox.covariates]
        if cfg.cox.multivariable and len(cfg.cox.covariates) > 1:
            ea.cox_multivariable = _cox(cfg, data, ep, cfg.cox.covariates)
            if not isinstance(ea.cox_multivariable, NotEstimable):
                ea.zph = ea.cox_multivariable.zph()
    return ea


def _cox(cfg: AnalysisConfig, data: _Numbered, ep, covariates: list[str], categorical=None):
    categorical = categorical if categorical is not None else [c for c in cfg.cox.categorical if c in covariates]
    try:
        return outcomes.cox(data, time=ep.time, event=ep.event, covariates=covariates, entry=ep.entry,
                            categorical=categorical or None)
    except ModelError as exc:
        return NotEstimable(tuple(covariates), str(exc))


def _run_cutoff(cfg: AnalysisConfig, data: _Numbered) -> CutoffAnalysis:
    c = cfg.cutoff
    ep = cfg.endpoints[c.endpoint]
    roc = outcomes.roc_cutoff(data[c.marker], data[ep.event], direction=c.direction)
    value = float(roc.cutoff)
    name = c.label or c.marker
    unit = f" {c.unit}" if c.unit else ""
    low, high = f"{name} < {value:.4g}{unit}", f"{name} ≥ {value:.4g}{unit}"
    # the group the marker flags as "at risk" first, so the HR reads like the seed's "Hb < 11.8: HR 3.5"
    at_risk, reference = (low, high) if c.direction == "below" else (high, low)
    marker = data[c.marker]
    group_column = f"{name} cut-off"
    # R factor with the reference level first, so the Cox term is "at risk vs reference"
    groups = pd.Categorical(np.where(marker < value, low, high), categories=[reference, at_risk])
    grouped = data.assign(**{group_column: groups}).subset(marker.notna())
    km = _km(grouped, ep, cfg.landmarks, group_column)
    try:
        cx = outcomes.cox(grouped, time=ep.time, event=ep.event, covariates=[group_column], entry=ep.entry)
    except ModelError as exc:
        cx = NotEstimable((group_column,), str(exc))
    return CutoffAnalysis(endpoint=c.endpoint, roc=roc, group_column=group_column, labels=(at_risk, reference),
                          km=km, logrank=km.logrank, cox=cx)
