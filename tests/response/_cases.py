"""Builders for hand-worked lab histories (one patient, a few visits)."""

from __future__ import annotations

import pandas as pd

from isamm.response import assess


def visit(day: float, serum: float | None = None, **other) -> dict:
    """One assessment row; ``serum`` is ``serum_m_g_dl``, other keys are lab column names."""
    row = {"day": day}
    if serum is not None:
        row["serum_m_g_dl"] = serum
    row.update(other)
    return row


def labs(visits: list[dict], patient_id: str = "P", **per_patient) -> pd.DataFrame:
    """A one-patient lab table; ``per_patient`` (``isotype``, ``anti_cd38``) repeats on every row."""
    frame = pd.DataFrame(visits)
    frame.insert(0, "patient_id", patient_id)
    for key, value in per_patient.items():
        frame[key] = value
    return frame


def one(visits: list[dict], isotype: str | None = None, anti_cd38: bool | None = None, **settings):
    """Assess one patient; returns its :class:`PatientResponse`."""
    per_patient = {k: v for k, v in (("isotype", isotype), ("anti_cd38", anti_cd38)) if v is not None}
    return assess(labs(visits, **per_patient), **settings)["P"]


def categories(patient) -> list[str | None]:
    return [a.response for a in patient.assessments]
