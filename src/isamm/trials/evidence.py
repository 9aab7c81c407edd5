"""The published evidence base: trial results as reviewed YAML files, each number with its source and role.

One file per trial in ``isamm/data/evidence/`` (schema in that folder's ``README.md``). Every
published number carries its ``source`` (citation + table/page) and a ``role``:

``calibration``
    may be used to fit disease-model parameters;
``validation``
    predicted and compared, never fitted;
``reference``
    shown for context (other trials, later analyses, secondary quotations).

Roles follow ``shared/reference/calibration_targets.md`` number by number (in TED10893 the
isatuximab-monotherapy arm is ``calibration`` and the isatuximab + dexamethasone arm
``validation``). Proportions are fractions (0–1); times are in months as published (1 month =
30.4375 days where a conversion is needed), treatment duration in weeks.

>>> from isamm.trials.evidence import get_evidence, published_summary, targets
>>> get_evidence("icaria mm").id
'ICARIA-MM'
>>> published_summary("IKEMA")["hr_pfs"]["ci_level"]
0.99
>>> all(t["role"] == "validation" for t in targets("validation"))
True
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from isamm.errors import InputError

__all__ = ["ROLES", "DRUGS", "SETTINGS", "METRICS", "CAVEAT", "EvidenceTrial", "load_evidence", "load_evidence_file",
           "get_evidence", "list_evidence", "compare", "published_summary", "targets"]

ROLES = ("calibration", "validation", "reference")
DRUGS = ("isatuximab", "daratumumab", "none")
SETTINGS = ("RRMM", "NDMM")
#: Per-arm metrics, in display order; ``*_at_months`` are landmark → number mappings.
METRICS = ("orr", "vgpr_or_better", "cr_or_better", "dcr", "median_pfs_months", "median_os_months", "pfs_at_months",
           "os_at_months", "median_treatment_weeks")
PROPORTIONS = frozenset({"orr", "vgpr_or_better", "cr_or_better", "dcr", "pfs_at_months", "os_at_months"})
CAVEAT = ("Cross-trial comparison: these trials enrolled different populations (disease stage, prior lines, "
          "refractoriness, prior anti-CD38 exposure), in different eras, with different control arms, response "
          "assessment and follow-up. Side-by-side numbers are descriptive only; this is not a randomised comparison "
          "and no difference between trials should be read as a treatment effect.")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Number(_Strict):
    """One published number: a value (or "not reached"), an optional CI, its role and its source."""

    value: float | None = Field(None, ge=0, description="the published value; null when not reached")
    ci_low: float | None = Field(None, ge=0)
    ci_high: float | None = Field(None, ge=0)
    not_reached: bool = False
    greater_than: float | None = Field(None, ge=0, description="not reached: the median exceeds this (months)")
    role: Literal["calibration", "validation", "reference"]
    source: str = Field(min_length=3, description="citation + table/page (or seed file + table)")
    note: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Number:
        if self.not_reached == (self.value is not None):
            raise ValueError("give either a value or not_reached: true (not both)")
        if self.greater_than is not None and not self.not_reached:
            raise ValueError("greater_than is only for a median that was not reached")
        if (self.ci_low is None) != (self.ci_high is None) and not self.not_reached:
            raise ValueError("give both ci_low and ci_high, or neither")
        if self.ci_low is not None and self.ci_high is not None and self.ci_low > self.ci_high:
            raise ValueError(f"ci_low {self.ci_low} is above ci_high {self.ci_high}")
        if self.value is not None and self.ci_low is not None and self.ci_high is not None \
                and not self.ci_low <= self.value <= self.ci_high:  # fmt: skip
            raise ValueError(f"value {self.value} lies outside its CI {self.ci_low}–{self.ci_high}")
        return self


class Proportion(Number):
    """A proportion as a fraction (0.604 for 60.4%)."""

    value: float | None = Field(None, ge=0, le=1, description="fraction 0–1")
    ci_low: float | None = Field(None, ge=0, le=1)
    ci_high: float | None = Field(None, ge=0, le=1)


class HazardRatio(Number):
    """A hazard ratio of the first listed arm vs the second, with the confidence level of its CI."""

    value: float | None = Field(None, gt=0)
    ci_level: float | None = Field(None, gt=0, lt=1, description="e.g. 0.95, or 0.99 for IKEMA")

    @model_validator(mode="after")
    def _level(self) -> HazardRatio:
        if self.not_reached:
            raise ValueError("a hazard ratio cannot be 'not reached'")
        if (self.ci_low is not None) != (self.ci_level is not None):
            raise ValueError("a CI needs its ci_level (0.95, 0.99, ...) and a ci_level needs a CI")
        return self


def _landmarks(v: Any) -> Any:
    if not isinstance(v, dict):
        return v
    out = {}
    for k, item in v.items():
        try:
            months = float(k)
        except (TypeError, ValueError):
            raise ValueError(f"landmark {k!r} is not a number of months") from None
        if months <= 0:
            raise ValueError(f"landmark {k!r} must be positive (months)")
        out[f"{months:g}"] = item
    return out


class Results(_Strict):
    """The published results of one arm (only what was printed)."""

    orr: Proportion | None = None
    vgpr_or_better: Proportion | None = None
    cr_or_better: Proportion | None = None
    dcr: Proportion | None = None
    median_pfs_months: Number | None = None
    median_os_months: Number | None = None
    pfs_at_months: dict[str, Proportion] | None = None
    os_at_months: dict[str, Proportion] | None = None
    median_treatment_weeks: Number | None = None

    _keys = field_validator("pfs_at_months", "os_at_months", mode="before")(_landmarks)


class PriorLines(_Strict):
    median: float | None = Field(None, ge=0)
    min: int | None = Field(None, ge=0)
    max: int | None = Field(None, ge=0)
    note: str | None = None


class Subgroup(_Strict):
    """A result in the two halves of an arm split at a threshold of a baseline covariate.

    ``below`` holds the patients with covariate < ``threshold``, ``at_or_above`` the others (e.g. ORR by
    months from the last daratumumab dose, < 12 vs ≥ 12). Only covariates the trial engine simulates.
    """

    metric: Literal["orr", "vgpr_or_better", "dcr"]
    covariate: Literal["months_since_daratumumab"]
    threshold: float = Field(gt=0)
    below: Proportion
    at_or_above: Proportion


class Arm(_Strict):
    """One arm: regimen, partner drugs, baseline (where printed) and results."""

    id: str = Field(min_length=1, max_length=40)
    regimen: str = Field(min_length=1, description="regimen as published (doses, schedule)")
    partner_drugs: list[str] = Field(default_factory=list, description="drugs given with (or instead of) the antibody")
    n: int | None = Field(None, ge=1)
    prior_lines: PriorLines | None = None
    refractory: dict[str, float] | None = Field(None, description="shares (0–1) refractory to a drug or class")
    baseline_source: str | None = None
    results: Results
    subgroups: list[Subgroup] = Field(default_factory=list)

    @field_validator("refractory")
    @classmethod
    def _shares(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        for k, share in (v or {}).items():
            if not 0 <= share <= 1:
                raise ValueError(f"refractory share {k!r} = {share} is not a fraction 0–1")
        return v

    @model_validator(mode="after")
    def _sourced(self) -> Arm:
        if (self.n is not None or self.prior_lines or self.refractory) and not self.baseline_source:
            raise ValueError("n, prior_lines or refractory given without baseline_source")
        return self


class LaterAnalysis(_Strict):
    """A later data cut of the same trial (e.g. updated OS), kept apart from the main analysis."""

    analysis: str = Field(min_length=3, description="which analysis / data cut, with its follow-up")
    arms: dict[str, Results] = Field(default_factory=dict)
    hr_pfs: HazardRatio | None = None
    hr_os: HazardRatio | None = None


class EvidenceTrial(_Strict):
    """A trial's published results (one YAML file in ``isamm/data/evidence/``)."""

    id: str = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9][A-Za-z0-9+\-_.]*$")
    name: str = Field(min_length=3)
    aliases: list[str] = Field(default_factory=list)
    citations: list[str] = Field(min_length=1, description="the first is the main citation")
    nct: str | None = Field(None, pattern=r"^NCT\d{8}$")
    drug: Literal["isatuximab", "daratumumab", "none"]
    setting: Literal["RRMM", "NDMM"]
    design: str = Field(min_length=3)
    analysis: str = Field(min_length=3, description="the analysis the arm results come from")
    median_follow_up_months: float | None = Field(None, gt=0)
    arms: list[Arm] = Field(min_length=1, max_length=6)
    hr_pfs: HazardRatio | None = None
    hr_os: HazardRatio | None = None
    later_analyses: list[LaterAnalysis] = Field(default_factory=list)
    notes: str | None = None

    @model_validator(mode="after")
    def _arms(self) -> EvidenceTrial:
        ids = [a.id for a in self.arms]
        if len(set(ids)) != len(ids):
            raise ValueError(f"arm ids must be unique, got {ids}")
        has_hr = self.hr_pfs or self.hr_os or any(la.hr_pfs or la.hr_os for la in self.later_analyses)
        if has_hr and len(ids) < 2:
            raise ValueError("a hazard ratio needs two arms (first listed vs second)")
        for la in self.later_analyses:
            unknown = set(la.arms) - set(ids)
            if unknown:
                raise ValueError(f"later analysis names unknown arm(s) {sorted(unknown)}; arms are {ids}")
        return self

    @property
    def citation(self) -> str:
        return self.citations[0]

    def numbers(self):
        """Every published number: ``(analysis, arm or None, metric, landmark or None, Number)``."""
        blocks = [(self.analysis, {a.id: a.results for a in self.arms}, self.hr_pfs, self.hr_os)]
        blocks += [(la.analysis, la.arms, la.hr_pfs, la.hr_os) for la in self.later_analyses]
        for analysis, arms, hr_pfs, hr_os in blocks:
            for arm, res in arms.items():
                for metric in METRICS:
                    item = getattr(res, metric)
                    if isinstance(item, dict):
                        for t, num in sorted(item.items(), key=lambda kv: float(kv[0])):
                            yield analysis, arm, metric, t, num
                    elif item is not None:
                        yield analysis, arm, metric, None, item
            for metric, hr in (("hr_pfs", hr_pfs), ("hr_os", hr_os)):
                if hr is not None:
                    yield analysis, None, metric, None, hr

    def subgroup_numbers(self):
        """Every published subgroup number: ``(arm, Subgroup, side "below" or "at_or_above", Number)``."""
        for a in self.arms:
            for sg in a.subgroups:
                for side in ("below", "at_or_above"):
                    yield a.id, sg, side, getattr(sg, side)

    def roles(self) -> list[str]:
        present = {num.role for *_, num in self.numbers()} | {num.role for *_, num in self.subgroup_numbers()}
        return [r for r in ROLES if r in present]


