"""Domains of numeric parameters, declared once beside each signature (scikit-learn's ``_parameter_constraints``).

A function declares its domains with :func:`constrained` (library functions and
CLI commands alike)::

    @constrained(seed=SEED, n=PATIENTS)
    def sample_patients(model, n, *, seed): ...

and they are checked on entry, before any work. The error names the Python
parameter, what was expected and the value as the user wrote it; the CLI turns
the parameter into the flag as typed (``isamm.cli.as_typed_option``). The
domains below are shared by the library and the command line, so a limit
lives in one place. :data:`REGISTRY` lists every constrained function, for the
test that generates an invalid value per parameter (``check_param_validation``).
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import math
import os
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, Callable

from isamm.errors import InputError

__all__ = ["parse_float_list", "Interval", "Each", "Dates", "constrained", "validate", "check_work", "memory_budget_bytes", "check_trial_work", "check_seconds", "SECONDS_PER_PATIENT_WEEK", "REGISTRY",
           "BYTES_PER_VALUE", "BYTES_PER_TABLE_VALUE",
           "SEED", "PATIENTS", "MAX_PATIENTS", "MAX_TIME_H", "WEIGHT_KG", "HEIGHT_CM", "AGE_Y", "B2M_MG_L",
           "ALBUMIN_G_L", "PK_WEEKS", "CALENDAR_WEEKS", "CYCLES", "STEP_H", "TIME_H", "TIMES_H", "THRESHOLD_UG_ML",
           "HORIZON_DAYS", "DAYS_AFTER_DOSE", "START_DATE", "REPLICATES", "N_PER_ARM", "FOLLOW_UP_MONTHS",
           "BUDGET_MINUTES", "N_VIRTUAL", "EVALUATIONS", "VALUES", "CYCLE_WEIGHTS_KG"]


def _plain(value):
    """The value as the user wrote it: ``-5``, not ``np.int64(-5)``."""
    return value.item() if hasattr(value, "item") and not isinstance(value, str) else value


@dataclass(frozen=True)
class Interval:
    """A range of ints or floats (``None`` = unbounded; ``low_open`` excludes ``low``), with the unit for messages."""

    kind: type
    low: float | None = None
    high: float | None = None
    unit: str = ""
    why: str = ""
    low_open: bool = False

    def contains(self, value) -> bool:
        value = _plain(value)
        if isinstance(value, bool):
            return False
        if self.kind is int:
            if not isinstance(value, Integral):
                return False
        elif not isinstance(value, Real) or not math.isfinite(value):
            return False
        above = self.low is None or (value > self.low if self.low_open else value >= self.low)
        return above and (self.high is None or value <= self.high)

    def problem(self, value):
        return None if self.contains(value) else ("out of range", _plain(value))

    def describe(self) -> str:
        what = "an integer" if self.kind is int else "a number"
        unit = f" {self.unit}" if self.unit else ""
        if self.low is not None and self.high is not None:
            text = (f"{what} > {_num(self.low)} and <= {_num(self.high)}{unit}" if self.low_open
                    else f"{what} from {_num(self.low)} to {_num(self.high)}{unit}")
        elif self.low is not None:
            text = f"{what} {'>' if self.low_open else '>='} {_num(self.low)}{unit}"
        elif self.high is not None:
            text = f"{what} <= {_num(self.high)}{unit}"
        else:
            text = what + (" (finite)" if self.kind is float else "")
        return text + (f" ({self.why})" if self.why else "")


@dataclass(frozen=True)
class Each:
    """A list of numbers, or their comma-separated text as typed, each in ``interval``; ``min_len`` to ``max_len``.

    An empty entry (``70,,66``) is an error, not skipped: a dropped value would shift every later one.
    """

    interval: Interval
    max_len: int = 100_000
    min_len: int = 1

    def problem(self, value):
        items = value.split(",") if isinstance(value, str) else value
        try:
            items = list(items)
        except TypeError:
            return "not a list of numbers", _plain(value)
        if len(items) < self.min_len or (isinstance(value, str) and not value.strip()):
            return "empty list", value
        if len(items) > self.max_len:
            return f"{len(items):,} values", f"{len(items):,}"
        for i, item in enumerate(items, start=1):
            where = f"entry {i} of {len(items)}"
            if isinstance(item, str):
                if not item.strip():
                    return f"{where} is empty", value
                try:
                    item = float(item)
                except ValueError:
                    return f"{where} is not a number", item.strip()
            if not self.interval.contains(item):
                return f"{where} out of range", _plain(item)
        return None

    def describe(self) -> str:
        return f"comma-separated values, each {self.interval.describe()}, at most {self.max_len:,} of them"


@dataclass(frozen=True)
class Dates:
    """An ISO date (``YYYY-MM-DD`` text or a ``datetime.date``) from ``low`` to ``high``."""

    low: dt.date
    high: dt.date
    why: str = ""

    def parse(self, value) -> dt.date | None:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value).strip())
        except ValueError:
            return None

    def problem(self, value):
        date = self.parse(value)
        if date is None:
            return "not a date", str(value)
        if not self.low <= date <= self.high:
            return "date out of range", str(value)
        return None

    def describe(self) -> str:
        return f"a date YYYY-MM-DD from {self.low} to {self.high}" + (f" ({self.why})" if self.why else "")


def _num(x: float) -> str:
    return f"{x:,.0f}".replace(",", " ") if float(x).is_integer() and abs(x) >= 10_000 else f"{x:g}"


def validate(constraints: dict[str, Any], **values) -> None:
    """InputError for the first value outside its declared domain (``None`` = not given, not checked)."""
    for name, value in values.items():
        if value is None:
            continue
        domain = constraints[name]
        found = domain.problem(value)
        if found is not None:
            detail, got = found
            raise InputError(detail, option=name, expected=domain.describe(), got=got)


REGISTRY: list[Callable] = []


def constrained(**constraints) -> Callable[[Callable], Callable]:
    """Declare the domains of a function's parameters and check them on every call, before the body runs."""

    def wrap(fn: Callable) -> Callable:
        sig = inspect.signature(fn)
        unknown = set(constraints) - set(sig.parameters)
        if unknown:  # a typo in a declaration fails at import, not silently at run time
            raise TypeError(f"{fn.__qualname__} has no parameter {sorted(unknown)[0]!r}")

        @functools.wraps(fn)
        def checked(*args, **kwargs):
            given = sig.bind_partial(*args, **kwargs).arguments
            validate(constraints, **{k: given[k] for k in constraints if k in given})
            return fn(*args, **kwargs)

        checked._parameter_constraints = dict(constraints)
        REGISTRY.append(checked)
        return checked

    return wrap


