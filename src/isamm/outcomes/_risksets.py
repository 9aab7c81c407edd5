"""Risk sets of the Cox partial likelihood and their weighted moments, vectorised.

The Cox score, information and ``cox.zph`` test all need, for each death k,
the sums over its risk set R_k (``entry < t_k <= exit``, same stratum) of
``w``, ``w·x`` and ``w·x·xᵀ``, with Efron's correction for tied deaths: the
j-th (j = 0 … d−1) of d deaths tied at a time sees the risk-set sums less j/d
of the tied deaths' own sums (Breslow: the full sums for all d).

The p × p sums are never formed per death. For any per-death weights h,

    Σ_k h_k · S2_k / S0_k = Σ_i w_i x_i x_iᵀ · (Σ_{k: i ∈ R_k} h_k / S0_k − [i dies] Σ_{k tied with i} h_k f_k / S0_k)

so the information is one weighted cross-product ``Xᵀ diag(c) X − Σ_k h_k x̄_k x̄_kᵀ``
(two matrix products, O(n·p²) flops in BLAS and O(n·p) memory), where the
per-subject weight ``c_i`` is a prefix sum over the sorted event times. Every
term of ``c`` is ≥ 0, so nothing cancels in that sum. The risk-set sums of
``w`` and ``w·x`` are suffix sums over subjects sorted by exit (minus those
sorted by entry, for delayed entry), as in R's ``coxfit6``/``agfit4``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["RiskData", "DeathMoments", "death_moments", "information"]


class RiskData:
    """Subjects grouped for the partial likelihood: strata, sorted exits and entries, tied deaths.

    Parameters
    ----------
    t, e : ndarray (n,)
        Exit time (any unit) and event (1/0).
    s : ndarray (n,) or None
        Entry time (delayed entry; the subject is at risk on ``s < time <= t``).
    strata : ndarray (n,) of int
        Stratum codes.
    """

    def __init__(self, t, e, s, strata):
        t = np.asarray(t, float)
        e = np.asarray(e).astype(bool)
        self.n = len(t)
        self.strata = []
        for code in np.unique(strata):
            ins = np.flatnonzero(strata == code)
            self.strata.append(_Stratum(t[ins], e[ins], None if s is None else np.asarray(s, float)[ins], ins))
        self.deaths = np.flatnonzero(e)


class _Stratum:
    """One stratum: exit order, entry order, and each death's tie group and rank within it."""

    def __init__(self, t, e, s, rows):
        self.rows = rows
        self.exit_order = np.argsort(t, kind="stable")
        t_sorted = t[self.exit_order]
        times, d = np.unique(t[e], return_counts=True)  # distinct event times, deaths at each
        self.times = times
        self.d = d.astype(float)
        # risk set at time τ: exit >= τ (a suffix of the exit order) ...
        self.exit_start = np.searchsorted(t_sorted, times, side="left")
        self.entry_order = self.entry_start = None
        if s is not None:  # ... minus entry >= τ (a suffix of the entry order)
            self.entry_order = np.argsort(s, kind="stable")
            self.entry_start = np.searchsorted(s[self.entry_order], times, side="left")
        dead = np.flatnonzero(e)
        dead = dead[np.argsort(t[dead], kind="stable")]
        self.dead = dead                                     # local indices of deaths, by time
        self.dead_group = np.searchsorted(times, t[dead])    # their tie group
        self.group_first = np.searchsorted(self.dead_group, np.arange(len(times)), side="left")
        self.dead_rank = np.arange(len(dead)) - self.group_first[self.dead_group]  # 0 … d−1 within a tie group

    def efron_fraction(self, efron: bool) -> np.ndarray:
        """j/d for the j-th of d tied deaths (Efron), 0 for all (Breslow); one per death."""
        return self.dead_rank / self.d[self.dead_group] if efron else np.zeros(len(self.dead))

    def risk_sums(self, values: np.ndarray) -> np.ndarray:
        """Σ values over the risk set of each event time (values (n,) or (n, m), in this stratum's row order)."""
        out = _suffix_at(values, self.exit_order, self.exit_start)
        if self.entry_order is not None:
            out = out - _suffix_at(values, self.entry_order, self.entry_start)
        return out

    def at_risk_total(self, per_time: np.ndarray) -> np.ndarray:
        """For each subject, Σ per_time over the event times at which it is at risk (``entry < τ <= exit``)."""
        prefix = np.concatenate([[0.0], np.cumsum(per_time)])
        n = len(self.rows)
        out = np.empty(n)
        # subject at exit-order position q is at risk at the event times whose exit_start <= q ...
        out[self.exit_order] = prefix[np.searchsorted(self.exit_start, np.arange(n), side="right")]
        if self.entry_order is not None:  # ... except those whose entry_start <= its entry-order position
            out[self.entry_order] -= prefix[np.searchsorted(self.entry_start, np.arange(n), side="right")]
        return out