def _key(name: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", str(name).upper())


def _where(loc: tuple) -> str | None:
    return ".".join(str(p) for p in loc) or None


def load_evidence_file(path: str | Path) -> EvidenceTrial:
    """Load and check one evidence file (a path or a traversable resource).

    Raises
    ------
    InputError
        Naming the file, the key path (``arms.0.results.orr.value``) and what was expected.
    """
    name = getattr(path, "name", str(path)) if not isinstance(path, (str, Path)) else str(path)
    try:
        text = path.read_text(encoding="utf-8") if hasattr(path, "read_text") else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror})", file=name) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML ({str(exc).splitlines()[0]})", file=name) from None
    if not isinstance(data, dict):
        raise InputError("not a trial", file=name, expected="a YAML mapping with id, name, citations, arms, ...",
                         got=type(data).__name__)
    try:
        return EvidenceTrial.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = _where(err["loc"])
        if err["type"] == "extra_forbidden":
            raise InputError("unknown key", file=name, column=where,
                             expected="only the keys documented in isamm/data/evidence/README.md") from None
        if err["type"] == "missing":
            raise InputError("missing key", file=name, column=where, expected="a value (see isamm/data/evidence/README.md)") from None
        msg = err["msg"].removeprefix("Value error, ")
        got = err.get("input")
        if isinstance(got, (str, int, float, bool)) and err["type"] != "value_error":
            msg += f", got {got!r}"
        raise InputError(msg, file=name, column=where) from None