def memory_budget_bytes() -> int:
    """The memory one run may hold: ``ISAMM_MEMORY_GB`` (default 2 GB, within half of this machine's RAM)."""
    text = os.environ.get("ISAMM_MEMORY_GB")
    try:
        gb = float(text) if text else 2.0
    except ValueError:
        gb = 2.0
    try:
        half = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (ValueError, OSError, AttributeError):  # not POSIX
        half = None
    budget = int(gb * 1e9)
    return budget if half is None or text else min(budget, half)


def check_work(n_patients: int, n_times: int, option: str, *, bytes_per_value: int | None = None) -> None:
    """Refuse a simulation whose ``[patient, time]`` output cannot fit in :func:`memory_budget_bytes`, with the way
    to split it: metrics streamed in chunks (``isamm pk exposure``), fewer or coarser times, or fewer patients."""
    values = int(n_patients) * int(n_times)
    bytes_per_value = BYTES_PER_VALUE if bytes_per_value is None else bytes_per_value
    if values > MAX_OUTPUT_VALUES:
        raise InputError(f"{n_patients:,} patient(s) × {n_times:,} output times = {values:,} values "
                         f"would not fit in memory", option=option,
                         expected=f"at most {MAX_OUTPUT_VALUES:,} values: fewer or coarser output times, or "
                                  f"runs of at most {max(1, MAX_OUTPUT_VALUES // max(1, int(n_times))):,} patients "
                                  "with different seeds")
    need, budget = values * bytes_per_value, memory_budget_bytes()
    if need > budget:
        per_run = max(1, budget // (bytes_per_value * max(1, int(n_times))))
        raise InputError(f"{n_patients:,} patient(s) × {n_times:,} output times need ~{need / 1e9:.1f} GB, over "
                         f"the {budget / 1e9:.1f} GB budget (ISAMM_MEMORY_GB)", option=option,
                         expected=f"a smaller run: 'isamm pk exposure' for exposure metrics (it streams patients in "
                                  f"chunks), fewer or coarser output times, or runs of at most {per_run:,} patients "
                                  "with different seeds")


def check_seconds(seconds: float, option: str, advice: str) -> None:
    """Refuse a run estimated to take more than :data:`MAX_SECONDS` on one core, before it starts."""
    if seconds > MAX_SECONDS:
        raise InputError(f"this run would take about {seconds / 60:,.0f} minutes on one core", option=option,
                         expected=f"a run of at most {MAX_SECONDS / 60:.0f} minutes: {advice}")


def check_trial_work(replicates: int, patients_per_replicate: int, option: str = "replicates") -> None:
    """Refuse a virtual-trial run that would take hours (~1.5 ms per virtual patient on one core, README)."""
    total = int(replicates) * int(patients_per_replicate)
    if total > MAX_TRIAL_PATIENTS:
        hours = total * 1.5e-3 / 3600
        raise InputError(f"{replicates:,} replicate(s) × {patients_per_replicate:,} patients = {total:,} virtual "
                         f"patients would take about {hours:.0f} hours on one core", option=option,
                         expected=f"at most {MAX_TRIAL_PATIENTS:,} virtual patients per run: fewer replicates or "
                                  "fewer patients per arm, or several runs with different seeds", see="n_per_arm")


# -- the domains, one place each ----------------------------------------------------------------
BYTES_PER_VALUE = 32            # peak per patient × time of `pk simulate` (arrays and band; 27 measured)
BYTES_PER_TABLE_VALUE = 100     # the same with the long table of `-o` (99 measured, 4,000 patients × 1,457 times)
MAX_OUTPUT_VALUES = 100_000_000
MAX_TRIAL_PATIENTS = 2_000_000  # ~50 min of virtual patients on one core
MAX_SECONDS = 30 * 60           # longer runs are refused with the way to split them
SECONDS_PER_PATIENT_WEEK = 4e-5  # PK integration (numpy): 4,000 patients × 52 weeks in 8 s
MAX_PATIENTS = 1_000_000
MAX_TIME_H = 50 * 8766.0        # 50 years: no antibody course or follow-up is longer

SEED = Interval(int, 0, 2**32 - 1, why="NumPy's seed range")
PATIENTS = Interval(int, 1, MAX_PATIENTS, why="larger populations: several runs with different seeds")
WEIGHT_KG = Interval(float, 20.0, 350.0, "kg", "an adult body weight; outside it is almost surely lb or g")
HEIGHT_CM = Interval(float, 100.0, 250.0, "cm", "an adult height; outside it is almost surely m or inches")
AGE_Y = Interval(float, 18.0, 120.0, "years", "an adult age")
B2M_MG_L = Interval(float, 0.5, 100.0, "mg/L", "serum beta2-microglobulin; 1 mg/L = 84.7 nmol/L")
ALBUMIN_G_L = Interval(float, 10.0, 70.0, "g/L", "serum albumin; a value below 10 is probably g/dL")
PK_WEEKS = Interval(int, 1, 520, "weeks", "a dosing calendar of up to 10 years")
CALENDAR_WEEKS = Interval(int, 1, 1040, "weeks", "up to 20 years")
CYCLES = Interval(int, 1, 260, "cycles", "up to 20 years of 28-day cycles")
STEP_H = Interval(float, 0.01, 8766.0, "h", "from 36 s to a year")
TIME_H = Interval(float, 0.0, MAX_TIME_H, "h", "50 years")
TIMES_H = Each(TIME_H)
THRESHOLD_UG_ML = Interval(float, 0.0, 10_000.0, "µg/mL", low_open=True)
HORIZON_DAYS = Interval(float, 0.0, 3652.5, "days", "10 years after the last dose", low_open=True)
DAYS_AFTER_DOSE = Interval(float, 0.0, 3652.5, "days", "within 10 years of the last dose")
START_DATE = Dates(dt.date(1900, 1, 1), dt.date(2199, 12, 31), "a treatment date")
REPLICATES = Interval(int, 1, 10_000, "replicate trials")
N_PER_ARM = Interval(int, 1, 100_000, "patients per arm")
FOLLOW_UP_MONTHS = Interval(float, 0.0, 240.0, "months", "data cut-off after the first patient", low_open=True)
BUDGET_MINUTES = Interval(float, 0.0, 1440.0, "minutes", "at most a day", low_open=True)
N_VIRTUAL = Interval(int, 20, 20_000, "virtual patients per arm")
EVALUATIONS = Interval(int, 1, 100_000, "objective evaluations")
VALUES = Each(Interval(float), max_len=20)
CYCLE_WEIGHTS_KG = Each(WEIGHT_KG, max_len=260)


def parse_float_list(text: str, option: str) -> list[float]:
    """Parse ``"1,2.5,10"`` into floats, with an InputError naming the option.

    An empty entry (``70,,66`` or a trailing comma) is an error, not skipped:
    a dropped value would shift every later one (the weight of cycle 3 used
    for cycle 2).
    """
    out = []
    parts = text.split(",")
    for i, part in enumerate(parts, start=1):
        part = part.strip()
        if not part and text.strip():
            raise InputError(f"entry {i} of {len(parts)} is empty", option=option,
                             expected="comma-separated numbers without empty entries", got=text)
        if not part:
            continue
        try:
            out.append(float(part))
        except ValueError:
            raise InputError("not a number", option=option, expected="comma-separated numbers", got=part) from None
    if not out:
        raise InputError("empty list", option=option, expected="comma-separated numbers", got=text)
    return out
