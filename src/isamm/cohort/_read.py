"""Reading a user's cohort file into a validated table with column roles.

One row per patient. The survival columns (time, event, optional delayed-entry
time) are checked row by row, so every mistake is reported with the file, the
spreadsheet row (header = row 1, first patient = row 2, blank lines counted; a
DataFrame's rows from 1: :func:`isamm._table.row_numbers`) and the column.
Dates become months with 1 month = 30.4375 days (:mod:`isamm.units`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from isamm.cohort._config import CohortConfig, load_cohort_config
from isamm._columns import is_categorical
from isamm._table import read_table, rows_of
from isamm.errors import InputError
from isamm.units import DAYS_PER_MONTH

__all__ = ["Cohort", "read_cohort", "ID_NAMES"]

ID_NAMES = {"id", "patient", "patient_id", "subject", "subject_id", "usubjid", "pid"}


@dataclass(frozen=True)
class Cohort:
    """A validated cohort: the table plus the role of each column.

    Attributes
    ----------
    data : pandas.DataFrame
        One row per patient, in file order (index 0..n-1). When ``dates`` were
        given, the computed time column (months) is included.
    time, event, entry : str or None
        Names of the follow-up time, the 0/1 event indicator and the
        delayed-entry time (same unit as ``time``).
    categorical, continuous : tuple of str
        Covariate columns by type (detected, or as the user declared them).
    source : str
        File name the cohort came from (``"<DataFrame>"`` for an in-memory table).
    rows : tuple of int
        Row number of each patient for messages (:func:`isamm._table.row_numbers`: in a file as a
        spreadsheet shows it, header = row 1; in a DataFrame from 1).
    time_unit : str
        ``"months"`` when computed from dates (1 month = 30.4375 days), else
        ``"as given"``.
    """

    data: pd.DataFrame
    time: str | None = None
    event: str | None = None
    entry: str | None = None
    categorical: tuple[str, ...] = ()
    continuous: tuple[str, ...] = ()
    source: str = "<DataFrame>"
    time_unit: str = "as given"
    ids: tuple[str, ...] = field(default=())
    rows: tuple[int, ...] = field(default=(), repr=False)

    @property
    def n(self) -> int:
        """Number of patients (rows)."""
        return len(self.data)

    @property
    def covariates(self) -> tuple[str, ...]:
        """All covariate columns, categorical first."""
        return self.categorical + self.continuous

    def column(self, name: str, *, option: str | None = None) -> pd.Series:
        """A column by name, with an InputError listing the columns when it is absent.

        ``option`` is the parameter that named the column (``"time"``; the CLI
        translates it to the flag the user typed).
        """
        _require_column(self.data, name, self.source, option)
        return self.data[name]

    def row_of(self, index: int) -> int:
        """The row number (``rows``) of the patient at position ``index`` of ``data``."""
        return int(rows_of(self)[int(index)])

    def subset(self, keep) -> "Cohort":
        """The patients where ``keep`` (a boolean mask over ``data``) is true, each keeping its row number."""
        keep = np.asarray(keep, dtype=bool)
        return replace(self, data=self.data[keep].reset_index(drop=True),
                       rows=tuple(int(r) for r in rows_of(self)[keep]))


def read_cohort(
    path_or_df: str | os.PathLike[str] | pd.DataFrame,
    *,
    time: str | None = None,
    event: str | None = None,
    entry: str | None = None,
    dates: Sequence[str] | None = None,
    categorical: Sequence[str] | None = None,
    continuous: Sequence[str] | None = None,
    config: str | os.PathLike[str] | Mapping[str, Any] | CohortConfig | None = None,
) -> Cohort:
    """Read and validate a cohort (CSV, TSV, Excel or Parquet file, or a DataFrame).

    Parameters
    ----------
    path_or_df
        File path (format chosen by suffix) or a DataFrame. A binary file object
        (e.g. ``io.BytesIO``) with a ``name`` attribute is read like a file of that
        name, without touching the disk (``isamm studio`` uploads).
    time
        Follow-up time column (any unit; the results are in that unit). With
        ``dates``, the name given to the computed time in months
        (default ``"time_months"``).
    event
        Event column: 1 = event (death, progression), 0 = censored.
    entry
        Delayed-entry (left-truncation) time column, same unit as ``time``;
        each patient must enter before leaving (``entry < time``), as R
        ``Surv(entry, time, event)`` requires.
    dates
        ``(start_column, end_column)``: compute the time as
        ``(end − start) in days / 30.4375`` months. Dates are datetime cells
        (Excel, Parquet) or ISO 8601 text (``2024-03-01``); ``03/04/2024`` is
        refused, since it could be March or April. With ``dates``, ``entry``
        may be a date column too (months from the start date).
    categorical, continuous
        Override the detected covariate types. Declared covariates must
        have at least two distinct values. Undeclared columns are detected:
        text/boolean columns and numeric columns with at most two distinct
        values are categorical, other numeric columns continuous; identifier
        columns (``id``, ``patient_id``, ...) and the survival columns are
        neither.
    config
        A TOML file (or mapping) with the same keys (``time``, ``event``,
        ``entry``, ``dates``, ``categorical``, ``continuous``), optionally under
        a ``[cohort]`` table; keyword arguments win over it.

    Returns
    -------
    Cohort

    Raises
    ------
    isamm.errors.InputError
        Unreadable file, unknown column, event not 0/1, missing or negative
        time, entry not before exit, unparseable date, declared covariate
        with one level.
    """
    cfg = load_cohort_config(config) if config is not None else CohortConfig()
    time = time if time is not None else cfg.time
    event = event if event is not None else cfg.event
    entry = entry if entry is not None else cfg.entry
    dates = dates if dates is not None else cfg.dates
    categorical = categorical if categorical is not None else cfg.categorical
    continuous = continuous if continuous is not None else cfg.continuous

    table = read_table(path_or_df, rows="patients")
    frame, source, rows = table.frame, table.name, table.rows

    time_unit = "as given"
    if dates is not None:
        if len(dates) != 2:
            raise InputError("dates needs two columns", option="dates", expected="(start, end)", got=list(dates))
        time = time or "time_months"
        if time in frame.columns:
            raise InputError("the time computed from dates would overwrite a column", file=source, column=time,
                             option="time", expected="a new name for the computed time (or none: time_months)")
        frame[time] = _months_between(frame, dates[0], dates[1], source, rows)
        time_unit = "months"
    if time is not None:
        _require_column(frame, time, source, "time")
        frame[time] = _numeric(frame, time, source, rows)
        _check_time(frame, time, source, rows)
    if event is not None:
        _require_column(frame, event, source, "event")
        frame[event] = _event(frame, event, source, rows)
    if entry is not None:
        if time is None:
            raise InputError("an entry column needs a time column", option="entry", expected="time=... as well")
        _require_column(frame, entry, source, "entry")
        if dates is not None and not pd.api.types.is_numeric_dtype(frame[entry]):
            # an entry date: months from the start date, like the follow-up time
            frame[entry] = _months_from(_parse_dates(frame, dates[0], source, rows, "dates"),
                                        _parse_dates(frame, entry, source, rows, "entry"))
        else:
            frame[entry] = _numeric(frame, entry, source, rows)
        _check_entry(frame, entry, time, source, rows)

    survival_cols = {c for c in (time, event, entry) if c} | set(dates or ())
    cats, conts, ids = _roles(frame, survival_cols, categorical, continuous, source, rows)
    _check_magnitudes(frame, [c for c in frame.columns if c not in ids], source, rows)
    return Cohort(data=frame, time=time, event=event, entry=entry, categorical=cats, continuous=conts,
                  source=source, time_unit=time_unit, ids=ids, rows=tuple(int(r) for r in rows))


def _require_column(frame: pd.DataFrame, name: str, source: str, option: str | None) -> None:
    if name not in frame.columns:
        cols = ", ".join(map(str, frame.columns[:20])) + (" ..." if len(frame.columns) > 20 else "")
        raise InputError("no such column", file=source, column=name, option=option, expected=f"one of {cols}")


def _py(value):
    """A cell as a plain Python value for messages (NumPy scalars print as ``np.int64(2)``); None if missing."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _first_bad(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _to_numeric(raw: pd.Series) -> tuple[pd.Series, int | None]:
    """Numbers from a column, and the 0-based position of the first non-empty cell that is not one (or None)."""
    values = pd.to_numeric(raw, errors="coerce")
    bad = (values.isna() & raw.notna()).to_numpy()
    return values, (_first_bad(bad) if bad.any() else None)


