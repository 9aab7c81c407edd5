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
swimmer_plot, save_swimmer_plot
    One bar per patient of an IMWG response assessment.
house_style, fmt_num, fmt_pct, format_p, p_text
    The figure style and the number formats of every report.
render_html, Section, Block, Table, FigureRef
    The self-contained HTML page of the cohort, trial and validation reports.
"""

from isamm.report._calendar import calendar_figure as calendar_figure
from isamm.report._cohort_report import cohort_report as cohort_report
from isamm.report._config import AnalysisConfig as AnalysisConfig
from isamm.report._config import load_config as load_config
from isamm.report._figures import format_p as format_p
from isamm.report._figures import house_style as house_style
from isamm.report._html import Block as Block
from isamm.report._html import FigureRef as FigureRef
from isamm.report._html import Section as Section
from isamm.report._html import Table as Table
from isamm.report._html import fmt_num as fmt_num
from isamm.report._html import fmt_pct as fmt_pct
from isamm.report._html import render_html as render_html
from isamm.report._swimmer import save_swimmer_plot as save_swimmer_plot
from isamm.report._swimmer import swimmer_plot as swimmer_plot
from isamm.report._figures import p_text as p_text
from isamm.report._figures import save_figure as save_figure
from isamm.report._forest import forest_plot as forest_plot
from isamm.report._km import km_plot as km_plot
from isamm.report._km import number_at_risk as number_at_risk
from isamm.report._roc import roc_plot as roc_plot

__all__ = ["calendar_figure", "cohort_report", "format_p", "p_text", "km_plot", "forest_plot", "roc_plot",
           "number_at_risk", "save_figure", "AnalysisConfig", "load_config", "swimmer_plot", "save_swimmer_plot",
           "house_style", "fmt_num", "fmt_pct", "render_html", "Section", "Block", "Table", "FigureRef"]
