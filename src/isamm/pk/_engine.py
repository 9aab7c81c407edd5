"""The integrator: one adaptive step per patient, all patients at once (NumPy).

Why hand-written: SciPy's ``solve_ivp`` integrates one system with one step
size; stacking N patients into one system makes the stiffest patient set the
step for everyone and blends their errors in one RMS norm. Here every patient
carries its own time, step and error test, and one NumPy expression advances
all of them (no Python loop over patients).

* **Discontinuities.** Time is cut at every infusion start, rate change and
  stop and every bolus (the "stops", shared by all patients). A step never
  crosses a stop: it is shortened to land on it exactly, so the input rate is
  constant within every step. Output times are *not* stops: every step carries
  a polynomial interpolant (dense output), so a fine output grid costs no steps.
* **Non-stiff patients** take Dormand–Prince 5(4) steps (Dormand & Prince 1980,
  *J Comput Appl Math* 6:19–26; tableau as in Hairer, Nørsett & Wanner,
  *Solving ODEs I*, Table II.5.2) with Shampine's quartic interpolant
  (Shampine 1986, *Math Comp* 46:135–150; coefficients as in SciPy's RK45),
  step factor ``0.9·err^(-1/5)``.
* **Sparse outputs.** When there are no more output times than input discontinuities (the
  exposure path: outputs at dose starts and infusion ends only), every output time becomes a
  stop, nothing is interpolated, and non-stiff patients take Dormand–Prince 8(5,3) steps
  instead (DOP853: Prince & Dormand 1981, *J Comput Appl Math* 7:67–75; the error estimate
  and step factors ``0.9·err^(-1/8)`` in [0.2, 6] of Hairer's ``dop853.f``; :mod:`_dop853`).
  Measured on the label isatuximab population, 52 weeks (benchmarks/README.md): half the
  steps of DP5 (467 vs ~920 per patient-year at rtol 1e-7) and a 5× smaller error against
  the rtol 1e-10 reference (6.5e-7 vs 3.4e-6; the worst of all 512 ±4 SD corners 3.0e-5,
  DP5 2.6e-5), at ~1.9× the work per step (13 right-hand sides against 7), so only
  ~10–17% less CPU.
* **Stiff patients.** Target-mediated elimination at C ≲ Km has an eigenvalue
  up to Vmax/(V·Km) (≈ 90/h for ±4 SD isatuximab draws; real populations reach
  a few per hour between doses). DP5 is stable only for h·|λ| ≲ 3.3, so a
  patient whose step would exceed h·|∂f_central/∂A_central| > 3 (DOP853: 5.5, below its ~6.1) takes a step of
  RODAS4 instead (Hairer & Wanner, *Solving ODEs II*, §IV.7, coefficients of
  their code ``rodas.f``): a 6-stage, order 4(3), L-stable, stiffly accurate
  Rosenbrock method with the exact Jacobian, whose linear systems these
  compartment models let us solve in closed form (``_solve``); cubic dense
  output from the same code; step factor ``0.9·err^(-1/4)``.
* **Error control** is per patient: max-norm over states of
  ``|err| / (atol + rtol·|y|)`` ≤ 1 (atol in µg/mL times the compartment
  volume), factors clipped to [0.2, 10] for DP5 and [0.2, 6] for DOP853 and RODAS4 (as in
  Hairer's DOPRI5, DOP853 and RODAS). A step that would make
  any amount negative is rejected and shortened: the exact solution of these
  models is non-negative, so this never biases it. Interpolated amounts are
  clipped at 0 and interpolated AUCs kept non-decreasing for the same reason.
* **Restarts.** After an input discontinuity that adds drug (infusion start, a rate
  increase, bolus) the step restarts from Hairer's starting-step estimate (at least
  1e-6 h): an old step carried across an infusion start near Km would straddle
  the Michaelis–Menten knee unseen by the error estimate. When the rate falls
  (infusion end) the controller keeps its step: the concentration is at its peak
  and only slower dynamics follow, and a restart there cost ~10 steps climbing back.

:mod:`isamm.pk._engine_jax` is the same algorithm compiled with JAX.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from isamm.pk._dop853 import A8, B8, C8, E3, E5, STIFF8
from isamm.pk._dosing import Dosing
from isamm.pk._structural import AUC, CENTRAL, DEPOT, N_STATES, PERIPH, Structure, central_jacobian, rhs

__all__ = ["integrate", "Integration"]

# Dormand–Prince 5(4) tableau (Hairer I, Table 5.2); _E = b − b̂.
_C = np.array([0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0])
_A = [
    [],
    [1 / 5],
    [3 / 40, 9 / 40],
    [44 / 45, -56 / 15, 32 / 9],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
    [35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
]
_B = _A[6] + [0.0]
_E = [71 / 57600, 0.0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40]
# Shampine's quartic dense output: y(t + θh) = y + h·Σ_i k_i·Σ_j _P[i][j]·θ^(j+1)
_P = [
    [1, -8048581381 / 2820520608, 8663915743 / 2820520608, -12715105075 / 11282082432],
    [0, 0, 0, 0],
    [0, 131558114200 / 32700410799, -68118460800 / 10900136933, 87487479700 / 32700410799],
    [0, -1754552775 / 470086768, 14199869525 / 1410260304, -10690763975 / 1880347072],
    [0, 127303824393 / 49829197408, -318862633887 / 49829197408, 701980252875 / 199316789632],
    [0, -282668133 / 205662961, 2019193451 / 616988883, -1453857185 / 822651844],
    [0, 40617522 / 29380423, -110615467 / 29380423, 69997945 / 29380423],
]
_A_ROWS = [np.array(row) for row in _A]
_E_ROW = np.array(_E)
_P_T = np.array(_P).T  # [power, stage]
# Smallest starting step (h): Hairer's fallback when y ≈ 0. Without it, a dose starting 1e-12 h after
# another (a hypothesis case) gave 0.01·‖y‖/‖f‖ ≈ 1e-14 h and a step-size underflow.
_H_START_MIN = 1e-6
# DP5 is stable for h·|λ| ≤ 3.3 on the negative real axis; beyond 3 a patient takes a RODAS4 step.
_STIFF = 3.0

# RODAS4 (Hairer & Wanner, rodas.f, subroutine RODAS4): stage weights a_ij, c_ij, nodes c_i, d_i
# (coefficients of ∂f/∂t) and the dense-output coefficients h_ij. γ = 1/4.
_GAMMA = 0.25
_RA = [
    [],
    [1.544],
    [0.9466785280815826, 0.2557011698983284],
    [3.314825187068521, 2.896124015972201, 0.9986419139977817],
    [1.221224509226641, 6.019134481288629, 12.53708332932087, -0.6878860361058950],
]
_RC = [
    [],
    [-5.6688],
    [-2.430093356833875, -0.2063599157091915],
    [-0.1073529058151375, -9.594562251023355, -20.47028614809616],
    [7.496443313967647, -10.24680431464352, -33.99990352819905, 11.70890893206160],
    [8.083246795921522, -7.981132988064893, -31.52159432874371, 16.31930543123136, -6.058818238834054],
]
_RNODE = [0.0, 0.386, 0.21, 0.63, 1.0, 1.0]
_RD = [0.25, -0.1043, 0.1035, -0.0362, 0.0, 0.0]
_RH = np.array([
    [10.12623508344586, -7.487995877610167, -34.80091861555747, -7.992771707568823, 1.025137723295662],
    [-0.6762803392801253, 6.087714651680015, 16.43084320892478, 24.76722511418386, -6.594389125716872],
])
_RA_ROWS = [np.array(row) for row in _RA]
A8_ROWS = [np.array(row) for row in A8]
_RC_ROWS = [np.array(row) for row in _RC]


@dataclass(frozen=True)
class Integration:
    """Raw engine output: concentrations and cumulative AUC at the output times, step counts."""

    conc_ug_ml: np.ndarray  # [patient, time]
    auc_ug_h_ml: np.ndarray  # [patient, time], from the start of integration
    n_steps: np.ndarray  # accepted steps per patient
    n_rejected: np.ndarray
    status: np.ndarray  # per patient: see STATUS; a failed patient's rows are NaN


#: ``Integration.status`` / ``Simulation.status`` codes. A failing patient is reported, not the population aborted.
STATUS = {0: "integrated to tolerance", 1: "step-size underflow", 2: "too many steps"}


def _stops(dosing: Dosing, times: np.ndarray, extra: np.ndarray | None = None):
    """Stops (h, sorted), the input's breakpoints, and whether the outputs are sparse (see :func:`integrate`).

    ``extra``: more stop times (h; those inside the span are kept), e.g. other calls' breakpoints."""
    t0 = min(0.0, float(times[0]), float(dosing.dose_time.min()) if dosing.dose_time.size else 0.0)
    t_end = float(times[-1])
    bps = dosing.breakpoints_h()
    inner = np.concatenate([bps, np.asarray([] if extra is None else extra, dtype=float)])
    inner = inner[(inner > t0) & (inner < t_end)]
    stops = np.unique(np.concatenate([[t0], inner, [t_end]]))
    sparse = times.size <= stops.size
    if sparse:  # every output time becomes a stop: steps land on it, nothing is interpolated
        stops = np.union1d(stops, times[(times > t0) & (times < t_end)])
    return stops, bps, sparse


