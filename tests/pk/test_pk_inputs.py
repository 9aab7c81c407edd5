"""Bad input → InputError naming where and what was expected; model files validated on load."""

from __future__ import annotations

import tomllib
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from isamm import pk
from isamm.errors import InputError
from isamm.pk._model import PKModel
from pk_calendars import isa_events


def test_shipped_models_load_and_carry_sources():
    assert set(pk.available_models()) >= {"isatuximab_fau2020", "daratumumab_xu2020", "daratumumab_luo2021"}
    for mid in pk.available_models():
        m = pk.load_model(mid)
        assert m.model.doi and m.model.table and m.model.citation
        assert all(p.source for p in m.parameters.values())
        assert all(e.source for e in m.covariate_effects)


def test_fau_vm_note_is_in_the_data_file():
    m = pk.load_model("isatuximab_fau2020")
    assert m.parameters["Vm"].unit == "mg/L/h"
    assert any("Vc*Vm*C/(Km+C)" in n and "UNVERIFIED" in n for n in m.model.notes)


def test_typical_parameters_from_covariate_equations():
    # Hand calculation from pk_models.md §1: non-IgG, 60 kg, marketed material.
    p = pk.typical_patients("isatuximab_fau2020", weight_kg=60.0, non_igg=1).parameters()
    assert p["CLinf"][0] == pytest.approx(0.00955 * (60 / 75.6) ** 0.621 * np.exp(-0.751), rel=1e-12)
    assert p["KCL"][0] == pytest.approx(1055 * np.exp(-0.931), rel=1e-12)
    assert p["Vc"][0] == pytest.approx(5.13 * (60 / 75.6) ** 0.472 * np.exp(-0.137), rel=1e-12)
    # Luo 2021: male → V1 x (1 - 0.105); IgG → CL x 2.26
    q = pk.typical_patients("daratumumab_luo2021", female=0, non_igg=0).parameters()
    assert q["V1"][0] == pytest.approx(5.25 * 0.895, rel=1e-12)
    assert q["CL"][0] == pytest.approx(0.00496 * 2.26, rel=1e-12)


def _broken(**change):
    text = resources.files("isamm").joinpath("data", "pk", "isatuximab_fau2020.toml").read_text()
    data = tomllib.loads(text)
    for path, value in change.items():
        node = data
        *head, last = path.split(".")
        for h in head:
            node = node[h]
        node[last] = value
    return data


@pytest.mark.parametrize("change", [
    {"parameters.Vc.value": -1.0},
    {"model.structure": "three_cmt"},
    {"parameters.Vm.iiv": None},
    {"reference.height_cm": 170.0},
])
def test_model_file_invariants_are_checked(change):
    with pytest.raises(ValueError):
        PKModel.model_validate(_broken(**change))


def test_unknown_model():
    with pytest.raises(InputError, match="unknown PK model.*isatuximab_fau2020"):
        pk.load_model("isatuximab_2019")


@pytest.mark.parametrize("column, value, expected", [
    ("weight_kg", -70.0, "a number from 20 to 350 kg"),  # the adult range of isamm._constraints.WEIGHT_KG
    ("weight_kg", float("nan"), "a number from 20 to 350 kg"),
    ("weight_kg", 1e6, "a number from 20 to 350 kg"),
    ("non_igg", 2, "0 or 1"),
])
def test_bad_covariates(column, value, expected):
    table = pd.DataFrame({"weight_kg": [70.0, 80.0], "non_igg": [0, 1]})
    table.loc[1, column] = value
    with pytest.raises(InputError) as err:
        pk.typical_patients("isatuximab_fau2020", table)
    assert "row 2" in str(err.value) and column in str(err.value) and expected in str(err.value)


def test_unknown_covariate_name():
    with pytest.raises(InputError, match="column 'creatinine': unknown covariate"):
        pk.typical_patients("isatuximab_fau2020", pd.DataFrame({"creatinine": [1.0]}))