def _load_dir(files) -> dict[str, EvidenceTrial]:
    trials: dict[str, EvidenceTrial] = {}
    names: dict[str, str] = {}
    for f in files:
        trial = load_evidence_file(f)
        for alias in (trial.id, *trial.aliases):
            k = _key(alias)
            if names.get(k, trial.id) != trial.id or (alias == trial.id and trial.id in trials):
                raise InputError(f"trial name {alias!r} already used by {names.get(k, trial.id)}",
                                 file=getattr(f, "name", str(f)), column="id")
            names[k] = trial.id
        trials[trial.id] = trial
    return dict(sorted(trials.items()))


@lru_cache(maxsize=1)
def _shipped() -> dict[str, EvidenceTrial]:
    folder = resources.files("isamm").joinpath("data", "evidence")
    return _load_dir(sorted((f for f in folder.iterdir() if f.name.endswith((".yaml", ".yml"))), key=lambda f: f.name))


def load_evidence(path: str | Path | None = None) -> dict[str, EvidenceTrial]:
    """All trials of the evidence base, validated, by id (sorted).

    Parameters
    ----------
    path
        ``None`` (default): the shipped files (loaded once, cached). A folder: every ``*.yaml`` in it.
        A file: that one trial.
    """
    if path is None:
        return dict(_shipped())
    p = Path(path)
    if p.is_dir():
        return _load_dir(sorted(list(p.glob("*.yaml")) + list(p.glob("*.yml"))))
    trial = load_evidence_file(p)
    return {trial.id: trial}


