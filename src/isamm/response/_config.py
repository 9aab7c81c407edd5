"""Thresholds and ambiguity choices of the IMWG engine, as one validated config.

The numeric defaults live, with their sources, in
``isamm/data/response/imwg2016.toml``; the choices where the published criteria
allow more than one reading (``shared/reference/imwg.md`` section 10) are the
``Literal``/``bool`` fields below, each defaulting to the documented reading.

A user config is a TOML file with any of these keys, at top level or under a
``[response]`` table::

    serum_measurable_g_dl = 0.5     # ICARIA-MM-style measurability
    nadir_rule = "confirmed"
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from isamm._toml import load_toml
from isamm._pydantic import error_parts
from isamm.errors import InputError

__all__ = ["ResponseConfig", "load_config"]


@lru_cache(maxsize=1)
def _defaults() -> dict[str, Any]:
    text = resources.files("isamm").joinpath("data", "response", "imwg2016.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _default(key: str) -> Any:
    return Field(default_factory=lambda: _defaults()[key], gt=0)


class ResponseConfig(BaseModel):
    """IMWG 2016 thresholds (units in the names) and the engine's ambiguity choices.

    Numeric defaults come from ``data/response/imwg2016.toml`` (sources there).

    Choices (``shared/reference/imwg.md`` section 10)
    -------------------------------------------------
    nadir_rule
        ``"running_minimum"`` (default; Rajkumar 2011: the lowest value need not be
        confirmed) or ``"confirmed"`` (Kumar 2016: "lowest confirmed response
        value", made operational as the minimum over consecutive pairs of the
        higher of the two values).
    count_unconfirmed_pd
        ``False`` (default): a PD at the last evaluable assessment, or followed by a
        new therapy, is reported as ``unconfirmed_pd_day`` only. ``True``: it is
        the progression day, as many analysis plans count it.
    waive_urine_ife
        ``False`` (default, strict IMWG: CR needs a negative urine IFE).
        ``True``: a missing urine IFE counts as negative when the patient never had
        a positive urine IFE or a urine M-protein above 0.
    anti_cd38_ife
        ``"flag"`` (default): a possibly drug-positive serum IFE keeps VGPR and is
        flagged ``possible_anti_cd38_ife_interference`` (I1). ``"assume_cr"``: such
        an IFE is read as negative (the "potential CR" of ICARIA-MM/IKEMA).
        ``"off"``: no flag. A given ``serum_ife_mab_corrected`` always wins (I2).
    dcr_sd_until
        How "SD ≥ 8 weeks" is measured for the disease control rate (E3):
        ``"last_non_pd_assessment"`` (default: the last evaluable non-PD
        assessment before progression is ≥ ``dcr_sd_min_days``) or
        ``"progression_or_last_assessment"`` (the progression day, else the last
        evaluable assessment, is ≥ ``dcr_sd_min_days``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    serum_measurable_g_dl: float = _default("serum_measurable_g_dl")
    urine_measurable_mg_24h: float = _default("urine_measurable_mg_24h")
    flc_measurable_mg_l: float = _default("flc_measurable_mg_l")
    marrow_measurable_pct: float = _default("marrow_measurable_pct")
    resp_serum_vgpr_fall: float = _default("resp_serum_vgpr_fall")
    resp_serum_pr_fall: float = _default("resp_serum_pr_fall")
    resp_serum_mr_fall: float = _default("resp_serum_mr_fall")
    resp_urine_vgpr_mg_24h: float = _default("resp_urine_vgpr_mg_24h")
    resp_urine_pr_fall: float = _default("resp_urine_pr_fall")
    resp_urine_pr_mg_24h: float = _default("resp_urine_pr_mg_24h")
    resp_urine_mr_fall: float = _default("resp_urine_mr_fall")
    resp_dflc_vgpr_fall: float = _default("resp_dflc_vgpr_fall")
    resp_dflc_pr_fall: float = _default("resp_dflc_pr_fall")
    resp_marrow_pr_fall: float = _default("resp_marrow_pr_fall")
    cr_marrow_pc_max_pct: float = _default("cr_marrow_pc_max_pct")
    flc_ratio_low: float = _default("flc_ratio_low")
    flc_ratio_high: float = _default("flc_ratio_high")
    pd_relative_increase: float = _default("pd_relative_increase")
    pd_serum_increase_g_dl: float = _default("pd_serum_increase_g_dl")
    pd_serum_high_nadir_g_dl: float = _default("pd_serum_high_nadir_g_dl")
    pd_serum_high_nadir_increase_g_dl: float = _default("pd_serum_high_nadir_increase_g_dl")
    pd_urine_increase_mg_24h: float = _default("pd_urine_increase_mg_24h")
    pd_dflc_increase_mg_l: float = _default("pd_dflc_increase_mg_l")
    pd_marrow_increase_pct: float = _default("pd_marrow_increase_pct")
    hypercalcaemia_mg_dl: float = _default("hypercalcaemia_mg_dl")
    mab_interference_spike_max_g_dl: float = _default("mab_interference_spike_max_g_dl")
    dcr_sd_min_days: float = _default("dcr_sd_min_days")
    serum_m_max_g_dl: float = _default("serum_m_max_g_dl")

    nadir_rule: Literal["running_minimum", "confirmed"] = "running_minimum"
    count_unconfirmed_pd: bool = False
    waive_urine_ife: bool = False
    anti_cd38_ife: Literal["flag", "assume_cr", "off"] = "flag"
    dcr_sd_until: Literal["last_non_pd_assessment", "progression_or_last_assessment"] = "last_non_pd_assessment"

    @model_validator(mode="after")
    def _check(self) -> ResponseConfig:
        if not self.flc_ratio_low < self.flc_ratio_high:
            raise ValueError("flc_ratio_low must be below flc_ratio_high")
        falls = {k: v for k, v in self.model_dump().items() if k.startswith("resp_") and k.endswith("_fall")}
        bad = next((k for k, v in falls.items() if not 0 < v <= 1), None)
        if bad is not None:
            raise ValueError(f"{bad} must be a fraction in (0, 1]")
        if not (self.resp_serum_vgpr_fall > self.resp_serum_pr_fall > self.resp_serum_mr_fall
                and self.resp_dflc_vgpr_fall > self.resp_dflc_pr_fall
                and self.resp_urine_pr_fall > self.resp_urine_mr_fall
                and self.resp_urine_vgpr_mg_24h < self.resp_urine_pr_mg_24h):
            raise ValueError("response levels must be ordered (VGPR stricter than PR, PR than MR)")
        return self


def load_config(
    config: str | os.PathLike[str] | Mapping[str, Any] | ResponseConfig | None = None, **overrides: Any
) -> ResponseConfig:
    """Build a :class:`ResponseConfig` from a TOML path, a mapping or a config, then ``overrides``.

    ``None`` gives the IMWG 2016 defaults. ``overrides`` whose value is ``None``
    are ignored (so CLI options left unset do not override the file).

    Raises
    ------
    InputError
        Naming the file and key for an unknown key, a wrong type or a value ≤ 0.
    """
    source = None
    if config is None:
        data: dict[str, Any] = {}
    elif isinstance(config, ResponseConfig):
        data = config.model_dump()
    elif isinstance(config, Mapping):
        data = dict(config)
    else:
        path = Path(config)
        source = str(path)
        data = load_toml(path, name=source)
    if isinstance(data.get("response"), Mapping):
        data = dict(data["response"])
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return ResponseConfig(**data)
    except ValidationError as exc:
        message, key, expected, got = error_parts(exc)
        raise InputError(f"invalid response setting, {message}", file=source, option=key, expected=expected,
                         got=got if key and expected else None) from None
