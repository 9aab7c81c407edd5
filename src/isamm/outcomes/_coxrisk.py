"""Risk-set computations that no library does as R does: concordance and ``cox.zph``.

Why hand-written: ``lifelines.utils.concordance_index`` knows neither strata
nor delayed entry, and ``lifelines``' ``proportional_hazard_test`` is the
pre-3.0 approximation of ``cox.zph``. survival >= 3.0 computes ``cox.zph`` as
an exact score test of adding ``x·g(t)`` terms at ``(β̂, 0)``, with Efron's
tie handling (Therneau, survival ``R/cox.zph.R`` and ``src/zph1.c``); this
module does the same, and the tests compare with R.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import chi2

from isamm.errors import ModelError
from isamm.outcomes._risksets import RiskData, death_moments, information

__all__ = ["concordance", "zph"]


def _event_times(t, e, s, strata):
    """(stratum, time) pairs that have an event, and the risk-set mask function."""
    keys = sorted({(strata[i], t[i]) for i in np.flatnonzero(e == 1)}, key=lambda k: (str(k[0]), k[1]))
    lo = np.full(len(t), -np.inf) if s is None else s

    def at_risk(stratum, time):
        return (strata == stratum) & (lo < time) & (t >= time)

    return keys, at_risk


def concordance(t, e, s, strata, eta) -> dict:
    """Harrell's C as R ``coxph`` reports it (``concordance(fit)``, ``timewt = "n"``).

    For every event at time ``t``, each subject still at risk after ``t`` in the
    same stratum (censored at ``t`` counts as at risk; another event at ``t``
    is a tie in y and not compared) forms a pair: concordant when the subject
    with the event has the larger linear predictor, tied in x when equal.
    C = (concordant + tied.x / 2) / (concordant + discordant + tied.x).

    A sweep from the last time to the first with a Fenwick tree over the ranks
    of the linear predictor: O(n log n), so simulated cohorts of 10⁵ are fine.
    """
    lo = np.full(len(t), -np.inf) if s is None else s
    conc = disc = tied = 0
    for stratum in np.unique(strata):
        ins = np.flatnonzero(strata == stratum)
        c, d, x = _concordance_stratum(t[ins], e[ins], lo[ins], eta[ins])
        conc, disc, tied = conc + c, disc + d, tied + x
    total = conc + disc + tied
    c = (conc + tied / 2) / total if total else float("nan")
    return {"concordance": float(c), "concordant": int(conc), "discordant": int(disc), "tied_x": int(tied)}


def _concordance_stratum(t, e, lo, eta):
    _, rank = np.unique(eta, return_inverse=True)  # exact ties share a rank, as R compares them
    tree = np.zeros(rank.max() + 2, dtype=np.int64)

    def add(r, v):
        r += 1
        while r < len(tree):
            tree[r] += v
            r += r & -r

    def below(r):  # number in the tree with rank < r
        out = 0
        while r > 0:
            out += tree[r]
            r -= r & -r
        return out

    by_exit = np.lexsort((e, -t))  # exit descending; at equal exit, censored (e = 0) first
    by_entry = np.argsort(-lo, kind="stable")
    i_exit = i_entry = 0
    n_in = 0
    conc = disc = tied = 0
    for time in np.unique(t[e == 1])[::-1]:
        # in the tree: exit > time, or censored at time ...
        while i_exit < len(t) and (t[by_exit[i_exit]] > time or (t[by_exit[i_exit]] == time
                                                                  and e[by_exit[i_exit]] == 0)):
            add(rank[by_exit[i_exit]], 1)
            n_in += 1
            i_exit += 1
        # ... minus those entering at or after time
        while i_entry < len(t) and lo[by_entry[i_entry]] >= time:
            add(rank[by_entry[i_entry]], -1)  # exit > entry >= time: it was added above
            n_in -= 1
            i_entry += 1
        # the deaths at `time` come next in exit order (censored ones at `time` are already in)
        first = i_exit
        while i_exit < len(t) and t[by_exit[i_exit]] == time:
            i_exit += 1
        deaths = by_exit[first:i_exit]
        for i in deaths:
            less, upto = below(rank[i]), below(rank[i] + 1)
            conc += less
            tied += upto - less
            disc += n_in - upto
        for i in deaths:  # they join the risk sets of earlier times
            add(rank[i], 1)
            n_in += 1
    return conc, disc, tied


def zph(t, e, s, strata, X, eta, gtime, terms: dict[str, list[int]], efron: bool = True):
    """Score tests of proportional hazards as R ``cox.zph(fit)``: rows per term and ``GLOBAL``.

    Parameters
    ----------
    t, e, s, strata
        Exit time, event, entry time (or None) and stratum codes of each subject.
    X, eta
        Design matrix and linear predictor at the fitted coefficients.
    gtime
        Transformed time ``g(t_i)`` of each subject, centred over the events.
    terms
        Term name → column indices (a factor is one multi-df term, as in R).

    Returns
    -------
    list of (name, chisq, df, p)
    """
    p = X.shape[1]
    Xc = X - X.mean(axis=0)  # shift-invariant; centring keeps the running sums well conditioned
    w = np.exp(eta - eta.max())
    data = RiskData(t, e, s, strata)
    m = death_moments(Xc, w, data, efron)
    g = np.asarray(gtime, float)[m.rows]  # g(t) of each death (tied deaths share it)
    u = np.zeros(2 * p)
    u[p:] = g @ (Xc[m.rows] - m.xbar)
    info, info_g, info_gg = (information(Xc, w, data, m, h, efron) for h in (None, g, g * g))
    imat = np.block([[info, info_g], [info_g, info_gg]])
    rows = []
    for name, cols in terms.items():
        kk = list(range(p)) + [p + j for j in cols]
        uu = np.concatenate([np.zeros(p), u[[p + j for j in cols]]])
        stat = float(uu @ _solve(imat[np.ix_(kk, kk)], uu, name))
        rows.append((name, stat, len(cols), float(chi2.sf(stat, len(cols)))))
    uu = np.concatenate([np.zeros(p), u[p:]])
    stat = float(uu @ _solve(imat, uu, "GLOBAL"))
    rows.append(("GLOBAL", stat, p, float(chi2.sf(stat, p))))
    return rows


def _solve(a: np.ndarray, b: np.ndarray, term: str) -> np.ndarray:
    """``solve(a, b)`` refusing what R's ``solve`` refuses: reciprocal condition number (1-norm) below eps.

    E.g. a covariate that stops varying after the first event times: x·g(t) is then
    collinear with x, and R's ``cox.zph`` stops with "system is computationally singular".
    """
    with np.errstate(divide="ignore"):
        rcond = 1.0 / np.linalg.cond(a, 1)
    if not rcond >= np.finfo(float).eps:
        raise ModelError(f"the proportional-hazards test ({term}) cannot be computed: its information matrix "
                         "is singular, e.g. a covariate that no longer varies after the first event times "
                         "(R cox.zph stops with 'system is computationally singular')")
    return np.linalg.solve(a, b)