def _rate_table(dosing: Dosing, bps: np.ndarray) -> np.ndarray:
    """rate[patient, j] = infusion input (mg/h) on [bps[j], bps[j+1])."""
    n = dosing.n
    rate = np.zeros((n, bps.size + 1))
    js = np.searchsorted(bps, dosing.inf_start)
    je = np.searchsorted(bps, dosing.inf_end)
    np.add.at(rate, (dosing.inf_patient, js), dosing.inf_rate)
    np.add.at(rate, (dosing.inf_patient, je), -dosing.inf_rate)
    rate = np.cumsum(rate, axis=1)
    scale = np.abs(dosing.inf_rate).max() if dosing.inf_rate.size else 1.0
    rate[np.abs(rate) < 1e-12 * scale] = 0.0  # cumsum round-off after an infusion ends
    return rate


class _Work:
    """Per-patient state of the patients still integrating (compacted as they finish)."""

    def __init__(self, n, y, t, h, k, atol, first):
        self.idx = np.arange(n)  # global patient ids
        self.y, self.t, self.h, self.k, self.atol, self.first = y, t, h, k, atol, first
        self.s = np.ones(n, dtype=np.int64)  # index of the next stop
        self.out = np.zeros(n, dtype=np.int64)  # index of the next output time
        self.last_auc = np.zeros(n)
        self.r = np.zeros(n)
        self.end = np.full(n, np.inf)

    def keep(self, sel):
        for name in ("idx", "t", "h", "first", "s", "out", "next_out_t", "last_auc", "end"):  # and y, atol, r, k below
            setattr(self, name, getattr(self, name)[sel])
        self.y, self.atol, self.r = self.y[:, sel], self.atol[:, sel], self.r[sel]
        self.k = self.k.take(sel)


