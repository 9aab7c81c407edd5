"""``isamm regimens list|show`` and ``isamm schedule``: the catalog and dosing calendars."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from rich.table import Table

import isamm.regimens as rg
from isamm._constraints import AGE_Y, CALENDAR_WEEKS, CYCLE_WEIGHTS_KG, CYCLES, HEIGHT_CM, START_DATE, WEIGHT_KG, constrained
from isamm._io import atomic_path, write_json, write_table
from isamm.cli._common import MAX_TERMINAL_ROWS, more_rows, console, emit_json, err_console, parse_float_list
from isamm.errors import InputError

_OUTPUT_SUFFIXES = (".csv", ".json", ".parquet", ".ics")
_JSON = typer.Option(False, "--json", help="Print machine-readable JSON on stdout (keys documented in the README).")


def _clock(hours: float) -> str:
    minutes = round(hours * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _duration(hours: float) -> str:
    if pd.isna(hours):
        return ""
    minutes = hours * 60
    h, m = divmod(minutes, 60)
    return f"{int(h)} h {m:g} min" if h else f"{m:g} min"


def _print_schedule(reg: rg.Regimen, patient: rg.Patient, cal: pd.DataFrame) -> None:
    who = f"{patient.weight_kg:g} kg, {patient.age_y:g} y"
    if patient.height_cm is not None:
        who += f", {patient.height_cm:g} cm, BSA {patient.bsa_m2:.2f} m² (Mosteller)"
    table = Table(title=f"{reg.id}: {reg.name}\n{who}")
    cols = ["day", "cycle·day"] + (["date"] if "date" in cal.columns else [])
    cols += ["time", "drug", "mg", "route", "infusion", "dose basis"]
    for c in cols:
        table.add_column(c, justify="right" if c in ("day", "mg") else "left", no_wrap=c != "dose basis")
    for r in cal.head(MAX_TERMINAL_ROWS).itertuples(index=False):
        cells = [str(r.day), f"C{r.cycle}D{r.cycle_day}"] + ([str(r.date)] if "date" in cal.columns else [])
        cells += [_clock(r.time_h - 24 * (r.day - 1)), r.drug, f"{r.dose_mg:.4g}", r.route, _duration(r.infusion_h), r.dose_basis]
        table.add_row(*cells)
    console.print(table)
    more_rows(len(cal) - MAX_TERMINAL_ROWS, "administrations")
    for drug, text in cal.groupby("drug", sort=False)["premedication"].first().items():
        if text:
            console.print(f"premedication ({drug}): {text}", highlight=False, markup=False)


def _day_ranges(days: tuple[int, ...]) -> str:
    """``(1, 2, 3, 8)`` → ``"1-3, 8"``."""
    parts, start = [], days[0]
    for prev, cur in zip(days, days[1:] + (None,)):
        if cur is None or cur != prev + 1:
            parts.append(str(start) if start == prev else f"{start}-{prev}")
            start = cur
    return ", ".join(parts)


def _notes(reg: rg.Regimen) -> None:
    for text in reg.spec.unverified:
        err_console.print(f"note: {reg.id} [UNVERIFIED] {text}", highlight=False, markup=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    regimens_app = typer.Typer(help="The regimen catalog (sourced data files).", no_args_is_help=True)
    app.add_typer(regimens_app, name="regimens")

    @regimens_app.command("list")
    def list_cmd(json_out: bool = _JSON) -> None:
        """List the regimens in the catalog."""
        regs = rg.list_regimens()
        if json_out:
            emit_json([r.summary() for r in regs])
            return
        table = Table(title="isamm regimen catalog")
        for c in ("id", "name", "drugs", "flags"):
            table.add_column(c)
        for r in regs:
            flags = "UNVERIFIED" if r.spec.unverified else ""
            table.add_row(r.id, r.name, ", ".join(r.drugs), flags)
        console.print(table)

    @regimens_app.command("show")
    def show_cmd(regimen: str = typer.Argument(..., metavar="ID", help="Regimen id or alias, e.g. ISA-PD or IsaPd."),
                 json_out: bool = _JSON) -> None:  # fmt: skip
        """Show one regimen: sources, cycles, drugs, dose blocks and rules."""
        reg = rg.get(regimen)  # its errors name the parameter regimen: the CLI says argument ID
        if json_out:
            emit_json(reg.summary() | {"spec": reg.spec.model_dump(mode="json")})
            return
        s = reg.spec
        console.print(f"[bold]{s.id}[/bold]: {s.name}", highlight=False)
        for label, items in (("setting", [s.setting]), ("source", s.sources), ("reference", [s.reference]),
                             ("unverified", s.unverified), ("project choice", s.project_choices), ("note", [s.notes])):  # fmt: skip
            for text in items:
                if text:
                    console.print(f"  {label}: {text}", highlight=False, markup=False)
        lengths = ", ".join(f"cycles {c.cycles}: {c.days} days" for c in s.cycle_lengths)
        console.print(f"  cycle lengths: {lengths}" + (f"; stops after cycle {s.max_cycles}" if s.max_cycles else ""))
        table = Table()
        for c in ("drug", "route", "cycles", "days", "dose", "when"):
            table.add_column(c)
        for d in s.drugs:
            for b in d.doses:
                unit = "mg/m²" if b.unit == "mg/m2" else b.unit
                table.add_row(d.name, b.route or d.route, str(b.cycles), _day_ranges(b.days),
                              f"{b.dose:g} {unit}", str(b.when_age or ""))  # fmt: skip
        console.print(table)
        for r in s.dose_rules:
            console.print(f"  rule: {r.drug} {r.from_mg:g} mg → {r.to_mg:g} mg if {r.when_age} ({r.source})", highlight=False, markup=False)

    @app.command("schedule")
    @constrained(weight_kg=WEIGHT_KG, height_cm=HEIGHT_CM, age_y=AGE_Y, cycles=CYCLES, weeks=CALENDAR_WEEKS,
                 start_date=START_DATE, weight_kg_by_cycle=CYCLE_WEIGHTS_KG)
    def schedule_cmd(  # parameters named as in rg.Patient and Regimen.schedule: their errors need no translation
        regimen: str = typer.Argument(..., metavar="ID", help="Regimen id or alias (see `isamm regimens list`)."),
        weight_kg: float = typer.Option(None, "--weight-kg", help="Actual body weight (kg)."),
        height_cm: float = typer.Option(None, "--height-cm", help="Height (cm), for mg/m² doses (Mosteller BSA)."),
        age_y: float = typer.Option(None, "--age", help="Age (years); dexamethasone rules at 75 y."),
        sex: str = typer.Option(None, "--sex", help="F or M (optional)."),
        cycles: int = typer.Option(None, "--cycles", help="Number of cycles (give this or --weeks)."),
        weeks: int = typer.Option(None, "--weeks", help="Number of weeks from day 1 (give this or --cycles)."),
        start_date: str = typer.Option(None, "--start-date", help="Date of study day 1, YYYY-MM-DD (adds dates)."),
        weight_kg_by_cycle: str = typer.Option(
            None, "--cycle-weights-kg", help="Weights (kg) before cycles 1, 2, ... for mg/kg doses, e.g. 70,68,66 (last carried forward)."
        ),
        json_out: bool = _JSON,
        output: Path = typer.Option(None, "-o", "--output", help="Write the calendar: .csv, .json, .parquet or .ics."),
    ) -> None:
        """Dosing calendar of a regimen for one patient: every administration with day, dose and route."""
        reg = rg.get(regimen)
        for value, option, what in ((weight_kg, "--weight-kg", "a body weight in kg"), (age_y, "--age", "an age in years")):
            if value is None:
                raise InputError("missing", option=option, expected=what)
        suffix = None if output is None else output.suffix.lower()
        if output is not None and suffix not in _OUTPUT_SUFFIXES:
            raise InputError("unknown output format", option="--output", expected="a file name ending in " + ", ".join(_OUTPUT_SUFFIXES), got=output.name)
        if suffix == ".ics" and start_date is None:
            raise InputError("an iCalendar file needs calendar dates", option="--start-date", expected="a start date (YYYY-MM-DD) with -o FILE.ics")
        patient = rg.Patient(weight_kg=weight_kg, height_cm=height_cm, age_y=age_y, sex=sex)
        series = None if weight_kg_by_cycle is None else parse_float_list(weight_kg_by_cycle, "--cycle-weights-kg")
        cal = reg.schedule(patient, cycles=cycles, weeks=weeks, start_date=start_date, weight_kg_by_cycle=series)
        payload = {
            "regimen": reg.id,
            "name": reg.name,
            "patient": patient.model_dump(),
            "bsa_m2": None if height_cm is None else patient.bsa_m2,
            "cycles": cycles,
            "weeks": weeks,
            "start_date": start_date,
            "weight_kg_by_cycle": series,
            "unverified": list(reg.spec.unverified),
            "events": rg.schedule_records(cal),
        }
        if output is not None:
            if suffix == ".ics":
                with atomic_path(output) as tmp:
                    tmp.write_bytes(rg.schedule_to_ics(cal, reg.id))
            elif suffix == ".json":
                write_json(output, payload)
            else:
                write_table(output, cal)
            err_console.print(f"wrote {output} ({len(cal)} administrations)", highlight=False)
        if json_out:
            emit_json(payload)
        else:
            _print_schedule(reg, patient, cal)
        _notes(reg)
