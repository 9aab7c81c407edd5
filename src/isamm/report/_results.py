"""Reading the :mod:`isamm.outcomes` result objects that figures and reports draw.

All knowledge of the result objects' attributes sits here, so a change in
``isamm.outcomes`` is fixed in one place. A wrong object fails at once with a
``TypeError`` naming what was expected.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["km_step_tables", "logrank_p", "cox_terms", "roc_arrays"]

_STEP_COLUMNS = ["time", "n_risk", "n_event", "n_censor", "surv", "lower", "upper"]


def _expect(obj, cls_name: str, func: str) -> None:
    from isamm import outcomes

    if not isinstance(obj, getattr(outcomes, cls_name)):
        raise TypeError(f"{func} expects an isamm.outcomes.{cls_name}, got {type(obj).__name__}")


def km_step_tables(km) -> dict[str, pd.DataFrame]:
    """Per-group KM step tables ``{label: DataFrame[time, n_risk, n_event, n_censor, surv, lower, upper]}``."""
    _expect(km, "KMResult", "km_plot")
    out = {}
    for label, tab in km.tables.items():
        missing = [c for c in _STEP_COLUMNS if c not in tab.columns]
        if missing:
            raise TypeError(f"KMResult table for group {label!r} lacks columns {missing}")
        out[str(label)] = tab[_STEP_COLUMNS].sort_values("time", kind="stable").reset_index(drop=True)
    return out


def logrank_p(km) -> float | None:
    """The p-value of the log-rank test carried by a KM result (None with one group, or a test with 0 df)."""
    _expect(km, "KMResult", "km_plot")
    return None if km.logrank is None or km.logrank.df == 0 else float(km.logrank.p)


def cox_terms(cox) -> pd.DataFrame:
    """Cox model terms as ``DataFrame[term, hr, lower, upper, p]`` in model order."""
    _expect(cox, "CoxResult", "forest_plot")
    frame = cox.to_frame()
    return frame[["term", "hr", "lower", "upper", "p"]].reset_index(drop=True)


def roc_arrays(cut):
    """``(fpr, tpr, cutoff, sensitivity, specificity, auc, direction)`` of a ROC cut-off result."""
    _expect(cut, "CutoffResult", "roc_plot")
    return (cut.fpr, cut.tpr, float(cut.cutoff), float(cut.sensitivity), float(cut.specificity), float(cut.auc),
            cut.direction)
