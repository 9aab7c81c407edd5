"""``isamm trial list|show|run``: virtual trials from the command line."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

import isamm.trials as tr
from isamm.cli._common import console, dask_option, emit_json, err_console
from isamm.cli._pk import _backend_option
from isamm._constraints import (BUDGET_MINUTES, EVALUATIONS, FOLLOW_UP_MONTHS, N_PER_ARM, N_VIRTUAL, REPLICATES,
                                SEED, VALUES, constrained)
from isamm.errors import InputError
from isamm.parallel import client_for
from isamm.report import fmt_num, fmt_pct

trial_app = typer.Typer(name="trial", help="Virtual trials: dose -> PK -> M-protein -> IMWG response -> PFS/OS.",
                        no_args_is_help=True)
_JSON = typer.Option(False, "--json", help="Print machine-readable JSON on stdout (keys documented in the README).")


_PARAMS_HELP = ("Disease-model parameter file (TOML) or a shipped name: tgi_v2 (default, two populations), "
                "tgi_v1 (one population, the published form).")


def _listing(spec: tr.TrialSpec) -> dict:
    return {"id": spec.id, "name": spec.name, "arms": [{"arm": a.id, "regimen": a.regimen, "n": a.n} for a in spec.arms],
            "source": spec.sources[0], "evidence": spec.evidence}  # fmt: skip


@trial_app.command("list")
def list_cmd(as_json: bool = _JSON) -> None:
    """The shipped trial definitions (copy one to make your own: isamm trial show ID --yaml)."""
    specs = tr.list_trials()
    if as_json:
        emit_json([_listing(s) for s in specs])
        return
    table = Table(title="Shipped virtual trials")
    for col in ("id", "arms (regimen, n)", "source"):
        table.add_column(col)
    for s in specs:
        table.add_row(s.id, "; ".join(f"{a.id} ({a.regimen}, {a.n})" for a in s.arms), s.sources[0])
    console.print(table)


@trial_app.command("show")
def show_cmd(trial: str = typer.Argument(..., help="Shipped trial id or a YAML file."),
             as_yaml: bool = typer.Option(False, "--yaml", help="Print the definition as YAML (a starting point for your own)."),
             as_json: bool = _JSON) -> None:
    """One trial definition: arms, population, follow-up."""
    spec = tr.load_trial(trial)
    data = spec.model_dump(mode="json")
    if as_yaml:
        import yaml

        typer.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    elif as_json:
        emit_json(data)
    else:
        console.print(f"[bold]{spec.id}[/bold] {spec.name}", highlight=False)
        for a in spec.arms:
            console.print(f"  arm {a.id}: {a.regimen}, n = {a.n}, ratio {a.ratio:g}", highlight=False)
        console.print(f"  accrual {spec.accrual_months:g} months, data cut-off {spec.data_cutoff_months:g} months, "
                      f"assessments every {spec.assessment_interval_days:g} days", highlight=False)


@trial_app.command("run")
@constrained(seed=SEED, replicates=REPLICATES, n_per_arm=N_PER_ARM, follow_up_months=FOLLOW_UP_MONTHS)
def run_cmd(
    trial: str = typer.Argument(..., help="Shipped trial id (isamm trial list) or a YAML file."),
    seed: int = typer.Option(..., "--seed", help="Seed of every random draw (same seed, same numbers)."),
    replicates: int = typer.Option(1, "--replicates", help="Replicate trials at the trial's size (spread of a real trial)."),
    n_per_arm: int | None = typer.Option(None, "--n-per-arm", help="Override every arm's n."),
    follow_up_months: float | None = typer.Option(None, "--follow-up-months",
                                                  help="Override the data cut-off (months after the first patient)."),
    parameters: str | None = typer.Option(None, "--parameters", help=_PARAMS_HELP),
    backend: str = _backend_option(),
    output_dir: Path | None = typer.Option(None, "-o", "--output",
                                       help="Folder for report.html, result.json, cohort.csv, labs.csv and figures/."),
    dask: str | None = dask_option("the replicates"),
    as_json: bool = _JSON,
) -> None:
    """Simulate a trial: every arm from dose to best response, PFS and OS, beside the published results."""
    if output_dir is not None and output_dir.exists() and not output_dir.is_dir():
        raise InputError("output exists and is not a folder", option="--output", got=str(output_dir))
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TimeRemainingColumn(), console=err_console, transient=True, disable=not err_console.is_terminal) as bar:
        task = bar.add_task("simulating arms", total=None)
        with client_for(dask) as client:
            result = tr.run_trial(trial, seed=seed, replicates=replicates, n_per_arm=n_per_arm,
                                  follow_up_months=follow_up_months, parameters=parameters, backend=backend,
                                  progress=lambda done, total: bar.update(task, completed=done, total=total),
                                  client=client)
    if output_dir is not None:
        from isamm.trials import write_trial_outputs

        data = write_trial_outputs(result, output_dir)
        err_console.print(f"wrote {output_dir}/report.html, result.json, cohort.csv, labs.csv", highlight=False)
    else:
        data = result.to_dict()
    if "uncalibrated" in result.parameters.status:
        err_console.print("note: disease-model parameters are uncalibrated starting values (README, 'Virtual trials')",
                          highlight=False)
    if as_json:
        emit_json(data)
        return
    _print(data)


def _print(data: dict) -> None:
    table = Table(title=f"{data['trial']}: {data['replicates']} replicate(s), seed {data['seed']} "
                  "(median over replicates; published in brackets)")
    table.add_column("")
    for arm in data["arms"]:
        table.add_column(f"{arm['arm']} ({arm['regimen']}, n={arm['n']})")
    pub = (data.get("published") or {}).get("arms") or {}

    def published(arm: str, key: str, pct: bool) -> str:
        e = (pub.get(arm) or {}).get(key)
        if not e:
            return ""
        if e.get("not_reached"):
            return " [NR]"
        return f" [{fmt_pct(e['value']) if pct else fmt_num(e['value'])}]"

    for label, key, pct in (("ORR %", "orr", True), ("≥VGPR %", "vgpr_or_better", True), ("≥CR %", "cr_or_better", True),
                            ("median PFS, months", "median_pfs_months", False),
                            ("median OS, months", "median_os_months", False),
                            ("median treatment, weeks", "median_treatment_weeks", False)):  # fmt: skip
        table.add_row(label, *[(fmt_pct(a[key]) if pct else fmt_num(a[key])) + published(a["arm"], key, pct)
                               for a in data["arms"]])
    console.print(table)
    for key, label in (("hr_pfs", "HR PFS"), ("hr_os", "HR OS")):
        hr = data.get(key)
        if hr:
            console.print(f"{label} {hr['arms'][0]} vs {hr['arms'][1]}: {fmt_num(hr['hr'], 3)} "
                          f"(range {fmt_num(hr['range'][0], 3)}–{fmt_num(hr['range'][1], 3)})", highlight=False)


@trial_app.command("calibrate")
@constrained(seed=SEED, budget_minutes=BUDGET_MINUTES, n_virtual=N_VIRTUAL, max_evaluations=EVALUATIONS)
def calibrate_cmd(
    seed: int = typer.Option(1, "--seed", help="Seed of the virtual patients (common random numbers)."),
    budget_minutes: float = typer.Option(
        25.0, "--budget-minutes",
        help="Time limit of the whole command in minutes (the search stops in time for the final held-out check)."),
    n_virtual: int = typer.Option(600, "--n-virtual", help="Virtual patients per arm at every evaluation."),
    max_evaluations: int | None = typer.Option(None, "--max-evaluations",
                                               help="Stop after this many evaluations (reproducible on any machine)."),
    parameters: str | None = typer.Option(None, "--parameters", help="Start from this parameter file or shipped name "
                                          "(default: the shipped tgi_v2)."),
    backend: str = _backend_option(),
    output: Path = typer.Option(..., "-o", "--output", help="Parameter file to write (TOML)."),
    dask: str | None = dask_option("the calibration arms of each evaluation"),
    median: str = typer.Option("km", "--median", help="PFS medians in the objective: km (the Kaplan-Meier median, "
                               "as published) or smooth (continuous between visits; README)."),
    as_json: bool = _JSON,
) -> None:
    """Fit the free disease-model parameters to the `calibration` targets only (Ctrl-C keeps the best so far)."""
    from isamm._io import atomic_write_text
    from isamm.trials import calibrate, parameter_file_text

    if output.suffix.lower() != ".toml":
        raise InputError("the parameter file is TOML", option="--output", expected="a path ending in .toml", got=str(output))
    if not output.parent.is_dir():
        raise InputError("output directory does not exist", option="--output", got=str(output))
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=err_console,
                  transient=True, disable=not err_console.is_terminal) as bar, client_for(dask) as client:
        task = bar.add_task("calibrating", total=60.0 * budget_minutes)
        result = calibrate(seed=seed, budget_minutes=budget_minutes, n_virtual=n_virtual, start=parameters,
                           backend=backend, max_evaluations=max_evaluations, client=client, median=median,
                           progress=lambda k, f, sec: bar.update(task, completed=sec,
                                                                 description=f"evaluation {k}, objective {f:.4g}"))
    atomic_write_text(output, parameter_file_text(result))
    err_console.print(f"wrote {output} ({result.evaluations} evaluations, objective {result.start_objective:.4g} -> "
                      f"{result.objective:.4g}{', INTERRUPTED' if result.interrupted else ''})", highlight=False)
    for st in (st for st in result.stages if st["evaluations"]):  # where the time went (hazard stages recompute PK)
        err_console.print(f"  stage {', '.join(st['parameters'])}: {st['evaluations']} evaluations, {st['seconds']:.0f} s",
                          highlight=False)
    data = {"file": str(output), **result.provenance(),
            "parameters": {n: result.parameters[n] for n in result.settings["free"]}}
    if as_json:
        emit_json(data)
        return
    table = Table(title="calibration targets: published vs simulated (residual = difference / sd; t* = where the "
                        "PFS curve joined between visits crosses 0.5)")
    held = result.held_out is not None
    for col in ("target", "published", "simulated", "t*", "residual") + (("held out", "residual") if held else ()):
        table.add_column(col)
    for f in result.fit:
        pub = "not reached" if f["not_reached"] else f"{f['published']:.4g}"
        sim, interp = ("NR" if f[k] is None else f"{f[k]:.4g}" for k in ("simulated", "simulated_interpolated"))
        cells = [f["id"], pub, sim, interp if f["metric"] == "median_pfs_months" else "", f"{f['residual']:+.2f}"]
        if held:
            v = f["held_out_simulated"]
            cells += ["NR" if v is None else f"{v:.4g}", f"{f['held_out_residual']:+.2f}"]
        table.add_row(*cells)
    console.print(table)
    if held:
        h = result.held_out
        console.print(f"held out (virtual patients of replicate {h['replicate'] + 1}, never fitted): objective "
                      f"{h['objective']:.4g}; beyond 1.96 sd: {', '.join(h['outside']) or 'none'}", highlight=False)


@trial_app.command("sensitivity")
@constrained(values=VALUES, seed=SEED, replicates=REPLICATES, n_per_arm=N_PER_ARM)
def sensitivity_cmd(
    trial: str = typer.Argument(..., help="Shipped trial id or a YAML file."),
    parameter: str = typer.Option(..., "--parameter", help="Disease-model parameter, e.g. ec50_isa."),
    values: str = typer.Option(..., "--values", help="Comma-separated values, in the parameter's unit."),
    seed: int = typer.Option(1, "--seed", help="Seed (the same virtual patients for every value)."),
    replicates: int = typer.Option(1, "--replicates", help="Replicate trials per value."),
    n_per_arm: int | None = typer.Option(None, "--n-per-arm", help="Override every arm's n."),
    parameters: str | None = typer.Option(None, "--parameters", help=_PARAMS_HELP),
    backend: str = _backend_option(),
    dask: str | None = dask_option("the replicates"),
    as_json: bool = _JSON,
) -> None:
    """How a trial's main outputs move with one parameter (common random numbers across values)."""
    from isamm.cli._common import parse_float_list
    from isamm.trials import sensitivity

    vals = parse_float_list(values, "--values")
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err_console,
                  transient=True, disable=not err_console.is_terminal) as bar:
        task = bar.add_task(f"{parameter}", total=len(vals))
        with client_for(dask) as client:
            data = sensitivity(trial, parameter, vals, seed=seed, replicates=replicates, n_per_arm=n_per_arm,
                               parameters=parameters, backend=backend,
                               progress=lambda done, total: bar.update(task, completed=done), client=client)
    if as_json:
        emit_json(data)
        return
    table = Table(title=f"{data['trial']}: sensitivity to {parameter} ({data['unit']}; role {data['role']}, "
                  f"{data['tag']}; file value {data['base_value']:g})")
    table.add_column(parameter)
    arms = [a["arm"] for a in data["rows"][0]["arms"]]
    for arm in arms:
        table.add_column(f"{arm}: ORR % / ≥VGPR % / mPFS")
    table.add_column("HR PFS")
    for row in data["rows"]:
        cells = [f"{fmt_pct(a['orr'])} / {fmt_pct(a['vgpr_or_better'])} / {fmt_num(a['median_pfs_months'])}"
                 for a in row["arms"]]
        table.add_row(f"{row['value']:g}", *cells, fmt_num(row["hr_pfs"], 3))
    console.print(table)


