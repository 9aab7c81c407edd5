"""Running a virtual trial: calendars → PK → M-protein → simulated labs → IMWG → PFS/OS → statistics.

Responses and progression come from the IMWG engine that scores real labs (:mod:`isamm.response`,
its vectorised visit-grid path, tested equal to :func:`isamm.response.assess` patient by patient),
survival statistics from :mod:`isamm.outcomes`. What this module adds is the simulation of what a
trial would have observed.

Time: days from the patient's first dose (study day 1 00:00 = day 0), months = days / 30.4375.
"""

from __future__ import annotations

import functools
import math
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit, ndtri

import isamm.pk as pk
from isamm.disease import (
    PARTNER_DRUGS,
    DiseaseParameters,
    cd38_effect_fraction,
    death_after_progression_days,
    death_before_progression_days,
    discontinuation_days,
    isatuximab_effect,
    isatuximab_kill_integral,
    load_parameters,
    m_protein,
    nonm_progression_days,
)
from isamm.disease import residual_daratumumab
from isamm.errors import ModelError
from isamm.population import sample_baseline
from isamm.response import assess, assess_visits, load_config, visit_labs
from isamm.trials._dosing import arm_dose_events
from isamm.trials._spec import TrialSpec, get_regimen
from isamm.units import DAYS_PER_MONTH

__all__ = ["ArmSimulation", "simulate_arm", "simulate_arms", "response_settings", "trial_patient_hours", "GRID_STEP_DAYS",
           "DISEASE_STEP_DAYS", "PK_MODEL"]

PK_MODEL = "isatuximab_fau2020"
#: Concentration grid: 6 h. The isatuximab kill term is integrated by the trapezoidal rule on it
#: (~1e-4 in log M per infusion against a 15-minute grid; tests/disease/test_mprotein.py).
GRID_STEP_DAYS = 0.25
#: M-protein grid: 1 day, a whole number of concentration steps. log M is exact at its points given the
#: kill integral (partner drugs in closed form, isatuximab summed from the 6-h steps), the visits fall on
#: it, and the non-M hazard's trapezoid follows the burden (changes on a scale of weeks) to ~1e-6.
DISEASE_STEP_DAYS = 1.0
_PK_STEPS_PER_DAY = round(DISEASE_STEP_DAYS / GRID_STEP_DAYS)
#: Patients simulated together (one PK call, one set of [patient, grid] arrays): bounds the memory of a
#: large arm (3,000 patients × 2 years on a 6-h grid ≈ 70 MB per array) and serves replicates in batches.
CHUNK_PATIENTS = 3_000
#: Per-patient uniforms, in draw order.
_SENS_DRUGS = (*PARTNER_DRUGS, "isatuximab")  # each has a sensitivity of its own (omega_sens_drug)
# appended only: earlier draws keep their values
_U = ("entry", "nonm", "disc", "death_pre", "death_post", "resistant", *(f"sens_{d}" for d in _SENS_DRUGS))
_N_DISEASE_ETAS = 3  # kG, lambda, sensitivity
#: PK random effects drawn for every patient of every arm, so a patient's other draws do not
#: depend on whether the arm contains isatuximab.
_N_PK_ETAS = len(pk.load_model(PK_MODEL).random_effects)


@dataclass(frozen=True)
class ArmSimulation:
    """One arm of one replicate: ``cohort`` (one row per patient), ``labs`` (visits up to the one that
    confirms progression), ``response`` (the patients' :class:`isamm.response.PatientResponse` on those
    labs, in cohort order, with every assessment and its reason; computed when first asked for)."""

    arm: str
    regimen: str
    cohort: pd.DataFrame
    labs: pd.DataFrame
    settings: dict  # the IMWG settings the trial was scored with (response_settings)
    times_days: np.ndarray | None = None
    conc_ug_ml: np.ndarray | None = None  # isatuximab concentration [patient, time] (first replicate, for plots)

    @functools.cached_property
    def response(self) -> tuple:
        by_id = {p.patient_id: p for p in assess(self.labs, self.settings).patients}
        return tuple(by_id[pid] for pid in self.cohort["patient_id"])


