"""Reading and validating a long lab table (one row per patient per assessment).

Every problem is an :class:`~isamm.errors.InputError` naming the file, the
row (:func:`isamm._table.row_numbers`: as a spreadsheet shows a file, header = row 1; a
DataFrame's from 1) and the column, while
they are known; nothing is coerced silently.
"""

from __future__ import annotations

import difflib
import os
import re
from typing import BinaryIO

import numpy as np
import pandas as pd

from isamm._table import read_table
from isamm.errors import InputError
from isamm.response._config import ResponseConfig

__all__ = ["LAB_COLUMNS", "read_labs"]

#: Every column the engine understands: name → (kind, meaning with unit).
LAB_COLUMNS: dict[str, tuple[str, str]] = {
    "patient_id": ("id", "patient identifier (required)"),
    "day": ("day", "days from treatment start; baseline = last assessment at or before day 0 (required)"),
    "serum_m_g_dl": ("amount", "serum M-protein (SPEP spike), g/dL"),
    "urine_m_mg_24h": ("amount", "24-h urine M-protein, mg/24 h"),
    "flc_kappa_mg_l": ("amount", "serum free kappa light chain, mg/L"),
    "flc_lambda_mg_l": ("amount", "serum free lambda light chain, mg/L"),
    "serum_ife": ("ife", "serum immunofixation: positive/negative/empty"),
    "urine_ife": ("ife", "urine immunofixation: positive/negative/empty"),
    "serum_ife_mab_corrected": ("ife", "serum IFE after removing the therapeutic-antibody band (Hydrashift/DIRA/MS)"),
    "bm_pc_pct": ("percent", "bone-marrow plasma cells, %"),
    "mrd": ("ife", "minimal residual disease in the marrow (NGF/NGS, ≥ 10^-5): positive/negative/empty"),
    "spurious": ("flag01", "1 = the values of this row are judged spurious (e.g. laboratory error) and not used"),
    "bm_clonal_pc": ("bool", "clonal plasma cells in the marrow by IHC/flow (true/false), for sCR"),
    "new_lesion": ("flag01", "new bone or soft-tissue lesion at this assessment (0/1)"),
    "new_therapy": ("flag01", "a new line of therapy starts at this day (0/1)"),
    "calcium_mg_dl": ("amount", "corrected serum calcium, mg/dL"),
    "isotype": ("patient_text", "per patient, e.g. IgG-kappa, IgA-lambda, kappa light chain, non-secretory, "
                                "oligosecretory (optionally with its isotype: oligosecretory IgG-kappa)"),
    "anti_cd38": ("patient_bool", "per patient: on isatuximab/daratumumab or within 6 months of it (true/false)"),
}
_REQUIRED = ("patient_id", "day")
MAX_ABS_DAY = 36_525  # 100 years from treatment start: beyond it a day is a typo (or a date in days since 1900)
MAX_AMOUNT = 1e7      # above any M-protein, FLC or marrow value in its unit
_TRUE = {"1", "1.0", "true", "t", "yes", "y"}
_FALSE = {"0", "0.0", "false", "f", "no", "n"}
_ISOTYPE = re.compile(r"^\s*(?:(ig[gadme])[\s\-_]*)?(kappa|lambda|κ|λ)(?:[\s\-_]*(?:light[\s\-_]*chain|lc))?\s*$")
_ISOTYPE_LC_FIRST = re.compile(r"^\s*(?:light[\s\-_]*chain|lc)[\s\-_]*(kappa|lambda|κ|λ)\s*$")
# non-secretory / oligosecretory myeloma: no (or too little) M-protein in serum and urine; an isotype may follow
_SECRETION = re.compile(r"^\s*(?:non|oligo)[\s\-_]*secretory\s*(?:[\s\-_,:(]\s*(.*?)\s*\)?)?\s*$")


