"""Result objects of the IMWG engine: one table, one dict, one summary."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from isamm.response._rules import RANK

__all__ = ["Assessment", "PatientResponse", "ResponseResult"]


@dataclass(frozen=True)
class Assessment:
    """The IMWG category at one post-baseline assessment.

    Attributes
    ----------
    day
        Days from treatment start.
    response
        ``sCR``, ``CR``, ``VGPR``, ``PR``, ``MR``, ``SD``, ``PD``, ``NE`` (the data
        cannot support a category), or ``None`` (after a new line of therapy).
    reason
        The criterion and the values behind the category (rule codes of imwg.md).
    confirmed
        True when the next evaluable assessment confirms this one (C1/C2, C4), or
        when it needs no confirmation (marrow-only track, imaging PD).
    flags
        E.g. ``downgraded_missing_data``, ``possible_anti_cd38_ife_interference``,
        ``clinical_relapse_indicator``, ``after_new_therapy``.
    """

    day: float
    response: str | None
    reason: str
    confirmed: bool = False
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class PatientResponse:
    """One patient's response history and endpoints (days from treatment start).

    ``mrd_negative_cr``: best response ≥ CR and a negative ``mrd`` (carried forward from
    the latest marrow) at a CR/sCR assessment before progression (Kumar 2016; imwg.md section 7).
    ``time_to_response_days`` is the first assessment of the first confirmed ≥ PR;
    ``duration_of_response_days`` runs from it to progression (``dor_event`` True)
    or to the last evaluable assessment (censored, ``dor_event`` False).
    """

    patient_id: str
    measurable: str
    best_response: str
    progression_day: float | None
    unconfirmed_pd_day: float | None
    time_to_response_days: float | None
    duration_of_response_days: float | None
    dor_event: bool | None
    orr: bool
    vgpr_or_better: bool
    cbr: bool
    dcr: bool
    flags: tuple[str, ...]
    assessments: tuple[Assessment, ...] = field(repr=False)
    mrd_negative_cr: bool = False

    def to_dict(self) -> dict:
        """JSON-ready dict (keys documented in the README, ``## IMWG response``)."""
        return {
            "patient_id": self.patient_id,
            "measurable": self.measurable,
            "best_response": self.best_response,
            "progression_day": self.progression_day,
            "unconfirmed_pd_day": self.unconfirmed_pd_day,
            "time_to_response_days": self.time_to_response_days,
            "duration_of_response_days": self.duration_of_response_days,
            "dor_event": self.dor_event,
            "orr": self.orr,
            "vgpr_or_better": self.vgpr_or_better,
            "cbr": self.cbr,
            "dcr": self.dcr,
            "mrd_negative_cr": self.mrd_negative_cr,
            "flags": list(self.flags),
            "assessments": [
                {"day": a.day, "response": a.response, "reason": a.reason, "confirmed": a.confirmed,
                 "flags": list(a.flags)}  # fmt: skip
                for a in self.assessments
            ],
        }


@dataclass(frozen=True)
class ResponseResult:
    """IMWG responses of a cohort: ``patients`` sorted by id, plus the settings used."""

    patients: tuple[PatientResponse, ...]
    config: object

    def __getitem__(self, patient_id: str) -> PatientResponse:
        for p in self.patients:
            if p.patient_id == patient_id:
                return p
        raise KeyError(patient_id)

    def summary(self) -> dict:
        """Rates over all patients (denominator ``n``, as Mikhael 2021 computed DCR over all 32 treated)."""
        n = len(self.patients)

        def rate(attr: str) -> float | None:
            return sum(getattr(p, attr) for p in self.patients) / n if n else None

        counts = {level: 0 for level in sorted(RANK, key=RANK.get, reverse=True)} | {"NE": 0}
        for p in self.patients:
            counts[p.best_response] += 1
        return {
            "n": n,
            "orr": rate("orr"),
            "vgpr_or_better": rate("vgpr_or_better"),
            "cbr": rate("cbr"),
            "dcr": rate("dcr"),
            "mrd_negative_cr": rate("mrd_negative_cr"),
            "n_progressed": sum(p.progression_day is not None for p in self.patients),
            "best_response_counts": counts,
        }

    def to_dict(self) -> dict:
        """``{"patients": [...], "summary": {...}, "settings": {...}}`` (the ``--json`` output)."""
        return {
            "patients": [p.to_dict() for p in self.patients],
            "summary": self.summary(),
            "settings": self.config.model_dump(),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per assessment with the patient's track, best response and progression day."""
        rows = []
        for p in self.patients:
            for a in p.assessments:
                rows.append({
                    "patient_id": p.patient_id, "day": a.day, "response": a.response, "confirmed": a.confirmed,
                    "reason": a.reason, "flags": ";".join(a.flags), "measurable": p.measurable,
                    "best_response": p.best_response, "progression_day": p.progression_day,
                })  # fmt: skip
        columns = ["patient_id", "day", "response", "confirmed", "reason", "flags", "measurable", "best_response",
                   "progression_day"]  # fmt: skip
        return pd.DataFrame(rows, columns=columns)

    def patients_frame(self) -> pd.DataFrame:
        """One row per patient: track, best response, progression, endpoints, flags."""
        rows = []
        for p in self.patients:
            d = p.to_dict()
            d.pop("assessments")
            d["flags"] = ";".join(d["flags"])
            rows.append(d)
        return pd.DataFrame(rows)