def _suffix_at(values: np.ndarray, order: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Σ values[order[k:]] for each k in ``start`` (values may be (n,) or (n, m))."""
    v = values[order]
    suffix = np.zeros((len(v) + 1,) + v.shape[1:])
    suffix[:-1] = np.cumsum(v[::-1], axis=0)[::-1]
    return suffix[start]


@dataclass(frozen=True)
class DeathMoments:
    """Per-death risk-set quantities, deaths in stratum order then by time.

    Attributes
    ----------
    rows : ndarray (D,)
        Row of each death in ``X``.
    denom : ndarray (D,)
        S0_k: Σ w over its risk set (Efron-reduced for tied deaths).
    xbar : ndarray (D, p)
        x̄_k = S1_k / S0_k, the w-weighted mean of x over the risk set it sees.
    """

    rows: np.ndarray
    denom: np.ndarray
    xbar: np.ndarray


def death_moments(X: np.ndarray, w: np.ndarray, data: RiskData, efron: bool = True) -> DeathMoments:
    """S0 and x̄ of every death (O(n·p) time and memory)."""
    rows, denoms, xbars = [], [], []
    for st in data.strata:
        ws = w[st.rows]
        wx = ws[:, None] * X[st.rows]
        g, dead = st.dead_group, st.dead
        r0, r1 = st.risk_sums(ws), st.risk_sums(wx)
        d0 = np.add.reduceat(ws[dead], st.group_first)
        d1 = np.add.reduceat(wx[dead], st.group_first, axis=0)
        f = st.efron_fraction(efron)
        denom = r0[g] - f * d0[g]
        rows.append(st.rows[dead])
        denoms.append(denom)
        xbars.append((r1[g] - f[:, None] * d1[g]) / denom[:, None])
    return DeathMoments(np.concatenate(rows), np.concatenate(denoms), np.concatenate(xbars))


def information(X: np.ndarray, w: np.ndarray, data: RiskData, moments: DeathMoments, h: np.ndarray | None = None,
                efron: bool = True) -> np.ndarray:
    """Σ_k h_k (S2_k / S0_k − x̄_k x̄_kᵀ) over deaths k (h = 1: the Cox information; minus the Hessian).

    ``h`` has one weight per death in ``moments`` order (``cox.zph`` weighs by g(t) and g(t)²).
    """
    p = X.shape[1]
    h = np.ones(len(moments.denom)) if h is None else np.asarray(h, float)
    c = np.zeros(data.n)
    start = 0
    for st in data.strata:
        stop = start + len(st.dead)
        hk, denom = h[start:stop], moments.denom[start:stop]
        g, k = st.dead_group, len(st.d)
        alpha = np.bincount(g, hk / denom, minlength=k)                          # Σ h/S0 per event time
        gamma = np.bincount(g, hk * st.efron_fraction(efron) / denom, minlength=k)  # Σ h·f/S0 per event time
        ci = st.at_risk_total(alpha)
        ci[st.dead] -= gamma[g]
        c[st.rows] = w[st.rows] * ci
        start = stop
    if p == 0:
        return np.zeros((0, 0))
    xbar = moments.xbar
    return (X * c[:, None]).T @ X - (xbar * h[:, None]).T @ xbar