def response_settings(spec: TrialSpec) -> dict:
    """The IMWG engine settings of a trial (:func:`isamm.response.assess` keyword overrides)."""
    # measurable disease as the trial's eligibility defines it; no urine is simulated, so a missing
    # urine IFE counts as negative for CR (ResponseConfig.waive_urine_ife); the trial file may override
    return {"serum_measurable_g_dl": spec.eligibility.serum_m_min_g_dl, "waive_urine_ife": True, **spec.response}


def trial_patient_hours(spec: TrialSpec, replicates: int) -> float:
    """PK work of ``replicates`` runs of ``spec`` (patients × hours integrated), for ``backend="auto"``.

    Arms with isatuximab only (the others integrate no PK model); each patient followed from entry
    (uniform over the accrual) to the data cut-off: on average the cut-off minus half the accrual.
    """
    isa = sum(a.n for a in spec.arms if "isatuximab" in get_regimen(a.regimen).drugs)
    follow_h = (spec.data_cutoff_months - spec.accrual_months / 2.0) * DAYS_PER_MONTH * 24.0
    return float(replicates) * isa * max(follow_h, 0.0)


def simulate_arm(spec: TrialSpec, arm_index: int, *, seed: int, replicate: int = 0,
                 params: DiseaseParameters | None = None, backend: str = "auto", keep_pk: bool = False) -> ArmSimulation:
    """Simulate one arm of one replicate; patient ``i`` uses the stream ``[seed, replicate, arm_index, i]``."""
    return simulate_arms(spec, arm_index, seed=seed, replicates=[replicate], params=params, backend=backend,
                         keep_pk=keep_pk)[0]


