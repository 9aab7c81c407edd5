"""Virtual patients: baseline covariates matching a trial's published table, seeded per patient.

>>> from isamm.population import BaselineSpec, sample_baseline
"""

from isamm.population._baseline import CORRELATIONS, LATENTS, BaselineSpec, VirtualPatients, sample_baseline

__all__ = ["BaselineSpec", "VirtualPatients", "sample_baseline", "CORRELATIONS", "LATENTS"]