def integrate(
    structure: Structure,
    k: dict[str, np.ndarray],
    bioavailability: np.ndarray,
    dosing: Dosing,
    times_h: np.ndarray,
    *,
    rtol: float = 1e-7,
    atol_ug_ml: float = 1e-6,
    h_max: float = 336.0,
    max_iterations: int = 2_000_000,
    end_h: np.ndarray | None = None,
    stops_h: np.ndarray | None = None,
) -> Integration:
    """Integrate N patients from 0 (or the first event) to ``times_h[-1]``; see module docstring.

    ``times_h`` must be sorted, unique and finite (the caller validates).
    Values at a bolus time are pre-dose. ``end_h`` (per patient, optional): a patient stops once its
    step passes ``end_h``; every output at or before ``end_h`` is written, later ones are left 0 (the
    caller masks them). ``stops_h`` (optional): more times every patient's steps land on.
    """
    n = dosing.n
    stops, bps, sparse = _stops(dosing, times_h, stops_h)
    n_stops = stops.size
    rate = _rate_table(dosing, bps)
    # column of ``rate`` in force on the segment ending at stop s (i.e. on [stops[s-1], stops[s]))
    seg_col = np.concatenate([[0], np.searchsorted(bps, stops[:-1], side="right") - 1])
    seg_col[seg_col < 0] = bps.size  # before the first breakpoint: the all-zero last column
    # boluses: dense [patient, bolus time] tables, given when a patient reaches a stop
    bol_times = np.unique(dosing.bol_time)
    bol_col = np.full(n_stops, -1)
    at_stop = np.isin(bol_times, stops)
    bol_col[np.searchsorted(stops, bol_times[at_stop])] = np.flatnonzero(at_stop)
    bol_tab = np.zeros((2, n, bol_times.size))
    amount = np.where(dosing.bol_cmt == 0, dosing.bol_amount * bioavailability[dosing.bol_patient], dosing.bol_amount)
    np.add.at(bol_tab, (dosing.bol_cmt, dosing.bol_patient, np.searchsorted(bol_times, dosing.bol_time)), amount)

    volume = k["V"]
    atol = np.stack([atol_ug_ml * volume, atol_ug_ml * volume, atol_ug_ml * k["vp"], np.full(n, atol_ug_ml)])
    conc = np.zeros((n, times_h.size))
    auc = np.zeros((n, times_h.size))
    n_steps = np.zeros(n, dtype=np.int64)
    n_rej = np.zeros(n, dtype=np.int64)
    status = np.zeros(n, dtype=np.int8)

    w = _Work(n, np.zeros((N_STATES, n)), np.full(n, stops[0]), np.full(n, min(0.05, h_max)), _Params.of(k, n), atol,
              dosing.first_dose_h.astype(float))
    w.r = rate[:, seg_col[1]] if n_stops > 1 else np.zeros(n)  # input rate on the current segment (mg/h)
    if end_h is not None:
        w.end = np.asarray(end_h, dtype=float).copy()
    # outputs at the start (state 0), then the doses given there
    w.out[:] = np.searchsorted(times_h, stops[0], side="right")
    w.next_out_t = _next_output_time(times_h, w.out)
    _give_boluses(np.zeros(n, dtype=np.int64), np.arange(n), w, bol_col, bol_tab)
    if n_stops == 1:
        return Integration(conc, auc, n_steps, n_rej, status)

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # non-finite steps are rejected below
        _loop(structure, w, stops, rate, seg_col, bol_col, bol_tab, times_h, conc, auc, n_steps, n_rej, status,
              rtol, h_max, max_iterations, sparse)
    return failed_rows_nan(Integration(conc, auc, n_steps, n_rej, status))