def _numeric(frame: pd.DataFrame, col: str, source: str, rows: np.ndarray) -> pd.Series:
    raw = frame[col]
    values, i = _to_numeric(raw)
    if i is not None:
        looks_like_date = not pd.isna(pd.to_datetime(str(raw.iloc[i]), errors="coerce", format="ISO8601"))
        raise InputError("not a number", file=source, row=int(rows[i]), column=col,
                         expected="a number" + (" (a date? the time between two date columns is computed from them)"
                                                if looks_like_date else ""), got=_py(raw.iloc[i]),
                         see="dates" if looks_like_date else None)
    missing = values.isna().to_numpy()
    if missing.any():
        raise InputError("missing value", file=source, row=int(rows[_first_bad(missing)]), column=col,
                         expected="a number (survival columns cannot be empty)")
    if not np.isfinite(values.to_numpy(float)).all():
        i = _first_bad(~np.isfinite(values.to_numpy(float)))
        raise InputError("not finite", file=source, row=int(rows[i]), column=col,
                         expected="a finite number", got=_py(raw.iloc[i]))
    return values.astype(float)


MAX_ABS = 1e15  # beyond it a value is a data-entry slip, and sums of squares in the statistics overflow


def _check_magnitudes(frame: pd.DataFrame, columns, source: str, rows: np.ndarray) -> None:
    """InputError at the first infinite or absurdly large number (``inf``, ``1e308``) in a numeric column."""
    for col in columns:
        if not pd.api.types.is_numeric_dtype(frame[col]) or pd.api.types.is_bool_dtype(frame[col]):
            continue
        values = frame[col].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            bad = np.isinf(values) | (np.abs(values) > MAX_ABS)
        if bad.any():
            i = _first_bad(bad)
            raise InputError("number out of range", file=source, row=int(rows[i]), column=col,
                             expected=f"a finite number within ±{MAX_ABS:.0e} (empty for a missing value)",
                             got=_py(frame[col].iloc[i]))