@pytest.mark.parametrize("column, value", [("amount_mg", -10.0), ("time_h", -1.0), ("duration_h", float("nan"))])
def test_bad_dose_events(column, value):
    ev = isa_events(4)
    ev.loc[2, column] = value
    with pytest.raises(InputError, match=f"row 3.*{column}"):
        pk.simulate("isatuximab_fau2020", None, ev, [0.0, 100.0])


def test_route_not_in_model():
    ev = isa_events(4).assign(route="SC", duration_h=0.0)
    with pytest.raises(InputError, match="route.*expected IV"):
        pk.simulate("isatuximab_fau2020", None, ev, [0.0, 100.0])


def test_no_doses_of_the_model_drug():
    ev = isa_events(4).assign(drug="pomalidomide", route="PO")
    with pytest.raises(InputError, match="no isatuximab doses"):
        pk.simulate("isatuximab_fau2020", None, ev, [0.0, 100.0])


@pytest.mark.parametrize("times", [[-1.0, 5.0], [float("inf")], []])
def test_bad_times(times):
    with pytest.raises(InputError, match="times_h"):
        pk.simulate("isatuximab_fau2020", None, isa_events(4), times)


def test_bad_patient_count_and_profile():
    with pytest.raises(InputError, match="option n: out of range"):
        pk.sample_patients("isatuximab_fau2020", 0, seed=1)
    ev = isa_events(2)
    ev["profile"] = [((1.0, 0.5), (1.0, 0.4)), None]
    with pytest.raises(InputError, match="row 1.*profile"):
        pk.simulate("isatuximab_fau2020", None, ev, [0.0, 100.0])


def test_exposure_needs_two_doses_and_a_positive_threshold():
    with pytest.raises(InputError, match="at least two doses"):
        pk.exposure("isatuximab_fau2020", None, isa_events(1))
    with pytest.raises(InputError, match="option threshold_ug_ml: out of range"):
        pk.exposure("isatuximab_fau2020", None, isa_events(4), threshold_ug_ml=-1.0)


def test_residual_error_is_seeded_and_has_the_model_spread():
    sim = pk.simulate("daratumumab_xu2020", pd.DataFrame({"weight_kg": [78.6] * 4000}),
                      pd.DataFrame({"time_h": [0.0], "drug": "daratumumab", "amount_mg": [1257.6],
                                    "duration_h": [7.0], "route": "IV"}),
                      [168.0], residual_error=True, seed=4)
    ratio = np.log(sim.observed_ug_ml[:, 0] / sim.conc_ug_ml[:, 0])
    # Xu 2020: 13.8% additive on the log scale; SE of an SD at n = 4000 is ~1.1%
    assert np.std(ratio) == pytest.approx(0.138, rel=0.05)
    again = pk.simulate("daratumumab_xu2020", pd.DataFrame({"weight_kg": [78.6] * 4000}),
                        pd.DataFrame({"time_h": [0.0], "drug": "daratumumab", "amount_mg": [1257.6],
                                      "duration_h": [7.0], "route": "IV"}),
                        [168.0], residual_error=True, seed=4)
    np.testing.assert_array_equal(sim.observed_ug_ml, again.observed_ug_ml)


def test_bad_dose_row_is_named_as_given_not_after_sorting_and_filtering():
    # a daratumumab row first and the rows out of time order: the bad isatuximab dose is row 3 of the table
    ev = isa_events(3)
    dara = ev.iloc[[0]].assign(drug="daratumumab", time_h=500.0)
    table = pd.concat([dara, ev.iloc[[2, 0, 1]]], ignore_index=True)
    table.loc[2, "patient"] = 7  # the isatuximab dose at time 0, third row of the table
    with pytest.raises(InputError, match="row 3, column 'patient'"):
        pk.simulate("isatuximab_fau2020", None, table, [0.0, 100.0])
