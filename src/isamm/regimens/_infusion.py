"""Infusion rate profiles: fixed-volume isatuximab and daratumumab IV escalation.

A profile is a list of ``(duration_h, rate_ml_per_h)`` steps. The drug input
rate during a step is ``dose_mg · rate_ml_per_h / volume_ml`` (the whole dose
is in the bag), so the PK engine can integrate the exact piecewise-constant
input and step onto every rate change.

Sources (see ``shared/reference/regimens.md`` §1 and §4.1):

* Isatuximab: fixed 250 mL volume; 1st infusion 25 mL/h for 60 min then
  +25 mL/h every 30 min to 150 mL/h (200 min); 2nd infusion 50 mL/h for
  30 min, 100 mL/h for 30 min, then 200 mL/h (112.5 min, the rule that gives
  the published 113 min); 3rd and later 200 mL/h (75 min). Sarclisa US label
  "Infusion rates"; Frampton 2021 (seed 002) sect. 6–7 (durations 200, 113,
  75 min). Counting of infusions is per course of isatuximab [PROJECT CHOICE].
* Daratumumab IV: Darzalex label table: 1st infusion (16 mg/kg) 1000 mL,
  50 mL/h +50 mL/h every hour to 200 mL/h (6.5 h); split first dose (8 mg/kg on
  days 1 and 2) 500 mL each, same escalation (4.0 h); 2nd infusion (the week-2
  dose, also after a split) 500 mL, same (4.0 h);
  3rd and later 500 mL, 100 mL/h +50 mL/h every hour to 200 mL/h (3.25 h).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "InfusionProfile",
    "isatuximab_profile",
    "daratumumab_iv_profile",
    "escalating_profile",
    "infusion_profile_label",
    "profile_from_label",
    "PROFILE_FAMILIES",
]


@dataclass(frozen=True)
class InfusionProfile:
    """A piecewise-constant infusion: ``steps`` of ``(duration_h, rate_ml_per_h)`` for ``volume_ml``."""

    volume_ml: float
    steps: tuple[tuple[float, float], ...]
    source: str

    @property
    def duration_h(self) -> float:
        """Total infusion duration (h)."""
        return sum(d for d, _ in self.steps)

    def dose_fractions(self) -> tuple[float, ...]:
        """Fraction of the dose delivered in each step (sums to 1)."""
        return tuple(d * r / self.volume_ml for d, r in self.steps)

    def __post_init__(self) -> None:
        delivered = sum(d * r for d, r in self.steps)
        if abs(delivered - self.volume_ml) > 1e-9 * self.volume_ml:
            raise ValueError(f"profile delivers {delivered} mL, not {self.volume_ml} mL")


def escalating_profile(
    volume_ml: float,
    start_ml_h: float,
    first_step_h: float,
    increment_ml_h: float,
    step_h: float,
    max_ml_h: float,
    source: str,
    increments: tuple[float, ...] | None = None,
) -> InfusionProfile:
    """Build an escalating profile: ``start`` for ``first_step_h``, then +increment every ``step_h`` up to ``max``.

    ``increments`` overrides the constant increment for the successive steps
    (used for the isatuximab 2nd infusion: +50 then +100 mL/h). The last step
    is shortened so that exactly ``volume_ml`` is infused.
    """
    steps: list[tuple[float, float]] = []
    remaining = volume_ml
    rate = start_ml_h
    duration = first_step_h
    k = 0
    while remaining > 1e-12:
        if rate >= max_ml_h:
            rate = max_ml_h
            duration = float("inf")
        take = min(duration, remaining / rate)
        steps.append((take, rate))
        remaining -= take * rate
        inc = increments[k] if increments is not None and k < len(increments) else increment_ml_h
        rate = min(rate + inc, max_ml_h)
        duration = step_h
        k += 1
    return InfusionProfile(volume_ml=volume_ml, steps=tuple(steps), source=source)


_ISA_SOURCE = "Sarclisa US label, infusion rates (fixed 250 mL); Frampton 2021 Target Oncol (seed 002) sect. 6-7"
_ISA_PROFILES = (
    escalating_profile(250.0, 25.0, 1.0, 25.0, 0.5, 150.0, _ISA_SOURCE),
    escalating_profile(250.0, 50.0, 0.5, 50.0, 0.5, 200.0, _ISA_SOURCE, increments=(50.0, 100.0)),
    InfusionProfile(250.0, ((1.25, 200.0),), _ISA_SOURCE),
)


def isatuximab_profile(infusion_number: int) -> InfusionProfile:
    """Fixed-volume (250 mL) isatuximab IV profile for the n-th infusion of a course (1-based).

    Durations without infusion reactions: 200 min (1st), 112.5 min (2nd), 75 min (3rd+).
    """
    if infusion_number < 1:
        raise ValueError("infusion_number is 1-based")
    return _ISA_PROFILES[min(infusion_number, 3) - 1]


_DARA_SOURCE = "Darzalex (daratumumab) US label, infusion rates table (regimens.md sect. 4.1)"


def daratumumab_iv_profile(infusion_number: int, split_first_dose: bool = False) -> InfusionProfile:
    """Daratumumab IV profile for the n-th infusion of a course (1-based), per the label table.

    Without a split: 1st 1000 mL (6.5 h); 2nd 500 mL (4.0 h); 3rd+ 500 mL from
    100 mL/h (3.25 h). With the week-1 dose split over days 1 and 2
    (``split_first_dose``), infusions 1 and 2 are the two 8 mg/kg halves
    (500 mL, 4.0 h each), infusion 3 (week 2) is the label's "second infusion"
    (500 mL, 4.0 h) and infusions 4+ are "subsequent infusions" (3.25 h).
    """
    if infusion_number < 1:
        raise ValueError("infusion_number is 1-based")
    label_number = infusion_number - 1 if split_first_dose and infusion_number >= 2 else infusion_number
    if label_number == 1 and not split_first_dose:
        return escalating_profile(1000.0, 50.0, 1.0, 50.0, 1.0, 200.0, _DARA_SOURCE)
    if label_number <= 2:
        return escalating_profile(500.0, 50.0, 1.0, 50.0, 1.0, 200.0, _DARA_SOURCE)
    return escalating_profile(500.0, 100.0, 1.0, 50.0, 1.0, 200.0, _DARA_SOURCE)


# Profiles by a short, human-readable label; the calendar stores the label, dose_events resolves it.
PROFILE_FAMILIES = ("isatuximab", "daratumumab_iv")


def infusion_profile_label(family: str, infusion_number: int, split_first_dose: bool = False) -> str:
    """Label of the profile for the n-th infusion of ``family`` (e.g. ``"isatuximab 2nd"``)."""
    if infusion_number < 1:
        raise ValueError("infusion_number is 1-based")
    if family == "isatuximab":
        return ("isatuximab 1st", "isatuximab 2nd", "isatuximab 3rd+")[min(infusion_number, 3) - 1]
    if family == "daratumumab_iv":
        if split_first_dose:
            if infusion_number <= 2:
                return "daratumumab 1st split"
            return "daratumumab 2nd" if infusion_number == 3 else "daratumumab 3rd+"
        return ("daratumumab 1st", "daratumumab 2nd", "daratumumab 3rd+")[min(infusion_number, 3) - 1]
    raise ValueError(f"unknown infusion profile family {family!r}; known: {PROFILE_FAMILIES}")


_BY_LABEL = {
    "isatuximab 1st": isatuximab_profile(1),
    "isatuximab 2nd": isatuximab_profile(2),
    "isatuximab 3rd+": isatuximab_profile(3),
    "daratumumab 1st": daratumumab_iv_profile(1),
    "daratumumab 1st split": daratumumab_iv_profile(1, split_first_dose=True),
    "daratumumab 2nd": daratumumab_iv_profile(2),
    "daratumumab 3rd+": daratumumab_iv_profile(3),
}


def profile_from_label(label: str) -> InfusionProfile:
    """The :class:`InfusionProfile` named by ``label`` (see :func:`infusion_profile_label`)."""
    try:
        return _BY_LABEL[label]
    except KeyError:
        raise ValueError(f"unknown infusion profile {label!r}; known: {sorted(_BY_LABEL)}") from None