def failed_rows_nan(res: Integration) -> Integration:
    """NaN in every output of a patient whose integration failed (its partial rows would look like data)."""
    bad = res.status != 0
    if bad.any():
        res.conc_ug_ml[bad] = np.nan
        res.auc_ug_h_ml[bad] = np.nan
    return res


def _loop(structure, w, stops, rate, seg_col, bol_col, bol_tab, times_h, conc, auc, n_steps, n_rej, status,
          rtol, h_max, max_iterations, sparse=False):
    """The lockstep loop: every iteration advances each unfinished patient by one (accepted or rejected) step.

    A patient whose step size underflows (status 1) or who is still unfinished after ``max_iterations``
    steps (status 2) leaves the loop; the others go on.
    """
    n_stops = stops.size
    fresh = np.ones(w.idx.size, dtype=bool)  # at a discontinuity of the input: choose a new starting step
    iterations = 0
    while w.idx.size:
        iterations += 1
        if iterations > max_iterations:  # one step per iteration: every patient left took that many
            status[w.idx] = 2
            return
        target = stops[w.s]
        gap = target - w.t
        r = w.r
        trel = w.t - w.first
        if fresh.any():
            f = np.flatnonzero(fresh)
            w.h[f] = _initial_step(structure, w.k.take(f), trel[f], w.y[:, f], r[f], w.atol[:, f], rtol, h_max)
            fresh[:] = False
        land = w.h >= gap
        hs = np.minimum(w.h, gap)

        y_new, err, err3, order, dense = _step(structure, w.k, trel, w.y, hs, r, sparse)
        scale = w.atol + rtol * np.maximum(np.abs(w.y), np.abs(y_new))
        en = np.max(np.abs(err) / scale, axis=0)
        if err3 is not None:  # DOP853's error from its 5th- and 3rd-order estimates (dop853.f, in the max-norm)
            en = np.where(order > 6.0, error_853(en, np.max(np.abs(err3) / scale, axis=0)), en)
        ok = np.isfinite(en) & np.all(np.isfinite(y_new), axis=0)
        positive = np.all(y_new >= 0.0, axis=0)
        accept = ok & positive & (en <= 1.0)
        fac_max = np.where(order > 6.0, 6.0, np.where(order > 4.5, 10.0, 6.0))  # DOP853, DOPRI5, RODAS (Hairer's codes)
        factor = np.where(ok, np.clip(0.9 * np.maximum(en, 1e-12) ** (-1.0 / order), 0.2, fac_max), 0.2)
        factor = np.where(positive, factor, np.minimum(factor, 0.5))
        factor = np.where(accept, factor, np.minimum(factor, 1.0))

        t_new = np.where(land, target, w.t + hs)  # exactly on the stop when landing
        a = np.flatnonzero(accept & (w.next_out_t <= t_new))
        if a.size:
            _record(a, w, hs, t_new, dense, times_h, conc, auc)
        w.y = np.where(accept, y_new, w.y)
        w.t = np.where(accept, t_new, w.t)
        # after landing on a stop keep the step the controller had, not the shortened one
        h_next = np.where(accept & land, np.maximum(hs * factor, np.minimum(w.h, h_max)), hs * factor)
        w.h = np.minimum(h_next, h_max)
        n_steps[w.idx] += accept
        n_rej[w.idx] += ~accept
        underflow = w.h < 1e-9
        status[w.idx[underflow]] = 1

        arrived = np.flatnonzero(accept & land)
        if arrived.size:
            s_old = w.s[arrived]
            dosed = _give_boluses(s_old, arrived, w, bol_col, bol_tab)
            w.s[arrived] += 1
            s_new = np.minimum(s_old + 1, n_stops - 1)
            g = w.idx[arrived]
            r_new = rate[g, seg_col[s_new]]
            fresh[arrived] = dosed | (r_new > w.r[arrived])  # a falling rate keeps the controller's step
            w.r[arrived] = r_new
        finished = (w.s >= n_stops) | (w.t >= w.end) | underflow
        if finished.any():
            w.keep(~finished)
            fresh = fresh[~finished]


