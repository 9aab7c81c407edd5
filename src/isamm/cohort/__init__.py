"""Reading and validating a user's cohort file (CSV, Excel, Parquet) into a :class:`Cohort`.

Public names
------------
read_cohort
    File or DataFrame → validated :class:`Cohort` (InputErrors name file, row, column).
Cohort
    The validated table plus column roles (time, event, entry, covariates).
CohortConfig, load_cohort_config
    The column mapping as a small TOML file.
"""

from isamm.cohort._config import CohortConfig as CohortConfig
from isamm.cohort._config import load_cohort_config as load_cohort_config
from isamm.cohort._read import Cohort as Cohort
from isamm.cohort._read import read_cohort as read_cohort

__all__ = ["Cohort", "CohortConfig", "load_cohort_config", "read_cohort"]
