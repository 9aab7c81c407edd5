"""Arm dose tables equal per-patient calendars from the regimen catalog (property test)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import isamm.regimens as rg
from isamm.trials._dosing import arm_dose_events

patients = st.lists(st.tuples(st.floats(40, 150), st.floats(145, 200), st.floats(30, 90)), min_size=1, max_size=4)


@settings(max_examples=25, deadline=None)
@given(patients, st.sampled_from(["ISA-KD", "ISA-PD", "KD", "PD", "ISA-VRD", "ISA-D"]))
def test_arm_dose_events_equal_per_patient_calendars(rows, regimen):
    cov = pd.DataFrame(rows, columns=["weight_kg", "height_cm", "age_y"])
    got = arm_dose_events(regimen, cov, weeks=6)
    for i, (w, h, a) in enumerate(rows):
        ref = rg.dose_events(rg.get(regimen).schedule(rg.Patient(weight_kg=w, height_cm=h, age_y=a), weeks=6))
        mine = got[got["patient"] == i].reset_index(drop=True)
        assert list(mine["drug"]) == list(ref["drug"])
        np.testing.assert_allclose(mine["time_h"], ref["time_h"], rtol=0, atol=1e-9)
        np.testing.assert_allclose(mine["amount_mg"], ref["amount_mg"], rtol=1e-12)
        np.testing.assert_allclose(mine["duration_h"], ref["duration_h"], rtol=1e-12)