def _check_time(frame: pd.DataFrame, col: str, source: str, rows: np.ndarray) -> None:
    neg = (frame[col] < 0).to_numpy()
    if neg.any():
        i = _first_bad(neg)
        raise InputError("negative follow-up time", file=source, row=int(rows[i]), column=col,
                         expected="a time >= 0", got=float(frame[col].iloc[i]))


def _check_entry(frame: pd.DataFrame, entry: str, time: str, source: str, rows: np.ndarray) -> None:
    neg = (frame[entry] < 0).to_numpy()
    if neg.any():
        i = _first_bad(neg)
        raise InputError("negative entry time", file=source, row=int(rows[i]), column=entry,
                         expected="an entry time >= 0", got=float(frame[entry].iloc[i]))
    late = (frame[entry] >= frame[time]).to_numpy()
    if late.any():
        i = _first_bad(late)
        raise InputError(f"entry is not before exit ({time} = {frame[time].iloc[i]:g})", file=source,
                         row=int(rows[i]), column=entry, expected=f"{entry} < {time}",
                         got=float(frame[entry].iloc[i]))


def _event(frame: pd.DataFrame, col: str, source: str, rows: np.ndarray) -> pd.Series:
    raw = frame[col]
    if raw.dtype == bool:
        return raw.astype(int)
    values = pd.to_numeric(raw, errors="coerce")
    ok = values.isin([0, 1]).to_numpy()
    if not ok.all():
        i = _first_bad(~ok)
        got = _py(raw.iloc[i])
        one_two = bool(values.isin([1, 2]).all())  # R's Surv() also accepts 1 = censored, 2 = event
        hint = ("; survival columns cannot be empty" if got is None
                else "; this column looks coded 1 = censored, 2 = event (R's alternative): recode it" if one_two
                else "")
        raise InputError("event must be 0 or 1" if got is not None else "missing event", file=source,
                         row=int(rows[i]), column=col, expected="0 (censored) or 1 (event)" + hint, got=got)
    return values.astype(int)


