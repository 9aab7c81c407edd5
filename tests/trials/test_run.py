"""Virtual trials end to end: reproducible, chunk-independent, and read back by the same engines as real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import isamm.trials as tr
from isamm.disease import load_parameters
from isamm.outcomes import kaplan_meier
from isamm.response import assess
from isamm.trials._run import response_settings
from isamm.units import DAYS_PER_MONTH

ICARIA = tr.load_trial("ICARIA-MM")
SMALL = ICARIA.with_overrides(n_per_arm=24, follow_up_months=15)


@pytest.fixture(scope="module")
def arm():
    return tr.simulate_arm(SMALL, 0, seed=7)


def test_same_seed_same_numbers(arm):
    again = tr.simulate_arm(SMALL, 0, seed=7)
    pd.testing.assert_frame_equal(arm.cohort, again.cohort)
    pd.testing.assert_frame_equal(arm.labs, again.labs)
    other = tr.simulate_arm(SMALL, 0, seed=8)
    assert not other.cohort["m0_g_dl"].equals(arm.cohort["m0_g_dl"])


def test_a_patient_is_the_same_whatever_the_arm_size(arm):
    bigger = tr.simulate_arm(ICARIA.with_overrides(n_per_arm=40, follow_up_months=15), 0, seed=7)
    a, b = arm.cohort, bigger.cohort.iloc[: len(arm.cohort)].reset_index(drop=True)
    assert (a["patient_id"] == b["patient_id"]).all()
    assert (a["best_response"] == b["best_response"]).all()
    # PK of each patient is integrated to its own tolerance; other patients' dose times add step stops,
    # which moves a patient's concentrations by far less than the integrator's stated 1e-4
    np.testing.assert_allclose(a["pfs_months"], b["pfs_months"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(a["os_months"], b["os_months"], rtol=0, atol=1e-9)
    assert (a["pfs_event"] == b["pfs_event"]).all()


def test_simulated_labs_read_back_unchanged(arm):
    # the labs a trial writes give the same IMWG results when scored as real labs
    again = assess(arm.labs, response_settings(SMALL))
    got = {p.patient_id: (p.best_response, p.progression_day) for p in again.patients}
    for row in arm.cohort.itertuples():
        best, prog = got[row.patient_id]
        assert best == row.best_response
        if row.pfs_event and prog is not None:
            assert prog / 30.4375 == pytest.approx(row.pfs_months)


@pytest.mark.parametrize("trial, arm_index", [("ICARIA-MM", 0), ("IKEMA", 0), ("MM-002", 1)])
def test_the_trial_scores_as_the_reference_imwg_engine(trial, arm_index):
    # the trial engine scores visits with the vectorised path (isamm.response._visits); the reference engine
    # on the same labs (ArmSimulation.response) gives every patient the same best response, progression day,
    # disease control and track: anti-CD38 interference (Isa-Pd, Isa-Kd IgG-kappa) and a control arm
    spec = tr.load_trial(trial).with_overrides(n_per_arm=150)
    sim = tr.simulate_arm(spec, arm_index, seed=11)
    assert len(sim.response) == len(sim.cohort)
    for p, row in zip(sim.response, sim.cohort.itertuples()):
        assert p.patient_id == row.patient_id
        assert (p.best_response, p.measurable, int(p.dcr)) == (row.best_response, row.measurable, row.dcr)
        if p.progression_day is not None and row.pfs_event:
            assert p.progression_day / 30.4375 == pytest.approx(row.pfs_months, abs=1e-12)
    assert len({p.best_response for p in sim.response}) >= 4


def test_cohort_columns_and_consistency(arm):
    c = arm.cohort
    assert (c["pfs_months"] <= c["os_months"] + 1e-9).all()
    assert ((c["os_event"] == 1) | (c["pfs_event"] == 0) | (c["pfs_months"] <= c["os_months"])).all()
    assert set(c["best_response"]) <= {"sCR", "CR", "VGPR", "PR", "MR", "SD", "PD", "NE"}
    follow = SMALL.data_cutoff_months - c["entry_month"]
    assert (c["os_months"] <= follow + 1e-9).all()
    assert c["m0_g_dl"].min() >= 0.5


def test_discontinued_drugs_stop_acting():
    # with an enormous discontinuation hazard everyone stops within days: no drug, no response, and the
    # isatuximab concentration washes out through the PK model
    p = load_parameters().with_values(h_disc_isa=10.0)  # per month: mean 3 days on treatment
    sim = tr.simulate_arm(SMALL, 0, seed=3, params=p, keep_pk=True)
    assert (sim.cohort["best_response"].isin(["PR", "VGPR", "CR", "sCR"])).mean() < 0.1
    assert sim.cohort["treatment_weeks"].max() < 6
    c = sim.conc_ug_ml  # NaN after each patient's data cut-off
    followed = np.isfinite(c[:, sim.times_days <= 150]).all(axis=1)
    dosed = (np.nanmax(c, axis=1) > 0) & followed
    assert dosed.sum() >= 5
    late = (sim.times_days > 120) & (sim.times_days <= 150)
    assert np.all(np.diff(c[dosed][:, late], axis=1) <= 1e-9)  # only falling after the last dose
    assert np.all(c[dosed][:, late][:, -1] < 0.01 * np.nanmax(c[dosed], axis=1))


def test_no_drug_effect_means_growth_and_progression():
    p = load_parameters().with_values(emax_isa=0.0, k_pomalidomide=0.0, k_dexamethasone=0.0)
    sim = tr.simulate_arm(SMALL, 0, seed=3, params=p)
    assert (sim.cohort["best_response"].isin(["PR", "VGPR", "CR", "sCR"])).sum() == 0


def test_explosive_growth_progresses_at_the_first_visit_not_censored():
    # kG 0.1/day without drug: M ×16 by day 28 (> the reader's 15 g/dL limit for M0 > 0.9). Every patient
    # must progress at visit 1 (or earlier: death, new lesion); values are reported at the limit, never
    # dropped (dropping them once censored such patients at day 0)
    p = load_parameters().with_values(emax_isa=0.0, k_pomalidomide=0.0, k_dexamethasone=0.0, kG=0.1,
                                      omega_kG=0.0, beta_lines_kG=0.0)
    sim = tr.simulate_arm(SMALL, 0, seed=3, params=p)
    c = sim.cohort
    assert (c["pfs_event"] == 1).all()
    step = SMALL.assessment_interval_days
    assert (c["pfs_months"] * DAYS_PER_MONTH <= step + 1e-6).all()
    assert (sim.labs["serum_m_g_dl"].max() <= 15.0) and (c["best_response"] == "PD").mean() > 0.9


def test_run_trial_contract_and_cohort_through_km(tmp_path):
    result = tr.run_trial(SMALL, seed=2, replicates=2)
    d = result.to_dict()
    assert d["trial"] == "ICARIA-MM" and d["seed"] == 2 and d["replicates"] == 2
    assert d["parameters"]["model"] == load_parameters().model_id and len(d["parameters"]["sha256"]) == 64
    keys = {"arm", "regimen", "n", "orr", "orr_range", "vgpr_or_better", "cr_or_better", "median_pfs_months",
            "median_pfs_range", "median_os_months", "median_os_range", "pfs_at_months", "os_at_months",
            "median_treatment_weeks"}  # fmt: skip
    for a in d["arms"]:
        assert keys <= set(a)
        lo, hi = a["orr_range"]
        assert lo <= a["orr"] <= hi
    assert d["hr_pfs"]["hr"] > 0 and len(d["hr_pfs"]["range"]) == 2
    # replicate 1 is the same whatever the number of replicates
    one = tr.run_trial(SMALL, seed=2, replicates=1)
    pd.testing.assert_frame_equal(one.cohort(), result.cohort())
    # the cohort the run analysed, re-analysed by the outcomes module from its CSV, gives the same medians
    path = tmp_path / "cohort.csv"
    result.cohort().to_csv(path, index=False)
    back = pd.read_csv(path)
    for a, summary in zip(SMALL.arms, result.summaries[0]):
        sub = back[back["arm"] == a.id]
        km = kaplan_meier(sub["pfs_months"], sub["pfs_event"])["all"]
        assert km.median == pytest.approx(summary["median_pfs_months"], nan_ok=True)


@pytest.mark.parametrize("trial", [t.id for t in tr.list_trials()])
def test_every_shipped_trial_runs(trial):
    spec = tr.load_trial(trial)
    result = tr.run_trial(spec.with_overrides(n_per_arm=12, follow_up_months=spec.accrual_months + 3), seed=1)
    d = result.to_dict()
    assert [a["arm"] for a in d["arms"]] == [a.id for a in spec.arms]
    assert all(0 <= a["orr"] <= 1 for a in d["arms"])


def test_prior_daratumumab_reduces_the_isatuximab_effect():
    spec = tr.load_trial("MIKHAEL-2021").with_overrides(n_per_arm=30, follow_up_months=14)
    sim = tr.simulate_arm(spec, 0, seed=4)
    c = sim.cohort
    assert (c["prior_daratumumab"] == 1).all() and c["days_since_daratumumab"].min() >= 1.4 * 30.4375 - 1e-6
    # residual daratumumab from the washout model: positive, and lower the longer the patient was off it
    assert (c["daratumumab_ug_ml_at_start"] > 0).all()
    rho = np.corrcoef(np.log(c["daratumumab_ug_ml_at_start"]), c["days_since_daratumumab"])[0, 1]
    assert rho < -0.5


def test_chunked_arm_equals_one_chunk(monkeypatch, arm):
    # memory is bounded by simulating an arm in chunks of patients: the same patients, the same results
    from isamm.trials import _run

    monkeypatch.setattr(_run, "CHUNK_PATIENTS", 7)
    chunked = tr.simulate_arm(SMALL, 0, seed=7, keep_pk=True)
    a, b = arm.cohort, chunked.cohort
    assert (a["patient_id"] == b["patient_id"]).all() and (a["best_response"] == b["best_response"]).all()
    np.testing.assert_allclose(a["pfs_months"], b["pfs_months"], rtol=0, atol=1e-9)
    assert chunked.conc_ug_ml.shape == (len(a), chunked.times_days.size)
    assert len(chunked.labs) == len(arm.labs)


def test_pk_cache_gives_the_same_results():
    # calibration keeps PK between evaluations (common random numbers): cached = recomputed
    cache = {}
    p1 = load_parameters()
    p2 = p1.with_values(emax_isa=0.05, kG=0.005)
    a = tr.simulate_arms(SMALL, 0, seed=9, replicates=[0], params=p1, pk_cache=cache)[0]
    assert len(cache) == 1
    b = tr.simulate_arms(SMALL, 0, seed=9, replicates=[0], params=p2, pk_cache=cache)[0]
    assert len(cache) == 1  # same patients, same discontinuation hazard: reused
    fresh = tr.simulate_arms(SMALL, 0, seed=9, replicates=[0], params=p2)[0]
    pd.testing.assert_frame_equal(b.cohort, fresh.cohort)
    assert not a.cohort["best_response"].equals(b.cohort["best_response"])
    rows = len(next(iter(cache.values())).rows)
    p3 = p2.with_values(h_disc_isa=0.05)
    c = tr.simulate_arms(SMALL, 0, seed=9, replicates=[0], params=p3, pk_cache=cache)[0]
    assert len(cache) == 1 and len(next(iter(cache.values())).rows) > rows  # new dose counts: their rows added
    pd.testing.assert_frame_equal(c.cohort, tr.simulate_arms(SMALL, 0, seed=9, replicates=[0], params=p3)[0].cohort)


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_pk_reused_per_patient_across_discontinuation_hazards_equals_recomputed(backend, monkeypatch):
    # a calibration's hazard stages: each new h_disc_isa integrates only the patients whose number of
    # isatuximab doses changed; everyone else's concentrations come from the cache, bit for bit
    import isamm.trials._run as run_mod

    spec = ICARIA.with_overrides(n_per_arm=60, follow_up_months=15)
    integrated = []
    real = run_mod._isatuximab_pk
    monkeypatch.setattr(run_mod, "_isatuximab_pk", lambda pop, c, *a: integrated.append(len(c)) or real(pop, c, *a))
    cache = {}
    base = load_parameters()
    counts = []
    for h in (0.04, 0.05, 0.045, 0.04):
        p = base.with_values(h_disc_isa=h)
        integrated.clear()
        cached = tr.simulate_arms(spec, 0, seed=3, replicates=[0], params=p, pk_cache=cache, backend=backend,
                                  keep_pk=True)[0]
        counts.append(sum(integrated))
        fresh = tr.simulate_arms(spec, 0, seed=3, replicates=[0], params=p, backend=backend, keep_pk=True)[0]
        np.testing.assert_array_equal(cached.conc_ug_ml, fresh.conc_ug_ml)
        pd.testing.assert_frame_equal(cached.cohort, fresh.cohort)
    assert counts[0] == 60 and 0 < counts[1] < 60 and counts[-1] == 0, counts  # back at 0.04: nothing integrated


def test_drug_specific_sensitivity_draws_are_appended(arm):
    # omega_sens_drug = 0 (the shipped files) is the model without it, number for number; > 0 changes the drug
    # effects only: the same patients (covariates, M0) with the same event draws, and the per-drug sensitivities
    # log-normal with median 1 and log-SD omega_sens_drug, independent between drugs
    from isamm.trials._run import _U, _drug_sensitivities

    p = load_parameters()
    assert p["omega_sens_drug"] == 0
    zero = tr.simulate_arm(SMALL, 0, seed=7, params=p.with_values(omega_sens_drug=0.0))
    pd.testing.assert_frame_equal(zero.cohort, arm.cohort)
    wide = tr.simulate_arm(SMALL, 0, seed=7, params=p.with_values(omega_sens_drug=0.8))
    same = ["patient_id", "age_y", "m0_g_dl", "prior_lines", "entry_month"]
    pd.testing.assert_frame_equal(wide.cohort[same], arm.cohort[same])
    assert not wide.labs["serum_m_g_dl"].equals(arm.labs["serum_m_g_dl"])

    rng = np.random.default_rng(3)
    n = 20_000
    s = _drug_sensitivities({name: 1.0 - rng.random(n) for name in _U}, p.with_values(omega_sens_drug=0.8))
    logs = np.log(np.array(list(s.values())))
    se = 0.8 / np.sqrt(n)  # standard error of a mean of n normals with SD 0.8
    assert np.all(np.abs(logs.mean(axis=1)) < 4 * se)
    assert np.all(np.abs(logs.std(axis=1) - 0.8) < 4 * 0.8 / np.sqrt(2 * n))
    corr = np.corrcoef(logs)[np.triu_indices(len(s), 1)]
    assert np.all(np.abs(corr) < 4 / np.sqrt(n))
    assert _drug_sensitivities({name: np.full(3, 0.5) for name in _U}, p) is None
