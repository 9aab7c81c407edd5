"""The regimen data-file schema (pydantic), checked when a file is loaded.

One TOML file per regimen in ``isamm/data/regimens/``. A regimen is a list of
cycle lengths and, per drug, a list of dose blocks: *which cycles*, *which
cycle days*, *how much* (mg, mg/kg or mg/m²) and optionally *for which ages*.
A new regimen is a new data file; nothing in the code names a regimen.

Cycle ranges are written ``"1"``, ``"2-4"`` or ``"5+"`` (open-ended); day lists
mix integers and inclusive ranges, ``[1, 8, "15-21"]``. Age conditions are
``"< 75"``, ``">= 75"``, ``"> 75"`` or ``"<= 75"`` (years).
"""

from __future__ import annotations

import operator
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator, model_validator

__all__ = ["CycleRange", "AgeCondition", "CycleLength", "DoseBlock", "DrugSpec", "DoseRule", "RegimenSpec"]

_CYCLES_RE = re.compile(r"^\s*(\d+)\s*(?:(\+)|-\s*(\d+))?\s*$")
_DAYS_RE = re.compile(r"^\s*(\d+)\s*-\s*(\d+)\s*$")
_AGE_RE = re.compile(r"^\s*(<=|>=|<|>)\s*(\d+(?:\.\d+)?)\s*$")
_AGE_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CycleRange(_Strict):
    """Cycles ``first``..``last`` inclusive; ``last=None`` is open-ended."""

    first: int = Field(ge=1)
    last: int | None = None

    @classmethod
    def parse(cls, text: str) -> "CycleRange":
        m = _CYCLES_RE.match(str(text))
        if not m:
            raise ValueError(f"cycle range must look like '1', '2-4' or '5+', got {text!r}")
        first = int(m.group(1))
        if m.group(2):
            return cls(first=first, last=None)
        last = int(m.group(3)) if m.group(3) else first
        if last < first:
            raise ValueError(f"cycle range {text!r} ends before it starts")
        return cls(first=first, last=last)

    def __contains__(self, cycle: int) -> bool:
        return cycle >= self.first and (self.last is None or cycle <= self.last)

    def __str__(self) -> str:
        if self.last is None:
            return f"{self.first}+"
        return str(self.first) if self.last == self.first else f"{self.first}-{self.last}"


class AgeCondition(_Strict):
    """``age_y <op> threshold_y``, e.g. ``>= 75``."""

    op: Literal["<", "<=", ">", ">="]
    threshold_y: float

    @classmethod
    def parse(cls, text: str) -> "AgeCondition":
        m = _AGE_RE.match(str(text))
        if not m:
            raise ValueError(f"age condition must look like '>= 75' or '< 75', got {text!r}")
        return cls(op=m.group(1), threshold_y=float(m.group(2)))

    def holds(self, age_y: float) -> bool:
        return _AGE_OPS[self.op](age_y, self.threshold_y)

    def __str__(self) -> str:
        return f"age {self.op} {self.threshold_y:g} y"


def _cycles(v):
    return CycleRange.parse(v) if isinstance(v, (str, int)) else v


def _age(v):
    return AgeCondition.parse(v) if isinstance(v, str) else v


class CycleLength(_Strict):
    """Length in days of the cycles in ``cycles``."""

    cycles: CycleRange
    days: int = Field(gt=0, le=84)

    _parse_cycles = field_validator("cycles", mode="before")(_cycles)

    @field_serializer("cycles")
    def _as_text(self, v):
        return str(v)


class DoseBlock(_Strict):
    """One dose given on ``days`` of every cycle in ``cycles`` (to patients matching ``when_age``)."""

    cycles: CycleRange
    days: tuple[int, ...]
    dose: float = Field(gt=0)
    unit: Literal["mg", "mg/kg", "mg/m2"]
    route: Literal["IV", "SC", "PO"] | None = None  # overrides the drug's route
    when_age: AgeCondition | None = None
    note: str = ""

    _parse_cycles = field_validator("cycles", mode="before")(_cycles)
    _parse_age = field_validator("when_age", mode="before")(_age)

    @field_serializer("cycles", "when_age")
    def _as_text(self, v):
        return None if v is None else str(v).removeprefix("age ").removesuffix(" y")

    @field_validator("unit", mode="before")
    @classmethod
    def _unit(cls, v):
        return "mg/m2" if v == "mg/m²" else v

    @field_validator("days", mode="before")
    @classmethod
    def _days(cls, v):
        if not isinstance(v, (list, tuple)) or not v:
            raise ValueError("days must be a non-empty list such as [1, 8, '15-21']")
        out: list[int] = []
        for item in v:
            if isinstance(item, bool):
                raise ValueError(f"bad day {item!r}")
            if isinstance(item, int):
                out.append(item)
                continue
            m = _DAYS_RE.match(str(item))
            if not m or int(m.group(2)) < int(m.group(1)):
                raise ValueError(f"day must be an integer or a range 'a-b', got {item!r}")
            out.extend(range(int(m.group(1)), int(m.group(2)) + 1))
        if min(out) < 1:
            raise ValueError("cycle days start at 1")
        if len(set(out)) != len(out):
            raise ValueError(f"a day is listed twice in {v!r}")
        return tuple(sorted(out))