def simulate_arms(spec: TrialSpec, arm_index: int, *, seed: int, replicates, params: DiseaseParameters | None = None,
                  backend: str = "auto", keep_pk: bool = False, pk_cache: dict | None = None) -> list[ArmSimulation]:
    """One arm in several replicates at once (one PK call for all their patients: the PK engine's cost per
    step is mostly fixed, so a batch is several times faster per patient). Each replicate's patients are
    drawn from their own streams ``[seed, replicate, arm_index, i]``: results equal one-by-one runs.

    ``pk_cache``: a dict the caller keeps between calls that differ only in disease parameters (a
    calibration: common random numbers), one entry per chunk of patients. A patient's concentrations
    depend on the patient and on how many isatuximab doses it received before discontinuing (a prefix of
    its schedule), so the entry keeps them per patient and dose count (:class:`_ChunkPK`): a new
    discontinuation hazard integrates only the patients whose dose count is new. A patient's numbers do not
    depend on which other patients share its integration (tests/pk), so cached = recomputed, bit for bit.
    """
    params = load_parameters(params)
    arm = spec.arms[arm_index]
    regimen = get_regimen(arm.regimen)
    has_isa = "isatuximab" in regimen.drugs
    pop = spec.population
    m_spec = pop.serum_m_g_dl
    if m_spec.min < spec.eligibility.serum_m_min_g_dl:  # eligibility truncates the M-protein distribution
        pop = pop.model_copy(update={"serum_m_g_dl": m_spec.model_copy(update={"min": spec.eligibility.serum_m_min_g_dl})})
    replicates = [int(r) for r in replicates]
    vps = [sample_baseline(pop, arm.n, seed=seed, stream=(r, arm_index), n_normals=_N_PK_ETAS + _N_DISEASE_ETAS,
                           n_uniforms=len(_U), id_prefix=f"{arm.id}-r{r + 1}-") for r in replicates]  # fmt: skip
    cov = pd.concat([v.covariates for v in vps], ignore_index=True)
    normals = np.concatenate([v.normals for v in vps])
    uniforms = np.concatenate([v.uniforms for v in vps])
    keys = [k for v in vps for k in v.keys]
    n = len(cov)
    u = {name: uniforms[:, j] for j, name in enumerate(_U)}

    # follow-up: uniform accrual, one data cut-off for the trial
    cutoff_days = spec.data_cutoff_months * DAYS_PER_MONTH
    entry_days = u["entry"] * spec.accrual_months * DAYS_PER_MONTH
    horizon = cutoff_days - entry_days

    # individual disease parameters (log-normal IIV, covariates on kG)
    eta = normals[:, _N_PK_ETAS:]
    log_kg_ratio = (params["omega_kG"] * eta[:, 0] + params["beta_nonigg_kG"] * cov["non_igg"].to_numpy()
                    + params["beta_lines_kG"] * (cov["prior_lines"].to_numpy() - 3.0)
                    + params["beta_hrca_kG"] * cov["high_risk"].to_numpy())  # fmt: skip
    kg = params["kG"] * np.exp(log_kg_ratio)
    lam = params["lambda_res"] * np.exp(params["omega_lambda"] * eta[:, 1])
    sens = np.exp(params["omega_sens"] * eta[:, 2])
    drug_sens = _drug_sensitivities(u, params)
    f_res = _resistant_fraction(u["resistant"], params)

    # event times from the hazards (days from the first dose)
    t_disc = discontinuation_days(u["disc"], has_isa, params)
    t_death_pre = death_before_progression_days(u["death_pre"], params)

    # one grid for the trial (to the first whole day at or after the cut-off), whoever is simulated with whom
    days = np.arange(0.0, math.ceil(cutoff_days / DISEASE_STEP_DAYS) + 1) * DISEASE_STEP_DAYS
    grid = np.arange((days.size - 1) * _PK_STEPS_PER_DAY + 1) * GRID_STEP_DAYS  # concentrations
    days_off = cov["days_since_daratumumab"].to_numpy(dtype=float)
    cohorts, labs_parts, concs = [], [], []
    for lo in range(0, n, CHUNK_PATIENTS):  # bounded memory: [patient, grid] arrays for one chunk at a time
        r = slice(lo, min(lo + CHUNK_PATIENTS, n))
        c = cov.iloc[r].reset_index(drop=True)
        key = (spec.model_dump_json(), seed, arm_index, tuple(replicates), lo)
        chunk_pk = pk_cache.get(key) if pk_cache is not None else None
        if chunk_pk is None:
            chunk_pk = _ChunkPK(arm_dose_events(arm.regimen, c, int(math.ceil(days[-1] / 7.0)) + 1),
                                _residual_daratumumab(pop, c, days_off[r]), has_isa)
        if pk_cache is not None:
            pk_cache[key] = chunk_pk  # set again: a least-recently-used cache (the calibration's) marks it used
        # dosing until discontinuation (or the cut-off): drugs stop, isatuximab washes out through the PK model
        doses = chunk_pk.doses
        stop_dosing = np.minimum(t_disc[r], horizon[r])
        doses = doses[doses["time_h"].to_numpy() / 24.0 < stop_dosing[doses["patient"].to_numpy()]]
        dara_c0 = chunk_pk.dara_c0
        conc = None
        if has_isa:
            # "auto" is decided by the whole chunk's work, as one call for every patient would: the patients
            # integrated again after a change of dose count then run on the same engine
            engine = pk.resolve_backend(backend, float(np.sum(np.clip(np.minimum(horizon[r], grid[-1]), 0.0, None))) * 24.0)
            conc = chunk_pk.isatuximab_conc(doses, lambda idx, d: _isatuximab_pk(
                pop, c.iloc[idx].reset_index(drop=True), normals[r][idx], d, horizon[r][idx], grid, engine,
                chunk_pk.stops_h))
        isa_kill = None
        if has_isa:
            phi = cd38_effect_fraction(grid, days_off[r], c["daratumumab_refractory"].to_numpy(), params)
            isa_effect = isatuximab_effect(np.nan_to_num(conc, nan=0.0), params, phi)
            isa_kill = isatuximab_kill_integral(grid, isa_effect, lam[r], every=_PK_STEPS_PER_DAY)
        traj = m_protein(days, c["m0_g_dl"].to_numpy(), kg[r], lam[r], sens[r], params,
                         partner_doses=doses[doses["drug"] != "isatuximab"], isa_kill=isa_kill,
                         f_resistant=f_res[r], drug_sens=None if drug_sens is None else {d: s[r] for d, s in drug_sens.items()})

        t_nonm = nonm_progression_days(u["nonm"][r], c["extramedullary"], c["high_risk"], params, times_days=days,
                                       log_burden=traj.log_m - traj.log_m[:, :1])
        visits = _simulate_visits(spec, c, keys[r], traj, horizon[r], t_death_pre[r], t_nonm, has_isa, params)
        response = assess_visits(**visits, config=response_settings(spec))
        labs = visit_labs(**visits)
        cohort = _outcomes(spec, arm, c, response, labs, horizon[r], entry_days[r], t_death_pre[r], t_disc[r],
                           u["death_post"][r], log_kg_ratio[r], dara_c0, params)
        cohorts.append(cohort)
        labs_parts.append(_trim_after_progression(labs, cohort))
        if keep_pk and conc is not None and lo < arm.n:  # replicate 1's concentrations, for the report
            concs.append(conc[: max(0, min(len(c), arm.n - lo))])
    cohort = pd.concat(cohorts, ignore_index=True)
    labs = pd.concat(labs_parts, ignore_index=True)
    out = []
    for j in range(len(replicates)):
        rows = slice(j * arm.n, (j + 1) * arm.n)
        ids = set(cohort["patient_id"].iloc[rows])
        keep = keep_pk and j == 0
        out.append(ArmSimulation(arm.id, arm.regimen, cohort.iloc[rows].reset_index(drop=True),
                                 labs[labs["patient_id"].isin(ids)].reset_index(drop=True), response_settings(spec),
                                 grid if keep else None, np.concatenate(concs) if keep and concs else None))
    return out


