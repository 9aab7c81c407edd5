"""What a column holds, decided once for the cohort reader and the outcome tables (Table 1, cross-tabs)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["first_text_in_numbers", "is_categorical"]


def first_text_in_numbers(series: pd.Series) -> int | None:
    """Position of the first text cell in a column that is otherwise mostly numbers, else None.

    ``.`` (SPSS/STATA missing), ``<5``, ``n.d.`` or ``12,5`` in a lab column make
    pandas (and R) read the whole column as text, which a model would then
    silently treat as a factor with one level per value. "Mostly" = at least
    half of the non-empty cells are numbers.
    """
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return None
    codes, uniques = pd.factorize(series)  # each distinct cell converted once (a 200,000-row text column: fast)
    present = codes >= 0
    if not present.any():
        return None
    numbers = np.zeros(len(series), dtype=bool)
    numbers[present] = pd.to_numeric(pd.Series(uniques, dtype=object), errors="coerce").notna().to_numpy()[codes[present]]
    text = present & ~numbers
    if not text.any() or 2 * numbers.sum() < present.sum():
        return None
    return int(np.flatnonzero(text)[0])


def is_categorical(series: pd.Series) -> bool:
    """Text and boolean columns, and numeric ones with at most two distinct values (0/1, 1/2)."""
    if first_text_in_numbers(series) is not None:
        return False  # numbers with a stray text cell: the continuous path names the cell
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return True
    return series.dropna().nunique() <= 2