def read_labs(source: str | os.PathLike[str] | pd.DataFrame | BinaryIO, config: ResponseConfig | None = None) -> pd.DataFrame:
    """Read and validate a long lab table.

    Parameters
    ----------
    source
        A CSV, Excel (``.xlsx``/``.xls``) or Parquet file, or a DataFrame, with the
        columns of :data:`LAB_COLUMNS` (only ``patient_id`` and ``day`` required).
        A binary file object (e.g. ``io.BytesIO``) with a ``name`` attribute is read
        like a file of that name, without touching the disk (``isamm studio`` uploads).
    config
        Thresholds; only ``serum_m_max_g_dl`` (unit check) is used here.

    Returns
    -------
    pandas.DataFrame
        Every known column present (absent ones added as empty), typed: amounts
        as float (NaN = not measured), IFE as ``"positive"``/``"negative"``/None,
        flags as bool, ``heavy_chain`` and ``light_chain`` parsed from ``isotype``,
        plus ``_row`` (the spreadsheet row) and ``_file``; sorted by patient and day.

    Raises
    ------
    InputError
        Unknown column (with the closest valid name), a non-numeric, negative or
        implausible value, an unknown IFE word, duplicated (patient, day), a
        per-patient column that changes within a patient, or a patient without a
        baseline (no assessment at or before day 0).
    """
    config = config or ResponseConfig()
    table = read_table(source, rows="assessments", text=True)  # a header alone: an error, not "n = 0"
    raw, name = table.frame, table.name
    _check_columns(raw, name)
    rows = table.rows  # as a spreadsheet shows a file (header = row 1), a DataFrame's from 1
    # Cleaned cells kept as Python objects (a DataFrame would turn None back into NaN); numeric columns
    # (a DataFrame from a simulation, Parquet) stay float arrays, NaN = empty: the same checks, vectorized.
    text = {col: (raw[col].to_numpy(dtype=float) if _is_number_column(raw[col], col)
                  else np.array([_clean(v) for v in raw[col].tolist()], dtype=object)) for col in raw.columns}
    out = pd.DataFrame({"_row": rows, "_file": name})
    out["patient_id"] = pd.Series(text["patient_id"], dtype=object)
    bad = out["patient_id"].isna().to_numpy()
    if bad.any():
        raise InputError("missing patient id", file=name, row=int(rows[bad][0]), column="patient_id")
    out["patient_id"] = out["patient_id"].astype(str)
    for col, (kind, _) in LAB_COLUMNS.items():
        if col == "patient_id":
            continue
        values = text[col] if col in text else np.full(len(raw), None, dtype=object)
        out[col] = _parse(values, col, kind, rows, name, config)
    _check_patients(out, name)
    return out.sort_values(["patient_id", "day"], kind="stable").reset_index(drop=True)


def _check_columns(raw: pd.DataFrame, name: str) -> None:
    known = list(LAB_COLUMNS)
    for col in raw.columns:
        if col not in LAB_COLUMNS:
            # A name missing its unit suffix ("serum_m") is a prefix of the right one; else the closest spelling.
            close = [k for k in known if k.startswith(col.lower())] or difflib.get_close_matches(
                col.lower(), known, n=1, cutoff=0.5)
            hint = f"unknown column; did you mean {close[0]!r}?" if close else "unknown column"
            raise InputError(hint, file=name, row=1, column=col, expected="one of " + ", ".join(known))
    for col in _REQUIRED:
        if col not in raw.columns:
            raise InputError("missing required column", file=name, row=1, column=col)


