"""``stops_h`` and ``input_breakpoints_h``: a patient's numbers independent of who shares its call (isamm.pk)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from isamm import pk
from isamm.errors import InputError
from pk_calendars import isa_events


def test_input_breakpoints_are_every_infusion_start_and_end():
    # the hand-written label calendar: infusions of 200/60, 112.5/60 and then 1.25 h from 09:00 of each dosing day
    ev = isa_events(weeks=8)
    starts = ev["time_h"].to_numpy()
    ends = starts + ev["duration_h"].to_numpy()
    got = pk.input_breakpoints_h("isatuximab_fau2020", ev)
    np.testing.assert_array_equal(got, np.unique(np.concatenate([starts, ends])))


def _discontinued(n: int, weeks: int, stop_after: list[int]) -> pd.DataFrame:
    """The label calendar for ``n`` patients, patient i given only its first ``stop_after[i]`` doses."""
    one = isa_events(weeks=weeks)
    rows = [one.iloc[: stop_after[i]].assign(patient=i) for i in range(n)]
    return pd.concat(rows, ignore_index=True)


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_with_the_groups_breakpoints_a_subset_gives_the_same_rows_bit_for_bit(backend):
    # patients with different numbers of doses (a trial's discontinuations): without stops_h a patient's steps
    # also land on the others' dose times, so its numbers move (at the tolerance) with the company it keeps
    n, weeks = 6, 12
    pats = pk.sample_patients("isatuximab_fau2020", n, seed=11)
    stop_after = [2, 10, 4, 10, 7, 1]
    ev = _discontinued(n, weeks, stop_after)
    grid = np.arange(0.0, weeks * 168.0 + 1.0, 6.0)
    stops = pk.input_breakpoints_h("isatuximab_fau2020", isa_events(weeks=weeks))
    full = pk.simulate("isatuximab_fau2020", pats, ev, grid, backend=backend, stops_h=stops)
    sub_idx = np.array([0, 2, 5])  # the discontinued ones only: their own dose times stop early
    sub_pats = pk.Patients(pats.model, pats.covariates.iloc[sub_idx].reset_index(drop=True), pats.etas[sub_idx])
    sub_ev = ev[ev["patient"].isin(sub_idx)].assign(patient=lambda d: np.searchsorted(sub_idx, d["patient"]))
    sub = pk.simulate("isatuximab_fau2020", sub_pats, sub_ev, grid, backend=backend, stops_h=stops)
    np.testing.assert_array_equal(sub.conc_ug_ml, full.conc_ug_ml[sub_idx])
    # without the common stops the subset differs, but only at the integrator's tolerance
    plain = pk.simulate("isatuximab_fau2020", sub_pats, sub_ev, grid, backend=backend)
    c = full.conc_ug_ml[sub_idx]
    big = c > 1.0
    assert np.max(np.abs(plain.conc_ug_ml[big] / c[big] - 1.0)) < 1e-5


def test_stops_outside_the_span_are_ignored_and_bad_ones_refused():
    ev = isa_events(weeks=4)
    grid = np.arange(0.0, 4 * 168.0 + 1.0, 24.0)
    a = pk.simulate("isatuximab_fau2020", None, ev, grid, backend="numpy")
    b = pk.simulate("isatuximab_fau2020", None, ev, grid, backend="numpy", stops_h=[-5.0, 1e6])
    np.testing.assert_array_equal(a.conc_ug_ml, b.conc_ug_ml)
    for bad in ([np.nan], [np.inf], ["nine"], [[1.0], [2.0, 3.0]]):
        with pytest.raises(InputError, match="stops_h"):
            pk.simulate("isatuximab_fau2020", None, ev, grid, backend="numpy", stops_h=bad)
