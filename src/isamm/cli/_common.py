"""Helpers shared by the CLI modules: consoles, JSON output, output files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from isamm._constraints import parse_float_list  # noqa: F401 (the CLI modules import it from here)
from isamm._io import to_json, write_json, write_table

__all__ = ["console", "err_console", "more_rows", "MAX_TERMINAL_ROWS", "emit_json", "print_frame", "write_output", "parse_float_list"]

console = Console()
err_console = Console(stderr=True)


MAX_TERMINAL_ROWS = 500  # Rich draws a table of thousands of rows slower than isamm computes it


def more_rows(hidden: int, what: str) -> None:
    """Say how many rows a terminal table left out, and where they all are."""
    if hidden > 0:
        console.print(f"… and {hidden:,} more {what} (all of them with --json or -o FILE)", highlight=False,
                      markup=False)


def emit_json(obj: Any) -> None:
    """Print ``obj`` as JSON on stdout (plain print: no wrapping, no colour)."""
    sys.stdout.write(to_json(obj) + "\n")


def print_frame(frame: pd.DataFrame, title: str | None = None, float_fmt: str = "{:.4g}") -> None:
    """Render a DataFrame as a Rich table on stdout."""
    table = Table(title=None if title is None else escape(title), show_lines=False)
    for col in frame.columns:
        table.add_column(escape(str(col)))
    for row in frame.head(MAX_TERMINAL_ROWS).itertuples(index=False):
        cells = []
        for v in row:
            if v is None or (isinstance(v, float) and v != v):
                cells.append("")
            elif isinstance(v, float):
                cells.append(float_fmt.format(v))
            else:
                cells.append(escape(str(v)))  # cell text is data (ids, labels), never Rich markup
        table.add_row(*cells)
    console.print(table)
    more_rows(len(frame) - MAX_TERMINAL_ROWS, "rows")


def write_output(path: Path, frame: pd.DataFrame | None = None, obj: Any = None) -> None:
    """Write a table (CSV/JSON/Parquet by suffix) or a JSON object atomically, and say so on stderr."""
    if frame is not None:
        write_table(path, frame)
    else:
        write_json(path, obj)
    err_console.print(f"wrote {path}", highlight=False)


def dask_option(what: str):
    """``--dask``: run ``what`` on Dask (isamm.parallel.client_for); the numbers are the same as without it."""
    import typer

    return typer.Option(None, "--dask", help=f"Run {what} on Dask: 'local' (a cluster of this machine's cores) "
                        "or a scheduler address (tcp://host:8786). Same numbers as without it.")
