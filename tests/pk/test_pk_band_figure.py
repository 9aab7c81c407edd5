"""Simulation.band (the population band the studio's Exposure page shows) and the in-memory figure."""

from __future__ import annotations

import numpy as np
import pytest

import isamm.pk as pk
from isamm.errors import InputError


@pytest.fixture(scope="module")
def sim():
    pats = pk.sample_patients("isatuximab_fau2020", 25, seed=3)
    ev = pk.regimen_events("ISA-MONO-10-QW-Q2W", pats.covariates["weight_kg"], weeks=4, drug="isatuximab")
    return pk.simulate("isatuximab_fau2020", pats, ev, np.arange(0.0, 4 * 168.0 + 1, 24.0))


def test_band_is_median_and_percentiles_over_patients(sim):
    band = sim.band()
    assert list(band.columns) == ["time_h", "median_ug_ml", "p5_ug_ml", "p95_ug_ml"]
    np.testing.assert_array_equal(band["time_h"], sim.times_h)
    np.testing.assert_allclose(band["median_ug_ml"], np.median(sim.conc_ug_ml, axis=0), rtol=0)
    np.testing.assert_allclose(band["p95_ug_ml"], np.percentile(sim.conc_ug_ml, 95, axis=0), rtol=0)
    assert (band["p5_ug_ml"] <= band["median_ug_ml"]).all() and (band["median_ug_ml"] <= band["p95_ug_ml"]).all()
    assert list(sim.band(80).columns)[2:] == ["p10_ug_ml", "p90_ug_ml"]


def test_band_coverage_is_checked(sim):
    with pytest.raises(InputError, match="coverage"):
        sim.band(100)


def test_regimen_model_picks_the_antibody_and_its_model():
    drug, model = pk.regimen_model("ISA-PD", 4)
    assert (drug, model.id) == ("isatuximab", "isatuximab_fau2020")
    assert pk.regimen_model("DARA-SC", 4)[1].id == "daratumumab_luo2021"
    with pytest.raises(InputError, match="option regimen: regimen has no isatuximab or daratumumab"):
        pk.regimen_model("PD", 4)


def test_concentration_figure_needs_no_file(sim, tmp_path):
    fig = pk.concentration_figure([("population", sim.times_h / 168.0, sim.conc_ug_ml)], log=True, threshold_ug_ml=1.0)
    assert len(fig.axes) == 1 and fig.axes[0].get_yscale() == "log"
    pk.plot_concentration(tmp_path / "c.png", [("population", sim.times_h / 168.0, sim.conc_ug_ml)])
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"
