"""ROC curve, AUC and the Youden-optimal cut-off of a continuous marker for a binary outcome.

Seed 004 (Martino et al. 2025, *Hematol Oncol*, Statistical Analysis) picks the
haemoglobin cut-off that maximises Youden's J = sensitivity + specificity − 1.
The curve comes from :func:`sklearn.metrics.roc_curve` (every distinct value a
threshold); each threshold is reported as the midpoint between adjacent
observed values, so the cut-off never coincides with a patient's value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score, roc_curve

from isamm.errors import InputError, ModelError
from isamm.outcomes._surv import as_event_array

__all__ = ["CutoffResult", "roc_cutoff"]


@dataclass(frozen=True)
class CutoffResult:
    """Youden-optimal cut-off and the ROC curve.

    Attributes
    ----------
    cutoff : float
        Threshold (midpoint between adjacent observed marker values).
        ``direction="below"``: marker < cutoff predicts the outcome;
        ``"above"``: marker > cutoff does.
    youden_j, sensitivity, specificity : float
        At the cut-off (the first maximum of J in ascending cut-off order).
    auc : float
        Area under the ROC curve (probability that a subject with the outcome
        has the more abnormal marker; ties count ½).
    fpr, tpr, thresholds : numpy.ndarray
        The ROC curve, thresholds ascending (from −inf to +inf).
    direction : str
    n, n_positive, n_dropped : int
        Subjects used, subjects with the outcome, pairs dropped for a missing value.
    """

    cutoff: float
    youden_j: float
    sensitivity: float
    specificity: float
    auc: float
    fpr: np.ndarray
    tpr: np.ndarray
    thresholds: np.ndarray
    direction: str
    n: int
    n_positive: int
    n_dropped: int

    def to_frame(self) -> pd.DataFrame:
        """The ROC table: ``threshold, sensitivity, specificity, youden_j``."""
        return pd.DataFrame({"threshold": self.thresholds, "sensitivity": self.tpr, "specificity": 1 - self.fpr,
                             "youden_j": self.tpr - self.fpr})

    def to_dict(self) -> dict:
        """The ``isamm cutoff --json`` contract (plus direction and counts)."""
        return {"cutoff": float(self.cutoff), "youden_j": float(self.youden_j),
                "sensitivity": float(self.sensitivity), "specificity": float(self.specificity),
                "auc": float(self.auc), "direction": self.direction, "n": self.n,
                "n_positive": self.n_positive, "n_dropped": self.n_dropped}


def roc_cutoff(marker, outcome, *, direction: str = "below") -> CutoffResult:
    """Youden-optimal cut-off of ``marker`` for the binary ``outcome``.

    Parameters
    ----------
    marker : array_like
        Continuous marker (e.g. haemoglobin, g/dL). Missing pairs are dropped and counted.
    outcome : array_like
        1 = outcome (progressed/died), 0 = not.
    direction : {"below", "above"}
        Whether low (``"below"``, e.g. haemoglobin) or high marker values predict the outcome.

    Returns
    -------
    CutoffResult

    Raises
    ------
    InputError
        Non-numeric marker, outcome not 0/1 or with one value, a constant marker.
    ModelError
        No finite cut-off has Youden's J > 0 in this direction (the best "cut-off"
        would be ±inf: everyone or no one positive).
    """
    if direction not in ("below", "above"):
        raise InputError("unknown direction", option="direction", expected="'below' or 'above'", got=direction)
    m_raw = pd.Series(np.asarray(marker, dtype=object).ravel())
    m = pd.to_numeric(m_raw, errors="coerce")
    bad = (m.isna() & m_raw.notna()).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"element {i + 1} of the marker is not a number", option="marker", expected="numbers",
                         got=str(m_raw.iloc[i]))
    y_raw = pd.Series(np.asarray(outcome, dtype=object).ravel())
    if len(m) != len(y_raw):
        raise InputError("marker and outcome differ in length", option="outcome", expected=f"{len(m)} values",
                         got=len(y_raw))
    keep = (m.notna() & y_raw.notna()).to_numpy()
    x = m.to_numpy(float)[keep]
    y = as_event_array(y_raw[keep].to_numpy(), "outcome")
    n_pos = int(y.sum())
    if n_pos == 0 or n_pos == len(y):
        raise InputError("the outcome must have both values among complete pairs", option="outcome",
                         expected="some 0 and some 1", got=f"{n_pos} of {len(y)} are 1")
    if np.ptp(x) == 0:  # every cut-off would be ±inf ("m < -inf")
        raise InputError("the marker is constant among complete pairs: no cut-off exists", option="marker",
                         expected="at least two distinct marker values", got=float(x[0]))
    score = x if direction == "above" else -x
    fpr, tpr, thr = roc_curve(y, score, drop_intermediate=False)
    # sklearn: positive when score >= thr (thr = observed scores, descending, first = +inf).
    # Express each as the midpoint between that observed value and the next one below it.
    values = np.unique(x)
    if direction == "above":  # positive when x >= v  <=>  x > midpoint(previous value, v)
        idx = np.searchsorted(values, thr[1:])
        cuts = np.concatenate([[np.inf], np.where(idx > 0, (values[np.maximum(idx - 1, 0)] + values[idx]) / 2,
                                                  -np.inf)])
    else:  # positive when x <= v  <=>  x < midpoint(v, next value)
        idx = np.searchsorted(values, -thr[1:])
        nxt = np.minimum(idx + 1, len(values) - 1)
        cuts = np.concatenate([[-np.inf], np.where(idx < len(values) - 1, (values[idx] + values[nxt]) / 2, np.inf)])
    order = np.argsort(cuts, kind="stable")
    cuts, fpr, tpr = cuts[order], fpr[order], tpr[order]
    j = tpr - fpr
    # First maximum in ascending cut-off order, compared in integers (TP·N − FP·P) so that
    # equal J's computed by different float roundings stay equal.
    n_neg = len(y) - n_pos
    j_int = np.rint(tpr * n_pos).astype(np.int64) * n_neg - np.rint(fpr * n_neg).astype(np.int64) * n_pos
    best = int(np.argmax(j_int))
    if not np.isfinite(cuts[best]):  # J <= 0 at every finite cut-off: "everyone" or "no one" is as good
        other = "above" if direction == "below" else "below"
        raise ModelError(f"no cut-off does better than none with direction {direction!r}: Youden's J is at most 0 "
                         f"at every cut-off (AUC {roc_auc_score(y, score):.3f}); the marker may point the other "
                         f"way: try direction {other!r}")
    auc = float(roc_auc_score(y, score))
    return CutoffResult(cutoff=float(cuts[best]), youden_j=float(j[best]), sensitivity=float(tpr[best]),
                        specificity=float(1 - fpr[best]), auc=auc, fpr=fpr, tpr=tpr, thresholds=cuts,
                        direction=direction, n=int(len(y)), n_positive=n_pos, n_dropped=int((~keep).sum()))
