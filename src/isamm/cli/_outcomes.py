"""Outcome statistics on a cohort file: ``isamm km``, ``cox``, ``cutoff``, ``table1``, ``orr``, ``ordinal``, ``crosstab``.

Each command reads the file with :func:`isamm.cohort.read_cohort` (errors name
file, row and column), calls one :mod:`isamm.outcomes` function and prints a
Rich table, or the result's ``to_dict()`` with ``--json``. ``-o FILE`` writes
the same JSON (``.json``) or the result's ``to_frame()`` table (``.csv``,
``.parquet``), atomically.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import typer
from rich.markup import escape
from rich.table import Table

from isamm.cli._common import console, emit_json, err_console, parse_float_list, write_output
from isamm._io import figure_format
from isamm.errors import InputError
from isamm.report import format_p, p_text
from isamm.units import TIME_UNITS

FILE_HELP = "Cohort file (CSV, TSV, Excel or Parquet), one row per patient."
JSON_HELP = "Print the result as JSON on stdout (keys documented in the README)."
CONFIG_HELP = ("Column mapping as TOML ([cohort] time, event, entry, dates, categorical, continuous); "
               "options given on the command line win.")
OUT_HELP = "Write the result: .json (as --json) or .csv/.parquet (the result table)."


def _names(text: str | None, option: str) -> list[str] | None:
    if text is None:
        return None
    names = [p.strip() for p in text.split(",") if p.strip()]
    if not names:
        raise InputError("empty list", option=option, expected="comma-separated column names", got=text)
    twice = next((n for i, n in enumerate(names) if n in names[:i]), None)
    if twice is not None:  # silently merged, a model would have one term fewer than the user asked for
        raise InputError(f"column {twice!r} named twice", option=option, expected="each column once", got=text)
    return names


def _dates(text: str | None) -> tuple[str, str] | None:
    names = _names(text, "--dates")
    if names is not None and len(names) != 2:
        raise InputError("two date columns needed", option="--dates", expected="START,END", got=text)
    return None if names is None else (names[0], names[1])


def _survival_cohort(file: Path, time, event, entry, dates, config: Path | None):
    """The cohort with its survival columns from the options, else from ``--config`` (options win)."""
    from isamm.cohort import load_cohort_config, read_cohort

    cfg = load_cohort_config(config) if config is not None else None
    if time is None and dates is None and (cfg is None or (cfg.time is None and cfg.dates is None)):
        raise InputError("no follow-up time", option="--time",
                         expected="--time COLUMN, --dates START,END, or time/dates in --config")
    if event is None and (cfg is None or cfg.event is None):
        raise InputError("no event column", option="--event", expected="--event COLUMN or event in --config")
    return read_cohort(file, time=time, event=event, entry=entry, dates=_dates(dates), config=cfg)


def _complete(cohort, column: str, option: str) -> pd.Series:
    """A column without missing cells (else an InputError naming file, row and column)."""
    series = cohort.column(column, option=option)
    missing = series.isna().to_numpy()
    if missing.any():
        raise InputError("missing value", file=cohort.source, row=cohort.row_of(int(np.flatnonzero(missing)[0])),
                         column=column, option=option, expected="a value in every row")
    return series


def _numbers(cohort, column: str, option: str) -> pd.Series:
    """A numeric column whose empty cells stay missing (else an InputError naming file, row and column)."""
    raw = cohort.column(column, option=option)
    values = pd.to_numeric(raw, errors="coerce")
    bad = (values.isna() & raw.notna()).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError("not a number", file=cohort.source, row=cohort.row_of(i), column=column, option=option,
                         expected="a number (or an empty cell for a missing value)", got=str(raw.iloc[i]))
    return values


def _finish(result, json_out: bool, output: Path | None, render, payload: dict | None = None) -> None:
    payload = result.to_dict() if payload is None else payload
    if output is not None:
        if output.suffix.lower() == ".json":
            write_output(output, obj=payload)
        else:
            write_output(output, frame=result.to_frame())
    if json_out:
        emit_json(payload)
    else:
        render()


def _f(x, fmt: str = "{:.3g}") -> str:
    return "NA" if x is None or (isinstance(x, float) and np.isnan(x)) else fmt.format(x)


def km(
    file: Path = typer.Argument(..., help=FILE_HELP),
    time: str = typer.Option(None, "--time", help="Follow-up time column (its unit is the unit of the results)."),
    event: str = typer.Option(None, "--event", help="Event column: 1 = event, 0 = censored."),
    entry: str = typer.Option(None, "--entry", help="Delayed-entry (left truncation) time column (a date with --dates)."),
    config: Path = typer.Option(None, "--config", help=CONFIG_HELP),
    dates: str = typer.Option(None, "--dates", help="START,END date columns: time in months (1 month = 30.4375 d)."),
    group: str = typer.Option(None, "--group", help="Group column: one curve per group and the log-rank test."),
    at: str = typer.Option(None, "--at", help="Landmark times, e.g. 6,12,24: survival, 95% CI, number at risk."),
    conf_level: float = typer.Option(0.95, "--conf-level", help="Confidence level."),
    time_unit: str = typer.Option(None, "--time-unit", help="Unit of the time column for labels, e.g. months."),
    plot: Path = typer.Option(None, "--plot", help="Also draw the curves (PNG, SVG or PDF by suffix)."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
    output: Path = typer.Option(None, "--output", "-o", help=OUT_HELP),
) -> None:
    """Kaplan–Meier survival as R survfit (log CI), medians with CI, landmarks, log-rank by group."""
    from isamm.outcomes import kaplan_meier

    if not 0 < conf_level < 1:  # a common slip: 95 for 0.95
        raise InputError("confidence level out of range", option="--conf-level", expected="0 < level < 1, e.g. 0.95",
                         got=conf_level)
    if time_unit is not None and time_unit not in TIME_UNITS:
        raise InputError("unknown time unit", option="--time-unit", expected=" or ".join(TIME_UNITS), got=time_unit)
    if plot is not None:
        figure_format(plot, "plot")  # before any work: matplotlib would refuse the suffix only after drawing
    cohort = _survival_cohort(file, time, event, entry, dates, config)
    entry = cohort.entry
    groups = None if group is None else _complete(cohort, group, "--group")
    landmarks = None if at is None else parse_float_list(at, "--at")
    d = cohort.data
    result = kaplan_meier(d[cohort.time], d[cohort.event], entry=None if entry is None else d[entry],
                          group=groups, at=landmarks, conf_level=conf_level)
    unit = time_unit or ("months" if cohort.time_unit == "months" else cohort.time)
    if plot is not None:
        from isamm.report import km_plot, save_figure

        fig = km_plot(result, xlabel=f"Time ({unit})")
        (written,) = save_figure(fig, plot.with_suffix(""), formats=(plot.suffix.lstrip(".").lower() or "png",))
        err_console.print(f"wrote {written}", highlight=False, markup=False)

    def render():
        pct = int(round(100 * conf_level))
        table = Table(title=escape(f"Kaplan–Meier: {cohort.source}, time {cohort.time}"
                                   + (f" ({unit})" if unit != cohort.time else "") + f", event {cohort.event}"
                                   + (f", entry {entry}" if entry else "")),
                      caption="log CI (R conf.type='log'); median CI as R print(survfit)")
        for col in ["group", "n", "events", f"median ({pct}% CI)"]:
            table.add_column(col)
        for g in result.groups:
            table.add_row(escape(g.group), str(g.n), str(g.events),
                          f"{_f(g.median)} ({_f(g.median_ci[0])}–{_f(g.median_ci[1])})")
        console.print(table)
        if landmarks:
            marks = Table(title=f"Survival at landmark times ({unit})")
            for col in ["group", "time", f"survival ({pct}% CI)", "at risk"]:
                marks.add_column(col)
            for g in result.groups:
                for r in g.at.itertuples(index=False):
                    marks.add_row(escape(g.group), f"{r.time:g}", f"{_f(r.surv, '{:.3f}')} "
                                  f"({_f(r.lower, '{:.3f}')}–{_f(r.upper, '{:.3f}')})", str(r.n_risk))
            console.print(marks)
        if result.logrank is not None:
            lr = result.logrank
            if lr.df == 0:
                console.print(f"log-rank: not computed ({lr.note})", highlight=False)
            else:
                console.print(f"log-rank: chi-square {lr.chisq:.3f} on {lr.df} df, {p_text(lr.p)}"
                              + (f" ({lr.note})" if lr.note else ""), highlight=False)
        elif group is not None:
            why = "a single group" if len(result.groups) < 2 else "no events"
            console.print(f"log-rank: not computed ({why})", highlight=False)

    _finish(result, json_out, output, render)


def cox_command(
    file: Path = typer.Argument(..., help=FILE_HELP),
    time: str = typer.Option(None, "--time", help="Follow-up time column."),
    event: str = typer.Option(None, "--event", help="Event column: 1 = event, 0 = censored."),
    covariates: str = typer.Option(..., "--covariates", help="Comma-separated covariate columns, e.g. age,sex,hgb."),
    strata: str = typer.Option(None, "--strata", help="Stratification column (separate baseline hazards)."),
    entry: str = typer.Option(None, "--entry", help="Delayed-entry time column."),
    config: Path = typer.Option(None, "--config", help=CONFIG_HELP),
    dates: str = typer.Option(None, "--dates", help="START,END date columns: time in months (1 month = 30.4375 d)."),
    categorical: str = typer.Option(None, "--categorical", help="Numeric-coded covariates to treat as factors."),
    ties: str = typer.Option("efron", "--ties", help="Tie handling: efron (R default) or breslow."),
    zph: bool = typer.Option(False, "--zph", help="Also test proportional hazards (R cox.zph)."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
    output: Path = typer.Option(None, "--output", "-o", help=OUT_HELP),
) -> None:
    """Cox proportional-hazards model as R coxph (Efron ties): HR, 95% CI, p, concordance."""
    from isamm.cohort import load_cohort_config
    from isamm.outcomes import cox, zph_records

    if ties not in ("efron", "breslow"):
        raise InputError("unknown ties method", option="--ties", expected="efron (R's default) or breslow", got=ties)
    cohort = _survival_cohort(file, time, event, entry, dates, config)
    entry = cohort.entry
    covs = _names(covariates, "--covariates")
    for c in covs + ([strata] if strata else []):
        cohort.column(c, option="--strata" if c == strata else "--covariates")
    factors = _names(categorical, "--categorical")
    if factors is None and config is not None:
        # factors declared in the config; never the detected roles (R fits a 0/1 column as a number)
        declared = load_cohort_config(config).categorical or ()
        factors = [c for c in declared if c in covs] or None
    result = cox(cohort, cohort.time, cohort.event, covs, strata=strata, entry=entry, categorical=factors, ties=ties)
    zph_table = result.zph() if zph else None

    def render():
        title = (f"Cox model: {cohort.source}, n = {result.n}, events = {result.events}"
                 + (f" ({result.n_dropped} rows dropped for missing values)" if result.n_dropped else ""))
        table = Table(title=escape(title), caption=f"ties = {ties}; concordance {result.concordance:.3f}")
        for col in ("term", "HR", "95% CI", "p"):
            table.add_column(col)
        for r in result.terms.itertuples(index=False):
            table.add_row(escape(r.term), f"{r.hr:.3f}", f"{r.lower:.3f}–{r.upper:.3f}", format_p(r.p))
        console.print(table)
        for name in ("lr", "wald", "score"):
            t = getattr(result, name)
            console.print(f"{name} test: {t['chisq']:.2f} on {t['df']} df, {p_text(t['p'])}", highlight=False)
        if zph_table is not None:
            z = Table(title="Proportional hazards (cox.zph, KM transform)")
            for col in ("term", "chi-square", "df", "p"):
                z.add_column(col)
            for r in zph_table.itertuples(index=False):
                z.add_row(escape(r.term), f"{r.chisq:.3f}", str(r.df), format_p(r.p))
            console.print(z)

    payload = result.to_dict()
    if zph_table is not None:
        payload["zph"] = zph_records(zph_table)
    _finish(result, json_out, output, render, payload)


def cutoff(
    file: Path = typer.Argument(..., help=FILE_HELP),
    marker: str = typer.Option(..., "--marker", help="Continuous marker column (e.g. hgb)."),
    outcome: str = typer.Option(..., "--outcome", help="Binary outcome column (1 = progressed/died)."),
    direction: str = typer.Option("below", "--direction", help="below: low marker predicts the outcome; above: high."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
    output: Path = typer.Option(None, "--output", "-o", help=OUT_HELP),
) -> None:
    """ROC AUC and the Youden-optimal cut-off (midpoint between adjacent observed values)."""
    from isamm.cohort import read_cohort
    from isamm.outcomes import roc_cutoff

    if direction not in ("below", "above"):
        raise InputError("unknown direction", option="--direction", expected="below or above", got=direction)
    cohort = read_cohort(file)
    values = _numbers(cohort, marker, "--marker")
    flags = _numbers(cohort, outcome, "--outcome")
    bad = (flags.notna() & ~flags.isin([0, 1])).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError("outcome must be 0 or 1", file=cohort.source, row=cohort.row_of(i), column=outcome,
                         option="--outcome", expected="0, 1, or an empty cell (that patient is left out)",
                         got=float(flags.iloc[i]))
    # as the R reference: patients with a missing marker or outcome are left out and counted
    try:
        result = roc_cutoff(values, flags, direction=direction)
    except InputError as exc:
        if exc.option != "marker":
            raise
        raise InputError(exc.detail, file=cohort.source, column=marker, option="--marker", expected=exc.expected,
                         got=exc.got) from None

    def render():
        sign = "<" if direction == "below" else ">"
        table = Table(title=escape(f"ROC cut-off: {cohort.source}, {marker} for {outcome} "
                                   f"(n = {result.n}, {result.n_positive} with outcome"
                                   + (f", {result.n_dropped} missing" if result.n_dropped else "") + ")"))
        for col in ("cut-off", "Youden J", "sensitivity", "specificity", "AUC"):
            table.add_column(col)
        table.add_row(escape(f"{marker} {sign} {result.cutoff:g}"), f"{result.youden_j:.3f}",
                      f"{result.sensitivity:.3f}", f"{result.specificity:.3f}", f"{result.auc:.3f}")
        console.print(table)

    _finish(result, json_out, output, render)


def table1_command(
    file: Path = typer.Argument(..., help=FILE_HELP),
    by: str = typer.Option(None, "--by", help="Grouping column (columns per group and a p-value per row)."),
    variables: str = typer.Option(None, "--variables", help="Rows, comma-separated (default: all covariates)."),
    categorical: str = typer.Option(None, "--categorical", help="Columns to treat as categorical."),
    continuous: str = typer.Option(None, "--continuous", help="Columns to treat as continuous."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
    output: Path = typer.Option(None, "--output", "-o", help=OUT_HELP),
) -> None:
    """Table 1: median [IQR] or n (%), by group, with Wilcoxon/Kruskal–Wallis or Fisher/chi-square p."""
    from isamm.cohort import read_cohort
    from isamm.outcomes import table1

    cohort = read_cohort(file, categorical=_names(categorical, "--categorical"),
                         continuous=_names(continuous, "--continuous"))
    if by is not None:
        cohort.column(by, option="--by")
    result = table1(cohort, by=by, variables=_names(variables, "--variables"))

    def render():
        table = Table(title=escape(f"Table 1: {cohort.source}" + (f" by {by}" if by else "")))
        cols = ["variable", "overall", *result.groups] + (["p", "test"] if by else [])
        for col in cols:
            table.add_column(escape(col))
        for r in result.rows.to_dict(orient="records"):
            label = r["variable"] if r["kind"] in ("n", "categorical", "continuous") else f"  {r['level']}"
            if r["kind"] == "continuous":
                label = f"{r['variable']}, median [IQR]"
            cells = [label, r["overall"], *[r[g] for g in result.groups]]
            if by:
                cells += [format_p(r["p"]) if not pd.isna(r["p"]) else "", r["test"]]
            table.add_row(*(escape(str(c)) for c in cells))
        console.print(table)

    _finish(result, json_out, output, render)


def orr_command(
    file: Path = typer.Argument(..., help=FILE_HELP),
    response: str = typer.Option(..., "--response", help="Best-response column (IMWG: sCR CR VGPR PR MR SD PD NE)."),
    threshold: str = typer.Option("PR", "--threshold", help="Lowest category counted as a response."),
    evaluable_only: bool = typer.Option(False, "--evaluable-only", help="Leave NE patients out of the denominator."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
    output: Path = typer.Option(None, "--output", "-o", help=OUT_HELP),
) -> None:
    """Best-response counts and overall response rate with Clopper–Pearson 95% CIs."""
    from isamm.cohort import read_cohort
    from isamm.outcomes import orr

    cohort = read_cohort(file)
    result = orr(cohort.column(response, option="--response"), threshold=threshold,
                 evaluable_only=evaluable_only, source=cohort.source, column=response, rows=cohort.rows)

    def render():
        table = Table(title=escape(f"Best response: {cohort.source}, n = {result.n}"),
                      caption="exact (Clopper–Pearson) 95% CI")
        for col in ("response", "n", "%", "95% CI"):
            table.add_column(col)
        for r in result.to_frame().itertuples(index=False):
            ci = "" if np.isnan(r.lower) else f"{r.lower:.1f}–{r.upper:.1f}"
            table.add_row(escape(r.category), str(r.n), f"{r.percent:.1f}", ci)
        console.print(table)
        o = result.orr
        console.print(f"ORR (≥{result.threshold}): {o.k}/{o.n} = {100 * o.proportion:.1f}% "
                      f"(95% CI {100 * o.ci[0]:.1f}–{100 * o.ci[1]:.1f})", highlight=False)

    _finish(result, json_out, output, render)


def ordinal_command(
    file: Path = typer.Argument(..., help=FILE_HELP),
    response: str = typer.Option(..., "--response", help="Ordered outcome column (IMWG codes are ordered PD→sCR)."),
    covariates: str = typer.Option(..., "--covariates", help="Comma-separated covariate columns."),
    levels: str = typer.Option(None, "--levels", help="Order of the response categories, lowest first."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
    output: Path = typer.Option(None, "--output", "-o", help=OUT_HELP),
) -> None:
    """Proportional-odds (ordinal logistic) regression as R MASS::polr: odds ratios, 95% CI, p."""
    from isamm.cohort import read_cohort
    from isamm.outcomes import ordinal_logit

    cohort = read_cohort(file)
    covs = _names(covariates, "--covariates")
    for c in [response, *covs]:
        cohort.column(c, option="--response" if c == response else "--covariates")
    result = ordinal_logit(cohort, response, covs, levels=_names(levels, "--levels"))

    def render():
        table = Table(title=escape(f"Ordinal regression: {cohort.source}, {response} "
                                   f"({' < '.join(result.levels)}), n = {result.n}"),
                      caption="OR > 1: higher categories more likely")
        for col in ("term", "OR", "95% CI", "p"):
            table.add_column(col)
        for r in result.terms.itertuples(index=False):
            table.add_row(escape(r.term), f"{r[5]:.3f}", f"{r.lower:.3f}–{r.upper:.3f}", format_p(r.p))
        console.print(table)

    _finish(result, json_out, output, render)


def crosstab_command(
    file: Path = typer.Argument(..., help=FILE_HELP),
    rows: str = typer.Option(..., "--rows", help="Row variable (categorical column)."),
    cols: str = typer.Option(..., "--cols", help="Column variable (categorical column)."),
    correction: bool = typer.Option(True, "--correction/--no-correction",
                                    help="Yates' correction for the chi-square test of a 2×2 table (R default)."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
    output: Path = typer.Option(None, "--output", "-o", help=OUT_HELP),
) -> None:
    """Cross-table of two columns with Fisher's exact test (2×2) or Pearson's chi-square (larger)."""
    from isamm.cohort import read_cohort
    from isamm.outcomes import FisherResult, association_test, chisq_test, crosstab, r_label

    cohort = read_cohort(file)
    counts = crosstab(cohort.column(rows, option="--rows"), cohort.column(cols, option="--cols"))
    if min(counts.shape) < 2:
        raise InputError("a test needs at least two levels in each variable", file=cohort.source,
                         option="--rows/--cols", got=f"{counts.shape[0]} × {counts.shape[1]} table")
    table = counts.to_numpy()
    result = association_test(table, correction=correction)
    payload = {**result.to_dict(), "rows": [r_label(v) for v in counts.index],
               "cols": [r_label(v) for v in counts.columns]}
    fisher = isinstance(result, FisherResult)  # the library chose the test (association_test): one rule
    if fisher:  # report the chi-square as well, as SPSS/STATA users expect to see it
        payload["chisq"] = chisq_test(table, correction=correction).to_dict()

    def render():
        t = Table(title=escape(f"{cohort.source}: {rows} × {cols}"))
        t.add_column(escape(rows))
        for c in counts.columns:
            t.add_column(escape(r_label(c)))
        for label, r in counts.iterrows():
            t.add_row(escape(r_label(label)), *(str(int(v)) for v in r))
        console.print(t)
        if fisher:
            console.print(f"Fisher exact: {p_text(result.p)}; odds ratio {result.odds_ratio:.3g} "
                          f"(95% CI {result.ci[0]:.3g}–{result.ci[1]:.3g}, conditional MLE)", highlight=False)
        else:
            console.print(f"Pearson chi-square {result.chisq:.3f} on {result.df} df, {p_text(result.p)}",
                          highlight=False)

    _finish(result, json_out, output, render, payload)


def register(app: typer.Typer) -> None:
    """Add the outcome commands to the root app."""
    app.command("km")(km)
    app.command("cox")(cox_command)
    app.command("cutoff")(cutoff)
    app.command("table1")(table1_command)
    app.command("orr")(orr_command)
    app.command("ordinal")(ordinal_command)
    app.command("crosstab")(crosstab_command)
