"""The disease-model parameter file: every value sourced, tagged and given a role; bad files named."""

from __future__ import annotations

from pathlib import Path

import pytest

from isamm.disease import OPTIONAL, REQUIRED, load_parameters
from isamm.errors import InputError

P = load_parameters()

# Fixed a priori (disease_models.md §4.12, §4.13; issue: never fitted): EC50, the death/OS hazards and
# the prior-daratumumab module.
MUST_BE_FIXED = {"ec50_isa", "hill_isa", "h_death_pre", "death_post_median_months", "death_post_shape", "beta_g_death",
                 "phi0_dara_refractory", "phi0_dara_exposed", "phi_inf_dara", "k_rec_dara", "theta_occ_dara",
                 "kocc_dara", "k_bio"}  # fmt: skip


def test_every_parameter_has_unit_source_tag_role():
    params = P.spec["parameters"]
    assert set(params) == set(REQUIRED) | set(OPTIONAL)
    for name, p in params.items():
        assert p["unit"] and p["source"] and p["description"], name
        assert p["role"] in {"calibrate", "fixed"}, name
        allowed = {"published", "secondary extraction", "project choice"} | ({"calibrated"} if p["role"] == "calibrate"
                                                                               else set())
        assert p["tag"] in allowed, name


def test_fixed_a_priori_parameters_are_fixed():
    assert MUST_BE_FIXED <= set(P.roles("fixed"))
    # the free set stays small (disease_models.md §4.13: about 9)
    assert len(P.roles("calibrate")) <= 12  # option B (tgi_v2) adds the resistant fraction and its partner-drug kill


def test_published_values_match_their_source():
    # Jonsson 2010 (PAGE abstract 1705): KP = 20 per week = 2.857 per day
    assert P["k_bio"] == pytest.approx(20 / 7, rel=1e-3)


def test_status_and_provenance():
    # every shipped calibrated file names its start file, shipped beside it; the start says it is uncalibrated,
    # has the same parameters, and the fixed ones are copied unchanged; the recorded SHA-256 is the start file's
    root = Path(__file__).resolve().parents[2]
    for name, start_name in (("tgi_v1", "tgi_v1_start"), ("tgi_v2", "tgi_v2_prior")):
        cal = load_parameters(root / f"src/isamm/data/disease/{name}.toml")
        start = load_parameters(root / f"src/isamm/data/disease/{start_name}.toml")
        assert "uncalibrated" in start.status
        assert set(start.values) == set(cal.values) == set(P.values)
        for p in cal.roles("fixed"):
            assert cal[p] == start[p], (name, p)
        prov = cal.spec["calibration"]
        assert prov["start_file"] == f"src/isamm/data/disease/{start_name}.toml"
        assert prov["start_sha256"] == start.sha256 and prov["targets"] and prov["settings"]["seed"] is not None


def test_the_from_scratch_start_is_the_literature_not_a_fit():
    # tgi_v2_prior.toml: the calibration from scratch starts from values no trial has touched — the
    # one-population literature starts (tgi_v1_start.toml) and the option-B starts — with tgi_v2's fixed values
    root = Path(__file__).resolve().parents[2] / "src/isamm/data/disease"
    prior = load_parameters(root / "tgi_v2_prior.toml")
    v1_start, v2 = load_parameters(root / "tgi_v1_start.toml"), load_parameters(root / "tgi_v2.toml")
    assert "uncalibrated" in prior.status and not prior.spec.get("calibration")
    assert set(prior.values) == set(v2.values) and prior.roles("calibrate") == v2.roles("calibrate")
    for p in v2.roles("fixed"):
        assert prior[p] == v2[p], p
    option_b = {"lambda_res": 0.004, "f_resistant": 0.1, "rho_resistant": 0.1}
    for p in prior.roles("calibrate"):
        assert prior[p] == option_b.get(p, v1_start[p]), p
        assert prior.spec["parameters"][p]["tag"] != "calibrated", p


