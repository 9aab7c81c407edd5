"""Model frames as R builds them: complete cases, factor dummies named ``sexM``, collinearity checks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from isamm._columns import first_text_in_numbers
from isamm._table import row_numbers
from isamm.errors import InputError, ModelError

__all__ = ["Design", "check_collinear", "check_numbers", "model_frame", "r_label", "r_levels"]


@dataclass(frozen=True)
class Design:
    """Complete-case rows and the design matrix of a regression model.

    ``X`` has one column per model term column, named as R names them:
    a numeric covariate keeps its name, a categorical covariate ``sex`` with
    levels F < M gives the column ``sexM`` (treatment contrast, first level
    the reference). ``terms`` maps each covariate to its columns.
    """

    rows: pd.DataFrame
    X: pd.DataFrame
    terms: dict[str, list[str]]
    n_dropped: int


MAX_LEVELS = 200  # groups of a factor: more is an identifier or a continuous column, and tests would take hours


def r_levels(values: pd.Series) -> list:
    """Distinct non-missing values in R's factor order (sorted; numbers numerically).

    More than :data:`MAX_LEVELS` is an InputError naming the column: a factor with one level per patient
    (an id, a continuous marker) would make tables, log-rank tests and designs of that many rows.
    """
    n_levels = values.nunique()
    if n_levels > MAX_LEVELS:
        raise InputError(f"{n_levels:,} distinct values: not a set of groups (an identifier or a continuous "
                         "column?)", column=None if values.name is None else str(values.name),
                         expected=f"a categorical column with at most {MAX_LEVELS} levels")
    if isinstance(values.dtype, pd.CategoricalDtype):
        return [c for c in values.cat.categories if (values == c).any()]
    return sorted(values.dropna().unique(), key=lambda v: (isinstance(v, str), v))


def r_label(value) -> str:
    """A level as R's ``as.character`` prints it: ``2`` not ``2.0``, ``TRUE`` not ``True``.

    pandas reads a numeric-coded column with an empty cell as float, and a
    ``TRUE``/``FALSE`` column as bool; R names these levels ``2`` and ``TRUE``
    (``coxph`` terms ``stage2``, ``flagTRUE``). Other floats get R's 15
    significant digits.
    """
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (float, np.floating)) and np.isfinite(value):
        return str(int(value)) if float(value).is_integer() else f"{float(value):.15g}"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return str(value)


def _is_categorical(series: pd.Series, forced: set[str]) -> bool:
    return (series.name in forced or not pd.api.types.is_numeric_dtype(series)
            or pd.api.types.is_bool_dtype(series))


def check_numbers(series: pd.Series, source: str, column: str, rows: np.ndarray | None = None) -> None:
    """InputError at the first text cell of a column that is otherwise numbers (see ``first_text_in_numbers``).

    ``rows``: the row number of each cell (:func:`isamm._table.rows_of`); default a DataFrame's, from 1.
    """
    i = first_text_in_numbers(series)
    if i is not None:
        rows = row_numbers(len(series), in_file=False) if rows is None else rows
        label = series.index[i]  # a DataFrame's own index label too, when it is not the position
        named = source == "<DataFrame>" and not (isinstance(label, (int, np.integer)) and label == i)
        raise InputError("text in a numeric column" + (f" (index {label!r})" if named else ""), file=source,
                         row=int(rows[i]), column=column,
                         expected="a number or an empty cell for a missing value (or declare the column "
                                  "categorical)", got=str(series.iloc[i]))


def model_frame(frame: pd.DataFrame, needed: list[str], covariates: list[str],
                categorical=None, source: str = "<DataFrame>", rows: np.ndarray | None = None) -> Design:
    """Drop rows with a missing value in ``needed`` (as R ``na.omit``) and build the design matrix.

    ``rows`` numbers the rows of ``frame`` in messages (:func:`isamm._table.rows_of`).

    Raises
    ------
    InputError
        Unknown column; a covariate with a single level (or constant) among the complete cases.
    ModelError
        A covariate column that is a linear combination of earlier ones (R would give NA), named.
    """
    for col in needed:
        if col not in frame.columns:
            raise InputError("no such column", file=source, column=col,
                             expected="one of " + ", ".join(map(str, frame.columns)))
    forced = set(categorical or ())
    unknown = forced - set(covariates)
    if unknown:
        raise InputError("categorical column is not a covariate", option="categorical",
                         expected=f"one of {covariates}", got=sorted(unknown))
    for cov in covariates:
        if cov not in forced:
            check_numbers(frame[cov], source, cov, rows)
    complete = frame[needed].notna().all(axis=1)
    rows = frame.loc[complete, needed].reset_index(drop=True)
    if rows.empty:
        raise InputError("no complete rows", file=source, expected=f"rows with all of {needed} present")
    cols, terms = {}, {}
    for cov in covariates:
        series = rows[cov]
        if _is_categorical(series, forced):
            levels = r_levels(series)
            if len(levels) < 2:
                raise InputError("covariate has a single level among complete rows", file=source, column=cov,
                                 expected="at least two levels", got=[r_label(v) for v in levels])
            terms[cov] = []
            for level in levels[1:]:
                name = f"{cov}{r_label(level)}"
                cols[name] = (series == level).astype(float).to_numpy()
                terms[cov].append(name)
        else:
            values = series.to_numpy(dtype=float)
            if np.ptp(values) == 0:
                raise InputError("covariate is constant among complete rows", file=source, column=cov,
                                 expected="at least two distinct values", got=float(values[0]))
            cols[cov] = values
            terms[cov] = [cov]
    X = pd.DataFrame(cols)
    check_collinear(X)
    return Design(rows=rows, X=X, terms=terms, n_dropped=int((~complete).sum()))


def check_collinear(X: pd.DataFrame, strata: np.ndarray | None = None, strata_name: str | None = None) -> None:
    """ModelError naming the first column that is a linear combination of earlier ones (R: coefficient NA).

    A Cox model has no intercept but is invariant to shifts, and with strata to a
    shift per stratum: columns are centred within strata, so a covariate that is
    constant within every stratum (e.g. the stratification variable itself) is caught.
    """
    centred = X - (X.mean() if strata is None else X.groupby(strata).transform("mean"))

    def deficient(k: int) -> bool:
        sub = centred.iloc[:, :k].to_numpy()
        return np.linalg.matrix_rank(sub, tol=1e-9 * max(1.0, np.abs(sub).max()) * np.sqrt(len(sub))) < k

    if X.shape[1] == 0 or not deficient(X.shape[1]):  # one decomposition when all columns are independent
        return
    for k in range(1, X.shape[1] + 1):  # else the first column that adds nothing, to name it
        sub = centred.iloc[:, :k].to_numpy()
        if deficient(k):
            col = X.columns[k - 1]
            if strata is not None and np.abs(sub[:, k - 1]).max() <= 1e-9 * max(1.0, np.abs(X[col]).max()):
                raise ModelError(f"covariate column {col!r} is constant within each stratum of {strata_name!r}; "
                                 "R would report its coefficient as NA. Drop it or stratify on something else.")
            raise ModelError(f"covariate column {col!r} is collinear with earlier covariates "
                             f"({', '.join(X.columns[:k - 1])})" + ("" if strata is None else
                                                                   f" within strata of {strata_name!r}")
                             + "; R would report its coefficient as NA. Drop it or one of the others.")