@trial_app.command("validate")
@constrained(seed=SEED, replicates=REPLICATES)
def validate_cmd(
    seed: int = typer.Option(1, "--seed", help="Seed of the virtual patients."),
    replicates: int = typer.Option(100, "--replicates", help="Replicate trials of each published size."),
    parameters: str | None = typer.Option(None, "--parameters", help=_PARAMS_HELP),
    backend: str = _backend_option(),
    output_dir: Path | None = typer.Option(None, "-o", "--output", help="Folder for validation.html, validation.json, figures/."),
    dask: str | None = dask_option("the replicates"),
    role: str = typer.Option("validation", "--role", help="validation (predictions, never fitted) or calibration "
                             "(the numbers the parameters were fitted on, rerun at each trial's real size)."),
    as_json: bool = _JSON,
) -> None:
    """Predict every `validation` number of the evidence base (never fitted) and show hits and misses."""
    from isamm.trials import (VALIDATE_ROLES, format_value, published_label, quantity_label, validate,
                              write_validation_outputs)

    if output_dir is not None and output_dir.exists() and not output_dir.is_dir():
        raise InputError("output exists and is not a folder", option="--output", got=str(output_dir))
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console, transient=True, disable=not err_console.is_terminal) as bar:
        task = bar.add_task("validation trials", total=None)
        with client_for(dask) as client:
            result = validate(seed=seed, replicates=replicates, parameters=parameters, backend=backend,
                              progress=lambda done, total: bar.update(task, completed=done, total=total), client=client,
                              role=role)
    doc = write_validation_outputs(result, output_dir) if output_dir is not None else result.to_dict()
    if output_dir is not None:
        err_console.print(f"wrote {output_dir}/{role}.html, {role}.json", highlight=False)
    if as_json:
        emit_json(doc)
        return
    table = Table(title=f"{VALIDATE_ROLES[role]}: {doc['summary']['covered']} of {doc['summary']['targets']} published values "
                  f"inside the prediction interval ({doc['parameters']['status']})")
    for col in ("trial", "arm", "quantity", "published", "predicted (2.5–97.5%)", "covered"):
        table.add_column(col)
    for r in doc["targets"]:
        q = r["quantity"]
        pi = "–".join(format_value(x, q) for x in r["prediction_interval"])
        table.add_row(r["trial"], r["arm"] or "—", quantity_label(r), published_label(r),
                      f"{format_value(r['predicted'], q)} ({pi})", {True: "yes", False: "MISS", None: "—"}[r["covered"]])
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(trial_app)
