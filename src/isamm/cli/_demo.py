"""``isamm demo``: the main job, which grows as the pipeline grows.

The label Isa-Pd regimen (ICARIA-MM) for an example patient — dosing calendar
(printed; saved as CSV, JSON and iCalendar) and the isatuximab concentration
profile over it — then a short virtual ICARIA-MM (Isa-Pd vs Pd) from dose to
response, PFS and OS, with its report.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import typer
from rich.table import Table

import isamm.regimens as rg
from isamm import __version__
from isamm._io import atomic_path, staged_folder, write_json, write_table, writing
from isamm.cli._common import console, err_console
from isamm.cli._regimens import _day_ranges

# The example patient: a 70 kg, 170 cm, 68-year-old woman (ICARIA-MM median age 67).
EXAMPLE_PATIENT = {"weight_kg": 70.0, "height_cm": 170.0, "age_y": 68.0, "sex": "F"}
EXAMPLE_REGIMEN = "ISA-PD"
EXAMPLE_CYCLES = 6
EXAMPLE_START = dt.date(2027, 1, 4)  # fixed so that the demo output is reproducible
DEMO_SEED = 2027


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


def run_pk(output_dir: Path, cal: pd.DataFrame, n_population: int = 200, seed: int = DEMO_SEED) -> dict:
    """Isatuximab concentrations (Fau 2020 model) over the example calendar: the example patient
    (typical values for her covariates) and a virtual population (IIV, seeded) for the band."""
    import isamm.pk as pk

    model = pk.load_model("isatuximab_fau2020")
    events = rg.dose_events(cal, drugs="isatuximab")
    # The example patient, with the model's reference values for the covariates the calendar lacks
    # (β2-microglobulin 3.90 mg/L, IgG myeloma, non-Asian) and the marketed drug material (P2F2).
    covariates = pd.DataFrame([{"weight_kg": EXAMPLE_PATIENT["weight_kg"], "female": 1, "p2f2": 1}])
    times_h = np.arange(0.0, float(cal["time_h"].max()) + 14 * 24.0 + 1e-9, 6.0)
    one = pk.simulate(model, covariates, events, times_h)
    pop_cov = pk.sample_covariates(model, n_population, seed=seed).assign(weight_kg=EXAMPLE_PATIENT["weight_kg"])
    population = pk.sample_patients(model, seed=seed, covariates=pop_cov)
    pop = pk.simulate(model, population, events, times_h)
    ex = pk.exposure(model, covariates, events)
    metrics = {k: ex.to_dict()[k] for k in ("cmax_first_ug_ml", "ctrough_ss_ug_ml", "cmax_ss_ug_ml") if k in ex.to_dict()}
    table = pd.DataFrame({
        "time_h": times_h,
        "day": times_h / 24.0 + 1.0,
        "conc_ug_ml": one.conc_ug_ml[0],
        **dict(zip(("population_median_ug_ml", "population_p5_ug_ml", "population_p95_ug_ml"),
                   pk.population_band(pop.conc_ug_ml, 90.0))),
    })
    write_table(output_dir / "isatuximab_pk.csv", table)
    pk.plot_concentration(
        output_dir / "isatuximab_pk.png",
        [("example patient", times_h / 168.0, one.conc_ug_ml),
         (f"virtual population, n = {n_population} (70 kg)", times_h / 168.0, pop.conc_ug_ml)],
        title=f"Isatuximab, {EXAMPLE_REGIMEN} label regimen — {model.id}",
    )
    console.rule("isatuximab PK")
    console.print(model.citation_line(), highlight=False, markup=False)
    for name, value in metrics.items():
        console.print(f"{name}: {value:.4g}", highlight=False)
    console.print(f"concentration at the end of cycle {EXAMPLE_CYCLES}: {table['conc_ug_ml'].iloc[-1]:.4g} µg/mL "
                  f"(population 5th–95th percentile {table['population_p5_ug_ml'].iloc[-1]:.3g}–"
                  f"{table['population_p95_ug_ml'].iloc[-1]:.3g})", highlight=False)  # fmt: skip
    return {"model": model.id, "source": model.citation_line(), "seed": seed, "n_population": n_population, "metrics": metrics,
            "files": ["isatuximab_pk.csv", "isatuximab_pk.png"]}  # fmt: skip


DEMO_TRIAL = "ICARIA-MM"
DEMO_REPLICATES = 3


def run_trial(output_dir: Path, seed: int = DEMO_SEED) -> dict:
    """A short virtual ICARIA-MM at its published size (the default, calibrated parameters): report in
    ``output_dir/trial``."""
    import isamm.trials as tr

    result = tr.run_trial(DEMO_TRIAL, seed=seed, replicates=DEMO_REPLICATES)
    data = tr.write_trial_outputs(result, output_dir / "trial")
    console.rule(f"virtual trial {DEMO_TRIAL} ({DEMO_REPLICATES} replicates, seed {seed})")
    for arm in data["arms"]:
        pfs = "NR" if arm["median_pfs_months"] is None else f"{arm['median_pfs_months']:.1f}"
        console.print(f"{arm['arm']}: ORR {100 * arm['orr']:.0f}%, ≥VGPR {100 * arm['vgpr_or_better']:.0f}%, "
                      f"median PFS {pfs} months", highlight=False)
    console.print(f"parameters: {data['parameters']['model']} ({data['parameters']['status']})", highlight=False)
    return {"trial": DEMO_TRIAL, "seed": seed, "replicates": DEMO_REPLICATES, "parameters": data["parameters"],
            "files": ["trial/report.html", "trial/result.json", "trial/cohort.csv", "trial/labs.csv"]}  # fmt: skip


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        output_dir: Path = typer.Option(Path("demo_output"), "--output-dir", help="Where to save the outputs."),
    ) -> None:
        """Run the main job: Isa-Pd calendar and isatuximab PK for an example patient, then a virtual ICARIA-MM."""
        with writing(output_dir):
            output_dir.parent.mkdir(parents=True, exist_ok=True)
        manifest = {"isamm_version": __version__, "patient": EXAMPLE_PATIENT, "steps": {}}
        with staged_folder(output_dir) as staging:  # the whole set, or nothing
            summary, cal = run_calendar(staging)
            manifest["steps"]["calendar"] = summary
            manifest["steps"]["pk"] = run_pk(staging, cal)
            manifest["steps"]["trial"] = run_trial(staging)
            write_json(staging / "manifest.json", manifest)
        err_console.print(f"demo outputs in {output_dir}/: " + ", ".join(sorted(p.name for p in output_dir.iterdir())),
                          highlight=False)  # fmt: skip
        console.print(f"virtual-trial report: {output_dir / 'trial' / 'report.html'}", highlight=False)
