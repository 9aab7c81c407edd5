"""Figures (KM with risk table, forest, ROC) and the HTML cohort report.

Public names
------------
km_plot, forest_plot, roc_plot
    matplotlib figures drawn from :mod:`isamm.outcomes` result objects.
number_at_risk
    The counts the KM risk table shows, read from a KM step table.
calendar_figure
    A dosing calendar as a week-by-day grid.
save_figure
    Write a figure as PNG and SVG, atomically.
cohort_report
    Cohort file + analysis config → report.html, results.json, figures (PNG, SVG).
AnalysisConfig, load_config
    The validated TOML analysis configuration of a cohort report.
"""

from isamm.report._calendar import calendar_figure as calendar_figure
from isamm.report._cohort_report import cohort_report as cohort_report
from isamm.report._config import AnalysisConfig as AnalysisConfig
from isamm.report._config import load_config as load_config
from isamm.report._figures import format_p as format_p
from isamm.report._figures import p_text as p_text
from isamm.report._figures import save_figure as save_figure
from isamm.report._forest import forest_plot as forest_plot
from isamm.report._km import km_plot as km_plot
from isamm.report._km import number_at_risk as number_at_risk
from isamm.report._roc import roc_plot as roc_plot

__all__ = ["calendar_figure", "cohort_report", "format_p", "p_text", "km_plot", "forest_plot", "roc_plot",
           "number_at_risk", "save_figure", "AnalysisConfig", "load_config"]
