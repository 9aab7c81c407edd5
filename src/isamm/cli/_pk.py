"""``isamm pk simulate|exposure|washout|models``: population PK from the command line."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pandas as pd
import typer
from rich.progress import ProgressColumn
from rich.table import Table
from rich.text import Text

from isamm import pk
from isamm.cli._common import console, dask_option, emit_json, err_console, parse_float_list, write_output
from isamm.parallel import client_for
from isamm._constraints import (BYTES_PER_TABLE_VALUE, BYTES_PER_VALUE, ALBUMIN_G_L, B2M_MG_L, DAYS_AFTER_DOSE, HORIZON_DAYS, PATIENTS, PK_WEEKS, SEED,
                                START_DATE, STEP_H, THRESHOLD_UG_ML, TIMES_H, WEIGHT_KG, SECONDS_PER_PATIENT_WEEK,
                                check_seconds, check_work, constrained)
from isamm.errors import InputError
from isamm._io import figure_format
from isamm._table import read_table


pk_app = typer.Typer(name="pk", help="Population PK of isatuximab and daratumumab: simulate, exposure, washout.",
                     no_args_is_help=True)


# -- shared options -----------------------------------------------------------------------
def _opt_regimen():
    return typer.Option(..., "--regimen", help="Regimen id from the catalog (isamm regimens list), e.g. ISA-MONO-10-QW-Q2W.")


def _covariate_options(weight_kg, b2m_mg_l, albumin_g_l, non_igg, female, asian, formulation) -> dict:
    given = {"weight_kg": weight_kg, "b2m_mg_l": b2m_mg_l, "albumin_g_l": albumin_g_l,
             "non_igg": None if non_igg is None else float(non_igg), "female": None if female is None else float(female),
             "asian": None if asian is None else float(asian),
             "p2f2": None if formulation is None else {"p2f2": 1.0, "p1f1": 0.0}.get(formulation.lower())}
    if formulation is not None and given["p2f2"] is None:
        raise InputError("unknown drug material", option="--formulation", expected="P2F2 or P1F1", got=formulation)
    return {k: v for k, v in given.items() if v is not None}


_OPT_NAME = {"weight_kg": "--weight-kg", "b2m_mg_l": "--b2m-mg-l", "albumin_g_l": "--albumin-g-l",
             "non_igg": "--non-igg/--igg", "female": "--female/--male", "asian": "--asian", "p2f2": "--formulation"}


def _patients(model, typical: bool, n: int | None, seed: int, covariates: dict, table: Path | None,
              weeks: int = 0):
    """The patients the options describe: :class:`pk.Patients` for one typical patient, else a
    :class:`pk.Population` (drawn chunk by chunk by ``pk exposure``; ``.patients()`` draws them all)."""
    if n is not None:  # before sampling: a million patients take a while to draw already
        _check_time(n, weeks, "patients")
    # options that would otherwise be ignored without a word
    if typical and n is not None:
        raise InputError("give --typical (one typical patient) or --patients N (a sampled population), not both",
                         option="--patients", got=n)
    if table is not None and n is not None:
        raise InputError("the covariate table gives one patient per row; --patients cannot also set their number",
                         option="--patients", expected="--patients or --covariates, not both", got=n)
    for name in covariates:
        if name not in model.covariates:
            raise InputError(f"covariate not used by {model.id}", option=_OPT_NAME[name],
                             expected="one of " + ", ".join(_OPT_NAME[c] for c in model.covariates))
    if table is not None:
        read = read_table(table, rows="patients")  # the reader of cohort and lab files
        _check_time(len(read.frame), weeks, "covariates")
        if covariates:
            raise InputError("give covariates as options or as a table, not both", option="--covariates")
        cov = pk.covariate_frame(model, read.frame, source=read.name, rows=read.rows)
        return pk.Population(model, len(cov), seed, cov, iiv=not typical)
    if typical or n is None:
        return pk.typical_patients(model, **covariates)
    if covariates:  # the same covariates for every patient, IIV sampled
        return pk.Population(model, n, seed, pk.covariate_frame(model, pd.DataFrame([covariates])))
    return pk.Population(model, n, seed)


def _all(pats) -> pk.Patients:
    return pats.patients() if isinstance(pats, pk.Population) else pats


def _check_time(n: int, weeks: int, option: str) -> None:
    check_seconds(n * weeks * SECONDS_PER_PATIENT_WEEK, option,
                  "'isamm pk exposure --dask local' for exposure metrics (chunks of patients on every core), or "
                  "fewer patients per run")


def _date(text: str, option: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError("not a date", option=option, expected="YYYY-MM-DD", got=text) from None


def _check_plot(path: Path | None) -> None:
    if path is not None:
        figure_format(path, "plot")


# -- commands -----------------------------------------------------------------------------
def _backend_option():
    return typer.Option("auto", "--backend",
                        help="PK engine: auto (default: jax from 500 patient-years of work when JAX is installed, "
                             "numpy below), numpy (the reference) or jax (compiled once per machine, then cached).")


_COVARIATES = {"weight_kg": WEIGHT_KG, "b2m_mg_l": B2M_MG_L, "albumin_g_l": ALBUMIN_G_L}
_POPULATION = {"weeks": PK_WEEKS, "patients": PATIENTS, "seed": SEED, **_COVARIATES}


@pk_app.command("simulate")
@constrained(**_POPULATION, times_h=TIMES_H, step_h=STEP_H)
def simulate_cmd(
    regimen: str = _opt_regimen(),
    weeks: int = typer.Option(52, "--weeks", help="Calendar horizon (weeks)."),
    drug: str = typer.Option(None, "--drug", help="isatuximab or daratumumab (default: the regimen's antibody)."),
    model_id: str = typer.Option(None, "--model", help="PK model id (isamm pk models); default by drug and route."),
    typical: bool = typer.Option(False, "--typical", help="The model's typical patient, no IIV (default without --patients)."),
    patients: int = typer.Option(None, "--patients", help="Number of virtual patients (IIV and covariates sampled)."),
    seed: int = typer.Option(0, "--seed", help="Random seed (population, residual error)."),
    times_h: str = typer.Option(None, "--times-h", help="Output times, hours from 00:00 of day 1, e.g. 1,168,336."),
    step_h: float = typer.Option(24.0, "--step-h", help="Output grid (h) when --times-h is not given."),
    residual: bool = typer.Option(False, "--residual-error", help="Also output concentrations with the model's residual error."),
    weight_kg: float = typer.Option(None, "--weight-kg", help="Body weight (kg)."),
    b2m_mg_l: float = typer.Option(None, "--b2m-mg-l", help="beta2-microglobulin (mg/L), isatuximab."),
    albumin_g_l: float = typer.Option(None, "--albumin-g-l", help="Albumin (g/L), daratumumab."),
    non_igg: bool = typer.Option(None, "--non-igg/--igg", help="Myeloma type."),
    female: bool = typer.Option(None, "--female/--male", help="Sex."),
    asian: bool = typer.Option(None, "--asian/--non-asian", help="Asian (isatuximab Vc effect)."),
    formulation: str = typer.Option(None, "--formulation", help="Isatuximab drug material: P2F2 (marketed, default) or P1F1."),
    covariates: Path = typer.Option(None, "--covariates", help="CSV/Parquet table of patient covariates (one row per patient)."),
    output: Path = typer.Option(None, "-o", "--output", help="Write concentrations (long table): .csv, .json or .parquet."),
    plot: Path = typer.Option(None, "--plot", help="Write a concentration-time figure (.png, .pdf, .svg)."),
    log: bool = typer.Option(False, "--log", help="Log concentration axis in --plot."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON on stdout (keys in the README)."),
    backend: str = _backend_option(),
) -> None:
    """Concentration-time profiles for a regimen: one typical patient or a virtual population."""
    _check_plot(plot)
    drug, model = pk.regimen_model(regimen, weeks, drug=drug, model_id=model_id)
    cov = _covariate_options(weight_kg, b2m_mg_l, albumin_g_l, non_igg, female, asian, formulation)
    pats = _all(_patients(model, typical, patients, seed, cov, covariates, weeks))
    events = pk.regimen_events(regimen, pats.covariates["weight_kg"].to_numpy(), weeks=weeks, drug=drug)
    if not times_h:  # before the grid is built: the output must fit in memory
        check_work(len(pats.covariates), int(weeks * 168.0 / step_h) + 1, "step_h",
                   bytes_per_value=BYTES_PER_TABLE_VALUE if output is not None else BYTES_PER_VALUE)
    times = parse_float_list(times_h, "--times-h") if times_h else np.arange(0.0, weeks * 168.0 + step_h / 2, step_h)
    if times_h and len(np.unique(times)) < len(times):  # the output has one row per time: a repeat would vanish
        ordered = np.sort(times)
        repeated = ordered[np.flatnonzero(np.diff(ordered) == 0)[0]]
        raise InputError("a repeated output time", option="--times-h", expected="each time once", got=f"{repeated:g}")
    if times_h:
        check_work(len(pats.covariates), len(times), "times_h",
                   bytes_per_value=BYTES_PER_TABLE_VALUE if output is not None else BYTES_PER_VALUE)
    sim = pk.simulate(model, pats, events, times, residual_error=residual, seed=seed, backend=backend)
    if output is not None:
        write_output(output, frame=sim.to_frame())
    if plot is not None:
        pk.plot_concentration(plot, [(model.id, sim.times_h / 168.0, sim.conc_ug_ml)], log=log,
                              title=f"{regimen}, {model.id} ({len(pats)} patient{'s' if len(pats) > 1 else ''})")
        err_console.print(f"wrote {plot}", highlight=False)
    one = len(pats) == 1
    result = {"model": model.id, "regimen": regimen, "n_patients": len(pats), "backend": sim.backend, "times_h": sim.times_h}
    if one:
        result["conc_ug_ml"] = sim.conc_ug_ml[0]
        if sim.observed_ug_ml is not None:
            result["observed_ug_ml"] = sim.observed_ug_ml[0]
    else:
        result["conc_ug_ml"] = dict(zip(("median", "p5", "p95"), pk.population_band(sim.conc_ug_ml, 90.0)))
    if as_json:
        emit_json(result)
        return
    table = Table(title=f"{regimen} · {model.id} · {len(pats)} patient(s)")
    cols = ["time (h)", "C (µg/mL)"] if one else ["time (h)", "median", "p5", "p95"]
    for c in cols:
        table.add_column(c, justify="right")
    idx = np.unique(np.linspace(0, sim.times_h.size - 1, min(sim.times_h.size, 20)).astype(int))
    for i in idx:
        if one:
            table.add_row(f"{sim.times_h[i]:g}", f"{sim.conc_ug_ml[0, i]:.4g}")
        else:
            cc = result["conc_ug_ml"]
            table.add_row(f"{sim.times_h[i]:g}", f"{cc['median'][i]:.4g}", f"{cc['p5'][i]:.4g}", f"{cc['p95'][i]:.4g}")
    console.print(table)
    console.print(model.citation_line(), highlight=False, markup=False)


@pk_app.command("exposure")
@constrained(**_POPULATION, threshold_ug_ml=THRESHOLD_UG_ML)
def exposure_cmd(
    regimen: str = _opt_regimen(),
    weeks: int = typer.Option(52, "--weeks", help="Calendar horizon (weeks); steady state = its last dosing interval."),
    drug: str = typer.Option(None, "--drug", help="isatuximab or daratumumab (default: the regimen's antibody)."),
    model_id: str = typer.Option(None, "--model", help="PK model id; default by drug and route."),
    typical: bool = typer.Option(False, "--typical", help="Typical patient, no IIV (default without --patients)."),
    patients: int = typer.Option(None, "--patients", help="Number of virtual patients."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    threshold_ug_ml: float = typer.Option(None, "--threshold-ug-ml", help="Also report time above this concentration (days)."),
    weight_kg: float = typer.Option(None, "--weight-kg", help="Body weight (kg)."),
    b2m_mg_l: float = typer.Option(None, "--b2m-mg-l", help="beta2-microglobulin (mg/L), isatuximab."),
    albumin_g_l: float = typer.Option(None, "--albumin-g-l", help="Albumin (g/L), daratumumab."),
    non_igg: bool = typer.Option(None, "--non-igg/--igg", help="Myeloma type."),
    female: bool = typer.Option(None, "--female/--male", help="Sex."),
    asian: bool = typer.Option(None, "--asian/--non-asian", help="Asian."),
    formulation: str = typer.Option(None, "--formulation", help="Isatuximab drug material: P2F2 (default) or P1F1."),
    covariates: Path = typer.Option(None, "--covariates", help="CSV/Parquet table of patient covariates."),
    output: Path = typer.Option(None, "-o", "--output",
                                help="Write per-patient metrics (.parquet: a row group per chunk; .csv; .json), "
                                     "written as chunks finish, in place only when complete."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON on stdout (keys in the README)."),
    backend: str = _backend_option(),
    dask: str = dask_option("the chunks of patients"),
    progress: bool = typer.Option(None, "--progress/--no-progress",
                                  help="Progress bar on stderr (default: when stderr is a terminal, without --json)."),
) -> None:
    """Exposure metrics: Cmax, Ctrough, AUC at steady state, t90, accumulation, half-life."""
    drug, model = pk.regimen_model(regimen, weeks, drug=drug, model_id=model_id)
    cov = _covariate_options(weight_kg, b2m_mg_l, albumin_g_l, non_igg, female, asian, formulation)
    pats = _patients(model, typical, patients, seed, cov, covariates, weeks if dask is None else 0)  # Dask: cores
    calendar = pk.RegimenCalendar.of(regimen, weeks=weeks, drug=drug)  # each chunk builds its patients' events
    show = progress if progress is not None else (err_console.is_terminal and not as_json)
    with client_for(dask) as client, _progress_bar(show, len(pats)) as advance:
        try:
            exp = pk.exposure_stream(model, pats, calendar, output=output, threshold_ug_ml=threshold_ug_ml,
                                     backend=backend, client=client, progress=advance)
        except InputError as exc:
            if exc.option != "events":
                raise
            # the calendar here is made from --regimen and --weeks: name the flag the user can change
            raise InputError(exc.detail, option="--weeks", expected=exc.expected, got=exc.got) from None
    if output is not None:
        err_console.print(f"wrote {output}", highlight=False)
    result = {"regimen": regimen, "weeks": weeks, **exp.to_dict(), "backend": exp.backend}
    if result.get("n_failed"):  # also when the chunks ran on Dask workers, whose warnings do not reach here
        err_console.print(f"isamm: note: {result['n_failed']} patient(s) could not be integrated: their rows have "
                          "status != 0 and are left out of the summaries", highlight=False, markup=False)
    if as_json:
        emit_json(result)
        return
    table = Table(title=f"{regimen} · {weeks} weeks · {model.id} · {len(pats)} patient(s)")
    table.add_column("metric")
    if len(pats) == 1:
        table.add_column("value", justify="right")
    else:
        for c in ("median", "p5", "p95", "gmean", "gcv_pct"):
            table.add_column(c, justify="right")
    for key, v in result.items():
        if key in ("regimen", "weeks", "model", "n_patients", "threshold_ug_ml", "backend"):
            continue
        if isinstance(v, dict):
            table.add_row(key, *("" if v[c] is None else f"{v[c]:.4g}" for c in ("median", "p5", "p95", "gmean", "gcv_pct")))
        else:
            table.add_row(key, "" if v is None else f"{v:.4g}")
    console.print(table)
    console.print(model.citation_line(), highlight=False, markup=False)


@contextlib.contextmanager
def _progress_bar(show: bool, total: int):
    """``advance(n_patients)`` for a Rich progress bar on stderr (patients done / total, rate), or a no-op."""
    if not show:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    with Progress(TextColumn("patients"), BarColumn(), MofNCompleteColumn(), _RateColumn(), TimeElapsedColumn(),
                  TextColumn("left"), TimeRemainingColumn(), console=err_console) as bar:
        task = bar.add_task("exposure", total=total)
        yield lambda n: bar.advance(task, n)


class _RateColumn(ProgressColumn):
    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if not speed else f"{speed:,.0f}/s")


@pk_app.command("washout")
@constrained(weeks_treated=PK_WEEKS, threshold_ug_ml=THRESHOLD_UG_ML, patients=PATIENTS, seed=SEED,
             horizon_days=HORIZON_DAYS, isa_start_days=DAYS_AFTER_DOSE, last_dose_date=START_DATE,
             isa_start_date=START_DATE, weight_kg=WEIGHT_KG, albumin_g_l=ALBUMIN_G_L)
def washout_cmd(
    drug: str = typer.Option("daratumumab", "--drug", help="Drug washing out (daratumumab)."),
    regimen: str = typer.Option("DARA-IV", "--regimen", help="Regimen of the history (DARA-IV, DARA-SC, D-RD, ...)."),
    weeks_treated: int = typer.Option(..., "--weeks-treated", help="Weeks of treatment; the last dose is the last one in that calendar."),
    threshold_ug_ml: float = typer.Option(1.0, "--threshold-ug-ml", help="Concentration of interest (µg/mL)."),
    model_id: str = typer.Option("both", "--model", help="daratumumab_xu2020, daratumumab_luo2021 or both."),
    patients: int = typer.Option(1000, "--patients", help="Virtual patients per model (IIV sampled)."),
    typical: bool = typer.Option(False, "--typical", help="Typical patient of each model, no IIV."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    horizon_days: float = typer.Option(730.0, "--horizon-days", help="Follow-up after the last dose (days)."),
    isa_start_days: float = typer.Option(None, "--isatuximab-start-days",
                                         help="Days from the last daratumumab dose to the first isatuximab dose: "
                                              "report the daratumumab concentration then."),
    last_dose_date: str = typer.Option(None, "--last-dose-date", help="Date of the last daratumumab dose (YYYY-MM-DD)."),
    isa_start_date: str = typer.Option(None, "--isatuximab-start-date",
                                       help="Planned first isatuximab dose (YYYY-MM-DD); with --last-dose-date."),
    weight_kg: float = typer.Option(None, "--weight-kg", help="Body weight (kg)."),
    albumin_g_l: float = typer.Option(None, "--albumin-g-l", help="Albumin (g/L)."),
    non_igg: bool = typer.Option(None, "--non-igg/--igg", help="Myeloma type."),
    female: bool = typer.Option(None, "--female/--male", help="Sex."),
    output: Path = typer.Option(None, "-o", "--output", help="Write the concentration bands per model (.csv/.json/.parquet)."),
    plot: Path = typer.Option(None, "--plot", help="Write the washout figure (.png, .pdf, .svg)."),
    log: bool = typer.Option(True, "--log/--linear", help="Log concentration axis in --plot (default log)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON on stdout (keys in the README)."),
    backend: str = _backend_option(),
) -> None:
    """How much daratumumab is left after the last dose, and the day it falls below a threshold."""
    _check_plot(plot)
    if drug != "daratumumab":
        raise InputError("the washout planner covers daratumumab", option="--drug", expected="daratumumab", got=drug)
    models = list(pk.DARATUMUMAB_MODELS) if model_id == "both" else [model_id]
    for m in models:
        if m not in pk.DARATUMUMAB_MODELS:
            raise InputError("unknown daratumumab model", option="--model",
                             expected="both or " + " or ".join(pk.DARATUMUMAB_MODELS), got=m)
    if last_dose_date is not None or isa_start_date is not None:
        if last_dose_date is None or isa_start_date is None or isa_start_days is not None:
            raise InputError("give --last-dose-date and --isatuximab-start-date together (instead of --isatuximab-start-days)",
                             option="--last-dose-date/--isatuximab-start-date")
        isa_start_days = float((_date(isa_start_date, "--isatuximab-start-date") - _date(last_dose_date, "--last-dose-date")).days)
        if isa_start_days < 0:
            raise InputError("isatuximab start is before the last daratumumab dose", option="--isatuximab-start-date",
                             expected=f"a date on or after {last_dose_date}", got=isa_start_date)
        if isa_start_days > horizon_days:
            raise InputError(f"isatuximab start is {isa_start_days:g} days after the last dose, beyond --horizon-days",
                             option="--isatuximab-start-date",
                             expected=f"a date within {horizon_days:g} days of {last_dose_date} (or a longer "
                                      f"--horizon-days, at most {HORIZON_DAYS.high:g})", got=isa_start_date)
    elif isa_start_days is not None and isa_start_days > horizon_days:
        raise InputError("beyond --horizon-days", option="--isatuximab-start-days",
                         expected=f"at most {horizon_days:g} days (or a longer --horizon-days)", got=isa_start_days)
    cov = _covariate_options(weight_kg, None, albumin_g_l, non_igg, female, None, None)
    table = pd.DataFrame([cov]) if cov else None
    history = pk.regimen_events(regimen, [70.0], weeks=weeks_treated, drug="daratumumab")  # fails early on a bad regimen
    skipped = {}
    if model_id == "both":
        models, skipped = pk.models_for_routes(models, history["route"])
    if typical:
        n = None
    else:
        n = patients
        check_seconds(n * len(models) * (weeks_treated + horizon_days / 7) * SECONDS_PER_PATIENT_WEEK, "patients",
                      "fewer --patients (1,000 give the 5th-95th percentiles to within a few days)")
        if table is not None:
            table = pd.concat([table] * patients, ignore_index=True)
    w = pk.washout(lambda wt: pk.regimen_events(regimen, wt, weeks=weeks_treated, drug="daratumumab"),
                   models=models, n_patients=n, seed=seed, covariates=table, threshold_ug_ml=threshold_ug_ml,
                   horizon_days=horizon_days, at_days=() if isa_start_days is None else (isa_start_days,),
                   backend=backend)
    result = {"drug": drug, "regimen": regimen, "weeks_treated": weeks_treated, **w.to_dict()}
    if skipped:
        result["models_skipped"] = skipped
        for m, why in skipped.items():
            err_console.print(f"isamm: note: {m} not run: {why}", highlight=False, markup=False)
    if isa_start_days is not None:
        result["isatuximab_start_days"] = isa_start_days
        result["conc_ug_ml_at_isatuximab_start"] = {r.model_id: r.at(isa_start_days) for r in w.results}
    if output is not None:
        write_output(output, frame=w.band())
    if plot is not None:
        pk.plot_concentration(plot, [(r.model_id, r.days_after_last_dose, r.conc_ug_ml) for r in w.results], log=log,
                              threshold_ug_ml=threshold_ug_ml, x_label="days after the last dose",
                              title=f"daratumumab washout after {regimen}, {weeks_treated} weeks")
        err_console.print(f"wrote {plot}", highlight=False)
    if as_json:
        emit_json(result)
        return
    t = Table(title=f"daratumumab washout · {regimen} · {weeks_treated} weeks · threshold {threshold_ug_ml:g} µg/mL")
    for c in ("model", "median days", "p5", "p95", "not reached (%)"):
        t.add_column(c, justify="left" if c == "model" else "right")
    for mid, m in result["models"].items():
        d = m["days_to_threshold"]
        t.add_row(mid, *("—" if d[k] is None else f"{d[k]:.0f}" for k in ("median", "p5", "p95")), f"{m['not_reached_pct']:.1f}")
    console.print(t)
    if isa_start_days is not None:
        for mid, v in result["conc_ug_ml_at_isatuximab_start"].items():
            console.print(f"{mid}: daratumumab at isatuximab start (day {isa_start_days:g}): median {v['median']:.3g} µg/mL "
                          f"(5th-95th percentile {v['p5']:.3g}-{v['p95']:.3g})", highlight=False, markup=False)
    for m in result["models"].values():
        console.print(m["citation"], highlight=False, markup=False)


@pk_app.command("models")
def models_cmd(as_json: bool = typer.Option(False, "--json", help="Print JSON on stdout.")) -> None:
    """List the shipped population PK models with their sources."""
    rows = []
    for mid in pk.available_models():
        m = pk.load_model(mid)
        rows.append({"id": mid, "drug": m.drug, "routes": m.model.routes, "structure": m.model.structure,
                     "citation": m.model.citation, "doi": m.model.doi, "table": m.model.table})
    if as_json:
        emit_json(rows)
        return
    t = Table(title="population PK models")
    for c in ("id", "drug", "routes", "source"):
        t.add_column(c)
    for r in rows:
        t.add_row(r["id"], r["drug"], "/".join(r["routes"]), f"doi:{r['doi']} ({r['table']})")
    console.print(t)


def register(app: typer.Typer) -> None:
    app.add_typer(pk_app, name="pk")
