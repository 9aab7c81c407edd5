"""Domains of numeric parameters, declared once beside each signature (scikit-learn's ``_parameter_constraints``).

A function declares ``_CONSTRAINTS = {"seed": SEED, "n": Interval(int, 1, MAX_PATIENTS)}``
next to its signature and calls :func:`validate` on entry; the error names the
Python parameter, what was expected and the value as the user wrote it, and the
CLI turns the parameter into the flag as typed (``isamm.cli``). The same
objects serve the library and the command line, so a limit lives in one place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real

from isamm.errors import InputError

__all__ = ["Interval", "validate", "check_work", "SEED", "PATIENTS", "MAX_PATIENTS", "MAX_TIME_H", "MAX_OUTPUT_VALUES",
           "WEIGHT_KG"]


@dataclass(frozen=True)
class Interval:
    """A closed range of ints or floats (``None`` = unbounded), with the unit for messages."""

    kind: type
    low: float | None = None
    high: float | None = None
    unit: str = ""
    why: str = ""

    def contains(self, value) -> bool:
        if isinstance(value, bool):
            return False
        if self.kind is int:
            if not isinstance(value, Integral):
                return False
        elif not isinstance(value, Real) or not math.isfinite(value):
            return False
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def describe(self) -> str:
        what = "an integer" if self.kind is int else "a number"
        unit = f" {self.unit}" if self.unit else ""
        if self.low is not None and self.high is not None:
            text = f"{what} from {_num(self.low)} to {_num(self.high)}{unit}"
        elif self.low is not None:
            text = f"{what} >= {_num(self.low)}{unit}"
        elif self.high is not None:
            text = f"{what} <= {_num(self.high)}{unit}"
        else:
            text = what + (" (finite)" if self.kind is float else "")
        return text + (f" ({self.why})" if self.why else "")


def _num(x: float) -> str:
    return f"{x:,.0f}".replace(",", " ") if float(x).is_integer() and abs(x) >= 10_000 else f"{x:g}"


def _plain(value):
    """The value as the user wrote it: ``-5``, not ``np.int64(-5)``."""
    return value.item() if hasattr(value, "item") else value


def validate(constraints: dict[str, Interval], **values) -> None:
    """InputError for the first value outside its declared interval (``None`` = not given, not checked)."""
    for name, value in values.items():
        if value is None:
            continue
        interval = constraints[name]
        if not interval.contains(_plain(value)):
            raise InputError("out of range", option=name, expected=interval.describe(), got=_plain(value))


def check_work(n_patients: int, n_times: int, option: str) -> None:
    """Refuse an output that cannot fit in memory, with the way to split it.

    Each simulated value is kept as concentration and AUC (8 bytes each), so
    ``n_patients × n_times`` above :data:`MAX_OUTPUT_VALUES` (≈ 1.6 GB) is
    refused before any work starts.
    """
    values = int(n_patients) * int(n_times)
    if values > MAX_OUTPUT_VALUES:
        chunk = max(1, MAX_OUTPUT_VALUES // max(1, int(n_times)))
        raise InputError(f"{n_patients:,} patient(s) × {n_times:,} output times = {values:,} values "
                         f"(~{values * 16 / 1e9:.0f} GB) would not fit in memory", option=option,
                         expected=f"at most {MAX_OUTPUT_VALUES:,} values: fewer or coarser output times, or "
                                  f"runs of at most {chunk:,} patients with different seeds")


SEED = Interval(int, 0, 2**32 - 1, why="NumPy's seed range")
MAX_PATIENTS = 1_000_000
PATIENTS = Interval(int, 1, MAX_PATIENTS, why="larger populations: several runs with different seeds")
MAX_TIME_H = 50 * 8766.0      # 50 years: no antibody course or follow-up is longer
MAX_OUTPUT_VALUES = 100_000_000
WEIGHT_KG = Interval(float, 20.0, 350.0, "kg", "an adult body weight; outside it is almost surely lb or g")
