"""``isamm evidence list|show|compare``: the published evidence base (each number with its source and role)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from isamm.cli._common import console, emit_json, write_output
from isamm.errors import InputError
from isamm.trials import evidence as ev
from isamm.trials import number_text, prior_lines_text, refractory_text, side_cells

_JSON = typer.Option(False, "--json", help="Print machine-readable JSON on stdout (keys documented in the README).")
_LABELS = {
    "orr": "ORR",
    "vgpr_or_better": "≥VGPR",
    "cr_or_better": "≥CR",
    "dcr": "DCR",
    "median_pfs_months": "median PFS, months",
    "median_os_months": "median OS, months",
    "pfs_at_months": "PFS at {t} months",
    "os_at_months": "OS at {t} months",
    "median_treatment_weeks": "median treatment, weeks",
    "hr_pfs": "HR PFS",
    "hr_os": "HR OS",
}


def _print_compare(result: dict) -> None:
    a, b = (side_cells(s) for s in result["trials"])
    table = Table(title=escape("Published results side by side (values [role in isamm])"), show_lines=True)
    table.add_column("")
    table.add_column(result["trials"][0]["id"])
    table.add_column(result["trials"][1]["id"])
    for key in a:
        table.add_row(key, escape(a[key]), escape(b[key]))
    console.print(table)
    console.print(f"Caveat: {result['caveat']}", highlight=False, markup=False, soft_wrap=True)


def _print_show(t: ev.EvidenceTrial) -> None:
    console.print(f"[bold]{t.id}[/bold]: {t.name}", highlight=False)
    for label, text in (("drug", t.drug), ("setting", t.setting), ("design", t.design), ("NCT", t.nct),
                        ("analysis", t.analysis), *(("citation", c) for c in t.citations), ("notes", t.notes)):  # fmt: skip
        if text:
            console.print(f"  {label}: {text}", highlight=False, markup=False, soft_wrap=True)
    for arm in t.arms:
        base = [f"n {arm.n}" if arm.n else "", "partner drugs: " + ("+".join(arm.partner_drugs) or "none")]
        if arm.prior_lines:
            base.append("prior lines " + prior_lines_text(arm.prior_lines.model_dump()))
        if arm.refractory:
            base.append("refractory: " + refractory_text(arm.refractory))
        console.print(f"  arm {arm.id}: {arm.regimen}; " + "; ".join(b for b in base if b), highlight=False, markup=False,
                      soft_wrap=True)  # fmt: skip
    later = {la.analysis: f"later {i}" for i, la in enumerate(t.later_analyses, start=1)}
    for text, label in later.items():
        console.print(f"  {label}: {text}", highlight=False, markup=False, soft_wrap=True)
    table = Table(title=f"{t.id}: every published number (main analysis: see above)")
    for c in ("analysis", "arm", "metric", "value", "role", "source"):
        table.add_column(c, overflow="fold")
    for analysis, arm, metric, landmark, num in t.numbers():
        label = _LABELS[metric].format(t=landmark)
        pct = metric in ev.PROPORTIONS
        cells = (later.get(analysis, "main"), arm or "(first vs second)", label,
                 number_text(num.model_dump(), pct, role=False), num.role, num.source + (f" — {num.note}" if num.note else ""))
        table.add_row(*(escape(c) for c in cells))
    console.print(table)


def register(app: typer.Typer) -> None:
    evidence_app = typer.Typer(help="The published evidence base: trial results with their sources and roles.",
                               no_args_is_help=True)  # fmt: skip
    app.add_typer(evidence_app, name="evidence")

    @evidence_app.command("list")
    def list_cmd(
        drug: str = typer.Option(None, "--drug", help="isatuximab, daratumumab or none (no anti-CD38 antibody)."),
        setting: str = typer.Option(None, "--setting", help="RRMM or NDMM."),
        role: str = typer.Option(None, "--role", help="Trials with at least one number of this role: calibration, "
                                                      "validation or reference."),
        json_out: bool = _JSON,
    ) -> None:
        """List the trials of the evidence base."""
        items = ev.list_evidence(drug=drug, setting=setting, role=role)
        if json_out:
            emit_json(items)
            return
        table = Table(title="isamm evidence base (published results)")
        for c in ("id", "drug", "setting", "arms", "n", "roles"):
            table.add_column(c, no_wrap=c == "id")
        for i in items:
            n = " / ".join("—" if v is None else str(v) for v in i["n"])
            table.add_row(*(escape(c) for c in (i["id"], i["drug"], i["setting"], " vs ".join(i["arms"]), n, ", ".join(i["roles"]))))
        console.print(table)
        if not items:
            console.print("no trial matches these filters")

    @evidence_app.command("show")
    def show_cmd(trial_id: str = typer.Argument(..., metavar="ID", help="Trial id, e.g. ICARIA-MM (case ignored)."),
                 json_out: bool = _JSON) -> None:  # fmt: skip
        """Show one trial: arms, baseline and every published number with its role and source."""
        t = ev.get_evidence(trial_id)
        if json_out:
            emit_json(t.model_dump(mode="json") | {"published": ev.published_summary(t.id), "roles": t.roles()})
            return
        _print_show(t)

    @evidence_app.command("compare")
    def compare_cmd(
        id_a: str = typer.Argument(..., metavar="ID_A", help="First trial id, e.g. ICARIA-MM."),
        id_b: str = typer.Argument(..., metavar="ID_B", help="Second trial id, e.g. APOLLO."),
        json_out: bool = _JSON,
        output: Path = typer.Option(None, "-o", "--output", help="Write the comparison as JSON (.json)."),
    ) -> None:
        """Two trials side by side (arms, partner drugs, n, prior lines, refractoriness, ORR, ≥VGPR, PFS, HR)."""
        if output is not None and output.suffix.lower() != ".json":
            raise InputError("unknown output format", option="--output", expected="a file name ending in .json",
                             got=output.name)  # fmt: skip
        result = ev.compare(id_a, id_b)
        if output is not None:
            write_output(output, obj=result)
        if json_out:
            emit_json(result)
        else:
            _print_compare(result)
