"""``isamm demo``: the main job, which grows as the pipeline grows."""

from __future__ import annotations

from pathlib import Path

import typer

from isamm.cli._common import err_console


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        output_dir: Path = typer.Option(Path("demo_output"), "--output-dir", help="Where to save the outputs."),
    ) -> None:
        """Run the main job: label Isa-Pd calendar (and PK profile) for an example patient."""
        output_dir.mkdir(parents=True, exist_ok=True)
        err_console.print("isamm demo: nothing to run yet")
