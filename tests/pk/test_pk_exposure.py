"""Exposure metrics without dense output: an IV-infusion calendar needs only dose starts and infusion ends.

The reference is the same function on the 6-hourly grid (``grid_h=6``, the previous default): with
IV infusions every maximum is at an infusion end, so the metrics agree to the integrator's tolerance.
The two runs take different steps and methods: without a grid the outputs are sparse, so every output
time is a stop and the steps are DOP853's; on the grid they are DP5's with dense output. They agree to
1e-6 relative, and below ~1 µg/mL (troughs of the fast target-mediated tail) to 1e-6 µg/mL absolute,
the engines' absolute tolerance (atol_ug_ml; the stated accuracy is relative only where C > 1 µg/mL).
Typical, sampled and ±4 SD patients.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from isamm import pk
from pk_calendars import dara_events

METRICS = [m for m in pk.METRICS if m != "tau_ss_h"]
AGREE = 1e-6  # relative: both runs at rtol 1e-7, maxima at the same infusion ends
AGREE_UG_ML = 1e-6  # absolute, for concentrations (µg/mL)


def _isa(pats, weeks=20):
    return pk.regimen_events("ISA-MONO-10-QW-Q2W", pats.covariates["weight_kg"], weeks=weeks, drug="isatuximab")


def _assert_agree(a: pk.Exposure, b: pk.Exposure):
    for m in METRICS:
        x, y = a.per_patient[m].to_numpy(), b.per_patient[m].to_numpy()
        assert np.isfinite(x).all(), m
        np.testing.assert_allclose(x, y, rtol=AGREE, atol=AGREE_UG_ML if m.endswith("_ug_ml") else 0.0, err_msg=m)
    for col in ("cmax_ug_ml", "ctrough_ug_ml", "auc_ug_h_ml"):
        np.testing.assert_allclose(a.per_dose[col], b.per_dose[col], rtol=AGREE,
                                   atol=AGREE_UG_ML if col.endswith("_ug_ml") else 0.0, err_msg=col)


def test_iv_population_without_a_grid_equals_the_grid():
    m = pk.load_model("isatuximab_fau2020")
    pats = pk.sample_patients(m, 60, seed=5)
    _assert_agree(pk.exposure(m, pats, _isa(pats)), pk.exposure(m, pats, _isa(pats), grid_h=6.0))


def test_extreme_patients_without_a_grid_equal_the_grid():
    # ±4 SD on every random effect (16 of the 512 corners, seeded): fast target-mediated elimination included
    m = pk.load_model("isatuximab_fau2020")
    corners = np.array(list(itertools.product([-4.0, 4.0], repeat=len(m.random_effects)))) * m.omegas
    corners = corners[np.random.default_rng(7).choice(len(corners), 16, replace=False)]
    pats = pk.Patients(m, pk.covariate_frame(m, None, n=len(corners)), corners)
    _assert_agree(pk.exposure(m, pats, _isa(pats, 12)), pk.exposure(m, pats, _isa(pats, 12), grid_h=6.0))


@pytest.mark.parametrize("case", ["threshold", "subcutaneous"])
def test_a_threshold_or_sc_doses_keep_the_6h_grid(case):
    if case == "threshold":
        m, pats = "isatuximab_fau2020", None
        ev, kw = _isa(pk.typical_patients(m)), {"threshold_ug_ml": 50.0}
    else:
        m, pats = "daratumumab_luo2021", None
        ev, kw = dara_events(12, amount_mg=1800.0, route="SC"), {}
    a, b = pk.exposure(m, pats, ev, **kw), pk.exposure(m, pats, ev, grid_h=6.0, **kw)
    pd.testing.assert_frame_equal(a.per_patient, b.per_patient)
