"""Myeloma disease model: serum M-protein under treatment, progression, discontinuation and death.

The structure is disease_models.md §4 (Claret tumour-growth-inhibition family, K-PD partner
drugs, acquired resistance, log-normal IIV); every parameter lives with its unit, source, tag
and role in a parameter file (``isamm/data/disease/tgi_v2.toml`` by default; :func:`load_parameters`).
"""

from isamm.disease._hazards import (
    death_after_progression_days,
    death_before_progression_days,
    discontinuation_days,
    exponential_time_days,
    nonm_progression_days,
)
from isamm.disease._mprotein import (MProtein, isatuximab_effect, isatuximab_kill_integral, m_protein,
                                     partner_kill_integral)
from isamm.disease._params import DEFAULT, OPTIONAL, PARTNER_DRUGS, REQUIRED, SHIPPED, DiseaseParameters, load_parameters
from isamm.disease._prior_dara import cd38_effect_fraction, residual_daratumumab

__all__ = [
    "DiseaseParameters", "load_parameters", "PARTNER_DRUGS", "REQUIRED", "OPTIONAL", "SHIPPED", "DEFAULT",
    "MProtein", "m_protein", "partner_kill_integral", "isatuximab_effect", "isatuximab_kill_integral",
    "cd38_effect_fraction", "residual_daratumumab",
    "exponential_time_days", "nonm_progression_days", "discontinuation_days", "death_before_progression_days",
    "death_after_progression_days",
]  # fmt: skip
