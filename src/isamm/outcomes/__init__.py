"""Outcome statistics on a cohort, configured to match R ``survival`` and tested against it.

Every function returns a frozen result object with ``to_frame()`` (one table)
and ``to_dict()`` (the ``--json`` output of the matching CLI command).

Public names
------------
kaplan_meier, KMResult, KMGroup
    Kaplan–Meier with R's log CI, median CI and landmarks (``survfit``).
logrank, LogrankResult
    Log-rank test, optionally stratified (``survdiff``).
cox, CoxResult
    Cox model with Efron ties, R term names, global tests, concordance and
    ``zph()`` (``coxph``, ``cox.zph``).
"""

from isamm.outcomes._cox import CoxResult as CoxResult
from isamm.outcomes._cox import cox as cox
from isamm.outcomes._km import KMGroup as KMGroup
from isamm.outcomes._km import KMResult as KMResult
from isamm.outcomes._km import kaplan_meier as kaplan_meier
from isamm.outcomes._logrank import LogrankResult as LogrankResult
from isamm.outcomes._logrank import logrank as logrank

__all__ = ["CoxResult", "cox", "KMGroup", "KMResult", "LogrankResult", "kaplan_meier", "logrank"]