def test_published_form_file_is_one_population():
    # tgi_v1 is the published one-population form (disease_models.md §4.1): no resistant fraction,
    # a constant non-M hazard
    v1 = load_parameters(Path(__file__).resolve().parents[2] / "src/isamm/data/disease/tgi_v1.toml")
    assert v1["f_resistant"] == 0 and v1["gamma_burden_nm"] == 0


def _write(tmp_path, text):
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _default_text():
    from importlib import resources

    return resources.files("isamm").joinpath("data", "disease", "tgi_v1_start.toml").read_text(encoding="utf-8")


def test_unknown_parameter_is_named(tmp_path):
    text = _default_text() + '\n[parameters.kG_typo]\nvalue = 1.0\nunit = "1"\ndescription = "x"\ntag = "project choice"\nsource = "x"\nrole = "fixed"\n'
    with pytest.raises(InputError, match=r"p\.toml.*parameters\.kG_typo.*unknown parameter"):
        load_parameters(_write(tmp_path, text))


def test_bad_value_is_named(tmp_path):
    text = _default_text().replace("value = 0.017\n", "value = -0.017\n", 1)
    with pytest.raises(InputError, match=r"parameters\.lambda_res\.value.*>= 0"):
        load_parameters(_write(tmp_path, text))


def test_bad_tag_is_named(tmp_path):
    text = _default_text().replace('tag = "published"', 'tag = "guess"', 1)
    with pytest.raises(InputError, match=r"parameters\.k_bio\.tag"):
        load_parameters(_write(tmp_path, text))


def test_not_toml(tmp_path):
    with pytest.raises(InputError, match="TOML"):
        load_parameters(_write(tmp_path, "[[[ nope"))


def test_with_values_checks():
    assert P.with_values(kG=0.01)["kG"] == 0.01
    with pytest.raises(InputError, match="unknown"):
        P.with_values(kg=0.01)
    with pytest.raises(InputError, match=r"phi_inf_dara"):
        P.with_values(phi_inf_dara=1.5)


def test_shipped_files_by_name(tmp_path, monkeypatch):
    from isamm.disease import DEFAULT, SHIPPED

    assert load_parameters() is load_parameters(DEFAULT)
    assert load_parameters("tgi_v1").model_id == "isamm-tgi-v1"
    assert load_parameters("tgi_v2").model_id == "isamm-tgi-2pop-v2"
    assert all(load_parameters(name).path.endswith(f"{name}.toml") for name in SHIPPED)
    # a file of that name in the working folder wins over the shipped one
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tgi_v1").write_text(_default_text(), encoding="utf-8")
    assert load_parameters("tgi_v1").path == "tgi_v1"
    with pytest.raises(InputError, match="shipped name"):
        load_parameters("tgi_v9")


def test_optional_parameter_defaults_to_the_model_before_it(tmp_path):
    # a file written before omega_sens_drug existed loads with 0 (one sensitivity for every drug), and the
    # parameter is listed with its meaning; a file that sets it keeps its value; a negative value is named
    old = load_parameters(_write(tmp_path, _default_text()))
    assert "omega_sens_drug" not in _default_text()
    assert old["omega_sens_drug"] == 0.0 and old.spec["parameters"]["omega_sens_drug"]["role"] == "fixed"
    entry = ('\n[parameters.omega_sens_drug]\nvalue = {v}\nunit = "log-SD"\ndescription = "x"\n'
             'tag = "project choice"\nsource = "x"\nrole = "fixed"\n')
    assert load_parameters(_write(tmp_path, _default_text() + entry.format(v=0.4)))["omega_sens_drug"] == 0.4
    with pytest.raises(InputError, match=r"parameters\.omega_sens_drug\.value.*>= 0"):
        load_parameters(_write(tmp_path, _default_text() + entry.format(v=-0.4)))
    assert P.with_values(omega_sens_drug=0.3)["omega_sens_drug"] == 0.3
