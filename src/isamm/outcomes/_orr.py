"""Best response counts and overall response rate with Clopper–Pearson CIs.

IMWG response categories (Kumar et al., *Lancet Oncol* 2016;17:e328), best
first: sCR, CR, VGPR, PR, MR, SD, PD; NE = not evaluable. The ORR is the
proportion with at least a PR (seed 004: "response defined as achieving at
least a partial remission"); NE patients stay in the denominator
(intention to treat) unless ``evaluable_only=True``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from isamm._table import row_numbers
from isamm.errors import InputError
from isamm.outcomes._tables import ProportionResult, proportion_ci

__all__ = ["ORRResult", "orr", "RESPONSE_ORDER"]

RESPONSE_ORDER = ("sCR", "CR", "VGPR", "PR", "MR", "SD", "PD", "NE")
_CANONICAL = {code.lower(): code for code in RESPONSE_ORDER}


@dataclass(frozen=True)
class ORRResult:
    """Best-response distribution and response rates.

    Attributes
    ----------
    n : int
        Patients in the denominator.
    counts : dict
        Patients per category, in IMWG order (best first).
    orr : ProportionResult
        At least ``threshold`` (default PR), with its exact CI.
    rates : dict
        ``"≥CR"``, ``"≥VGPR"``, ``"≥PR"`` → ProportionResult.
    threshold : str
    """

    n: int
    counts: dict
    orr: ProportionResult
    rates: dict
    threshold: str

    def to_frame(self) -> pd.DataFrame:
        """Categories then cumulative rates: ``category, n, percent, lower, upper`` (CI only for rates)."""
        rows = [{"category": c, "n": k, "percent": 100 * k / self.n, "lower": np.nan, "upper": np.nan}
                for c, k in self.counts.items()]
        rows += [{"category": name, "n": r.k, "percent": 100 * r.proportion, "lower": 100 * r.ci[0],
                  "upper": 100 * r.ci[1]} for name, r in self.rates.items()]
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        """The ``isamm orr --json`` contract."""
        return {"n": self.n, "responders": self.orr.k, "orr": self.orr.proportion, "ci": list(self.orr.ci),
                "threshold": self.threshold, "counts": dict(self.counts),
                "rates": [{"level": name, "k": r.k, "proportion": r.proportion, "ci": list(r.ci)}
                          for name, r in self.rates.items()]}


def orr(responses, *, threshold: str = "PR", evaluable_only: bool = False, conf_level: float = 0.95,
        source: str | None = None, column: str | None = None, rows=None) -> ORRResult:
    """Overall response rate (at least ``threshold``) with the Clopper–Pearson CI.

    Parameters
    ----------
    responses : array_like of str
        Best response per patient, IMWG codes (case-insensitive): sCR, CR,
        VGPR, PR, MR, SD, PD, NE.
    threshold : str
        Lowest category counted as a response (default ``"PR"``).
    evaluable_only : bool
        Drop NE patients from the denominator.
    conf_level : float
        CI level (exact binomial, R ``binom.test``).
    source, column
        File and column, named in errors.
    rows
        Row number of each response in ``source`` (a :class:`isamm.cohort.Cohort`'s ``rows``); default
        :func:`isamm._table.row_numbers`: as a spreadsheet shows a file (header = row 1) when ``source``
        is given, else from 1.

    Returns
    -------
    ORRResult
    """
    if threshold.lower() not in _CANONICAL or threshold.upper() == "NE":
        raise InputError("unknown response threshold", option="threshold",
                         expected="one of " + ", ".join(RESPONSE_ORDER[:-1]), got=threshold)
    threshold = _CANONICAL[threshold.lower()]
    raw = pd.Series(np.asarray(responses, dtype=object).ravel())
    codes = []
    rows = row_numbers(len(raw), in_file=source is not None) if rows is None else np.asarray(rows)
    for i, value in enumerate(raw):
        key = None if pd.isna(value) else str(value).strip().lower()
        if key not in _CANONICAL:
            raise InputError("unknown response category", file=source, row=int(rows[i]), column=column,
                             option=None if source is not None else f"responses[{i}]",
                             expected="one of " + ", ".join(RESPONSE_ORDER) + " (NE = not evaluable)",
                             got=None if key is None else str(value))
        codes.append(_CANONICAL[key])
    counts = {c: codes.count(c) for c in RESPONSE_ORDER}
    n = len(codes) - (counts["NE"] if evaluable_only else 0)
    if n == 0:
        raise InputError("no evaluable patients", file=source, column=column, expected="at least one response")

    def at_least(level: str) -> ProportionResult:
        k = sum(counts[c] for c in RESPONSE_ORDER[: RESPONSE_ORDER.index(level) + 1])
        return proportion_ci(k, n, conf_level=conf_level)

    rates = {f"≥{lvl}": at_least(lvl) for lvl in ("CR", "VGPR", "PR")}
    return ORRResult(n=n, counts=counts, orr=at_least(threshold), rates=rates, threshold=threshold)
