"""Cox proportional-hazards regression configured to R ``coxph`` defaults.

Matched R settings: ``ties = "efron"``, complete cases (``na.action = na.omit``,
dropped rows counted), treatment contrasts with R's term names (``sexM``),
``strata()``, ``Surv(entry, time, event)`` for delayed entry, ``timefix``;
Wald CI ``exp(β ± z·se)``; the Wald, likelihood-ratio and score tests of
``summary(coxph)``; concordance as ``coxph`` reports it; ``cox.zph`` with the
default ``transform = "km"``. The fit is :class:`statsmodels PHReg
<statsmodels.duration.hazard_regression.PHReg>` (Efron ties, strata, entry).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import chi2, norm
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from isamm.errors import InputError, ModelError
from isamm.outcomes._coxrisk import concordance, zph
from isamm.outcomes._design import check_collinear, model_frame
from isamm.outcomes._km import kaplan_meier
from isamm.outcomes._surv import check_survival

__all__ = ["CoxResult", "cox"]

MAX_SD_LOG_HR = 20.0  # |β|·sd(x) beyond this is a diverging coefficient (monotone likelihood)


@dataclass(frozen=True)
class CoxResult:
    """A fitted Cox model.

    Attributes
    ----------
    n, events, n_dropped : int
        Subjects used, events, rows dropped for a missing value (R ``na.omit``).
    terms : pandas.DataFrame
        One row per model column (R names): ``term, coef, se, z, p, hr, lower, upper``.
    concordance : float
        Harrell's C as R ``coxph`` reports it.
    wald, lr, score : dict
        Global tests ``{"chisq", "df", "p"}`` of ``summary(coxph)``.
    loglik : (float, float)
        Partial log-likelihood at β = 0 and at the estimate.
    covariates, strata, ties, conf_level
        What was fitted.
    """

    n: int
    events: int
    n_dropped: int
    terms: pd.DataFrame
    concordance: float
    wald: dict
    lr: dict
    score: dict
    loglik: tuple[float, float]
    covariates: tuple[str, ...]
    strata: str | None
    ties: str
    conf_level: float
    _zph_inputs: tuple = field(default=(), repr=False, compare=False)

    def to_frame(self) -> pd.DataFrame:
        """The coefficient table ``term, coef, se, z, p, hr, lower, upper``."""
        return self.terms.copy()

    def to_dict(self) -> dict:
        """The ``isamm cox --json`` contract, plus the global tests and dropped rows."""
        return {
            "n": self.n,
            "events": self.events,
            "n_dropped": self.n_dropped,
            "concordance": self.concordance,
            "terms": [
                {"term": r.term, "hr": r.hr, "ci": [r.lower, r.upper], "coef": r.coef, "se": r.se, "z": r.z,
                 "p": r.p}
                for r in self.terms.itertuples(index=False)
            ],
            "tests": {"wald": self.wald, "lr": self.lr, "score": self.score},
        }

    def zph(self) -> pd.DataFrame:
        """Test of proportional hazards as R ``cox.zph(fit)`` (``transform = "km"``).

        Returns
        -------
        pandas.DataFrame
            ``term, chisq, df, p``: one row per covariate (a factor is one term
            with ``levels − 1`` df) and a ``GLOBAL`` row.
        """
        rows = zph(*self._zph_inputs, efron=self.ties == "efron")
        return pd.DataFrame(rows, columns=["term", "chisq", "df", "p"])


def cox(frame, time: str, event: str, covariates, *, strata: str | None = None, entry: str | None = None,
        categorical=None, ties: str = "efron", conf_level: float = 0.95) -> CoxResult:
    """Fit a Cox proportional-hazards model, equal to R ``coxph``.

    Parameters
    ----------
    frame : pandas.DataFrame or isamm.cohort.Cohort
        One row per subject.
    time, event : str
        Columns of follow-up time (any unit) and event (1/0).
    covariates : sequence of str
        Covariate columns. Text/boolean columns are factors (first level in
        sorted order is the reference; terms named ``colLevel``), numeric
        columns are linear, as in R.
    strata : str, optional
        Stratification column (R ``+ strata(col)``): separate baseline hazards.
    entry : str, optional
        Delayed-entry column (R ``Surv(entry, time, event)``).
    categorical : sequence of str, optional
        Numeric-coded covariates to treat as factors (R ``factor(col)``).
    ties : {"efron", "breslow"}
        Tie handling; R's default is Efron.
    conf_level : float
        Level of the hazard-ratio CIs.

    Returns
    -------
    CoxResult

    Raises
    ------
    InputError
        Unknown column, bad survival data, a covariate with one level.
    ModelError
        Collinear covariates, no events, or a diverging coefficient
        (monotone likelihood, e.g. a group without events), named.
    """
    source = getattr(frame, "source", "<DataFrame>")
    data = getattr(frame, "data", frame)
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    if not covariates:
        raise InputError("no covariates", option="covariates", expected="at least one column")
    if ties not in ("efron", "breslow"):
        raise InputError("unknown ties method", option="ties", expected="'efron' or 'breslow'", got=ties)
    needed = [time, event, *covariates] + [c for c in (strata, entry) if c]
    design = model_frame(data, list(dict.fromkeys(needed)), covariates, categorical, source)
    rows = design.rows
    t, e, s = check_survival(rows[time], rows[event], None if entry is None else rows[entry])
    if e.sum() == 0:
        raise ModelError("no events among the complete rows: a Cox model cannot be fitted")
    strata_codes = np.zeros(len(t), dtype=int) if strata is None else pd.factorize(rows[strata], sort=True)[0]
    if strata is not None:
        check_collinear(design.X, strata_codes, strata)
    X = design.X.to_numpy(float)
    t_fit, s_fit = _ordinal_times(t, s)
    model = PHReg(t_fit, X, status=e, entry=s_fit, strata=None if strata is None else strata_codes, ties=ties)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        try:
            fit = model.fit()
        except np.linalg.LinAlgError as exc:
            raise _singular_error(model, design.X.columns, exc) from None
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    beta, se = np.asarray(fit.params), np.asarray(fit.bse)
    size = np.abs(beta) * X.std(axis=0)
    if not converged or (size > MAX_SD_LOG_HR).any() or not np.isfinite(se).all():
        col = design.X.columns[int(np.nanargmax(np.where(np.isfinite(se), size, np.inf)))]
        raise ModelError(f"the Cox model did not converge: the coefficient of {col!r} diverges (monotone "
                         "likelihood, e.g. no events in one group; R warns it 'may be infinite'). "
                         "Merge or drop that level or covariate.")
    z = beta / se
    zq = norm.ppf(1 - (1 - conf_level) / 2)
    terms = pd.DataFrame({"term": design.X.columns, "coef": beta, "se": se, "z": z, "p": 2 * norm.sf(np.abs(z)),
                          "hr": np.exp(beta), "lower": np.exp(beta - zq * se), "upper": np.exp(beta + zq * se)})
    p = len(beta)
    ll0, ll1 = float(model.loglike(np.zeros(p))), float(fit.llf)
    wald = float(beta @ np.linalg.solve(np.asarray(fit.cov_params()), beta))
    u0 = model.score(np.zeros(p))
    score = float(u0 @ np.linalg.solve(-model.hessian(np.zeros(p)), u0))
    # row by row, not X @ beta: BLAS may round identical rows differently (blocked kernels), and the
    # concordance must see exact ties in the linear predictor as R does
    eta = (np.asarray(X, dtype=float) * beta).sum(axis=1)
    c = concordance(t, e, s, strata_codes, eta)["concordance"]
    # cox.zph, transform = "km": g = 1 − KM(t−) of all subjects (ignoring strata), centred over events
    km = kaplan_meier(t, e, entry=s)["all"].table
    idx = np.searchsorted(km["time"].to_numpy(), t, side="left")
    g = 1.0 - np.concatenate([[1.0], km["surv"].to_numpy()])[idx]
    g = g - g[e == 1].mean()
    col_index = {name: i for i, name in enumerate(design.X.columns)}
    term_cols = {cov: [col_index[c] for c in cols] for cov, cols in design.terms.items()}
    return CoxResult(
        n=len(t), events=int(e.sum()), n_dropped=design.n_dropped, terms=terms, concordance=c,
        wald=_test(wald, p), lr=_test(2 * (ll1 - ll0), p), score=_test(score, p), loglik=(ll0, ll1),
        covariates=tuple(covariates), strata=strata, ties=ties, conf_level=conf_level,
        _zph_inputs=(t, e, s, strata_codes, X, eta, g, term_cols),
    )


def _singular_error(model, columns, exc) -> ModelError:
    """Name a column without information: it never varies within a risk set at an event time.

    E.g. the only patient with ``x = 1`` is censored before the first event; R's
    ``coxph`` then reports the coefficient of ``x`` as NA.
    """
    info = -np.diag(np.asarray(model.hessian(np.zeros(len(columns)))))
    empty = [c for c, v in zip(columns, info) if not v > 1e-10 * max(1.0, float(np.nanmax(np.abs(info))))]
    if empty:
        return ModelError(f"covariate column {empty[0]!r} does not vary within any risk set at an event time "
                          "(e.g. its only patients were censored before the first event); R would report its "
                          "coefficient as NA. Drop it or merge its levels.")
    return ModelError(f"the Cox model could not be fitted ({exc})")


def _ordinal_times(t: np.ndarray, s: np.ndarray | None):
    """Times for PHReg such that its risk sets are R's (``entry < t <= time``).

    PHReg keeps a subject whose entry equals an event time in that risk set
    (Stata's convention); R does not. The partial likelihood depends only on
    the order of times, so exits become ``2·rank`` and entries ``2·rank + 1``:
    an entry tied with an exit now falls just after it.
    """
    if s is None:
        return t, None
    pooled = np.unique(np.concatenate([t, s]))
    return 2.0 * np.searchsorted(pooled, t), 2.0 * np.searchsorted(pooled, s) + 1.0


def _test(stat: float, df: int) -> dict:
    return {"chisq": float(stat), "df": int(df), "p": float(chi2.sf(stat, df))}
