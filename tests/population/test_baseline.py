"""Virtual patients: published marginals reproduced, sensible dependence, one stream per patient."""

from __future__ import annotations

import numpy as np
import pytest

from isamm.population import CORRELATIONS, LATENTS, BaselineSpec, sample_baseline
from isamm.trials import load_trial

ICARIA = load_trial("ICARIA-MM").population
N = 20_000
# shares and CDF values of N draws: binomial SE ≤ sqrt(0.25 / 20,000) = 0.0035; 0.015 is > 4 SE
TOL = 0.015


@pytest.fixture(scope="module")
def big():
    return sample_baseline(ICARIA, N, seed=11).covariates


def test_age_matches_the_published_table(big):
    # ICARIA-MM (calibration_targets.md): median 67 (36–86); < 65: 40.5%, < 75: 80% (pooled arms)
    age = big["age_y"]
    assert np.mean(age < 67) == pytest.approx(0.5, abs=TOL)
    assert np.mean(age < 65) == pytest.approx(0.405, abs=TOL)
    assert np.mean(age < 75) == pytest.approx(0.80, abs=TOL)
    assert age.min() >= 36 and age.max() <= 86


def test_shares_match_the_published_table(big):
    assert np.mean(big["iss"] == 1) == pytest.approx(0.37, abs=TOL)
    assert np.mean(big["iss"] == 3) == pytest.approx(0.27, abs=TOL)
    assert big["high_risk"].mean() == pytest.approx(0.20, abs=TOL)
    assert big["lenalidomide_refractory"].mean() == pytest.approx(0.93, abs=TOL)
    assert big["pi_refractory"].mean() == pytest.approx(0.76, abs=TOL)
    assert np.median(big["prior_lines"]) == 3
    assert big["prior_lines"].min() >= 2 and big["prior_lines"].max() <= 11


def test_m_protein_respects_eligibility(big):
    assert big["m0_g_dl"].min() >= 0.5
    assert big["m0_g_dl"].max() <= 10.0


def test_b2m_is_consistent_with_iss(big):
    # ISS (Greipp 2005): stage I has β2m < 3.5 mg/L, stage III β2m ≥ 5.5 mg/L
    assert (big.loc[big["iss"] == 1, "b2m_mg_l"] < 3.5).all()
    assert (big.loc[big["iss"] == 3, "b2m_mg_l"] >= 5.5).all()


def test_dependence_has_the_stated_signs(big):
    assert np.corrcoef(big["age_y"], big["iss"])[0, 1] > 0.05
    assert np.corrcoef(big["female"], big["weight_kg"])[0, 1] < -0.1
    assert np.corrcoef(big["iss"], big["m0_g_dl"])[0, 1] > 0.05


def test_correlation_matrix_is_positive_definite():
    r = np.eye(len(LATENTS))
    for (a, b), v in CORRELATIONS.items():
        r[LATENTS.index(a), LATENTS.index(b)] = r[LATENTS.index(b), LATENTS.index(a)] = v
    assert np.linalg.eigvalsh(r).min() > 0


def test_a_patient_is_the_same_whatever_n():
    small = sample_baseline(ICARIA, 7, seed=5, stream=(2, 1), n_normals=3, n_uniforms=2)
    large = sample_baseline(ICARIA, 40, seed=5, stream=(2, 1), n_normals=3, n_uniforms=2)
    cols = [c for c in small.covariates.columns]
    assert small.covariates[cols].equals(large.covariates[cols].iloc[:7])
    np.testing.assert_array_equal(small.normals, large.normals[:7])
    np.testing.assert_array_equal(small.uniforms, large.uniforms[:7])
    other = sample_baseline(ICARIA, 7, seed=6, stream=(2, 1))
    assert not other.covariates["age_y"].equals(small.covariates["age_y"])


def test_bad_table_rejected():
    data = ICARIA.model_dump()
    data["iss"] = {"I": 0.5, "II": 0.5, "III": 0.5}
    with pytest.raises(ValueError, match="sum to 1"):
        BaselineSpec.model_validate(data)
    data = ICARIA.model_dump()
    data["age_years"] = {"median": 90, "min": 36, "max": 86}
    with pytest.raises(ValueError, match="min < median < max"):
        BaselineSpec.model_validate(data)
