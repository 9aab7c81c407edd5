"""Virtual patients drawn to match a trial's published baseline table.

Each covariate has a marginal distribution written from the table (median, range, shares);
the covariates are joined by a Gaussian copula with a small documented correlation matrix
[PROJECT CHOICE], so every marginal is exactly the published one and the dependence is
"sensible" rather than estimated. Each patient draws from its own random stream
(``numpy.random.default_rng([seed, replicate, arm, patient])``), so a patient is the same
whatever the number of patients or the chunking.

Only patients with measurable serum M-protein are simulated: a trial's patients measurable
only by urine or FLC are outside v1 (eligibility ``serum_m_min_g_dl``; README, "Virtual trials").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy.special import ndtr

__all__ = ["BaselineSpec", "VirtualPatients", "sample_baseline", "CORRELATIONS", "LATENTS"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Quantiles(_Strict):
    """A continuous covariate from its published median and range, optionally more CDF points.

    The CDF is piecewise linear through (min, 0), the ``cdf`` points, (median, 0.5) and (max, 1);
    e.g. ``cdf: {65: 0.40, 75: 0.79}`` for "age < 65: 40%, 65–74: 39%, ≥ 75: 21%".
    """

    median: float
    min: float
    max: float
    cdf: dict[float, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _monotone(self):
        pts = sorted([(self.min, 0.0), (self.median, 0.5), (self.max, 1.0), *self.cdf.items()])
        xs, ps = zip(*pts)
        if not (self.min < self.median < self.max):
            raise ValueError(f"expected min < median < max, got {self.min}, {self.median}, {self.max}")
        if any(not (0 < p < 1) for p in self.cdf.values()) or any(not (self.min < x < self.max) for x in self.cdf):
            raise ValueError("cdf points must lie inside (min, max) with shares in (0, 1)")
        if any(b <= a for a, b in zip(ps, ps[1:])):
            raise ValueError("the cdf points and the median must give an increasing CDF")
        return self

    def quantile(self, u: np.ndarray) -> np.ndarray:
        pts = sorted([(self.min, 0.0), (self.median, 0.5), (self.max, 1.0), *self.cdf.items()])
        xs, ps = zip(*pts)
        return np.interp(u, ps, xs)


class LogNormal(_Strict):
    """A positive covariate log-normal around ``median`` with ``log_sd``, truncated to [min, max]."""

    median: float = Field(gt=0)
    log_sd: float = Field(gt=0)
    min: float = Field(gt=0)
    max: float

    @model_validator(mode="after")
    def _range(self):
        if not (self.min < self.median < self.max):
            raise ValueError(f"expected min < median < max, got {self.min}, {self.median}, {self.max}")
        return self

    def quantile(self, u: np.ndarray) -> np.ndarray:
        from scipy.special import ndtri

        lo, hi = (ndtr(math.log(v / self.median) / self.log_sd) for v in (self.min, self.max))
        return self.median * np.exp(self.log_sd * ndtri(lo + (hi - lo) * np.asarray(u)))


Share = float


class PriorDaratumumab(_Strict):
    """Daratumumab history of the enrolled patients (disease_models.md §4.11)."""

    share: float = Field(ge=0, le=1, description="fraction of patients with prior daratumumab")
    refractory: float = Field(ge=0, le=1, description="fraction refractory among them")
    regimen: str = "DARA-IV"
    weeks_treated: Quantiles
    months_since_last_dose: Quantiles


class BaselineSpec(_Strict):
    """A trial's baseline table. Shares are fractions (0–1); sources go in the trial file's comments."""

    age_years: Quantiles
    female: float = Field(ge=0, le=1)
    weight_kg: LogNormal | Quantiles = LogNormal(median=72.0, log_sd=0.2, min=40.0, max=150.0)
    iss: dict[Literal["I", "II", "III"], float]
    igg: float = Field(ge=0, le=1, description="IgG share among patients with measurable serum M-protein")
    kappa: float = Field(0.65, ge=0, le=1)
    high_risk_cytogenetics: float = Field(ge=0, le=1)
    prior_lines: Quantiles
    lenalidomide_refractory: float = Field(ge=0, le=1)
    pi_refractory: float = Field(ge=0, le=1)
    extramedullary: float = Field(0.0, ge=0, le=1)
    asian: float = Field(0.0, ge=0, le=1)
    serum_m_g_dl: LogNormal = LogNormal(median=2.2, log_sd=0.8, min=0.5, max=10.0)
    prior_daratumumab: PriorDaratumumab | None = None

    @model_validator(mode="after")
    def _iss(self):
        if set(self.iss) != {"I", "II", "III"} or abs(sum(self.iss.values()) - 1) > 0.02:
            raise ValueError("iss needs shares for I, II and III that sum to 1 (within 0.02)")
        if any(v < 0 for v in self.iss.values()):
            raise ValueError("iss shares must be >= 0")
        if self.prior_lines.min < 0:
            raise ValueError("prior_lines.min must be >= 0")
        if self.age_years.min < 18 or self.age_years.max > 110:
            raise ValueError("age_years must lie in 18-110")
        return self


#: The latent normals of the copula, in draw order.
LATENTS = ("age", "female", "weight", "height", "iss", "b2m", "high_risk", "prior_lines", "len_ref", "pi_ref",
           "emd", "m0", "igg", "kappa", "asian", "dara", "dara_ref", "dara_weeks", "dara_since")  # fmt: skip

#: Copula correlations [PROJECT CHOICE]: sensible signs and modest sizes, not estimates.
CORRELATIONS = {
    ("age", "iss"): 0.2,          # older patients have higher ISS (renal function, β2m)
    ("iss", "m0"): 0.3,           # tumour burden: M-protein with β2m (Thai 2021 covariates, §4.5)
    ("iss", "high_risk"): 0.15,
    ("female", "weight"): -0.45,  # women are lighter (height takes sex in its mean)
    ("weight", "height"): 0.45,
    ("prior_lines", "len_ref"): 0.3,
    ("prior_lines", "pi_ref"): 0.3,
    ("len_ref", "pi_ref"): 0.3,
    ("prior_lines", "dara"): 0.3,
}


def _cholesky() -> np.ndarray:
    k = len(LATENTS)
    r = np.eye(k)
    for (a, b), v in CORRELATIONS.items():
        i, j = LATENTS.index(a), LATENTS.index(b)
        r[i, j] = r[j, i] = v
    return np.linalg.cholesky(r)  # raises if not positive definite (tested)


@dataclass(frozen=True)
class VirtualPatients:
    """Baseline covariates (one row per patient) and the patient's own random numbers.

    ``covariates`` columns: ``patient_id``, ``age_y``, ``female``, ``weight_kg``, ``height_cm``, ``iss``,
    ``b2m_mg_l``, ``isotype``, ``non_igg``, ``high_risk``, ``prior_lines``, ``lenalidomide_refractory``,
    ``pi_refractory``, ``extramedullary``, ``asian``, ``m0_g_dl``, ``prior_daratumumab``,
    ``daratumumab_refractory``, ``daratumumab_weeks``, ``days_since_daratumumab``.
    ``normals[N, k]``: standard normals for random effects (PK then disease); ``uniforms[N, m]``: for event
    times; ``keys[N]``: the per-patient seed keys (observation noise uses ``keys + [1]``).
    """

    covariates: pd.DataFrame
    normals: np.ndarray
    uniforms: np.ndarray
    keys: tuple[tuple[int, ...], ...]

    def __len__(self) -> int:
        return len(self.covariates)


def _bernoulli(z: np.ndarray, share: float) -> np.ndarray:
    # 1 for the top ``share`` of the latent normal, so a positive correlation means "more likely 1"
    return (ndtr(z) > 1.0 - share).astype(np.int8)


def sample_baseline(spec: BaselineSpec, n: int, *, seed: int, stream: tuple[int, ...] = (), n_normals: int = 0,
                    n_uniforms: int = 0, id_prefix: str = "P") -> VirtualPatients:
    """Draw ``n`` patients from ``spec``; patient ``i`` uses the stream ``[seed, *stream, i]``.

    ``n_normals`` / ``n_uniforms``: extra per-patient standard normals (random effects) and
    uniforms on (0, 1] (event times) drawn from the same stream after the covariates.
    """
    k = len(LATENTS)
    z = np.empty((n, k))
    normals = np.empty((n, n_normals))
    uniforms = np.empty((n, n_uniforms))
    keys = []
    for i in range(n):
        key = (int(seed), *map(int, stream), i)
        rng = np.random.default_rng(key)
        z[i] = rng.standard_normal(k)
        normals[i] = rng.standard_normal(n_normals)
        uniforms[i] = 1.0 - rng.random(n_uniforms)  # (0, 1]: −log(u) is finite
        keys.append(key)
    z = z @ _cholesky().T
    u = ndtr(z)
    col = {name: j for j, name in enumerate(LATENTS)}
    female = _bernoulli(z[:, col["female"]], spec.female)
    iss_u = u[:, col["iss"]]
    p1, p2 = spec.iss["I"], spec.iss["I"] + spec.iss["II"]
    iss = np.where(iss_u < p1, 1, np.where(iss_u < p2, 2, 3)).astype(np.int8)
    # β2-microglobulin within the ISS stage's range (Greipp 2005: I < 3.5, III ≥ 5.5 mg/L) [PROJECT CHOICE: log-uniform]
    lo = np.choose(iss - 1, [1.5, 2.0, 5.5])
    hi = np.choose(iss - 1, [3.5, 5.5, 15.0])
    b2m = lo * (hi / lo) ** u[:, col["b2m"]]
    # height from sex [PROJECT CHOICE]: 175 ± 7 cm (men), 162 ± 7 cm (women); only BSA uses it
    height = np.where(female == 1, 162.0, 175.0) + 7.0 * z[:, col["height"]]
    igg = _bernoulli(z[:, col["igg"]], spec.igg)
    kappa = _bernoulli(z[:, col["kappa"]], spec.kappa)
    isotype = np.where(igg == 1, "IgG", "IgA") + np.where(kappa == 1, "-kappa", "-lambda")
    lines = np.rint(spec.prior_lines.quantile(u[:, col["prior_lines"]])).astype(np.int16)
    dara = spec.prior_daratumumab
    has_dara = _bernoulli(z[:, col["dara"]], dara.share) if dara else np.zeros(n, np.int8)
    dara_ref = has_dara * _bernoulli(z[:, col["dara_ref"]], dara.refractory) if dara else np.zeros(n, np.int8)
    weeks = np.where(has_dara == 1, np.rint(dara.weeks_treated.quantile(u[:, col["dara_weeks"]])), 0) if dara else np.zeros(n)
    since = (np.where(has_dara == 1, dara.months_since_last_dose.quantile(u[:, col["dara_since"]]) * 30.4375, np.nan)
             if dara else np.full(n, np.nan))  # fmt: skip
    cov = pd.DataFrame({
        "patient_id": [f"{id_prefix}{i + 1:04d}" for i in range(n)],
        "age_y": spec.age_years.quantile(u[:, col["age"]]),
        "female": female,
        "weight_kg": spec.weight_kg.quantile(u[:, col["weight"]]),
        "height_cm": np.clip(height, 140.0, 200.0),
        "iss": iss,
        "b2m_mg_l": b2m,
        "isotype": isotype,
        "non_igg": (1 - igg).astype(np.int8),
        "high_risk": _bernoulli(z[:, col["high_risk"]], spec.high_risk_cytogenetics),
        "prior_lines": lines,
        "lenalidomide_refractory": _bernoulli(z[:, col["len_ref"]], spec.lenalidomide_refractory),
        "pi_refractory": _bernoulli(z[:, col["pi_ref"]], spec.pi_refractory),
        "extramedullary": _bernoulli(z[:, col["emd"]], spec.extramedullary),
        "asian": _bernoulli(z[:, col["asian"]], spec.asian),
        "m0_g_dl": spec.serum_m_g_dl.quantile(u[:, col["m0"]]),
        "prior_daratumumab": has_dara,
        "daratumumab_refractory": dara_ref.astype(np.int8),
        "daratumumab_weeks": np.asarray(weeks, dtype=float),
        "days_since_daratumumab": since,
    })
    return VirtualPatients(cov, normals, uniforms, tuple(keys))