def _drug_sensitivities(u: dict, params: DiseaseParameters) -> dict[str, np.ndarray] | None:
    """Each drug's own log-normal sensitivity multiplier (median 1), or None when ``omega_sens_drug`` is 0."""
    omega = params["omega_sens_drug"]
    if omega == 0:
        return None
    return {d: np.exp(omega * _normal(u[f"sens_{d}"])) for d in _SENS_DRUGS}


def _normal(u: np.ndarray) -> np.ndarray:
    """Standard normals from a patient's uniforms on (0, 1] (clipped: u = 1 would give +inf)."""
    return ndtri(np.clip(u, 1e-12, 1 - 1e-12))


def _resistant_fraction(u: np.ndarray, params: DiseaseParameters) -> np.ndarray:
    """Individual resistant fractions: logit-normal around ``f_resistant`` (0 stays 0: the one-population form)."""
    f = params["f_resistant"]
    if f <= 0 or f >= 1:
        return np.full(u.shape, f)
    logit = math.log(f / (1 - f)) + params["omega_f_resistant"] * _normal(u)
    return expit(logit)


class _ChunkPK:
    """What the PK of one chunk of patients needs and gives, for reuse across calls (``pk_cache``).

    ``doses``: the whole schedule of every drug (before discontinuation), ``dara_c0``: residual daratumumab
    at day 0, and isatuximab concentration rows per (patient, number of isatuximab doses received). At most
    ``rows_per_patient`` rows per patient on average are kept (the least recently used go first):
    [patient, grid] rows of a chunk are ~10–40 MB per dose pattern.
    """

    rows_per_patient = 3

    def __init__(self, doses: pd.DataFrame, dara_c0: np.ndarray, has_isatuximab: bool):
        self.doses, self.dara_c0 = doses, dara_c0
        self.rows: OrderedDict = OrderedDict()
        # every integration of this chunk lands on the whole schedule's isatuximab dose times (the patients'
        # own doses are a prefix of it): a patient's row is then the same whoever shares its integration
        self.stops_h = (pk.input_breakpoints_h(PK_MODEL, doses[doses["drug"] == "isatuximab"], dara_c0.size)
                        if has_isatuximab else None)

    def isatuximab_conc(self, doses: pd.DataFrame, integrate) -> np.ndarray:
        """[patient, grid] concentrations for these (discontinued) doses; ``integrate(patients, their doses)``
        runs the PK of the patients whose dose count has no row yet (patients renumbered from 0)."""
        n = self.dara_c0.size
        isa = doses[doses["drug"] == "isatuximab"]
        counts = np.bincount(isa["patient"].to_numpy(), minlength=n)
        keys = list(zip(range(n), counts.tolist()))
        missing = np.array([j for j, key in enumerate(keys) if key not in self.rows], dtype=int)
        if missing.size:
            sub = isa[np.isin(isa["patient"].to_numpy(), missing)]
            sub = sub.assign(patient=np.searchsorted(missing, sub["patient"].to_numpy()))
            conc = integrate(missing, sub.reset_index(drop=True))
            for i, j in enumerate(missing):
                self.rows[keys[j]] = conc[i].copy()  # a copy: a kept view would keep its whole batch alive
        out = np.stack([self.rows[key] for key in keys])
        for key in keys:
            self.rows.move_to_end(key)
        while len(self.rows) > self.rows_per_patient * n:
            self.rows.popitem(last=False)
        return out