def _record(a, w, hs, t_new, dense, times_h, conc, auc):
    """Write every output time in (t, t_new] of accepted patients ``a`` (working positions) from their step's
    dense output (before ``w`` advances). An output at a stop is written before the doses given there."""
    t_old = w.t[a]
    n_due = np.searchsorted(times_h, t_new[a], side="right") - w.out[a]
    has = n_due > 0
    if not has.any():
        return
    sel, n_due, t_old = a[has], n_due[has], t_old[has]
    h = hs[sel]
    c = dense.coef(sel, (CENTRAL, AUC))  # [power, state, patient]
    y0 = w.y[(CENTRAL, AUC), :][:, sel]
    g, v, out0, last = w.idx[sel], w.k["V"][sel], w.out[sel], w.last_auc[sel]
    # all due outputs at once, flattened (a long step can cover dozens of grid times, most steps none or one)
    rows = np.repeat(np.arange(sel.size), n_due)
    cols = np.arange(rows.size) - np.repeat(np.cumsum(n_due) - n_due, n_due)
    j = out0[rows] + cols
    theta = np.minimum((times_h[j] - t_old[rows]) / h[rows], 1.0)
    cm = c[:, :, rows]  # [power, state, output]
    y = y0[:, rows] + theta * (cm[0] + theta * (cm[1] + theta * (cm[2] + theta * cm[3])))
    conc[g[rows], j] = np.maximum(y[0], 0.0) / v[rows]
    # AUC: running maximum within each patient's outputs (and over the value before the step)
    run = np.full((sel.size, int(n_due.max())), -np.inf)
    run[rows, cols] = y[1]
    run = np.maximum(np.maximum.accumulate(run, axis=1), last[:, None])
    auc[g[rows], j] = run[rows, cols]
    last = run[np.arange(sel.size), n_due - 1]
    w.out[sel] = out0 + n_due
    w.last_auc[sel] = last
    w.next_out_t[sel] = _next_output_time(times_h, w.out[sel])


