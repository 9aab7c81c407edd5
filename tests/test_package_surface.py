"""Package surface (issue 12, "one place for each rule"): no module reaches into another subpackage's
private modules; each subpackage's ``__init__`` lists what the others may use."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "isamm"


def test_no_cross_package_imports_of_underscored_names():
    found = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        package = rel.parts[0] if len(rel.parts) > 1 else None
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith("isamm."):
                continue
            parts = node.module.split(".")
            if len(parts) < 2 or parts[1] == package or parts[1].startswith("_"):
                continue  # own package, or a top-level shared module (isamm._io, isamm._table, ...)
            private = [p for p in parts[2:] if p.startswith("_")] + [a.name for a in node.names if a.name.startswith("_")]
            if private:
                found.append(f"{rel}:{node.lineno}: from {node.module} import {', '.join(a.name for a in node.names)}")
    assert not found, "\n".join(found)
