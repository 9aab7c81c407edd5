"""Helpers for the PK tests: label calendars written out by hand (regimens.md §1, §4.1)."""

from __future__ import annotations

import numpy as np
import pandas as pd

# Isatuximab label: 10 mg/kg, C1 days 1, 8, 15, 22; C2+ days 1, 15 (28-day cycles).
def isa_label_days(weeks: int) -> list[int]:
    days = [1, 8, 15, 22] + [28 * c + d for c in range(1, 40) for d in (1, 15)]
    return [d for d in days if d <= 7 * weeks]


def isa_events(weeks: int = 52, weight_kg: float = 75.6, durations_h=(200 / 60, 112.5 / 60, 1.25), start_h: float = 9.0):
    days = isa_label_days(weeks)
    dur = [durations_h[min(i, 2)] for i in range(len(days))]
    return pd.DataFrame({
        "time_h": [24.0 * (d - 1) + start_h for d in days],
        "drug": "isatuximab",
        "amount_mg": 10.0 * weight_kg,
        "duration_h": dur,
        "route": "IV",
    })


# Daratumumab monotherapy: weekly weeks 1-8, every 2 weeks weeks 9-24, every 4 weeks from 25.
def dara_weeks(weeks: int) -> list[int]:
    w = list(range(1, 9)) + list(range(9, 25, 2)) + list(range(25, 400, 4))
    return [x for x in w if x <= weeks]


def dara_events(weeks: int = 52, amount_mg: float = 16 * 78.6, first_h: float = 7.0, later_h: float = 3.5, route: str = "IV"):
    w = dara_weeks(weeks)
    return pd.DataFrame({
        "time_h": [24.0 * 7 * (x - 1) for x in w],
        "drug": "daratumumab",
        "amount_mg": amount_mg,
        "duration_h": [0.0 if route == "SC" else (first_h if i == 0 else later_h) for i in range(len(w))],
        "route": route,
    })


def grid(weeks: int, step_h: float = 24.0):
    return np.arange(0.0, 7 * 24 * weeks + step_h / 2, step_h)