def _residual_daratumumab(pop, c, days_off) -> np.ndarray:
    """Residual daratumumab at day 0 (µg/mL; NaN without prior daratumumab)."""
    dara_c0 = np.full(len(c), np.nan)
    prior = np.flatnonzero(np.isfinite(days_off))
    if prior.size:
        dara_c0[prior] = residual_daratumumab(pop.prior_daratumumab.regimen, c["weight_kg"].to_numpy()[prior],
                                              c["daratumumab_weeks"].to_numpy()[prior], days_off[prior])
    return dara_c0


def _isatuximab_pk(pop, c, normals, doses, horizon, grid, backend, stops_h) -> np.ndarray:
    """Isatuximab concentrations [patient, grid] (µg/mL, NaN after each patient's cut-off)."""
    model = pk.load_model(PK_MODEL)
    pk_cov = pk.covariate_frame(model, c[[k for k in model.covariates if k in c.columns]])  # others: defaults
    patients = pk.Patients(model, pk_cov, normals[:, :_N_PK_ETAS] * model.omegas)
    # each patient's PK stops at its own cut-off (NaN after it): nothing after it is observed
    sim = pk.simulate(model, patients, doses[doses["drug"] == "isatuximab"], grid * 24.0, backend=backend,
                      end_h=horizon * 24.0, stops_h=stops_h)
    if (sim.status != 0).any():  # a virtual patient without PK would silently get no isatuximab effect
        raise ModelError(f"PK integration failed for {int((sim.status != 0).sum())} virtual patients "
                         f"({pk.STATUS[int(sim.status[sim.status != 0][0])]}); please report it with the trial file and seed")
    return sim.conc_ug_ml


def _simulate_visits(spec, cov, keys, traj, horizon, t_death_pre, t_nonm, has_isa, params) -> dict:
    """Visits every ``assessment_interval_days`` from day 0 until death or the cut-off (disease_models.md §4.6).

    Returns the keyword arguments of :func:`isamm.response.assess_visits`: [patient, visit] arrays
    on the trial's visit grid and each patient's number of visits.
    """
    n = len(cov)
    step = spec.assessment_interval_days
    last = np.minimum(horizon, t_death_pre)
    n_visits = (np.floor(last / step).astype(int) + 1).clip(min=1)
    k = int(n_visits.max())
    days = np.arange(k) * step
    true_m = traj.at(np.minimum(days, traj.times_days[-1]) * np.ones((n, 1)))
    eps = np.empty((n, k, 2))
    for i, key in enumerate(keys):  # observation noise: the patient's own second stream
        eps[i] = np.random.default_rng(key + (1,)).standard_normal((k, 2))
    obs = true_m * (1 + params["sigma_prop"] * eps[..., 0]) + params["sigma_add"] * eps[..., 1]
    obs = np.where(obs < params["spep_lod_g_dl"], 0.0, np.round(obs, 2))
    obs[:, 0] = np.round(cov["m0_g_dl"].to_numpy(), 2)  # baseline: the screening value that met eligibility
    # a value beyond the lab's plausible range (the reader's unit check) is reported at that limit: the
    # fastest growers reach it within weeks, and a visit must still show their progression (stopping
    # the visits instead censored them at day 0, longer PFS wherever many prior lines raise kG)
    obs = np.minimum(obs, load_config(response_settings(spec)).serum_m_max_g_dl)
    # IFE is read when the SPEP spike is not quantifiable; on isatuximab an IgG-kappa patient's IFE shows
    # the drug's own band (imwg.md, anti-CD38 interference): positive whatever the disease does
    interference = has_isa & (cov["isotype"].to_numpy() == "IgG-kappa")
    ife_pos = (true_m >= params["ife_lod_g_dl"]) | interference[:, None]
    ife = np.where(obs == 0.0, np.where(ife_pos, "positive", "negative"), None)
    ife[:, 0] = None
    marrow = np.where(ife == "negative", np.round(params["bm_pc_baseline_pct"] * true_m / cov["m0_g_dl"].to_numpy()[:, None], 2),
                      np.nan)  # fmt: skip
    lesion = np.zeros((n, k), dtype=np.int8)
    first = np.ceil(t_nonm / step)
    hit = np.isfinite(first) & (first < n_visits)
    lesion[np.flatnonzero(hit), first[hit].astype(int)] = 1
    lesion[:, 0] = 0
    recent_dara = cov["days_since_daratumumab"].to_numpy(dtype=float) < 183  # anti-CD38 within 6 months (imwg.md)
    return {"patient_id": cov["patient_id"].to_numpy(dtype=object), "days": days, "serum_m_g_dl": obs,
            "n_visits": n_visits, "serum_ife": ife, "bm_pc_pct": marrow, "new_lesion": lesion,
            "isotype": cov["isotype"].to_numpy(dtype=object), "anti_cd38": has_isa | recent_dara}


