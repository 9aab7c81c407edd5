"""Loading the committed R reference output (tests/r_reference/, made by make_reference.R)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

TESTS = Path(__file__).resolve().parents[1]
REF = TESTS / "r_reference"
DATA = TESTS / "data"
RTOL = 1e-4  # the tolerance for estimates: 4 significant digits of R output


@cache
def ref(name: str) -> dict:
    return json.loads((REF / f"{name}.json").read_text())


@cache
def data(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / f"{name}.csv")


def arr(value) -> np.ndarray:
    """JSON value → float array (R's auto_unbox turns length-1 vectors into scalars; null → NaN)."""
    return np.array(np.atleast_1d(value), dtype=float)