def _next_output_time(times_h, out):
    return np.where(out < times_h.size, times_h[np.minimum(out, times_h.size - 1)], np.inf)


def _give_boluses(stop, sel, w, bol_col, bol_tab):
    """Patients at working positions ``sel`` reached stops ``stop``: give the boluses due there."""
    b = bol_col[stop]
    dose = b >= 0
    if dose.any():
        g = w.idx[sel[dose]]
        w.y[DEPOT, sel[dose]] += bol_tab[0, g, b[dose]]
        w.y[CENTRAL, sel[dose]] += bol_tab[1, g, b[dose]]
    return dose


def _initial_step(structure, k, t, y, r, atol, rtol, h_max):
    """Starting step after a discontinuity of the input (after Hairer I, II.4, starting step size).

    h = min(100·h0, (0.01/d2)^(1/5)) with h0 = 0.01·‖y‖/‖f‖ (the time over which y
    changes by 1%) and d2 ≈ ‖f'‖ from one Euler step. Unlike Hairer's version the
    second bound uses only the second derivative: at a high concentration an infusion
    start is smooth and can be crossed in one step. Restarting matters at a low one:
    keeping the previous step across an infusion start lets the first step straddle
    the Michaelis–Menten knee (C rising through Km within minutes), where the embedded
    error estimate no longer sees the error (found at rtol 1e-6: errors 20–100× the tolerance).
    """
    sc = atol + rtol * np.abs(y)
    f0 = _f(structure, k, t, y, r)
    d0 = np.max(np.abs(y) / sc, axis=0)
    d1 = np.max(np.abs(f0) / sc, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        # nothing changes (no drug, no input): the controller takes over from h_max
        h0 = np.where(d1 < 1e-5, h_max, np.where(d0 < 1e-5, 1e-6, 0.01 * d0 / d1))
        f1 = _f(structure, k, t + h0, y + h0 * f0, r)
        d2 = np.max(np.abs(f1 - f0) / sc, axis=0) / h0
        h1 = np.where(d2 <= 1e-15, h_max, (0.01 / d2) ** (1.0 / 5.0))
    return np.clip(np.minimum(100.0 * h0, h1), _H_START_MIN, h_max)


class _Params(dict):
    """Per-patient constants: a dict of rows of one 2-D array, so that ``take(sel)`` is one fancy index."""

    def __init__(self, keys, data: np.ndarray):
        super().__init__(zip(keys, data))
        self.data = data

    @classmethod
    def of(cls, k: dict[str, np.ndarray], n: int) -> "_Params":
        return cls(list(k), np.stack([np.broadcast_to(np.asarray(v, dtype=float), (n,)) for v in k.values()]))

    def take(self, sel) -> "_Params":
        return _Params(self.keys(), self.data[:, sel])


def _f(structure, k, t, y, r):
    cl, vmax, _, _ = structure.time_terms(t, k)
    return rhs(cl, vmax, y, r, k)


class _DP5Dense:
    """Shampine's quartic interpolant of DP5 steps, built only for patients with an output in their step."""

    def __init__(self, ks, h):
        self.ks, self.h = ks, h

    def coef(self, sel, states):
        kk = self.ks[:, states, :][:, :, sel]
        q = (_P_T @ kk.reshape(7, -1)).reshape(4, len(states), sel.size)
        return q * self.h[sel]


class _RodasDense:
    """RODAS4's cubic interpolant y(θ) = (1−θ)·y0 + θ·(y1 + (1−θ)·(k1 + θ·k2)) as a polynomial in θ."""

    def __init__(self, ks, y0, y1):
        self.ks, self.y0, self.y1 = ks, y0, y1

    def coef(self, sel, states):
        kk = self.ks[:5, states, :][:, :, sel].reshape(5, -1)
        k1, k2 = (_RH @ kk).reshape(2, len(states), sel.size)
        dy = self.y1[states, :][:, sel] - self.y0[states, :][:, sel]
        return np.stack([dy + k1, k2 - k1, -k2, np.zeros_like(k1)])


class _MixedDense:
    def __init__(self, stiff, dp5, rodas):
        self.stiff, self.parts = stiff, (dp5, rodas)
        self.pos = np.cumsum(~stiff) - 1, np.cumsum(stiff) - 1  # working position -> position in its part

    def coef(self, sel, states):
        out = np.empty((4, len(states), sel.size))
        st = self.stiff[sel]
        for which, m in ((0, ~st), (1, st)):
            if m.any():
                out[:, :, m] = self.parts[which].coef(self.pos[which][sel[m]], states)
        return out


def _dp5_step(structure, k, t, y, h, r, f0):
    """One Dormand–Prince 5(4) step from f0 = f(t, y); returns (y5, y5 − y4, dense output)."""
    n = y.shape[1]
    ks = np.empty((7, N_STATES, n))
    flat = ks.reshape(7, -1)
    ks[0] = f0
    for st in range(1, 7):
        u = y + h * (_A_ROWS[st] @ flat[:st]).reshape(N_STATES, n)
        if st != 6:  # stages 6 and 7 are both at t + h
            cl, vmax, _, _ = structure.time_terms(t + _C[st] * h, k)
        ks[st] = rhs(cl, vmax, u, r, k)
    y5 = u  # the 7th stage is evaluated at the solution (FSAL)
    err = h * (_E_ROW @ flat).reshape(N_STATES, n)
    return y5, err, _DP5Dense(ks, h)


def _solve(g, jcc, k, b):
    """Solve (g·I − J)·x = b for every patient in closed form; J is the models' Jacobian (see ``solve_rows``)."""
    x = np.empty_like(b)
    x[DEPOT], x[CENTRAL], x[PERIPH], x[AUC] = solve_rows(g, jcc, k, b[DEPOT], b[CENTRAL], b[PERIPH], b[AUC])
    return x


def solve_rows(g, jcc, k, b_depot, b_central, b_periph, b_auc):
    """Rows of x with (g·I − J)·x = b (plain arithmetic: NumPy arrays or JAX tracers).

    J has ∂f_central/∂A_central = ``jcc`` and the structure's constant entries:
    depot → central (ka), central ↔ peripheral (Q/V, Q/Vp), central → AUC (1/V).
    The central–peripheral block is 2×2 with determinant ≥ (g + Q/V)(g + Q/Vp) − Q²/(V·Vp) > 0.
    """
    qv, qvp = k["q"] / k["V"], k["q"] / k["vp"]
    xd = b_depot / (g + k["ka"])
    r1 = b_central + k["ka"] * xd
    a11 = g - jcc
    a22 = g + qvp
    det = a11 * a22 - qvp * qv
    xc = (a22 * r1 + qvp * b_periph) / det
    return xd, xc, (a11 * b_periph + qv * r1) / det, (b_auc + xc / k["V"]) / g


def _rodas4_step(structure, k, t, y, h, r, f0, jcc, ft):
    """One RODAS4 step from f0 = f(t, y) with the Jacobian entries (jcc, ft) at (t, y).

    Returns (y4, error estimate, dense output).
    """
    n = y.shape[1]
    g = 1.0 / (_GAMMA * h)
    inv_h = 1.0 / h
    ks = np.empty((6, N_STATES, n))
    flat = ks.reshape(6, -1)
    b = f0.copy()
    b[CENTRAL] += _RD[0] * h * ft
    ks[0] = _solve(g, jcc, k, b)
    for st in range(1, 6):
        if st == 5:
            u = u + ks[4]  # stiffly accurate: stage 6 starts from stage 5's solution
        else:
            u = y + (_RA_ROWS[st] @ flat[:st]).reshape(N_STATES, n)
            cl, vmax, _, _ = structure.time_terms(t + _RNODE[st] * h, k)  # stage 6 reuses t + h
        b = rhs(cl, vmax, u, r, k) + inv_h * (_RC_ROWS[st] @ flat[:st]).reshape(N_STATES, n)
        if _RD[st]:
            b[CENTRAL] += _RD[st] * h * ft
        ks[st] = _solve(g, jcc, k, b)
    y_new = u + ks[5]
    return y_new, ks[5], _RodasDense(ks, y, y_new)


def _step(structure, k, t, y, h, r, sparse=False):
    """Advance every patient by its own ``h``: the explicit method where non-stiff, RODAS4 where h·|λ_central|
    exceeds its stability limit. The explicit method is DP5 (threshold 3), or DOP853 (threshold 5.5) when the
    outputs are sparse (``sparse``: every output time is a stop, so no step is interpolated).

    Returns (y_new, error estimate, DOP853's 3rd-order estimate or None, controller order per patient,
    dense output).
    """
    cl, vmax, dcl, dvmax = structure.time_terms(t, k, derivative=True)
    f0 = rhs(cl, vmax, y, r, k)
    jcc, ft = central_jacobian(cl, vmax, dcl, dvmax, y, k)
    explicit, order, limit = (_dop853_step, 8.0, STIFF8) if sparse else (_dp5_step, 5.0, _STIFF)
    stiff = h * np.abs(jcc) > limit
    if not stiff.any():
        return _with_order(explicit(structure, k, t, y, h, r, f0), order)
    if stiff.all():
        return _with_order(_rodas4_step(structure, k, t, y, h, r, f0, jcc, ft), 4.0)
    y_new = np.empty_like(y)
    err = np.empty_like(y)
    err3 = np.zeros_like(y) if sparse else None
    dense = []
    for sel, method in ((~stiff, explicit), (stiff, _rodas4_step)):
        extra = (jcc[sel], ft[sel]) if method is _rodas4_step else ()
        res = method(structure, k.take(sel), t[sel], y[:, sel], h[sel], r[sel], f0[:, sel], *extra)
        y_new[:, sel], err[:, sel] = res[0], res[1]
        if len(res) == 4:
            err3[:, sel] = res[2]
        dense.append(res[-1])
    return y_new, err, err3, np.where(stiff, 4.0, order), _MixedDense(stiff, *dense)


def _with_order(res, order):
    if len(res) == 4:  # DOP853: (y_new, err5, err3, dense)
        return res[0], res[1], res[2], order, res[3]
    y_new, err, dense = res
    return y_new, err, None, order, dense


def _dop853_step(structure, k, t, y, h, r, f0):
    """One DOP853 step from f0 = f(t, y); returns (y8, h·5th-order estimate, h·3rd-order estimate, dense output).

    The dense output is the chord (exact at the step's end, the only place a sparse output is read).
    """
    n = y.shape[1]
    ks = np.empty((13, N_STATES, n))
    flat = ks.reshape(13, -1)
    ks[0] = f0
    for st in range(1, 12):
        u = y + h * (A8_ROWS[st] @ flat[:st]).reshape(N_STATES, n)
        cl, vmax, _, _ = structure.time_terms(t + C8[st] * h, k)
        ks[st] = rhs(cl, vmax, u, r, k)
    y8 = y + h * (B8 @ flat[:12]).reshape(N_STATES, n)
    cl, vmax, _, _ = structure.time_terms(t + h, k)
    ks[12] = rhs(cl, vmax, y8, r, k)
    err5 = h * (E5 @ flat).reshape(N_STATES, n)
    err3 = h * (E3 @ flat).reshape(N_STATES, n)
    return y8, err5, err3, _ChordDense(y, y8)


def error_853(en5, en3, ops=np):
    """DOP853's error norm from the norms of its two estimates: en5²/sqrt(en5² + 0.01·en3²) (dop853.f).

    ``ops``: ``numpy`` or ``jax.numpy``.
    """
    den = en5 * en5 + 0.01 * en3 * en3
    return ops.where(den == 0, 0.0, en5 * en5 / ops.sqrt(ops.where(den == 0, 1.0, den)))  # NaN stays NaN


class _ChordDense:
    """y(θ) = y0 + θ·(y1 − y0): exact at θ = 1 (sparse outputs are read only there)."""

    def __init__(self, y0, y1):
        self.y0, self.y1 = y0, y1

    def coef(self, sel, states):
        dy = self.y1[states, :][:, sel] - self.y0[states, :][:, sel]
        z = np.zeros_like(dy)
        return np.stack([dy, z, z, z])