def _parse_dates(frame: pd.DataFrame, col: str, source: str, rows: np.ndarray, option: str) -> pd.Series:
    """A date column: datetimes (Excel, Parquet) or ISO 8601 text; day/month order is never guessed."""
    _require_column(frame, col, source, option)
    raw = frame[col]
    if pd.api.types.is_datetime64_any_dtype(raw):
        values = raw
    else:
        values = pd.to_datetime(raw.astype("string"), errors="coerce", format="ISO8601")
    bad = values.isna().to_numpy()
    if bad.any():
        i = _first_bad(bad)
        if pd.isna(raw.iloc[i]):
            raise InputError("missing date", file=source, row=int(rows[i]), column=col,
                             expected="a date in every row (for a patient still followed, the last follow-up date)")
        raise InputError("not a date", file=source, row=int(rows[i]), column=col,
                         expected="an ISO date such as 2024-03-01 (03/04/2024 could be March or April)",
                         got=_py(raw.iloc[i]))
    # an observed date cannot lie ahead (2099 for 2019, or a planned visit): it would add years of follow-up
    today = pd.Timestamp.now(tz=values.dt.tz).normalize() + pd.Timedelta(days=1)
    future = (values >= today).to_numpy()
    if future.any():
        i = _first_bad(future)
        raise InputError("date in the future", file=source, row=int(rows[i]), column=col,
                         expected=f"an observed date, on or before today ({(today - pd.Timedelta(days=1)):%Y-%m-%d})",
                         got=_py(raw.iloc[i]))
    return values


def _months_from(start: pd.Series, end: pd.Series) -> pd.Series:
    return (end - start).dt.total_seconds() / 86400.0 / DAYS_PER_MONTH


def _months_between(frame: pd.DataFrame, start: str, end: str, source: str, rows: np.ndarray) -> pd.Series:
    begin, stop = _parse_dates(frame, start, source, rows, "dates"), _parse_dates(frame, end, source, rows, "dates")
    months = _months_from(begin, stop)
    neg = (months < 0).to_numpy()
    if neg.any():
        i = _first_bad(neg)
        raise InputError(f"end date before start date ({start} = {frame[start].iloc[i]})", file=source,
                         row=int(rows[i]), column=end, expected=f"{end} on or after {start}",
                         got=_py(frame[end].iloc[i]))
    return months


def _roles(frame, survival_cols, categorical, continuous, source, rows):
    declared_cat = list(categorical or ())
    declared_cont = list(continuous or ())
    for opt, cols in (("categorical", declared_cat), ("continuous", declared_cont)):
        for col in cols:
            _require_column(frame, col, source, opt)
            if frame[col].dropna().nunique() < 2:
                raise InputError("covariate has a single level", file=source, column=col, option=opt,
                                 expected="at least two distinct values",
                                 got=sorted(map(str, frame[col].dropna().unique())))
    both = set(declared_cat) & set(declared_cont)
    if both:
        raise InputError("column declared both categorical and continuous", file=source,
                         column=sorted(both)[0], option="categorical/continuous")
    for col in declared_cont:
        frame[col] = _continuous(frame, col, source, rows)
    ids, cats, conts = [], [], []
    for col in frame.columns:
        if col in survival_cols:
            continue
        if col in declared_cat:
            cats.append(col)
        elif col in declared_cont:
            conts.append(col)
        elif col.lower() in ID_NAMES:
            ids.append(col)
        elif is_categorical(frame[col]):
            cats.append(col)
        else:
            conts.append(col)
    return tuple(cats), tuple(conts), tuple(ids)


def _continuous(frame: pd.DataFrame, col: str, source: str, rows: np.ndarray) -> pd.Series:
    raw = frame[col]
    values, i = _to_numeric(raw)
    if i is not None:
        raise InputError("not a number", file=source, row=int(rows[i]), column=col,
                         expected="a number (declared continuous; empty cells are allowed)", got=_py(raw.iloc[i]))
    return values.astype(float)