def _outcomes(spec, arm, cov, response, labs, horizon, entry_days, t_death_pre, t_disc, u_post, log_kg_ratio, dara_c0,
              params) -> pd.DataFrame:
    prog = response.progression_day
    last_visit = labs.groupby("patient_id", sort=False)["day"].max().reindex(cov["patient_id"]).to_numpy()
    has_prog = np.isfinite(prog) & (prog < t_death_pre)
    dies_first = ~has_prog & (t_death_pre <= horizon)
    pfs_days = np.where(has_prog, prog, np.where(dies_first, t_death_pre, last_visit))
    pfs_event = has_prog | dies_first
    death = np.where(has_prog, prog + death_after_progression_days(u_post, log_kg_ratio, params), t_death_pre)
    os_event = death <= horizon
    os_days = np.minimum(death, horizon)
    # treatment until confirmed progression (the visit after the PD assessment), discontinuation, death or cut-off
    step = spec.assessment_interval_days
    confirm = np.where(has_prog, prog + step, np.inf)
    end = np.minimum.reduce([t_disc, confirm, t_death_pre, horizon])
    out = cov.copy()
    out.insert(0, "arm", arm.id)
    out.insert(1, "regimen", arm.regimen)
    out["entry_month"] = entry_days / DAYS_PER_MONTH
    out["best_response"] = response.best_response
    out["dcr"] = response.dcr.astype(int)  # disease control (≥MR, or SD ≥ 8 weeks; imwg.md E3)
    out["measurable"] = response.measurable
    out["pfs_months"] = pfs_days / DAYS_PER_MONTH
    out["pfs_event"] = pfs_event.astype(int)
    out["os_months"] = os_days / DAYS_PER_MONTH
    out["os_event"] = os_event.astype(int)
    out["treatment_weeks"] = end / 7.0
    out["discontinued"] = (t_disc <= np.minimum.reduce([confirm, t_death_pre, horizon])).astype(int)
    out["daratumumab_ug_ml_at_start"] = dara_c0
    return out


def _trim_after_progression(labs: pd.DataFrame, cohort: pd.DataFrame) -> pd.DataFrame:
    """Keep visits up to the one that confirms progression: later visits are off-study for PFS."""
    prog = cohort.set_index("patient_id")["pfs_months"].where(cohort.set_index("patient_id")["pfs_event"] == 1)
    limit = labs["patient_id"].map(prog * DAYS_PER_MONTH).to_numpy(dtype=float)
    step = labs.groupby("patient_id")["day"].diff().median() if len(labs) > 1 else 0.0
    keep = ~(labs["day"].to_numpy() > limit + (step if np.isfinite(step) else 0.0) + 1e-9)
    return labs[keep].reset_index(drop=True)