def _is_number_column(series: pd.Series, col: str) -> bool:
    numeric_kind = LAB_COLUMNS[col][0] in ("amount", "percent", "day", "flag01")
    return numeric_kind and pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _clean(value):
    """Empty cells (blank text, NaN, None) become None; text is stripped."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _parse(values: np.ndarray, col: str, kind: str, rows: np.ndarray, name: str, config: ResponseConfig):
    if kind in ("amount", "percent", "day"):
        return _numbers(values, col, kind, rows, name, config)
    if values.dtype.kind == "f":  # a numeric flag column (0/1); anything else takes the cell-by-cell path
        if np.isin(values[~np.isnan(values)], (0.0, 1.0)).all():
            return pd.Series(values == 1.0, dtype=bool)
        values = np.array([None if np.isnan(v) else float(v) for v in values], dtype=object)
    if kind == "ife":
        out = []
        for value, row in zip(values, rows):
            word = None if value is None else str(value).lower()
            if word not in (None, "positive", "negative"):
                raise InputError("unknown immunofixation result" if col != "mrd" else "unknown MRD result", file=name, row=int(row), column=col,
                                 expected="positive, negative or empty", got=value)  # fmt: skip
            out.append(word)
        return pd.Series(out, dtype=object)
    if kind in ("flag01", "bool", "patient_bool"):
        out = []
        for value, row in zip(values, rows):
            word = None if value is None else str(value).lower()
            if word is None:
                out.append(False if kind == "flag01" else None)
            elif word in _TRUE:
                out.append(True)
            elif word in _FALSE:
                out.append(False)
            else:
                expected = "0 or 1" if kind == "flag01" else "true or false"
                raise InputError("not a yes/no value", file=name, row=int(row), column=col, expected=expected, got=value)
        return pd.Series(out, dtype=object if kind != "flag01" else bool)
    return pd.Series([None if v is None else str(v) for v in values], dtype=object)  # patient_text


def _numbers(values, col, kind, rows, name, config) -> pd.Series:
    if values.dtype.kind == "f":  # a numeric column: NaN = empty; only a bad value takes the cell-by-cell path
        x = values
        with np.errstate(invalid="ignore"):
            bad = np.isinf(x) | ((x < 0) if kind != "day" else False) | ((x > 100) if kind == "percent" else False)
            if col == "serum_m_g_dl":
                bad |= x > config.serum_m_max_g_dl
            bad |= np.abs(x) > (MAX_ABS_DAY if kind == "day" else MAX_AMOUNT)
        if kind == "day":
            bad |= np.isnan(x)
        if not bad.any():
            return pd.Series(x.astype(float, copy=True))
        values = np.array([None if np.isnan(v) else float(v) for v in x], dtype=object)
    out = np.full(len(values), np.nan)
    for i, value in enumerate(values):
        if value is None:
            continue
        try:
            x = float(value)
        except (TypeError, ValueError):
            x = np.nan
        if not np.isfinite(x):
            raise InputError("not a number", file=name, row=int(rows[i]), column=col, expected="a finite number", got=value)
        if kind != "day" and x < 0:
            raise InputError("negative value", file=name, row=int(rows[i]), column=col, expected="a value ≥ 0", got=value)
        if kind == "day" and abs(x) > MAX_ABS_DAY:
            raise InputError("day out of range", file=name, row=int(rows[i]), column=col,
                             expected=f"days from treatment start, within ±{MAX_ABS_DAY:,} (100 years)", got=value)
        if x > MAX_AMOUNT:
            raise InputError("value out of range", file=name, row=int(rows[i]), column=col,
                             expected=f"at most {MAX_AMOUNT:.0e} in the column's unit", got=value)
        if kind == "percent" and x > 100:
            raise InputError("not a percentage", file=name, row=int(rows[i]), column=col, expected="0 to 100", got=value)
        if col == "serum_m_g_dl" and x > config.serum_m_max_g_dl:
            raise InputError(
                "serum M-protein this high is almost certainly in g/L (divide by 10 for g/dL)",
                file=name, row=int(rows[i]), column=col,
                expected=f"g/dL, at most {config.serum_m_max_g_dl:g}", got=value,
            )  # fmt: skip
        out[i] = x
    if kind == "day":
        missing = np.isnan(out)
        if missing.any():
            raise InputError("missing day", file=name, row=int(rows[missing][0]), column=col,
                             expected="days from treatment start")  # fmt: skip
    return pd.Series(out)


def _check_patients(out: pd.DataFrame, name: str) -> None:
    dup = out.duplicated(["patient_id", "day"], keep="first").to_numpy()
    if dup.any():
        r = out.loc[dup].iloc[0]
        first = out[(out["patient_id"] == r["patient_id"]) & (out["day"] == r["day"])]["_row"].iloc[0]
        raise InputError(
            f"duplicated assessment: patient {r['patient_id']!r}, day {r['day']:g} already at row {first}",
            file=name, row=int(r["_row"]), column="day",
        )  # fmt: skip
    by_patient = out.groupby("patient_id", sort=False)
    min_day = by_patient["day"].transform("min").to_numpy()
    bad = min_day > 0
    if bad.any():
        r = out.loc[bad].iloc[0]
        raise InputError(
            f"patient {r['patient_id']!r} has no baseline", file=name, row=int(r["_row"]), column="day",
            expected="an assessment at or before day 0", got=float(min_day[bad][0]),
        )  # fmt: skip
    for col in ("isotype", "anti_cd38"):
        first = by_patient[col].transform("first")  # first non-empty value of each patient
        differs = (out[col].notna() & (out[col] != first)).to_numpy()
        if differs.any():
            r = out.loc[differs].iloc[0]
            raise InputError(
                f"{col} must be the same for every row of patient {r['patient_id']!r}", file=name,
                row=int(r["_row"]), column=col, expected=repr(first[differs].iloc[0]), got=r[col],
            )  # fmt: skip
    isotype = by_patient["isotype"].transform("first")
    parsed = {}
    for text in isotype.dropna().unique():
        row = int(out.loc[(out["isotype"] == text).to_numpy(), "_row"].iloc[0])
        parsed[text] = _isotype(text, row, name)
    chains = [parsed.get(t, (None, None)) if isinstance(t, str) else (None, None) for t in isotype]
    out["heavy_chain"] = pd.Series([c[0] for c in chains], index=out.index, dtype=object)
    out["light_chain"] = pd.Series([c[1] for c in chains], index=out.index, dtype=object)


def _isotype(value: str, row: int, name: str) -> tuple[str | None, str | None]:
    """(heavy chain or None, 'kappa'/'lambda' or None) from a text such as 'IgG-kappa'.

    ``non-secretory`` and ``oligosecretory`` (any spacing or hyphen) give no chain
    unless an isotype follows (``oligosecretory IgG-kappa``): such patients are
    followed on what is measurable at baseline, as for any patient — the FLC
    track (involved chain from the abnormal ratio when not given) or the marrow
    track — and are not evaluable without either.
    """
    text = value.lower()
    secretion = _SECRETION.match(text)
    chains = (None, None) if secretion and not secretion.group(1) else _chains(
        secretion.group(1) if secretion else text)
    if chains is None:
        raise InputError("unknown isotype", file=name, row=row, column="isotype",
                         expected="e.g. IgG-kappa, IgA-lambda, kappa light chain, non-secretory, oligosecretory",
                         got=value)  # fmt: skip
    return chains


def _chains(text: str) -> tuple[str | None, str] | None:
    """(heavy chain or None, 'kappa'/'lambda') from a lower-case isotype text, None if it is not one."""
    m = _ISOTYPE.match(text)
    if m:
        heavy, light = m.group(1), m.group(2)
    else:
        m = _ISOTYPE_LC_FIRST.match(text)
        if not m:
            return None
        heavy, light = None, m.group(1)
    light = {"κ": "kappa", "λ": "lambda"}.get(light, light)
    return ("Ig" + heavy[2].upper() if heavy else None), light