def get_evidence(trial_id: str) -> EvidenceTrial:
    """The trial named ``trial_id`` (case and punctuation ignored: ``"icaria mm"`` is ``ICARIA-MM``; aliases too).

    Raises
    ------
    InputError
        For an unknown id, listing the closest known ids (or all of them).
    """
    trials = _shipped()
    keys = {_key(a): t.id for t in trials.values() for a in (t.id, *t.aliases)}
    tid = keys.get(_key(trial_id))
    if tid is None:
        close = difflib.get_close_matches(_key(trial_id), list(keys), n=4, cutoff=0.5)
        ids = sorted({keys[c] for c in close}) or list(trials)
        raise InputError("unknown trial in the evidence base", option="trial_id",
                         expected=("a close match: " if close else "one of ") + ", ".join(ids), got=trial_id)
    return trials[tid]


def _check(value: str | None, allowed: tuple[str, ...], option: str) -> str | None:
    if value is None:
        return None
    for a in allowed:
        if value.lower() == a.lower():
            return a
    raise InputError(f"unknown {option}", option=option, expected="one of " + ", ".join(allowed), got=value)


def _entry(t: EvidenceTrial) -> dict:
    return {"id": t.id, "name": t.name, "drug": t.drug, "setting": t.setting, "design": t.design, "nct": t.nct,
            "arms": [a.id for a in t.arms], "n": [a.n for a in t.arms], "roles": t.roles(), "source": t.citation,
            "analysis": t.analysis}


def list_evidence(drug: str | None = None, setting: str | None = None, role: str | None = None) -> list[dict]:
    """The trials, filtered; one dict each: ``id, name, drug, setting, design, nct, arms, n, roles, source, analysis``.

    ``role`` keeps trials with at least one number of that role.
    """
    drug, setting, role = _check(drug, DRUGS, "drug"), _check(setting, SETTINGS, "setting"), _check(role, ROLES, "role")
    out = []
    for t in _shipped().values():
        if (drug and t.drug != drug) or (setting and t.setting != setting) or (role and role not in t.roles()):
            continue
        out.append(_entry(t))
    return out


_NUMBER_KEYS = ("value", "ci_low", "ci_high", "not_reached", "role", "source")


def _num(num: Number) -> dict:
    d = {k: getattr(num, k) for k in _NUMBER_KEYS}
    if isinstance(num, HazardRatio):
        d["ci_level"] = num.ci_level
    return d


def _arm_results(res: Results) -> dict:
    out = {}
    for metric in METRICS:
        item = getattr(res, metric)
        if isinstance(item, dict):
            out[metric] = {t: _num(n) for t, n in sorted(item.items(), key=lambda kv: float(kv[0]))}
        elif item is not None:
            out[metric] = _num(item)
    return out


