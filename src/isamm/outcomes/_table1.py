"""Table 1: baseline characteristics, overall and by group, with the usual test per row.

Continuous variables: median [Q1–Q3] (quantiles as R ``quantile(type = 7)``,
NumPy's default), compared by the Wilcoxon rank-sum test for two groups (R
``wilcox.test``: exact when both groups have < 50 values and no ties, else the
normal approximation with continuity and tie corrections) or Kruskal–Wallis
for more. Categorical variables: n (%) of the non-missing values, compared by
Fisher's exact test for 2×2 tables and Pearson's χ² otherwise (seed 004,
Statistical Analysis). Missing values are counted on their own row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import kruskal, mannwhitneyu

from isamm._table import rows_of
from isamm.errors import InputError
from isamm._columns import is_categorical
from isamm.outcomes._design import check_numbers, r_label, r_levels
from isamm.outcomes._tables import association_p

__all__ = ["Table1Result", "table1"]

MAX_VARIABLES = 500  # rows of a Table 1
EXACT_WILCOXON_MAX_N = 50  # R wilcox.test: exact p below this size per group when there are no ties


@dataclass(frozen=True)
class Table1Result:
    """A baseline-characteristics table.

    Attributes
    ----------
    rows : pandas.DataFrame
        ``variable, level, kind, overall, <one column per group>, p, test``;
        ``kind`` is ``"n"``, ``"continuous"``, ``"categorical"``, ``"level"`` or
        ``"missing"``. Cells are display strings; p is a float (NaN when no test applies).
    stats : pandas.DataFrame
        The numbers behind the cells: ``variable, level, group, n, median, q1, q3, count, percent``.
    by : str or None
    groups : tuple of str
    n_missing_by : int
        Rows dropped because the grouping value was missing.
    """

    rows: pd.DataFrame
    stats: pd.DataFrame
    by: str | None
    groups: tuple[str, ...]
    n_missing_by: int

    def to_frame(self) -> pd.DataFrame:
        return self.rows.copy()

    def to_dict(self) -> dict:
        """The ``isamm table1 --json`` contract."""
        records = []
        for r in self.rows.to_dict(orient="records"):
            records.append({"variable": r["variable"], "level": r["level"], "kind": r["kind"],
                            "overall": r["overall"], "groups": {g: r[g] for g in self.groups},
                            "p": None if pd.isna(r["p"]) else float(r["p"]), "test": r["test"] or None})
        return {"by": self.by, "groups": list(self.groups), "n_missing_by": self.n_missing_by, "rows": records}


def _fmt(x: float) -> str:
    if not np.isfinite(x):
        return "NA"
    return f"{x:.2f}" if abs(x) < 1 else f"{x:.1f}" if abs(x) < 1000 else f"{x:.0f}"


def table1(frame, by: str | None = None, variables=None, *, categorical=None, continuous=None) -> Table1Result:
    """Baseline table, overall and by ``by``, with p-values when grouped.

    Parameters
    ----------
    frame : pandas.DataFrame or isamm.cohort.Cohort
        One row per patient. With a Cohort, its covariate roles are used.
    by : str, optional
        Grouping column (e.g. treatment arm, haemoglobin category).
    variables : sequence of str, optional
        Rows of the table, in order; default: the cohort's covariates, or
        every column except ``by``.
    categorical, continuous : sequence of str, optional
        Override the type of a variable (default: text, boolean and numeric
        columns with at most two values are categorical).

    Returns
    -------
    Table1Result
    """
    source = getattr(frame, "source", "<DataFrame>")
    data = getattr(frame, "data", frame)
    cohort_cats = set(getattr(frame, "categorical", ()))
    if variables is None:
        variables = list(getattr(frame, "covariates", ())) or [c for c in data.columns if c != by]
    variables = [v for v in variables if v != by]
    if len(variables) > MAX_VARIABLES:  # a wide export (lab panels, genes): minutes of tests nobody reads
        raise InputError(f"{len(variables):,} columns would be rows of the table", file=source, option="variables",
                         expected=f"at most {MAX_VARIABLES} variables: name the ones to show")
    for col in [*variables, *([by] if by else [])]:
        if col not in data.columns:
            raise InputError("no such column", file=source, column=col,
                             expected="one of " + ", ".join(map(str, data.columns)))
    cats = set(categorical or ()) | (cohort_cats - set(continuous or ()))
    conts = set(continuous or ())
    n_missing_by = 0
    numbers = rows_of(frame)  # each row's number in messages, kept through the subset below
    if by is not None:
        missing = data[by].isna()
        n_missing_by = int(missing.sum())
        data, numbers = data.loc[~missing], numbers[~missing.to_numpy()]
        levels = r_levels(data[by])
        if len(levels) < 2:
            raise InputError("grouping column has a single level", file=source, column=by, option="by",
                             expected="two or more groups", got=[r_label(v) for v in levels])
        group_masks = {r_label(g): (data[by] == g).to_numpy() for g in levels}
    else:
        group_masks = {}
    groups = tuple(group_masks)
    rows, stats = [], []

    def add(variable, level, kind, cells, p=np.nan, test=""):
        rows.append({"variable": variable, "level": level, "kind": kind, **cells, "p": p, "test": test})

    add("n", "", "n", {"overall": str(len(data)), **{g: str(int(m.sum())) for g, m in group_masks.items()}})
    for var in variables:
        col = data[var]
        is_cat = var in cats or (var not in conts and is_categorical(col))
        if is_cat:
            _categorical(var, col, group_masks, add, stats)
        else:
            values = pd.to_numeric(col, errors="coerce")
            if (values.isna() & col.notna()).any():
                i = int(np.flatnonzero((values.isna() & col.notna()).to_numpy())[0])
                check_numbers(col, source, var, numbers)  # mostly numbers: names the row
                raise InputError("not a number in a continuous variable", file=source, row=int(numbers[i]),
                                 column=var,
                                 expected="numbers (or declare the column categorical)", got=str(col.iloc[i]))
            _continuous(var, values, group_masks, add, stats)
    return Table1Result(rows=pd.DataFrame(rows), stats=pd.DataFrame(stats), by=by, groups=groups,
                        n_missing_by=n_missing_by)


def _summary(values: np.ndarray) -> tuple[str, dict]:
    x = values[~np.isnan(values)]
    if len(x) == 0:
        return "NA", {"n": 0, "median": np.nan, "q1": np.nan, "q3": np.nan}
    q1, med, q3 = np.quantile(x, [0.25, 0.5, 0.75])  # linear = R type 7
    return f"{_fmt(med)} [{_fmt(q1)}–{_fmt(q3)}]", {"n": len(x), "median": med, "q1": q1, "q3": q3}


def _continuous(var, values: pd.Series, group_masks, add, stats):
    arr = values.to_numpy(float)
    text, st = _summary(arr)
    cells = {"overall": text}
    stats.append({"variable": var, "level": "", "group": "overall", **st})
    samples = []
    for g, m in group_masks.items():
        text, st = _summary(arr[m])
        cells[g] = text
        stats.append({"variable": var, "level": "", "group": g, **st})
        samples.append(arr[m][~np.isnan(arr[m])])
    p, test = np.nan, ""
    if len(samples) >= 2 and all(len(s) > 0 for s in samples):
        if np.ptp(np.concatenate(samples)) == 0:
            pass  # all values equal: no test
        elif len(samples) == 2:
            x, y = samples
            ties = len(np.unique(np.concatenate(samples))) < len(x) + len(y)
            exact = len(x) < EXACT_WILCOXON_MAX_N and len(y) < EXACT_WILCOXON_MAX_N and not ties
            p = float(mannwhitneyu(x, y, alternative="two-sided", use_continuity=True,
                                   method="exact" if exact else "asymptotic").pvalue)
            test = "Wilcoxon rank-sum"
        else:
            p, test = float(kruskal(*samples).pvalue), "Kruskal-Wallis"
    add(var, "median [IQR]", "continuous", cells, p, test)
    n_missing = int(np.isnan(arr).sum())
    if n_missing:
        add(var, "missing", "missing", {"overall": str(n_missing),
                                        **{g: str(int(np.isnan(arr[m]).sum())) for g, m in group_masks.items()}})


def _categorical(var, col: pd.Series, group_masks, add, stats):
    levels = r_levels(col)
    # one pass: each row's level code (−1 missing) and group, counts by bincount (no per-level comparisons)
    codes = pd.Categorical(col, categories=levels).codes.astype(np.int64) if levels else np.full(len(col), -1)
    present = codes >= 0
    masks = [("overall", np.ones(len(col), bool)), *group_masks.items()]
    counts = np.stack([np.bincount(codes[present & m], minlength=len(levels)) for _, m in masks], axis=1)
    n_present = np.array([int((present & m).sum()) for _, m in masks])
    p, test = np.nan, ""
    if group_masks and len(levels) >= 2:
        table = counts[:, 1:]
        table = table[:, table.sum(axis=0) > 0]
        if table.shape[1] >= 2:
            p, test = association_p(table)  # the p-value only: no odds-ratio CI to solve
    add(var, "", "categorical", {"overall": "", **{g: "" for g in group_masks}}, p, test)
    for i, lvl in enumerate(levels):
        cells = {}
        for j, (g, _) in enumerate(masks):
            k, n = int(counts[i, j]), int(n_present[j])
            pct = 100 * k / n if n else np.nan
            cells[g] = f"{k} ({pct:.1f}%)" if n else "0"
            stats.append({"variable": var, "level": r_label(lvl), "group": g, "count": k, "n": n, "percent": pct})
        add(var, r_label(lvl), "level", cells)
    n_missing = int((~present).sum())
    if n_missing:
        add(var, "missing", "missing", {"overall": str(n_missing),
                                        **{g: str(int((~present & m).sum())) for g, m in group_masks.items()}})
