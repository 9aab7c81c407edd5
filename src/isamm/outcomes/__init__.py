"""Outcome statistics on a cohort, configured to match R and tested against it.

Every function returns a frozen result object with ``to_frame()`` (one table)
and ``to_dict()`` (the ``--json`` output of the matching CLI command). The R
script that made the reference numbers is ``tests/r_reference/make_reference.R``.

Public names
------------
kaplan_meier, KMResult, KMGroup
    Kaplan–Meier with R's log CI, median CI and landmarks (``survfit``).
logrank, LogrankResult
    Log-rank test, optionally stratified or with delayed entry (``survdiff``).
cox, CoxResult
    Cox model with Efron ties, R term names, global tests, concordance and
    ``zph()`` (``coxph``, ``cox.zph``).
roc_cutoff, CutoffResult
    ROC AUC and the Youden-optimal cut-off (midpoint thresholds).
fisher_exact, chisq_test, proportion_ci, crosstab
    ``fisher.test`` (2×2), ``chisq.test``, Clopper–Pearson ``binom.test`` CI.
orr, ORRResult, RESPONSE_ORDER
    Best-response counts and ORR (≥PR) with exact CIs.
ordinal_logit, OrdinalResult
    Proportional-odds regression (``MASS::polr``).
table1, Table1Result
    Baseline characteristics by group with the appropriate tests.
r_levels, r_label
    R's factor-level order and level labels (the one rule, shared by models, tables and reports).
"""

from isamm.outcomes._cox import CoxResult as CoxResult
from isamm.outcomes._design import r_label as r_label
from isamm.outcomes._design import r_levels as r_levels
from isamm.outcomes._cox import cox as cox
from isamm.outcomes._cox import zph_records as zph_records
from isamm.outcomes._km import KMGroup as KMGroup
from isamm.outcomes._km import KMResult as KMResult
from isamm.outcomes._km import kaplan_meier as kaplan_meier
from isamm.outcomes._logrank import LogrankResult as LogrankResult
from isamm.outcomes._logrank import logrank as logrank
from isamm.outcomes._ordinal import OrdinalResult as OrdinalResult
from isamm.outcomes._ordinal import ordinal_logit as ordinal_logit
from isamm.outcomes._orr import RESPONSE_ORDER as RESPONSE_ORDER
from isamm.outcomes._orr import ORRResult as ORRResult
from isamm.outcomes._orr import orr as orr
from isamm.outcomes._roc import CutoffResult as CutoffResult
from isamm.outcomes._roc import roc_cutoff as roc_cutoff
from isamm.outcomes._table1 import Table1Result as Table1Result
from isamm.outcomes._table1 import table1 as table1
from isamm.outcomes._tables import ChisqResult as ChisqResult
from isamm.outcomes._tables import FisherResult as FisherResult
from isamm.outcomes._tables import ProportionResult as ProportionResult
from isamm.outcomes._tables import association_test as association_test
from isamm.outcomes._tables import chisq_test as chisq_test
from isamm.outcomes._tables import crosstab as crosstab
from isamm.outcomes._tables import fisher_exact as fisher_exact
from isamm.outcomes._tables import proportion_ci as proportion_ci

__all__ = ["r_label", "r_levels", 
    "ChisqResult", "CoxResult", "CutoffResult", "FisherResult", "KMGroup", "KMResult", "LogrankResult",
    "ORRResult", "OrdinalResult", "ProportionResult", "RESPONSE_ORDER", "Table1Result", "association_test",
    "chisq_test", "cox", "zph_records",
    "crosstab", "fisher_exact", "kaplan_meier", "logrank", "ordinal_logit", "orr", "proportion_ci",
    "roc_cutoff", "table1",
]
