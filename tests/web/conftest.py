"""Fixtures of the studio tests: small good and bad input files."""

from __future__ import annotations

from pathlib import Path

import pytest

from web._support import MGUS2


@pytest.fixture(scope="session")
def small_cohort(tmp_path_factory) -> Path:
    """The first 300 patients of R survival::mgus2 (a fast cohort report)."""
    path = tmp_path_factory.mktemp("cohort") / "mgus300.csv"
    lines = MGUS2.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:301]), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def bad_cohort(tmp_path_factory) -> Path:
    """mgus300 with death = 2 in the patient of spreadsheet row 4."""
    path = tmp_path_factory.mktemp("bad") / "bad_cohort.csv"
    lines = MGUS2.read_text(encoding="utf-8").splitlines(keepends=True)[:301]
    lines[3] = lines[3].rstrip("\n").rsplit(",", 1)[0] + ",2\n"
    path.write_text("".join(lines), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def bad_labs(tmp_path_factory) -> Path:
    """A lab table with a column missing its unit suffix."""
    path = tmp_path_factory.mktemp("labs") / "bad_labs.csv"
    path.write_text("patient_id,day,serum_m\nA,0,2.0\nA,28,1.0\n", encoding="utf-8")
    return path
