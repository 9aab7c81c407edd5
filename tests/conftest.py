"""Shared test fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"  # only for checks that our copies are unchanged
TEST_DATA = REPO / "tests" / "data"  # copies of R survival datasets (mgus2, mayo_myeloma, flchain)


@pytest.fixture
def cli():
    """Invoke the ``isamm`` CLI in-process; returns a callable giving a click Result (stdout/stderr separate)."""
    from typer.testing import CliRunner

    from isamm.cli import app

    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)

    return invoke


def pytest_configure(config):
    os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session", autouse=True)
def isamm_cache_dir(tmp_path_factory):
    """isamm's cache (the JAX engine's compiled kernels) in a fresh folder: tests never read or fill the user's."""
    path = tmp_path_factory.mktemp("isamm_cache")
    old = os.environ.get("ISAMM_CACHE_DIR")
    os.environ["ISAMM_CACHE_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("ISAMM_CACHE_DIR", None)
    else:
        os.environ["ISAMM_CACHE_DIR"] = old
