"""Simulation.status: a patient the engine cannot integrate is reported; the others are untouched."""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pandas as pd
import pytest

import isamm.pk as pk
import isamm.pk._simulate as sim_mod
from isamm.errors import IntegrationWarning, ModelError

PARAMS = pd.DataFrame({"CLinf": [0.00955] * 3, "CLm": [0.0] * 3, "KCL": [1055.0] * 3, "gamma": [3.91] * 3,
                       "Vc": [5.13] * 3, "Q": [0.0432] * 3, "Vp": [3.62] * 3, "Vm": [0.0] * 3, "Km": [0.3] * 3})


def _events(doses_per_patient):
    rows = [{"patient": i, "time_h": 168.0 * d, "drug": "isatuximab", "amount_mg": 700.0, "duration_h": 2.0,
             "route": "IV"} for i, k in enumerate(doses_per_patient) for d in range(k)]
    return pd.DataFrame(rows)


def _with_max_iterations(monkeypatch, m):
    real = sim_mod._integrator
    monkeypatch.setattr(sim_mod, "_integrator", lambda backend: functools.partial(real(backend), max_iterations=m))


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_one_failing_patient_does_not_abort_the_others(monkeypatch, backend):
    # patient 1 has 20 infusions, patients 0 and 2 one each: with a step budget between their needs
    # only patient 1 runs out of steps (status 2)
    ev = _events([1, 20, 1])
    times = np.arange(0.0, 20 * 168.0 + 1, 24.0)
    full = pk.simulate_parameters("isatuximab_fau2020", PARAMS, ev, times, backend=backend)
    assert full.status.tolist() == [0, 0, 0]
    budget = int(full.n_steps[[0, 2]].max()) + 5
    assert full.n_steps[1] > budget
    _with_max_iterations(monkeypatch, budget)
    with pytest.warns(IntegrationWarning, match=r"1 of 3 patients could not be integrated \(too many steps: 1\).*index 1"):
        part = pk.simulate_parameters("isatuximab_fau2020", PARAMS, ev, times, backend=backend)
    assert part.status.tolist() == [0, 2, 0]
    assert np.isnan(part.conc_ug_ml[1]).all() and np.isnan(part.auc_ug_h_ml[1]).all()
    np.testing.assert_array_equal(part.conc_ug_ml[[0, 2]], full.conc_ug_ml[[0, 2]])
    # the population band leaves the failed patient out (it was reported)
    band = part.band()
    assert np.isfinite(band["median_ug_ml"]).all()


def test_every_patient_failing_is_an_error(monkeypatch):
    _with_max_iterations(monkeypatch, 3)
    with pytest.raises(ModelError, match="failed for every patient"), warnings.catch_warnings():
        warnings.simplefilter("error")
        pk.simulate_parameters("isatuximab_fau2020", PARAMS, _events([5, 5, 5]), np.arange(0.0, 800.0, 24.0))


def test_cli_prints_the_failure_as_a_note(monkeypatch, cli):
    _with_max_iterations(monkeypatch, 40)
    res = cli("pk", "simulate", "--regimen", "ISA-PD", "--patients", "3", "--weeks", "8", "--seed", "1")
    assert res.exit_code == 2 and "failed for every patient" in res.stderr  # the calendar needs more than 40 steps
    assert "Traceback" not in res.stderr


def test_exposure_rows_carry_the_status_and_summaries_leave_failed_patients_out(monkeypatch):
    import dataclasses

    import isamm.pk._exposure as exp_mod

    real = exp_mod.simulate

    def patient_1_fails(*args, **kwargs):  # as the engine reports a failure: NaN rows and status 1
        sim = real(*args, **kwargs)
        status, conc, auc = sim.status.copy(), sim.conc_ug_ml.copy(), sim.auc_ug_h_ml.copy()
        status[1], conc[1], auc[1] = 1, np.nan, np.nan
        return dataclasses.replace(sim, status=status, conc_ug_ml=conc, auc_ug_h_ml=auc)

    pats = pk.sample_patients("isatuximab_fau2020", 4, seed=3)
    ev = pk.regimen_events("ISA-MONO-10-QW-Q2W", pats.covariates["weight_kg"], weeks=8, drug="isatuximab")
    ok = pk.exposure("isatuximab_fau2020", pats, ev)
    monkeypatch.setattr(exp_mod, "simulate", patient_1_fails)
    part = pk.exposure("isatuximab_fau2020", pats, ev)
    assert part.per_patient["status"].tolist() == [0, 1, 0, 0]
    assert np.isnan(part.per_patient.loc[1, "cmax_ss_ug_ml"])
    d = part.to_dict()
    assert d["n_failed"] == 1 and "n_failed" not in ok.to_dict()
    others = ok.per_patient.loc[[0, 2, 3], "ctrough_ss_ug_ml"]
    assert d["ctrough_ss_ug_ml"]["median"] == pytest.approx(float(np.median(others)), rel=1e-12)
