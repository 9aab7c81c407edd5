"""Proportional-odds (ordinal logistic) regression, equal to R ``MASS::polr``.

Seed 004 models best response (an ordered category) on candidate predictors
("multivariable ordinal regression"). Model: logit P(Y <= k) = ζ_k − x'β, so
β > 0 shifts patients towards higher categories; ``exp(β)`` is the
proportional odds ratio. Fitted by :class:`statsmodels OrderedModel
<statsmodels.miscmodels.ordinal_model.OrderedModel>` (``distr="logit"``),
which uses the same parametrisation as ``polr``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm
from statsmodels.miscmodels.ordinal_model import OrderedModel
from statsmodels.tools.sm_exceptions import ConvergenceWarning, HessianInversionWarning

from isamm._blas import single_threaded
from isamm._table import rows_of
from isamm.errors import InputError, ModelError
from isamm.outcomes._design import model_frame, r_label, r_levels
from isamm.outcomes._orr import RESPONSE_ORDER

__all__ = ["OrdinalResult", "ordinal_logit"]


@dataclass(frozen=True)
class OrdinalResult:
    """A fitted proportional-odds model.

    Attributes
    ----------
    n, n_dropped : int
        Subjects used and rows dropped for a missing value.
    levels : tuple of str
        Response categories, lowest first.
    terms : pandas.DataFrame
        ``term, coef, se, z, p, or, lower, upper`` (R names, ``or = exp(coef)``).
    cutpoints : pandas.DataFrame
        ``cut`` (e.g. ``"low|mid"``, as polr names ζ) and ``zeta``.
    loglik : float
    """

    n: int
    n_dropped: int
    levels: tuple[str, ...]
    terms: pd.DataFrame
    cutpoints: pd.DataFrame
    loglik: float

    def to_frame(self) -> pd.DataFrame:
        return self.terms.copy()

    def to_dict(self) -> dict:
        return {"n": self.n, "n_dropped": self.n_dropped, "levels": list(self.levels), "loglik": self.loglik,
                "terms": [{"term": r.term, "or": r.or_, "ci": [r.lower, r.upper], "coef": r.coef, "se": r.se,
                           "p": r.p} for r in self.terms.rename(columns={"or": "or_"}).itertuples(index=False)],
                "cutpoints": dict(zip(self.cutpoints["cut"], self.cutpoints["zeta"]))}


@single_threaded  # p × p algebra: threads only wait for busy cores (isamm._blas)
def ordinal_logit(frame, response: str, covariates, *, levels=None, categorical=None,
                  conf_level: float = 0.95) -> OrdinalResult:
    """Proportional-odds logistic regression of an ordered ``response`` on ``covariates``.

    Parameters
    ----------
    frame : pandas.DataFrame or isamm.cohort.Cohort
    response : str
        Ordered outcome column. Order of categories, lowest first: ``levels``
        if given; else an ordered pandas Categorical's order; else IMWG
        response codes from worst (PD) to best (sCR); else sorted values.
    covariates : sequence of str
        As in :func:`isamm.outcomes.cox` (text columns become factors named ``sexM``).
    levels : sequence, optional
    categorical : sequence of str, optional
        Numeric-coded covariates to treat as factors.
    conf_level : float

    Returns
    -------
    OrdinalResult
    """
    source = getattr(frame, "source", "<DataFrame>")
    data = getattr(frame, "data", frame)
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    design = model_frame(data, list(dict.fromkeys([response, *covariates])), covariates, categorical, source,
                         rows_of(frame))
    y = design.rows[response]
    levels = _levels(y, levels, source, response)
    if len(levels) < 3:
        raise InputError("an ordinal model needs at least three ordered categories (use logistic regression "
                         "for two)", file=source, column=response, got=[r_label(v) for v in levels])
    ycat = pd.Series(pd.Categorical(y, categories=levels, ordered=True))
    X = design.X
    model = OrderedModel(ycat, X, distr="logit")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = model.fit(method="newton", maxiter=200, disp=False)
    if any(issubclass(w.category, (ConvergenceWarning, HessianInversionWarning)) for w in caught):
        raise ModelError("the ordinal model did not converge; check for a covariate that separates the categories")
    p = X.shape[1]
    beta, se = np.asarray(fit.params[:p]), np.asarray(fit.bse[:p])
    z = beta / se
    zq = norm.ppf(1 - (1 - conf_level) / 2)
    terms = pd.DataFrame({"term": X.columns, "coef": beta, "se": se, "z": z, "p": 2 * norm.sf(np.abs(z)),
                          "or": np.exp(beta), "lower": np.exp(beta - zq * se), "upper": np.exp(beta + zq * se)})
    zeta = model.transform_threshold_params(np.asarray(fit.params))[1:-1]
    names = [f"{r_label(a)}|{r_label(b)}" for a, b in zip(levels[:-1], levels[1:])]
    return OrdinalResult(n=len(ycat), n_dropped=design.n_dropped, levels=tuple(r_label(v) for v in levels),
                         terms=terms, cutpoints=pd.DataFrame({"cut": names, "zeta": zeta}), loglik=float(fit.llf))


def _levels(y: pd.Series, levels, source, column) -> list:
    present = set(y.unique())
    if levels is not None:
        levels = list(levels)
        unknown = present - set(levels)
        if unknown:
            raise InputError("response value not among the given levels", file=source, column=column,
                             expected=f"one of {levels}", got=sorted(map(str, unknown)))
        return [v for v in levels if v in present]
    if isinstance(y.dtype, pd.CategoricalDtype) and y.cat.ordered:
        return [c for c in y.cat.categories if c in present]
    imwg = {c.lower(): c for c in RESPONSE_ORDER if c != "NE"}
    is_code = {v: isinstance(v, str) and v.strip().lower() in imwg for v in present}
    if all(is_code.values()):
        worst_first = [c for c in reversed(RESPONSE_ORDER) if c != "NE"]
        lower = {str(v).strip().lower(): v for v in present}
        return [lower[c.lower()] for c in worst_first if c.lower() in lower]
    if any(is_code.values()):
        # IMWG codes mixed with NE or a typo: sorting them alphabetically would be a silent nonsense order
        odd = sorted(str(v) for v, ok in is_code.items() if not ok)
        raise InputError("response values outside the IMWG order", file=source, column=column,
                         expected="sCR, CR, VGPR, PR, MR, SD or PD (leave NE / not evaluable cells empty, "
                                  "or give the order of the levels)", got=odd, see="levels")
    return r_levels(y)
