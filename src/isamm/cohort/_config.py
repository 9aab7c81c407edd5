"""The column mapping of a cohort file as a small TOML file, validated with pydantic.

Example::

    [cohort]
    time = "futime"           # follow-up time column
    event = "death"           # 1 = event, 0 = censored
    entry = "entry"           # optional delayed entry
    # dates = ["start_date", "last_fu_date"]   # time in months (1 month = 30.4375 days)
    categorical = ["sex"]
    continuous = ["age", "hgb"]
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from isamm._toml import load_toml
from isamm._pydantic import input_error
from isamm.errors import InputError

__all__ = ["CohortConfig", "load_cohort_config"]


class CohortConfig(BaseModel):
    """Column roles of a cohort file (all optional)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    time: str | None = None
    event: str | None = None
    entry: str | None = None
    dates: tuple[str, str] | None = Field(None, description="(start, end) date columns → time in months")
    categorical: tuple[str, ...] | None = None
    continuous: tuple[str, ...] | None = None


def load_cohort_config(config: str | os.PathLike[str] | Mapping[str, Any] | CohortConfig) -> CohortConfig:
    """Validate a config given as a TOML path, a mapping, or a :class:`CohortConfig`."""
    if isinstance(config, CohortConfig):
        return config
    source = None
    if isinstance(config, Mapping):
        data = dict(config)
    else:
        path = Path(config)
        source = path.name
        if not path.exists():
            raise InputError("config file not found", file=str(path))
        data = load_toml(path, name=source)
    if "cohort" in data and isinstance(data["cohort"], Mapping):
        data = dict(data["cohort"])
    try:
        return CohortConfig.model_validate(data)
    except ValidationError as exc:
        raise input_error(exc, file=source, key_as="option", prefix="cohort.") from None
