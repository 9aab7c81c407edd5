"""Structural PK models: one right-hand side, vectorized over patients.

Every structure has the same four states, in amounts, as ``y[state, patient]``:

====  ==========  =================================================
0     ``depot``   SC depot (mg); stays 0 for IV-only models
1     ``central`` central compartment (mg); C = central / V
2     ``periph``  peripheral compartment (mg)
3     ``auc``     integral of C (ug*h/mL); AUC is exact to the ODE tolerance
====  ==========  =================================================

and the same equations (two compartments, first-order SC absorption, linear
plus Michaelis–Menten elimination from the central compartment)::

    dAd/dt = -ka*Ad
    dAc/dt = R(t) + ka*Ad - CL(t)*C - Vmax(t)*C/(Km + C) - Q*(C - Ap/Vp)
    dAp/dt = Q*(C - Ap/Vp)

What differs between the published models is which term varies with time since
the first dose: Fau 2020 has a time-varying linear clearance CL(t), Xu 2020 and
Luo 2021 a decaying target-mediated Vmax(t). A structure is therefore a
parameter list, a ``prepare`` step (per-patient constants ``k``, computed once
per simulation, with at least ``V``, ``vp``, ``q``, ``km``, ``ka``) and
``time_terms(t_h, k, derivative=False, ops=NUMPY_OPS) -> (CL (L/h), Vmax (mg/h),
dCL/dt, dVmax/dt)`` (derivatives only when asked), where
``t_h`` is the time since each patient's first dose (h). The integrator gets the
right-hand side :func:`rhs` and the exact Jacobian (:func:`central_jacobian`)
from these.
Adding an antibody model is a TOML file, plus a structure here only if its
equations are new.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import expit

__all__ = ["Structure", "STRUCTURES", "N_STATES", "DEPOT", "CENTRAL", "PERIPH", "AUC", "rhs", "rhs_rows",
           "central_jacobian", "ArrayOps", "NUMPY_OPS"]

N_STATES = 4
DEPOT, CENTRAL, PERIPH, AUC = range(N_STATES)


@dataclass(frozen=True)
class ArrayOps:
    """The few array functions the equations need, so that the JAX engine can pass ``jax.numpy``'s."""

    log: Callable
    exp: Callable
    maximum: Callable
    where: Callable
    expit: Callable


NUMPY_OPS = ArrayOps(np.log, np.exp, np.maximum, np.where, expit)


@dataclass(frozen=True)
class Structure:
    """Equations of a model family (see module docstring)."""

    name: str
    parameters: tuple[str, ...]
    volume: str  # name of the central volume parameter
    periph_volume: str
    prepare: Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]]
    time_terms: Callable[..., tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]
    linear_clearance: Callable[[np.ndarray, dict[str, np.ndarray]], np.ndarray]
    equations: str


def rhs_rows(cl, vmax, y, rate_mg_h, k):
    """The four rows of dy/dt (plain arithmetic: NumPy arrays or JAX tracers)."""
    c = y[CENTRAL] / k["V"]
    transfer = k["q"] * (c - y[PERIPH] / k["vp"])
    absorbed = k["ka"] * y[DEPOT]
    return -absorbed, rate_mg_h + absorbed - cl * c - vmax * c / (k["km"] + c) - transfer, transfer, c


def rhs(cl, vmax, y, rate_mg_h, k):
    """dy/dt for all patients, given the time terms CL (L/h) and Vmax (mg/h) at the current time."""
    dy = np.empty_like(y)
    dy[DEPOT], dy[CENTRAL], dy[PERIPH], dy[AUC] = rhs_rows(cl, vmax, y, rate_mg_h, k)
    return dy


def central_jacobian(cl, vmax, dcl_dt, dvmax_dt, y, k, ops=None):
    """The two Jacobian entries that vary: ∂f_central/∂A_central (1/h) and ∂f_central/∂t (mg/h²).

    The others are constants: ∂f_depot/∂A_depot = -ka, ∂f_central/∂A_depot = ka,
    ∂f_central/∂A_periph = Q/Vp, ∂f_periph/∂A_central = Q/V, ∂f_periph/∂A_periph = -Q/Vp,
    ∂f_auc/∂A_central = 1/V.
    """
    c = (ops or NUMPY_OPS).maximum(y[CENTRAL], 0.0) / k["V"]
    sat = k["km"] + c
    jcc = -(cl + vmax * k["km"] / sat**2 + k["q"]) / k["V"]
    return jcc, -(dcl_dt * c + dvmax_dt * c / sat)


