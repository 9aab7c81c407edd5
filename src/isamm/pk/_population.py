"""Virtual populations drawn in blocks: patient ``i`` depends only on ``(seed, i)``.

Covariates and random effects are drawn in blocks of :data:`SAMPLE_BLOCK` patients, block ``b``
from its own generators (``default_rng([seed, 0, b])`` for covariates, ``[seed, 1, b]`` for
random effects). Any range of patients can then be drawn on its own, in any order, in any
process: a population of 10⁶ is sampled chunk by chunk inside the work that uses it, and
``sample_patients(model, n, seed)[lo:hi]`` equals ``Population(model, n, seed).patients(lo, hi)``
whatever the chunk size, the number of workers or the use of Dask.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from isamm._constraints import PATIENTS, SEED, validate
from isamm.errors import InputError
from isamm.pk._model import PKModel, covariate_frame, load_model

__all__ = ["Population", "SAMPLE_BLOCK", "sample_covariates", "sample_patients"]

#: Patients per seeded block (a property of the sampled numbers: changing it changes every population).
SAMPLE_BLOCK = 1024

_CONSTRAINTS = {"n": PATIENTS, "seed": SEED}


def _check_n(n) -> None:
    validate(_CONSTRAINTS, n=n)  # the declared domain (the CLI names it --patients)


def _blocks(lo: int, hi: int):
    """Blocks covering patients ``lo..hi−1``: ``(block, first, last)`` with block-relative slice bounds."""
    for b in range(lo // SAMPLE_BLOCK, (hi - 1) // SAMPLE_BLOCK + 1):
        start = b * SAMPLE_BLOCK
        yield b, max(lo, start) - start, min(hi, start + SAMPLE_BLOCK) - start


def _covariate_block(model: PKModel, seed: int, block: int) -> dict[str, np.ndarray]:
    """One block of sampled covariates (log-normal truncated to [min, max] by resampling; Bernoulli)."""
    rng = np.random.default_rng([seed, 0, block])
    spec, n, out = model.population, SAMPLE_BLOCK, {}
    for name in model.covariates:
        sp = getattr(spec, name)
        if isinstance(sp, float):
            out[name] = (rng.random(n) < sp).astype(float)
            continue
        x = sp.median * np.exp(sp.log_sd * rng.standard_normal(n))
        bad = (x < sp.min) | (x > sp.max)
        while bad.any():
            x[bad] = sp.median * np.exp(sp.log_sd * rng.standard_normal(int(bad.sum())))
            bad = (x < sp.min) | (x > sp.max)
        out[name] = x
    return out


def _sampled_covariates(model: PKModel, seed: int, lo: int, hi: int) -> pd.DataFrame:
    parts = [(_covariate_block(model, seed, b), a, z) for b, a, z in _blocks(lo, hi)]
    return pd.DataFrame({name: np.concatenate([blk[name][a:z] for blk, a, z in parts]) for name in model.covariates})


def _sampled_etas(model: PKModel, seed: int, lo: int, hi: int) -> np.ndarray:
    """Random effects (diagonal Ω, each on its parameter's own scale) of patients ``lo..hi−1``."""
    k = len(model.random_effects)
    parts = [np.random.default_rng([seed, 1, b]).standard_normal((SAMPLE_BLOCK, k))[a:z] for b, a, z in _blocks(lo, hi)]
    return np.concatenate(parts) * model.omegas if parts else np.zeros((0, k))


@dataclass(frozen=True)
class Population:
    """N virtual patients, drawn only when a range of them is asked for (:meth:`patients`).

    Parameters
    ----------
    model
        A :class:`PKModel` or model id.
    n
        Number of patients (1 … 1,000,000).
    seed
        Seed of the covariates and random effects (patient ``i`` depends on ``seed`` and ``i`` only).
    covariates
        ``None``: covariates sampled from the model's ``[population]`` block. A covariate table
        (checked by :func:`isamm.pk.covariate_frame`; missing columns take the model's defaults) of
        ``n`` rows (one per patient) or of one row (the same covariates for every patient).
    iiv
        ``False``: no random effects (typical patients with these covariates).
    offset
        Index of the first patient in the seeded sequence (:meth:`part` sets it).
    """

    model: PKModel
    n: int
    seed: int
    covariates: pd.DataFrame | None = None
    iiv: bool = True
    offset: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "model", load_model(self.model))
        _check_n(self.n)
        validate(_CONSTRAINTS, seed=self.seed)
        if self.covariates is not None and self.offset == 0:  # a part's rows come from a checked table
            object.__setattr__(self, "covariates", covariate_frame(self.model, self.covariates))
        if self.covariates is not None and len(self.covariates) not in (1, self.n):
            raise InputError("covariate table does not match the number of patients", option="covariates",
                             expected=f"1 or {self.n} rows", got=len(self.covariates))

    def __len__(self) -> int:
        return self.n

    def patients(self, lo: int = 0, hi: int | None = None):
        """Patients ``lo..hi−1`` (default: all) as :class:`isamm.pk.Patients`."""
        from isamm.pk._simulate import Patients

        hi = self.n if hi is None else hi
        if not 0 <= lo < hi <= self.n:
            raise InputError("invalid patient range", option="patients", expected=f"0 <= lo < hi <= {self.n}", got=(lo, hi))
        a, z = self.offset + lo, self.offset + hi
        if self.covariates is None:
            cov = _sampled_covariates(self.model, self.seed, a, z)
        elif len(self.covariates) == 1 and self.n > 1:
            cov = self.covariates.iloc[np.zeros(hi - lo, dtype=int)].reset_index(drop=True)
        else:
            cov = self.covariates.iloc[lo:hi].reset_index(drop=True)
        k = len(self.model.random_effects)
        etas = _sampled_etas(self.model, self.seed, a, z) if self.iiv else np.zeros((hi - lo, k))
        return Patients(self.model, cov, etas)

    def part(self, lo: int, hi: int) -> "Population":
        """Patients ``lo..hi−1`` as a population of their own, with the same draws (a Dask task's share:
        the seed and their covariate rows only)."""
        cov = self.covariates
        if cov is not None and len(cov) > 1:
            cov = cov.iloc[lo:hi].reset_index(drop=True)
        return Population(self.model, hi - lo, self.seed, cov, self.iiv, offset=self.offset + lo)


def sample_covariates(model: PKModel | str, n: int, seed: int) -> pd.DataFrame:
    """Sample a covariate table of ``n`` patients from the model's ``[population]`` spec (seeded, in blocks).

    Continuous covariates are log-normal around the median, truncated to [min, max]
    by resampling; binary covariates are Bernoulli with the given share.
    """
    model = load_model(model)
    _check_n(n)
    validate(_CONSTRAINTS, seed=seed)
    return _sampled_covariates(model, seed, 0, n)


def sample_patients(model: PKModel | str, n: int | None = None, *, seed: int, covariates: pd.DataFrame | None = None):
    """Patients with sampled IIV (diagonal Omega from the model file), reproducible by ``seed``.

    With ``covariates`` the table gives the patients (``n`` is its length);
    without it ``n`` covariate sets are drawn by :func:`sample_covariates`.
    Equal to ``Population(model, n, seed, covariates).patients()``.
    """
    validate(_CONSTRAINTS, seed=seed)
    model = load_model(model)
    if covariates is None:
        if n is None:
            raise InputError("give the number of patients or a covariate table", option="n")
        return Population(model, n, seed).patients()
    cov = covariate_frame(model, covariates)
    return Population(model, len(cov), seed, cov).patients()
