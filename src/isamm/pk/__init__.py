"""Population pharmacokinetics of isatuximab and daratumumab.

Models are sourced data files (``isamm/data/pk/*.toml``) plus a small
structural function; :func:`simulate` integrates N patients at once
(arrays ``[patient, time]``, concentrations in µg/mL).
"""

from isamm.pk._backend import AUTO_JAX_PATIENT_YEARS, BACKENDS, resolve_backend
from isamm.pk._cache import cache_dir
from isamm.pk._engine import STATUS
from isamm.pk._exposure import METRICS, Exposure, linear_half_life_h, summarise
from isamm.pk._stream import EXPOSURE_CHUNK, exposure, exposure_stream, iter_exposure
from isamm.pk._model import COVARIATES, PKModel, available_models, covariate_frame, load_model
from isamm.pk._simulate import (
    Patients,
    Simulation,
    add_residual_error,
    band_limits,
    input_breakpoints_h,
    population_band,
    simulate,
    simulate_parameters,
    typical_patients,
)
from isamm.pk._plot import concentration_figure, plot_concentration
from isamm.pk._population import SAMPLE_BLOCK, Population, sample_covariates, sample_patients
from isamm.pk._regimen import RegimenCalendar, regimen_events
from isamm.pk._choose import DEFAULT_MODELS, models_for_routes, regimen_model
from isamm.pk._structural import STRUCTURES, linear_cl_fau
from isamm.pk._washout import DARATUMUMAB_MODELS, Washout, washout

__all__ = [
    "AUTO_JAX_PATIENT_YEARS",
    "BACKENDS",
    "resolve_backend",
    "cache_dir",
    "METRICS",
    "Exposure",
    "exposure",
    "exposure_stream",
    "iter_exposure",
    "EXPOSURE_CHUNK",
    "Population",
    "SAMPLE_BLOCK",
    "RegimenCalendar",
    "linear_half_life_h",
    "summarise",
    "COVARIATES",
    "PKModel",
    "available_models",
    "covariate_frame",
    "load_model",
    "Patients",
    "Simulation",
    "STATUS",
    "add_residual_error",
    "sample_covariates",
    "sample_patients",
    "population_band",
    "band_limits",
    "simulate",
    "simulate_parameters",
    "input_breakpoints_h",
    "typical_patients",
    "regimen_events",
    "regimen_model",
    "models_for_routes",
    "DEFAULT_MODELS",
    "plot_concentration",
    "concentration_figure",
    "DARATUMUMAB_MODELS",
    "Washout",
    "washout",
    "STRUCTURES",
    "linear_cl_fau",
]