class DrugSpec(_Strict):
    """A drug of a regimen: route, clock time, infusion, dose blocks."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    route: Literal["IV", "SC", "PO"]
    clock_h: float = Field(ge=0, lt=24)
    after: str | None = None  # start at the end of this drug's same-day infusion
    infusion_profile: Literal["isatuximab", "daratumumab_iv"] | None = None
    split_first_dose: bool = False  # daratumumab IV week-1 dose split over days 1 and 2
    infusion_h: float | None = Field(default=None, gt=0)  # fixed constant-rate infusion
    bsa_cap_m2: float | None = Field(default=None, gt=0)
    premedication: str = ""
    doses: tuple[DoseBlock, ...] = Field(min_length=1)
    note: str = ""

    @model_validator(mode="after")
    def _consistent(self):
        if self.infusion_profile and self.infusion_h:
            raise ValueError(f"{self.name}: give infusion_profile or infusion_h, not both")
        if (self.infusion_profile or self.infusion_h) and self.route != "IV":
            raise ValueError(f"{self.name}: an infusion needs route IV")
        if self.split_first_dose and self.infusion_profile != "daratumumab_iv":
            raise ValueError(f"{self.name}: split_first_dose applies to daratumumab_iv only")
        if self.bsa_cap_m2 is not None and not any(b.unit == "mg/m2" for b in self.doses):
            raise ValueError(f"{self.name}: bsa_cap_m2 given but no mg/m2 dose")
        return self


class DoseRule(_Strict):
    """Replace a fixed dose ``from_mg`` by ``to_mg`` for patients matching ``when_age``."""

    drug: str
    when_age: AgeCondition
    from_mg: float = Field(gt=0)
    to_mg: float = Field(gt=0)
    source: str = Field(min_length=1)

    _parse_age = field_validator("when_age", mode="before")(_age)

    @field_serializer("when_age")
    def _as_text(self, v):
        return str(v).removeprefix("age ").removesuffix(" y")


class RegimenSpec(_Strict):
    """A regimen data file."""

    id: str = Field(pattern=r"^[A-Z0-9]+(-[A-Z0-9]+)*$")
    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    setting: str = ""
    sources: tuple[str, ...] = Field(min_length=1)
    reference: str = ""
    max_cycles: int | None = Field(default=None, ge=1)
    unverified: tuple[str, ...] = ()
    project_choices: tuple[str, ...] = ()
    investigational: bool = False
    cycle_lengths: tuple[CycleLength, ...] = Field(min_length=1)
    drugs: tuple[DrugSpec, ...] = Field(min_length=1)
    dose_rules: tuple[DoseRule, ...] = ()
    notes: str = ""

    def cycle_length(self, cycle: int) -> int:
        """Length (days) of ``cycle``."""
        for cl in self.cycle_lengths:
            if cycle in cl.cycles:
                return cl.days
        raise ValueError(f"{self.id}: no length for cycle {cycle}")  # excluded on load

    def _horizon(self) -> int:
        """A cycle count after which nothing changes (every range is constant beyond it)."""
        bounds = [1]
        for cl in self.cycle_lengths:
            bounds += [cl.cycles.first, cl.cycles.last or 0]
        for d in self.drugs:
            for b in d.doses:
                bounds += [b.cycles.first, b.cycles.last or 0]
        return max(bounds) + 1

    @model_validator(mode="after")
    def _consistent(self):
        # Cycle lengths cover 1, 2, ... contiguously, ending open unless max_cycles.
        expected = 1
        for i, cl in enumerate(self.cycle_lengths):
            if cl.cycles.first != expected:
                raise ValueError(f"cycle_lengths must cover cycles from 1 without gaps; entry {i + 1} starts at {cl.cycles.first}")
            if cl.cycles.last is None:
                if i != len(self.cycle_lengths) - 1:
                    raise ValueError("only the last cycle_lengths entry may be open-ended")
                expected = None
                break
            expected = cl.cycles.last + 1
        if expected is not None and (self.max_cycles is None or self.max_cycles >= expected):
            raise ValueError(f"cycle_lengths end at cycle {expected - 1}: make the last one open-ended ('n+') or set max_cycles")
        names = [d.name for d in self.drugs]
        if len(set(names)) != len(names):
            raise ValueError("a drug is listed twice")
        for d in self.drugs:
            if d.after is not None and d.after not in names:
                raise ValueError(f"{d.name}: after = {d.after!r} is not a drug of this regimen")
            if d.after is not None and (d.after == d.name or self.drugs[names.index(d.after)].after is not None):
                raise ValueError(f"{d.name}: after = {d.after!r} must name a drug that is not itself 'after' another")
        for r in self.dose_rules:
            if r.drug not in names:
                raise ValueError(f"dose rule for {r.drug!r}, which is not a drug of this regimen")
        self._check_days()
        return self

    def _check_days(self) -> None:
        """Every dose day lies inside its cycle; no drug is given twice on one day (for any age)."""
        ages = {50.0}
        for d in self.drugs:
            for b in d.doses:
                if b.when_age is not None:
                    t = b.when_age.threshold_y
                    ages |= {t - 0.5, t, t + 0.5}
        last = self._horizon() if self.max_cycles is None else min(self._horizon(), self.max_cycles)
        for cycle in range(1, last + 1):
            length = self.cycle_length(cycle)
            for d in self.drugs:
                for age in ages:
                    seen: set[int] = set()
                    for b in d.doses:
                        if cycle not in b.cycles or (b.when_age and not b.when_age.holds(age)):
                            continue
                        if max(b.days) > length:
                            raise ValueError(f"{d.name}: day {max(b.days)} in cycle {cycle}, which has {length} days")
                        twice = seen & set(b.days)
                        if twice:
                            raise ValueError(f"{d.name}: cycle {cycle} day(s) {sorted(twice)} dosed twice (age {age:g} y)")
                        seen |= set(b.days)
