"""IMWG 2016 response and progression from serial laboratory values.

The rules, their sources (Kumar 2016, Durie 2006, Rajkumar 2011) and the choices
made where the criteria are ambiguous are in ``shared/reference/imwg.md``; the
code cites its rule codes (R0–R5, P1–P9, C1–C4, I1–I2, M1–M2, ...).

Public names
------------
assess
    Lab table (file or DataFrame) → :class:`ResponseResult`.
assess_visits, VisitResponses, visit_labs
    The same rules vectorised over patients followed on one visit grid (arrays in, endpoints out;
    a virtual trial's labs), equal to ``assess`` patient by patient; the same arrays as a lab table.
read_labs, LAB_COLUMNS
    Read and validate a lab table; the columns the engine understands.
ResponseConfig, load_config
    Thresholds (IMWG 2016 defaults from ``data/response/imwg2016.toml``) and choices.
ResponseResult, PatientResponse, Assessment
    Results: per assessment, per patient, cohort summary.
LEVELS
    Response categories from worst (PD) to best (sCR).
"""

from isamm.response._assess import assess as assess
from isamm.response._config import ResponseConfig as ResponseConfig
from isamm.response._config import load_config as load_config
from isamm.response._read import LAB_COLUMNS as LAB_COLUMNS
from isamm.response._read import read_labs as read_labs
from isamm.response._result import Assessment as Assessment
from isamm.response._result import PatientResponse as PatientResponse
from isamm.response._result import ResponseResult as ResponseResult
from isamm.response._rules import LEVELS as LEVELS
from isamm.response._visits import VisitResponses as VisitResponses
from isamm.response._visits import assess_visits as assess_visits
from isamm.response._visits import visit_labs as visit_labs

__all__ = ["LAB_COLUMNS", "LEVELS", "Assessment", "PatientResponse", "ResponseConfig", "ResponseResult", "VisitResponses",
           "assess", "assess_visits", "load_config", "read_labs", "visit_labs"]  # fmt: skip