def published_summary(trial_id: str) -> dict:
    """The main analysis of a trial, the shape the trial engine embeds as ``published``.

    ``{"trial", "source", "analysis", "arms": {arm: {metric: {value, ci_low, ci_high, not_reached, role, source}}},
    "hr_pfs": {... + ci_level} | None, "hr_os": ... | None}``; ``pfs_at_months``/``os_at_months`` map a landmark
    ("12") to such an object. Only the metrics published for an arm appear. HRs: first arm vs second.
    """
    t = get_evidence(trial_id)
    return {
        "trial": t.id,
        "source": t.citation,
        "analysis": t.analysis,
        "arms": {a.id: _arm_results(a.results) for a in t.arms},
        "hr_pfs": None if t.hr_pfs is None else _num(t.hr_pfs),
        "hr_os": None if t.hr_os is None else _num(t.hr_os),
    }


def targets(role: str) -> list[dict]:
    """Every number with ``role``, flat: ``trial, analysis, arm (None for an HR), metric, landmark_months, value,
    ci_low, ci_high, ci_level, not_reached, greater_than, role, source, subgroup`` (shipped trials, all analyses;
    ``subgroup`` is ``{covariate, threshold, side}`` for a subgroup number, else None)."""
    role = _check(role, ROLES, "role")
    out = []
    for t in _shipped().values():
        for analysis, arm, metric, landmark, num in t.numbers():
            if num.role != role:
                continue
            out.append({"trial": t.id, "analysis": analysis, "arm": arm, "metric": metric,
                        "landmark_months": None if landmark is None else float(landmark), "value": num.value,
                        "ci_low": num.ci_low, "ci_high": num.ci_high, "ci_level": getattr(num, "ci_level", None),
                        "not_reached": num.not_reached, "greater_than": num.greater_than, "role": num.role,
                        "source": num.source, "subgroup": None})  # fmt: skip
        for arm, sg, side, num in t.subgroup_numbers():
            if num.role != role:
                continue
            out.append({"trial": t.id, "analysis": t.analysis, "arm": arm, "metric": sg.metric, "landmark_months": None,
                        "value": num.value, "ci_low": num.ci_low, "ci_high": num.ci_high, "ci_level": None,
                        "not_reached": num.not_reached, "greater_than": num.greater_than, "role": num.role,
                        "source": num.source,
                        "subgroup": {"covariate": sg.covariate, "threshold": sg.threshold, "side": side}})  # fmt: skip
    return out


def _side(t: EvidenceTrial) -> dict:
    fields = ("orr", "vgpr_or_better", "median_pfs_months")
    return {
        "id": t.id, "name": t.name, "drug": t.drug, "setting": t.setting, "design": t.design, "source": t.citation,
        "analysis": t.analysis, "median_follow_up_months": t.median_follow_up_months,
        "arms": [{"id": a.id, "regimen": a.regimen, "partner_drugs": list(a.partner_drugs), "n": a.n,
                  "prior_lines": None if a.prior_lines is None else a.prior_lines.model_dump(exclude_none=True),
                  "refractory": dict(a.refractory or {}),
                  **{f: (None if getattr(a.results, f) is None else _num(getattr(a.results, f))) for f in fields}}
                 for a in t.arms],
        "hr_pfs": None if t.hr_pfs is None else _num(t.hr_pfs),
    }


def compare(id_a: str, id_b: str) -> dict:
    """Two trials side by side: arms, partner drugs, n, prior lines, refractoriness, ORR, ≥VGPR, median PFS, HR.

    Returns ``{"trials": [a, b], "caveat": CAVEAT}``. Numbers keep their role and source. The caveat is part of
    the result on purpose: these are different populations, lines, eras and follow-up, not a randomised comparison.
    """
    sides = []
    for option, trial_id in (("id_a", id_a), ("id_b", id_b)):
        try:
            sides.append(get_evidence(trial_id))
        except InputError as exc:  # say which of the two ids is unknown
            raise exc.replace(option=option) from None
    a, b = sides
    return {"trials": [_side(a), _side(b)], "caveat": CAVEAT}
