"""``isamm cohort``: analyses of a real-world (or simulated) cohort file.

``isamm cohort report COHORT.csv --config analysis.toml -o outdir/`` runs the
analysis the config describes and writes ``report.html``, ``results.json`` and
the figures (PNG and SVG) into ``outdir/``.
"""

from __future__ import annotations

from pathlib import Path

import typer

from isamm.cli._common import console, emit_json, err_console

cohort_app = typer.Typer(
    name="cohort",
    help="Analyse a cohort file: Table 1, ORR, Kaplan–Meier, log-rank, Cox, ROC cut-offs, HTML report.",
    no_args_is_help=True,
)


@cohort_app.command("report")
def report(
    # existence is checked by the library, so a missing file is one InputError line like every other mistake
    cohort: Path = typer.Argument(..., help="Cohort file (CSV, Excel or Parquet), one row per patient."),
    config: Path = typer.Option(..., "--config", "-c", help="Analysis configuration (TOML)."),
    output_dir: Path = typer.Option(..., "--output", "-o",
                                help="Output folder (created if needed; files in it are replaced)."),
    json_out: bool = typer.Option(False, "--json", help="Print results.json on stdout instead of a summary."),
) -> None:
    """Write report.html, results.json and figures (PNG + SVG) for COHORT as the config describes."""
    from isamm.report import cohort_report, load_config

    cfg = load_config(config)
    results = cohort_report(cfg, output_dir, cohort=cohort)
    if json_out:
        emit_json(results)
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=escape(f"{results['title']} — {results['input']['n_rows']} patients"))
    for col in ("endpoint", "group", "n", "events", "median (95% CI)"):
        table.add_column(col)
    for ep in results["endpoints"].values():
        groups = ep["km"]["groups"] + (ep["km_by_group"]["groups"] if ep["km_by_group"] else [])
        for g in groups:
            label = "all patients" if g["group"] == "all" else g["group"]
            table.add_row(*(escape(str(x)) for x in (ep["label"], label, g["n"], g["events"], _median_text(g))))
    console.print(table)
    err_console.print(f"wrote {output_dir / 'report.html'}, {output_dir / 'results.json'} and "
                      f"{len(results['figures'])} figures (PNG + SVG) in {output_dir / 'figures'}",
                      highlight=False, markup=False)


def _median_text(g: dict) -> str:
    def f(x):
        return "NR" if x is None else f"{x:.1f}"

    lo, hi = g.get("median_ci") or (None, None)
    return f"{f(g.get('median'))} ({f(lo)}–{f(hi)})"


def register(app: typer.Typer) -> None:
    app.add_typer(cohort_app, name="cohort")
