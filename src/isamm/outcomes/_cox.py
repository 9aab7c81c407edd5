"""Cox proportional-hazards regression configured to R ``coxph`` defaults.

Matched R settings: ``ties = "efron"``, complete cases (``na.action = na.omit``,
dropped rows counted), treatment contrasts with R's term names (``sexM``),
``strata()``, ``Surv(entry, time, event)`` for delayed entry, ``timefix``;
Wald CI ``exp(β ± z·se)``; the Wald, likelihood-ratio and score tests of
``summary(coxph)``; concordance as ``coxph`` reports it; ``cox.zph`` with the
default ``transform = "km"``. The fit is Newton–Raphson with step halving,
step for step as R's ``coxph.fit`` (:mod:`isamm.outcomes._coxfit`), so it
converges where R converges (covariates on any scale: age in years,
creatinine in µmol/L, FLC in mg/L) and calls a likelihood monotone by R's rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import chi2, norm

from isamm._blas import one_thread, single_threaded
from isamm._table import rows_of
from isamm.errors import InputError, ModelError
from isamm.outcomes._coxfit import ITER_MAX, CoxFit, cox_newton
from isamm.outcomes._coxrisk import concordance, zph
from isamm.outcomes._design import check_collinear, model_frame, r_levels
from isamm.outcomes._km import kaplan_meier
from isamm.outcomes._surv import check_survival

__all__ = ["CoxResult", "cox", "zph_records"]


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
        with one_thread():  # isamm._blas
            rows = zph(*self._zph_inputs, efron=self.ties == "efron")
        return pd.DataFrame(rows, columns=["term", "chisq", "df", "p"])


def zph_records(table: pd.DataFrame) -> list[dict]:
    """A :meth:`CoxResult.zph` table as JSON records (``term, chisq, df, p``): the one form of every output."""
    return [{"term": str(r.term), "chisq": float(r.chisq), "df": int(r.df), "p": float(r.p)}
            for r in table.itertuples(index=False)]


@single_threaded  # p × p algebra: threads only wait for busy cores (isamm._blas)
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
    design = model_frame(data, list(dict.fromkeys(needed)), covariates, categorical, source, rows_of(frame))
    rows = design.rows
    t, e, s = check_survival(rows[time], rows[event], None if entry is None else rows[entry])
    if e.sum() == 0:
        raise ModelError("no events among the complete rows: a Cox model cannot be fitted")
    strata_codes = (np.zeros(len(t), dtype=int) if strata is None  # strata in R's factor order (r_levels)
                    else pd.Categorical(rows[strata], categories=r_levels(rows[strata])).codes.astype(int))
    if strata is not None:
        check_collinear(design.X, strata_codes, strata)
    X = design.X.to_numpy(float)
    fit = cox_newton(X, t, e, s, strata_codes, efron=ties == "efron")
    _check_fit(fit, list(design.X.columns))
    beta = fit.coef
    se = np.sqrt(np.diag(fit.var))
    z = beta / se
    zq = norm.ppf(1 - (1 - conf_level) / 2)
    terms = pd.DataFrame({"term": design.X.columns, "coef": beta, "se": se, "z": z, "p": 2 * norm.sf(np.abs(z)),
                          "hr": np.exp(beta), "lower": np.exp(beta - zq * se), "upper": np.exp(beta + zq * se)})
    p = len(beta)
    ll0, ll1 = fit.loglik
    wald = float(beta @ np.linalg.solve(fit.var, beta))
    score = fit.score_test
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


def _check_fit(fit: CoxFit, columns: list[str]) -> None:
    """ModelError where R would report NA, warn of an infinite coefficient, or not converge.

    - a column without information at β = 0: it never varies within a risk set
      at an event time (e.g. the only patient with ``x = 1`` is censored before
      the first event); R reports its coefficient as NA;
    - a monotone likelihood: R's rule (:mod:`isamm.outcomes._coxfit`), e.g. no
      events in one group;
    - Newton–Raphson out of iterations.
    """
    info = np.diag(fit.info0)
    if fit.rank0 < len(columns):
        empty = [c for c, v in zip(columns, info) if not v > 1e-10 * max(1.0, float(np.nanmax(np.abs(info))))]
        col = empty[0] if empty else columns[-1]
        raise ModelError(f"covariate column {col!r} does not vary within any risk set at an event time "
                         "(e.g. its only patients were censored before the first event); R would report its "
                         "coefficient as NA. Drop it or merge its levels.")
    if not fit.converged:
        raise ModelError(f"the Cox model did not converge in {ITER_MAX} Newton–Raphson iterations (R: 'Ran out "
                         "of iterations and did not converge'). Check the covariates for extreme values or "
                         "near-collinearity.")
    if fit.infinite.any():
        col = columns[int(np.flatnonzero(fit.infinite)[0])]
        raise ModelError(f"the coefficient of {col!r} diverges: the likelihood is monotone (it keeps rising as "
                         f"the coefficient grows, e.g. no events in one group; R warns 'Loglik converged before "
                         f"variable …; coefficient may be infinite'). Merge or drop that level or covariate.")


def _test(stat: float, df: int) -> dict:
    return {"chisq": float(stat), "df": int(df), "p": float(chi2.sf(stat, df))}
