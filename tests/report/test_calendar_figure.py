"""The dosing calendar drawn as weeks × days (the studio's calendar view)."""

from __future__ import annotations

import isamm.regimens as rg
from isamm.report import calendar_figure


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.axes[0].texts]


def test_every_dosing_day_is_a_labelled_cell():
    cal = rg.get("ISA-PD").schedule(rg.Patient(weight_kg=70, height_cm=170, age_y=68), cycles=1, start_date="2027-01-04")
    texts = _texts(calendar_figure(cal))
    assert texts.count("Isa 700") == 4  # days 1, 8, 15, 22 of cycle 1 at 10 mg/kg × 70 kg
    assert "2027-01-04" in texts and "2027-01-25" in texts
    assert len(calendar_figure(cal).axes[0].get_yticklabels()) == 4  # a 28-day cycle is four weeks


def test_without_dates_cells_show_study_days():
    cal = rg.get("ISA-MONO-10-QW-Q2W").schedule(rg.Patient(weight_kg=60, age_y=70), weeks=2)
    assert {"day 1", "day 8"} <= set(_texts(calendar_figure(cal)))
