"""One-at-a-time sensitivity: common random numbers make the rows differ by the parameter alone."""

from __future__ import annotations

import pytest

from isamm.errors import InputError
from isamm.trials._sensitivity import sensitivity


def test_ec50_moves_only_the_isatuximab_arm():
    out = sensitivity("ICARIA-MM", "ec50_isa", [10.0, 76.0, 300.0], seed=3, n_per_arm=60, follow_up_months=16)
    assert out["role"] == "fixed" and out["unit"] == "ug/mL"
    isa = [row["arms"][0] for row in out["rows"]]
    pd_ = [row["arms"][1] for row in out["rows"]]
    # the Pd arm has no isatuximab: the same patients give exactly the same numbers
    assert pd_[0] == pd_[1] == pd_[2]
    # a higher EC50 lowers the isatuximab kill rate at every time for every patient (same noise draws),
    # so the response rate cannot rise
    assert isa[0]["orr"] >= isa[1]["orr"] >= isa[2]["orr"]
    assert isa[0]["orr"] > isa[2]["orr"]


def test_bad_parameter_and_values():
    with pytest.raises(InputError, match="option parameter"):
        sensitivity("ICARIA-MM", "ec50", [1.0], seed=1)
    with pytest.raises(InputError, match="ec50_isa"):
        sensitivity("ICARIA-MM", "ec50_isa", [-5.0], seed=1, n_per_arm=5)
