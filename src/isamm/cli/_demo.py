"""``isamm demo``: the main job, which grows as the pipeline grows.

Today: the label Isa-Pd regimen (ICARIA-MM) for an example patient — dosing
calendar (printed; saved as CSV, JSON and iCalendar) and, when the PK engine is
installed, the typical isatuximab concentration profile over the calendar.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import typer
from rich.table import Table

import isamm.regimens as rg
from isamm import __version__
from isamm._io import atomic_path, write_json, write_table
from isamm.cli._common import console, err_console
from isamm.cli._regimens import _day_ranges

# The example patient: a 70 kg, 170 cm, 68-year-old woman (ICARIA-MM median age 67).
EXAMPLE_PATIENT = {"weight_kg": 70.0, "height_cm": 170.0, "age_y": 68.0, "sex": "F"}
EXAMPLE_REGIMEN = "ISA-PD"
EXAMPLE_CYCLES = 6
EXAMPLE_START = dt.date(2027, 1, 4)  # fixed so that the demo output is reproducible


def run_calendar(output_dir: Path) -> tuple[dict, pd.DataFrame]:
    """Build, print and save the example calendar; return a summary for the demo manifest."""
    reg = rg.get(EXAMPLE_REGIMEN)
    patient = rg.Patient(**EXAMPLE_PATIENT)
    cal = reg.schedule(patient, cycles=EXAMPLE_CYCLES, start_date=EXAMPLE_START.isoformat())
    first_two = cal[cal["cycle"] <= 2]
    console.rule(f"{reg.id}: {reg.name} — cycles 1–2 of {EXAMPLE_CYCLES}")
    console.print(
        f"example patient: {patient.weight_kg:g} kg, {patient.height_cm:g} cm, {patient.age_y:g} y, "
        f"start {EXAMPLE_START.isoformat()}",
        highlight=False,
    )
    table = Table(show_header=True)
    for col in ("cycle", "drug", "dose (mg)", "route", "cycle days", "infusion (min)"):
        table.add_column(col)
    for (cycle, drug), rows in first_two.groupby(["cycle", "drug"], sort=False):
        minutes = ", ".join(f"{h * 60:g}" for h in rows["infusion_h"].dropna())
        doses = "/".join(f"{d:g}" for d in rows["dose_mg"].unique())
        table.add_row(str(cycle), drug, doses, rows["route"].iloc[0], _day_ranges(tuple(rows["cycle_day"])), minutes)
    console.print(table)
    stem = output_dir / f"{reg.id.lower()}_calendar"
    write_table(stem.with_suffix(".csv"), cal)
    write_json(stem.with_suffix(".json"), {"regimen": reg.id, "patient": patient.model_dump(),
                                           "events": rg.schedule_records(cal)})  # fmt: skip
    with atomic_path(stem.with_suffix(".ics")) as tmp:
        tmp.write_bytes(rg.schedule_to_ics(cal, reg.id))
    files = [stem.with_suffix(s).name for s in (".csv", ".json", ".ics")]
    return {"regimen": reg.id, "cycles": EXAMPLE_CYCLES, "administrations": len(cal), "files": files}, cal


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        output_dir: Path = typer.Option(Path("demo_output"), "--output-dir", help="Where to save the outputs."),
    ) -> None:
        """Run the main job: label Isa-Pd calendar and isatuximab PK profile for an example patient."""
        output_dir.mkdir(parents=True, exist_ok=True)
        manifest = {"isamm_version": __version__, "patient": EXAMPLE_PATIENT, "steps": {}}
        summary, cal = run_calendar(output_dir)
        manifest["steps"]["calendar"] = summary
        write_json(output_dir / "manifest.json", manifest)
        err_console.print(f"demo outputs in {output_dir}/: " + ", ".join(sorted(p.name for p in output_dir.iterdir())),
                          highlight=False)  # fmt: skip
