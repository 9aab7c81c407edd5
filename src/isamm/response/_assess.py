"""The entry point: a lab table in, IMWG 2016 responses out."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import pandas as pd

from isamm.response._config import ResponseConfig, load_config
from isamm.response._patient import assess_patient
from isamm.response._read import read_labs
from isamm.response._result import ResponseResult

__all__ = ["assess"]


def assess(
    labs: str | os.PathLike[str] | pd.DataFrame,
    config: str | os.PathLike[str] | Mapping[str, Any] | ResponseConfig | None = None,
    **overrides: Any,
) -> ResponseResult:
    """IMWG 2016 response at every assessment, best confirmed response and progression.

    Parameters
    ----------
    labs
        Long lab table (CSV/Excel/Parquet path or DataFrame), one row per patient
        per assessment; columns in :data:`isamm.response.LAB_COLUMNS` (days from
        treatment start, M-protein in g/dL, urine in mg/24 h, FLC in mg/L).
    config
        Thresholds and choices: a TOML path, a mapping or a :class:`ResponseConfig`;
        ``None`` gives the IMWG 2016 defaults.
    **overrides
        Single settings, e.g. ``serum_measurable_g_dl=0.5`` or ``nadir_rule="confirmed"``.

    Returns
    -------
    ResponseResult
        ``patients`` (sorted by id, so row order never matters), ``to_frame()``,
        ``to_dict()`` and ``summary()`` (ORR, ≥VGPR, CBR, DCR over all patients).

    Examples
    --------
    >>> import pandas as pd
    >>> labs = pd.DataFrame({"patient_id": ["A"] * 3, "day": [0, 28, 56],
    ...                      "serum_m_g_dl": [2.0, 0.9, 0.8]})
    >>> assess(labs)["A"].best_response
    'PR'
    """
    cfg = load_config(config, **overrides)
    table = read_labs(labs, cfg)
    by_patient: dict[str, list] = {}
    for row in table.itertuples(index=False):  # one pass; the table is sorted by patient and day
        by_patient.setdefault(row.patient_id, []).append(row)
    patients = tuple(assess_patient(by_patient[pid], cfg) for pid in sorted(by_patient))
    return ResponseResult(patients=patients, config=cfg)