def _prep_fau(p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {
        "V": p["Vc"],
        "q": p["Q"],
        "vp": p["Vp"],
        "cl0": p["CLinf"] * np.exp(p["CLm"]),  # CL at the first dose (L/h)
        "neg_clm": -p["CLm"],
        "gamma": p["gamma"],
        "log_kcl": np.log(p["KCL"]),
        "vmax_mg_h": p["Vc"] * p["Vm"],  # Vm is a concentration rate (mg/L/h)
        "km": p["Km"],
        "ka": p.get("ka", np.zeros_like(p["Vc"])),
    }


def _sigmoid_fau(t_h, log_kcl, gamma, ops=None):
    # t^g/(KCL^g + t^g) written as a logistic in log t: KCL^g overflows for g > ~100
    # (reached at +4 SD of the 118% IIV on gamma). log 0 = -inf before the first dose gives 0;
    # callers silence that divide warning (the integrator once for its whole loop).
    ops = ops or NUMPY_OPS
    return ops.expit(gamma * (ops.log(ops.maximum(t_h, 0.0)) - log_kcl))


def linear_cl_fau(t_h: np.ndarray, clinf, clm, kcl, gamma) -> np.ndarray:
    """Fau 2020 time-varying linear clearance CL(t) = CLinf*exp(CLm*(1 - t^g/(KCL^g + t^g))) (L/h)."""
    with np.errstate(divide="ignore"):
        return clinf * np.exp(clm * (1.0 - _sigmoid_fau(t_h, np.log(kcl), gamma)))


def _time_fau(t_h, k, derivative=False, ops=None):
    ops = ops or NUMPY_OPS
    s = _sigmoid_fau(t_h, k["log_kcl"], k["gamma"], ops)
    cl = k["cl0"] * ops.exp(k["neg_clm"] * s)  # = CLinf*exp(CLm*(1 - s))
    if not derivative:
        return cl, k["vmax_mg_h"], None, None
    # ds/dt = g*s*(1-s)/t; taken as 0 at t <= 0 (CL(t) is constant before the first dose,
    # and for g < 1 its slope is unbounded at t = 0+)
    positive = t_h > 0.0
    ds_dt = ops.where(positive, k["gamma"] * s * (1.0 - s) / ops.where(positive, t_h, 1.0), 0.0)
    return cl, k["vmax_mg_h"], cl * k["neg_clm"] * ds_dt, 0.0


def _prep_dara(p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {
        "V": p["V1"],
        "q": p["Q"],
        "vp": p["V2"],
        "cl": p["CL"],
        "vmax_mg_h": p["Vmax"],
        "kdes": p["KDES"],
        "km": p["Km"],
        "ka": p.get("ka", np.zeros_like(p["V1"])),
    }


def _time_dara(t_h, k, derivative=False, ops=None):
    ops = ops or NUMPY_OPS
    vmax = k["vmax_mg_h"] * ops.exp(-k["kdes"] * ops.maximum(t_h, 0.0))
    if not derivative:
        return k["cl"], vmax, None, None
    return k["cl"], vmax, 0.0, ops.where(t_h > 0.0, -k["kdes"] * vmax, 0.0)


STRUCTURES: dict[str, Structure] = {
    "two_cmt_tvcl_mm": Structure(
        name="two_cmt_tvcl_mm",
        parameters=("CLinf", "CLm", "KCL", "gamma", "Vc", "Q", "Vp", "Vm", "Km"),
        volume="Vc",
        periph_volume="Vp",
        prepare=_prep_fau,
        time_terms=_time_fau,
        linear_clearance=lambda t_h, p: linear_cl_fau(t_h, p["CLinf"], p["CLm"], p["KCL"], p["gamma"]),
        equations=(
            "C = Ac/Vc; dAc/dt = R(t) + ka*Ad - CL(t)*C - Vc*Vm*C/(Km+C) - Q*(C - Ap/Vp); "
            "dAp/dt = Q*(C - Ap/Vp); CL(t) = CLinf*exp(CLm*(1 - t^g/(KCL^g + t^g))), t since first dose"
        ),
    ),
    "two_cmt_mm_decay": Structure(
        name="two_cmt_mm_decay",
        parameters=("CL", "V1", "Q", "V2", "Vmax", "KDES", "Km"),
        volume="V1",
        periph_volume="V2",
        prepare=_prep_dara,
        time_terms=_time_dara,
        linear_clearance=lambda t_h, p: p["CL"] * np.ones_like(np.asarray(t_h, dtype=float)),
        equations=(
            "C = A1/V1; dAd/dt = -ka*Ad; dA1/dt = R(t) + ka*Ad - CL*C - Vmax*exp(-KDES*t)*C/(Km+C) - Q*(C - A2/V2); "
            "dA2/dt = Q*(C - A2/V2), t since first dose"
        ),
    ),
}
