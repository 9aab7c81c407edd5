"""Structural PK models: right-hand sides, vectorized over patients.

Every structure has the same four states, in amounts, as ``y[state, patient]``:

====  ==========  =================================================
0     ``depot``   SC depot (mg); stays 0 for IV-only models
1     ``central`` central compartment (mg); C = central / V
2     ``periph``  peripheral compartment (mg)
3     ``auc``     integral of C (ug*h/mL); AUC is exact to the ODE tolerance
====  ==========  =================================================

A structure is a parameter list, a ``prepare`` step (per-patient constants,
computed once per simulation), ``rhs(t_h, y, rate_mg_h, k)`` and the diagonal
of its Jacobian ``diag_jacobian(t_h, y, k)`` (the integrator treats that part
exactly), where ``t_h`` is the time since each patient's first dose (h),
``rate_mg_h`` the infusion input into the central compartment and ``k`` the
prepared constants (arrays [patient]).
Adding an antibody model is a TOML file, plus a structure here only if its
equations are new.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import expit

__all__ = ["Structure", "STRUCTURES", "N_STATES", "DEPOT", "CENTRAL", "PERIPH", "AUC"]

N_STATES = 4
DEPOT, CENTRAL, PERIPH, AUC = range(N_STATES)


@dataclass(frozen=True)
class Structure:
    """Equations of a model family (see module docstring)."""

    name: str
    parameters: tuple[str, ...]
    volume: str  # name of the central volume parameter
    periph_volume: str
    prepare: Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]]
    rhs: Callable[..., np.ndarray]
    diag_jacobian: Callable[..., np.ndarray]
    linear_clearance: Callable[[np.ndarray, dict[str, np.ndarray]], np.ndarray]
    equations: str


def _prep_fau(p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    k = {
        "V": p["Vc"],
        "q": p["Q"],
        "vp": p["Vp"],
        "clinf": p["CLinf"],
        "clm": p["CLm"],
        "gamma": p["gamma"],
        "log_kcl": np.log(p["KCL"]),
        "vmax_mg_h": p["Vc"] * p["Vm"],  # Vm is a concentration rate (mg/L/h)
        "km": p["Km"],
        "ka": p.get("ka", np.zeros_like(p["Vc"])),
    }
    return k


def _sigmoid_fau(t_h, log_kcl, gamma):
    # t^g/(KCL^g + t^g) written as a logistic in log t: KCL^g overflows for g > ~100
    # (reached at +4 SD of the 118% IIV on gamma).
    with np.errstate(divide="ignore"):
        log_t = np.log(np.maximum(t_h, 0.0))
    return expit(gamma * (log_t - log_kcl))


def linear_cl_fau(t_h: np.ndarray, clinf, clm, kcl, gamma) -> np.ndarray:
    """Fau 2020 time-varying linear clearance CL(t) = CLinf*exp(CLm*(1 - t^g/(KCL^g + t^g))) (L/h)."""
    return clinf * np.exp(clm * (1.0 - _sigmoid_fau(t_h, np.log(kcl), gamma)))


def _rhs_fau(t_h, y, rate_mg_h, k):
    cl = k["clinf"] * np.exp(k["clm"] * (1.0 - _sigmoid_fau(t_h, k["log_kcl"], k["gamma"])))
    c = y[CENTRAL] / k["V"]
    cp = y[PERIPH] / k["vp"]
    absorbed = k["ka"] * y[DEPOT]
    transfer = k["q"] * (c - cp)
    dy = np.empty_like(y)
    dy[DEPOT] = -absorbed
    dy[CENTRAL] = rate_mg_h + absorbed - cl * c - k["vmax_mg_h"] * c / (k["km"] + c) - transfer
    dy[PERIPH] = transfer
    dy[AUC] = c
    return dy


def _diag_fau(t_h, y, k):
    cl = k["clinf"] * np.exp(k["clm"] * (1.0 - _sigmoid_fau(t_h, k["log_kcl"], k["gamma"])))
    c = np.maximum(y[CENTRAL], 0.0) / k["V"]
    d = np.empty_like(y)
    d[DEPOT] = -k["ka"]
    d[CENTRAL] = -(cl + k["vmax_mg_h"] * k["km"] / (k["km"] + c) ** 2 + k["q"]) / k["V"]
    d[PERIPH] = -k["q"] / k["vp"]
    d[AUC] = 0.0
    return d


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


def _rhs_dara(t_h, y, rate_mg_h, k):
    vmax = k["vmax_mg_h"] * np.exp(-k["kdes"] * np.maximum(t_h, 0.0))
    c = y[CENTRAL] / k["V"]
    cp = y[PERIPH] / k["vp"]
    absorbed = k["ka"] * y[DEPOT]
    transfer = k["q"] * (c - cp)
    dy = np.empty_like(y)
    dy[DEPOT] = -absorbed
    dy[CENTRAL] = rate_mg_h + absorbed - k["cl"] * c - vmax * c / (k["km"] + c) - transfer
    dy[PERIPH] = transfer
    dy[AUC] = c
    return dy


def _diag_dara(t_h, y, k):
    vmax = k["vmax_mg_h"] * np.exp(-k["kdes"] * np.maximum(t_h, 0.0))
    c = np.maximum(y[CENTRAL], 0.0) / k["V"]
    d = np.empty_like(y)
    d[DEPOT] = -k["ka"]
    d[CENTRAL] = -(k["cl"] + vmax * k["km"] / (k["km"] + c) ** 2 + k["q"]) / k["V"]
    d[PERIPH] = -k["q"] / k["vp"]
    d[AUC] = 0.0
    return d


STRUCTURES: dict[str, Structure] = {
    "two_cmt_tvcl_mm": Structure(
        name="two_cmt_tvcl_mm",
        parameters=("CLinf", "CLm", "KCL", "gamma", "Vc", "Q", "Vp", "Vm", "Km"),
        volume="Vc",
        periph_volume="Vp",
        prepare=_prep_fau,
        rhs=_rhs_fau,
        diag_jacobian=_diag_fau,
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
        rhs=_rhs_dara,
        diag_jacobian=_diag_dara,
        linear_clearance=lambda t_h, p: p["CL"] * np.ones_like(np.asarray(t_h, dtype=float)),
        equations=(
            "C = A1/V1; dAd/dt = -ka*Ad; dA1/dt = R(t) + ka*Ad - CL*C - Vmax*exp(-KDES*t)*C/(Km+C) - Q*(C - A2/V2); "
            "dA2/dt = Q*(C - A2/V2), t since first dose"
        ),
    ),
}
