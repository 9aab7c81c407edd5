"""``isamm response assess``: IMWG 2016 response from a long lab table."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from isamm._io import TABLE_FORMATS, figure_format, write_json, write_table
from isamm.cli._common import more_rows, console, emit_json, err_console
from isamm.errors import InputError



class NadirRule(str, Enum):
    running_minimum = "running_minimum"
    confirmed = "confirmed"


class AntiCD38IFE(str, Enum):
    flag = "flag"
    assume_cr = "assume_cr"
    off = "off"


def _fmt(x) -> str:
    return "" if x is None else f"{x:g}"


MAX_TERMINAL_PATIENTS = 100  # a terminal table of 20,000 patients takes longer to draw than to compute


def _more(result) -> None:
    more_rows(len(result.patients) - MAX_TERMINAL_PATIENTS, "patients")


def _print_details(result) -> None:
    table = Table(title="IMWG 2016 response at every assessment")
    for col in ("patient", "day", "response", "confirmed", "reason", "flags"):
        table.add_column(col)
    for p in result.patients[:MAX_TERMINAL_PATIENTS]:
        for a in p.assessments:
            # patient ids and reasons are the user's text: "[/bold]" is an id, not Rich markup
            table.add_row(escape(p.patient_id), _fmt(a.day), a.response or "", "yes" if a.confirmed else "",
                          escape(a.reason), ", ".join(a.flags))  # fmt: skip
    console.print(table)
    _more(result)


def _print(result) -> None:
    table = Table(title="IMWG 2016 response")
    for col in ("patient", "measurable", "best", "PD day", "unconfirmed PD", "TTR (d)",
                "DoR (d)", "flags"):  # fmt: skip
        table.add_column(col)
    for p in result.patients[:MAX_TERMINAL_PATIENTS]:
        dor = _fmt(p.duration_of_response_days) + ("" if p.dor_event in (None, True) else "+")
        table.add_row(escape(p.patient_id), p.measurable, p.best_response, _fmt(p.progression_day), _fmt(p.unconfirmed_pd_day),
                      _fmt(p.time_to_response_days), dor, ", ".join(p.flags))  # fmt: skip
    console.print(table)
    _more(result)
    s = result.summary()
    pct = {k: "—" if s[k] is None else f"{100 * s[k]:.1f}%" for k in ("orr", "vgpr_or_better", "cbr", "dcr")}
    console.print(f"n = {s['n']}: ORR (≥PR) {pct['orr']}, ≥VGPR {pct['vgpr_or_better']}, CBR (≥MR) {pct['cbr']}, "
                  f"DCR (≥MR or SD ≥ 8 weeks) {pct['dcr']}", highlight=False)  # fmt: skip


def register(app: typer.Typer) -> None:
    response_app = typer.Typer(help="IMWG 2016 response and progression from serial labs.", no_args_is_help=True)
    app.add_typer(response_app, name="response")

    @response_app.command("assess")
    def assess_cmd(
        labs: Path = typer.Argument(..., help="Lab table (CSV, Excel or Parquet): one row per patient per assessment."),
        json_out: bool = typer.Option(False, "--json", help="Print JSON on stdout (keys documented in the README)."),
        details: bool = typer.Option(False, "--details", help="Also print every assessment with its reason."),
        output: Path | None = typer.Option(None, "-o", "--output",
                                           help="Write one row per assessment (.csv/.parquet) or the JSON (.json)."),
        config: Path | None = typer.Option(None, "--config", help="TOML file of thresholds and choices."),
        plot: Path | None = typer.Option(None, "--plot", help="Write a swimmer plot (.png, .svg or .pdf)."),
        serum_measurable_g_dl: float | None = typer.Option(None, "--serum-measurable-g-dl",
                                                      help="Serum M-protein measurable at baseline (IMWG 1.0; many trials 0.5)."),
        nadir_rule: NadirRule | None = typer.Option(None, "--nadir-rule", help="Nadir for progression (default running_minimum)."),
        count_unconfirmed_pd: bool | None = typer.Option(None, "--count-unconfirmed-pd/--no-count-unconfirmed-pd",
                                                         help="Count a PD that could not be confirmed as progression."),
        anti_cd38_ife: AntiCD38IFE | None = typer.Option(None, "--anti-cd38-ife",
                                                         help="Possibly drug-positive serum IFE: flag (default), assume_cr or off."),
        waive_urine_ife: bool | None = typer.Option(None, "--waive-urine-ife/--strict-urine-ife",
                                                    help="Accept CR without a urine IFE when urine was never positive."),
    ) -> None:  # fmt: skip
        """Response at every assessment, best confirmed response, progression day, ORR/CBR/DCR."""
        from isamm.response import assess, load_config

        if output is not None and output.suffix.lower() not in TABLE_FORMATS:
            raise InputError("unknown output format", option="--output",
                             expected="a file name ending in " + ", ".join(sorted(TABLE_FORMATS)), got=output.name)  # fmt: skip
        if plot is not None:
            figure_format(plot, "plot")
        for path, option in ((output, "--output"), (plot, "--plot")):
            if path is not None and not path.resolve().parent.is_dir():
                raise InputError("output directory does not exist", option=option, got=str(path))
        overrides = {
            "serum_measurable_g_dl": serum_measurable_g_dl,
            "nadir_rule": None if nadir_rule is None else nadir_rule.value,
            "count_unconfirmed_pd": count_unconfirmed_pd,
            "anti_cd38_ife": None if anti_cd38_ife is None else anti_cd38_ife.value,
            "waive_urine_ife": waive_urine_ife,
        }
        load_config(None, **overrides)  # options first, so that an error names the option rather than the setting
        result = assess(labs, config, **overrides)
        if plot is not None:  # drawn before any file is written: a failure leaves nothing behind
            from isamm.report import save_swimmer_plot, swimmer_plot

            fig = swimmer_plot(result)
        if output is not None:
            if output.suffix.lower() == ".json":
                write_json(output, result.to_dict())
            else:
                write_table(output, result.to_frame())
            err_console.print(f"wrote {output}", highlight=False, soft_wrap=True)
        if plot is not None:
            save_swimmer_plot(fig, plot)
            err_console.print(f"wrote {plot}", highlight=False, soft_wrap=True)
        if json_out:
            emit_json(result.to_dict())
        else:
            if details:
                _print_details(result)
            _print(result)
