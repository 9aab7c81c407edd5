"""The published evidence base: data files, roles, golden numbers, the loader's errors and the CLI.

The golden values below were typed from ``shared/reference/calibration_targets.md`` (and, for the
reference numbers, from the seed files), not copied from the data files or from code output.
"""

from __future__ import annotations

import json
import math
from importlib import resources

import pytest
import yaml

from isamm.errors import InputError
from isamm.trials import evidence as ev

DATA = resources.files("isamm").joinpath("data", "evidence")
FILES = sorted(f.name for f in DATA.iterdir() if f.name.endswith(".yaml"))

# Every number calibration_targets.md lists: (trial, arm or None for an HR, metric, value, role).
# value None = "not reached". Typed from the document.
TARGETS = [
    ("ICARIA-MM", "Isa-Pd", "orr", 0.604, "calibration"),
    ("ICARIA-MM", "Pd", "orr", 0.353, "calibration"),
    ("ICARIA-MM", "Isa-Pd", "vgpr_or_better", 0.318, "calibration"),
    ("ICARIA-MM", "Pd", "vgpr_or_better", 0.085, "calibration"),
    ("ICARIA-MM", "Isa-Pd", "median_pfs_months", 11.53, "calibration"),
    ("ICARIA-MM", "Pd", "median_pfs_months", 6.47, "calibration"),
    ("ICARIA-MM", "Isa-Pd", "median_treatment_weeks", 41, "calibration"),
    ("ICARIA-MM", "Pd", "median_treatment_weeks", 24, "calibration"),
    ("ICARIA-MM", None, "hr_pfs", 0.596, "calibration"),
    ("IKEMA", "Isa-Kd", "median_pfs_months", None, "calibration"),
    ("IKEMA", "Kd", "median_pfs_months", 20.27, "calibration"),
    ("IKEMA", None, "hr_pfs", 0.531, "calibration"),
    ("IKEMA", "Isa-Kd", "orr", 0.866, "calibration"),
    ("IKEMA", "Kd", "orr", 0.829, "calibration"),
    ("IKEMA", "Isa-Kd", "vgpr_or_better", 0.726, "calibration"),
    ("IKEMA", "Kd", "vgpr_or_better", 0.561, "calibration"),
    ("TED10893", "Isa", "orr", 0.239, "calibration"),
    ("TED10893", "Isa", "median_pfs_months", 4.9, "calibration"),
    ("MM-002", "Pom+LoDex", "median_pfs_months", 4.2, "calibration"),
    ("MM-002", "Pom", "median_pfs_months", 2.7, "calibration"),
    ("MM-002", None, "hr_pfs", 0.68, "calibration"),
    ("MM-002", "Pom+LoDex", "orr", 0.33, "calibration"),
    ("MM-002", "Pom", "orr", 0.18, "calibration"),
    ("TED10893", "Isa-d", "orr", 0.436, "validation"),
    ("TED10893", "Isa-d", "median_pfs_months", 10.2, "validation"),
    ("MARTINO-2025", "Isa-Pd", "orr", 0.569, "validation"),
    ("MARTINO-2025", "Isa-Pd", "median_pfs_months", 5.8, "validation"),
    ("MARTINO-2025", "Isa-Pd", "pfs_at_months:12", 0.306, "validation"),
    ("MARTINO-2025", "Isa-Pd", "median_os_months", 21.0, "validation"),
    ("MARTINO-2025", "Isa-Pd", "os_at_months:12", 0.634, "validation"),
    ("MIKHAEL-2021", "Isa", "orr", 0.0, "validation"),
    ("MIKHAEL-2021", "Isa", "dcr", 0.375, "validation"),
    ("MIKHAEL-2021", "Isa", "median_pfs_months", 1.6, "validation"),
    ("MIKHAEL-2021", "Isa", "median_os_months", 10.7, "validation"),
]


def _number(trial: str, arm: str | None, metric: str) -> dict:
    pub = ev.published_summary(trial)
    if arm is None:
        return pub[metric]
    metric, _, landmark = metric.partition(":")
    entry = pub["arms"][arm][metric]
    return entry[landmark] if landmark else entry


# --- the data files -------------------------------------------------------------------------


@pytest.mark.parametrize("name", FILES)
def test_every_file_validates_and_every_number_has_source_and_role(name):
    trial = ev.load_evidence_file(DATA.joinpath(name))
    numbers = list(trial.numbers())
    assert numbers, f"{name}: no published number"
    for analysis, arm, metric, landmark, num in numbers:
        assert num.role in ev.ROLES
        assert num.source.strip(), (name, arm, metric)
        if metric in ev.PROPORTIONS:
            assert num.value is None or 0 <= num.value <= 1
    assert trial.drug in ev.DRUGS and trial.setting in ev.SETTINGS


def test_the_trial_engine_ids_and_arms_exist():
    expected = {"ICARIA-MM": ["Isa-Pd", "Pd"], "IKEMA": ["Isa-Kd", "Kd"], "MM-002": ["Pom+LoDex", "Pom"],
                "TED10893": ["Isa", "Isa-d"], "MARTINO-2025": ["Isa-Pd"], "MIKHAEL-2021": ["Isa"]}  # fmt: skip
    for tid, arms in expected.items():
        assert [a.id for a in ev.get_evidence(tid).arms] == arms
    # every shipped trial definition that names an evidence entry names one that exists, arm for arm
    trials = resources.files("isamm").joinpath("data", "trials")
    for f in trials.iterdir():
        if f.name.endswith(".yaml"):
            spec = yaml.safe_load(f.read_text(encoding="utf-8"))
            if spec.get("evidence"):
                pub = ev.published_summary(spec["evidence"])
                assert set(pub["arms"]) == {a["id"] for a in spec["arms"]}, f.name


def test_reference_trials_from_the_seeds_are_present():
    ids = set(ev.load_evidence())
    assert {"APOLLO", "POLLUX", "CASTOR", "CANDOR", "SIRIUS", "MAIA", "ALCYONE", "CASSIOPEIA", "GRIFFIN",
            "GMMG-HD7", "GMMG-CONCEPT"} <= ids  # fmt: skip
    assert all(t.drug == "daratumumab" for t in map(ev.get_evidence, ("APOLLO", "POLLUX", "MAIA")))


# --- golden numbers (calibration_targets.md, seeds) -------------------------------------------


@pytest.mark.parametrize(("trial", "arm", "metric", "value", "role"), TARGETS)
def test_numbers_and_roles_of_calibration_targets_md(trial, arm, metric, value, role):
    num = _number(trial, arm, metric)
    assert num["role"] == role
    if value is None:
        assert num["not_reached"] is True and num["value"] is None
    else:
        assert num["not_reached"] is False
        assert num["value"] == pytest.approx(value, abs=1e-12)


def test_golden_cis_and_levels():
    icaria = ev.published_summary("ICARIA-MM")
    assert icaria["hr_pfs"] | {} == {"value": 0.596, "ci_low": 0.44, "ci_high": 0.81, "ci_level": 0.95,
                                     "not_reached": False, "role": "calibration", "source": icaria["hr_pfs"]["source"]}
    pd = icaria["arms"]["Pd"]["median_pfs_months"]
    assert (pd["value"], pd["ci_low"], pd["ci_high"]) == (6.47, 4.47, 8.28)
    isa = icaria["arms"]["Isa-Pd"]["median_pfs_months"]
    assert (isa["value"], isa["ci_low"], isa["ci_high"]) == (11.53, 8.94, 13.9)
    ikema = ev.published_summary("IKEMA")["hr_pfs"]
    assert (ikema["value"], ikema["ci_low"], ikema["ci_high"], ikema["ci_level"]) == (0.531, 0.318, 0.889, 0.99)
    martino = ev.published_summary("MARTINO-2025")["arms"]["Isa-Pd"]["median_pfs_months"]
    assert (martino["value"], martino["ci_low"], martino["ci_high"], martino["role"]) == (5.8, 3.9, 7.7, "validation")
    mik = ev.published_summary("MIKHAEL-2021")["arms"]["Isa"]
    assert (mik["median_pfs_months"]["ci_low"], mik["median_pfs_months"]["ci_high"]) == (1.0, 3.2)
    assert (mik["median_os_months"]["ci_low"], mik["median_os_months"]["ci_high"]) == (8.0, 19.0)
    assert ev.published_summary("MM-002")["hr_pfs"]["ci_level"] is None  # the abstract gives no CI


def test_ikema_not_reached_exceeds_follow_up_and_kd_note():
    t = ev.get_evidence("IKEMA")
    nr = t.arms[0].results.median_pfs_months
    assert nr.not_reached and nr.greater_than == pytest.approx(t.median_follow_up_months) == pytest.approx(20.7)
    kd = t.arms[1].results.median_pfs_months
    assert kd.value == 20.27 and "19.15" in kd.note


def test_reference_numbers_from_seeds():
    icaria = ev.get_evidence("ICARIA-MM")
    (later,) = icaria.later_analyses
    assert "35.3" in later.analysis
    assert later.arms["Isa-Pd"].median_os_months.value == 24.6 and later.arms["Pd"].median_os_months.value == 17.7
    assert later.arms["Isa-Pd"].median_os_months.role == "reference"
    assert (later.hr_os.value, later.hr_os.ci_low, later.hr_os.ci_high) == (0.76, 0.58, 1.01)
    # seed 000 Table 2
    pollux = ev.published_summary("POLLUX")["arms"]
    assert pollux["Dara-Rd"]["orr"]["value"] == 0.929 and pollux["Rd"]["median_pfs_months"]["value"] == 17.5
    assert pollux["Dara-Rd"]["os_at_months"]["42"]["value"] == 0.65
    apollo = ev.published_summary("APOLLO")["arms"]
    assert apollo["Dara-Pd"]["median_pfs_months"]["value"] == 12.4 and apollo["Pd"]["median_pfs_months"]["value"] == 6.9
    assert "orr" not in apollo["Dara-Pd"]  # seed 000 Table 2 prints no ORR for APOLLO
    candor = ev.published_summary("CANDOR")["arms"]
    assert candor["Dara-Kd"]["median_pfs_months"]["not_reached"] and candor["Kd"]["median_pfs_months"]["value"] == 15.8
    # seed 003 (GMMG-CONCEPT) and seed 000 Table 1 (isatuximab monotherapy, dose-finding)
    assert ev.published_summary("GMMG-CONCEPT")["arms"]["Isa-KRd"]["pfs_at_months"]["24"]["value"] == 0.755
    assert ev.published_summary("MIKHAEL-2020")["arms"]["Isa"]["median_os_months"]["value"] == 18.6
    assert all(t["role"] == "reference" for t in ev.targets("reference"))


def test_published_summary_shape():
    keys = {"value", "ci_low", "ci_high", "not_reached", "role", "source"}
    for tid in ev.load_evidence():
        pub = ev.published_summary(tid)
        assert set(pub) == {"trial", "source", "analysis", "arms", "hr_pfs", "hr_os"}
        assert pub["trial"] == tid and pub["source"] and pub["analysis"]
        for metrics in pub["arms"].values():
            assert set(metrics) <= set(ev.METRICS)
            for metric, entry in metrics.items():
                for num in (entry.values() if metric.endswith("_at_months") else [entry]):
                    assert set(num) == keys
                    assert isinstance(num["not_reached"], bool)
        for hr in (pub["hr_pfs"], pub["hr_os"]):
            assert hr is None or set(hr) == keys | {"ci_level"}
    json.dumps(ev.published_summary("ICARIA-MM"))  # JSON-serialisable as is


def test_targets_partition_and_validation_never_calibration():
    cal, val, ref = (ev.targets(r) for r in ev.ROLES)
    assert {t["role"] for t in cal} == {"calibration"} and {t["role"] for t in val} == {"validation"}
    total = sum(len(list(t.numbers())) + len(list(t.subgroup_numbers())) for t in ev.load_evidence().values())
    assert len(cal) + len(val) + len(ref) == total
    key = lambda t: (t["trial"], t["analysis"], t["arm"], t["metric"], t["landmark_months"],  # noqa: E731
                     str(t["subgroup"]))
    assert not {key(t) for t in cal} & {key(t) for t in val}
    # the isatuximab + dexamethasone arm, Martino and Mikhael 2021 never enter the calibration set
    assert not [t for t in cal if (t["trial"], t["arm"]) == ("TED10893", "Isa-d")]
    assert not [t for t in cal if t["trial"] in ("MARTINO-2025", "MIKHAEL-2021")]
    assert {"trial", "arm", "metric", "value", "ci_low", "ci_high", "source"} <= set(cal[0])
    with pytest.raises(InputError, match="role"):
        ev.targets("fit")


# --- look-up, list, compare -------------------------------------------------------------------


def test_lookup_ignores_case_and_punctuation():
    assert ev.get_evidence("icaria mm").id == "ICARIA-MM"
    assert ev.get_evidence("IcariaMM").id == "ICARIA-MM"
    assert ev.get_evidence("mm002").id == "MM-002"
    assert ev.get_evidence("martino_2025").id == "MARTINO-2025"
    with pytest.raises(InputError) as exc:
        ev.get_evidence("ICARIA-XX")
    assert "ICARIA-MM" in str(exc.value) and "ICARIA-XX" in str(exc.value)


def test_list_filters():
    all_ = ev.list_evidence()
    assert len(all_) == len(ev.load_evidence())
    dara = ev.list_evidence(drug="daratumumab")
    assert dara and all(i["drug"] == "daratumumab" for i in dara)
    ndmm = ev.list_evidence(setting="ndmm")
    assert ndmm and all(i["setting"] == "NDMM" for i in ndmm)
    val = {i["id"] for i in ev.list_evidence(role="validation")}
    assert val == {"TED10893", "MARTINO-2025", "MIKHAEL-2021"}
    item = next(i for i in all_ if i["id"] == "ICARIA-MM")
    assert item["arms"] == ["Isa-Pd", "Pd"] and item["n"] == [154, 153] and item["roles"] == ["calibration", "reference"]
    for kw in ({"drug": "elotuzumab"}, {"setting": "SMM"}, {"role": "fit"}):
        with pytest.raises(InputError):
            ev.list_evidence(**kw)


def test_compare_has_both_trials_and_the_caveat():
    out = ev.compare("ICARIA-MM", "apollo")
    assert [t["id"] for t in out["trials"]] == ["ICARIA-MM", "APOLLO"]
    assert out["caveat"] == ev.CAVEAT and "not a randomised comparison" in out["caveat"]
    icaria = out["trials"][0]
    assert icaria["arms"][0]["partner_drugs"] == ["pomalidomide", "dexamethasone"]
    assert icaria["arms"][0]["refractory"]["lenalidomide"] == 0.94
    assert icaria["arms"][0]["prior_lines"] == {"median": 3, "min": 2, "max": 11, "note": "overall (both arms)"}
    assert icaria["hr_pfs"]["value"] == 0.596
    assert out["trials"][1]["arms"][0]["vgpr_or_better"]["value"] == 0.51


# --- malformed files: InputError naming the file and the key ----------------------------------


def _write(tmp_path, mutate) -> str:
    data = yaml.safe_load(DATA.joinpath("martino-2025.yaml").read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("mutate", "key", "words"),
    [
        (lambda d: d.update(sponsor="x"), "sponsor", "unknown key"),
        (lambda d: d["arms"][0]["results"]["orr"].update(value=1.2), "arms.0.results.orr.value", "less than or equal to 1"),
        (lambda d: d["arms"][0]["results"]["orr"].update(role="fit"), "arms.0.results.orr.role", "calibration"),
        (lambda d: d["arms"][0]["results"]["orr"].update(colour="red"), "arms.0.results.orr.colour", "unknown key"),
        (lambda d: d["arms"][0]["results"]["orr"].pop("source"), "arms.0.results.orr.source", "missing"),
        (lambda d: d["arms"][0]["results"]["median_pfs_months"].update(ci_low=6.0), "arms.0.results.median_pfs_months",
         "outside its CI"),
        (lambda d: d["arms"][0]["results"]["pfs_at_months"][12].update(value=30.6), "arms.0.results.pfs_at_months.12.value",
         "less than or equal to 1"),
        (lambda d: d["arms"][0]["refractory"].update(daratumumab=100), "arms.0.refractory", "fraction"),
        (lambda d: d.update(drug="elotuzumab"), "drug", "isatuximab"),
    ],
)
def test_malformed_file_names_file_and_key(tmp_path, mutate, key, words):
    path = _write(tmp_path, mutate)
    for load in (ev.load_evidence_file, ev.load_evidence):
        with pytest.raises(InputError) as exc:
            load(path)
        msg = str(exc.value)
        assert "bad.yaml" in msg and f"'{key}" in msg and words in msg, msg
    with pytest.raises(InputError, match="bad.yaml"):
        ev.load_evidence(tmp_path)  # a folder


def test_not_yaml_and_duplicate_ids(tmp_path):
    (tmp_path / "a.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(InputError, match="a.yaml.*not valid YAML"):
        ev.load_evidence_file(tmp_path / "a.yaml")
    text = DATA.joinpath("mm-002.yaml").read_text(encoding="utf-8")
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="b.yaml.*MM-002"):
        ev.load_evidence(tmp_path)
    assert list(ev.load_evidence(tmp_path / "a.yaml")) == ["MM-002"]


# --- CLI --------------------------------------------------------------------------------------


def test_cli_list(cli):
    r = cli("evidence", "list")
    assert r.exit_code == 0 and "ICARIA-MM" in r.stdout and "APOLLO" in r.stdout
    r = cli("evidence", "list", "--json")
    items = json.loads(r.stdout)
    assert {i["id"] for i in items} == set(ev.load_evidence())
    for i in items:
        assert {"id", "name", "drug", "setting", "arms", "n", "roles"} <= set(i)
    r = cli("evidence", "list", "--drug", "daratumumab", "--setting", "NDMM", "--json")
    assert {i["id"] for i in json.loads(r.stdout)} == {"MAIA", "ALCYONE", "CASSIOPEIA", "GRIFFIN"}
    r = cli("evidence", "list", "--role", "validation", "--json")
    assert {i["id"] for i in json.loads(r.stdout)} == {"TED10893", "MARTINO-2025", "MIKHAEL-2021"}


def test_cli_compare(cli, tmp_path):
    r = cli("evidence", "compare", "ICARIA-MM", "APOLLO")
    assert r.exit_code == 0, r.stderr
    assert "ICARIA-MM" in r.stdout and "APOLLO" in r.stdout and "60.4%" in r.stdout
    assert "not a randomised comparison" in " ".join(r.stdout.split())
    assert "[calibration]" in r.stdout  # roles are shown, not eaten as Rich markup
    out = tmp_path / "cmp.json"
    r = cli("evidence", "compare", "ICARIA-MM", "APOLLO", "--json", "-o", out)
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert data == json.loads(out.read_text(encoding="utf-8"))
    assert [t["id"] for t in data["trials"]] == ["ICARIA-MM", "APOLLO"] and data["caveat"] == ev.CAVEAT


def test_cli_show(cli):
    r = cli("evidence", "show", "ted10893")
    assert r.exit_code == 0 and "Isa-d" in r.stdout and "validation" in r.stdout and "calibration" in r.stdout
    r = cli("evidence", "show", "IKEMA", "--json")
    data = json.loads(r.stdout)
    assert data["id"] == "IKEMA" and data["published"] == ev.published_summary("IKEMA")
    assert math.isclose(data["hr_pfs"]["ci_level"], 0.99)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("evidence", "show", "ICARIA-XX"), "ICARIA-MM"),
        (("evidence", "compare", "ICARIA-MM", "NOPE"), "NOPE"),
        (("evidence", "list", "--drug", "elotuzumab"), "--drug"),
        (("evidence", "list", "--setting", "SMM"), "--setting"),
        (("evidence", "list", "--role", "fit"), "--role"),
        (("evidence", "compare", "ICARIA-MM", "APOLLO", "-o", "x.csv"), "--output"),
    ],
)
def test_cli_errors_exit_2_one_line(cli, args, words):
    r = cli(*args)
    assert r.exit_code == 2
    assert r.stderr.startswith("isamm: error:") and words in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_subgroups_by_time_since_daratumumab():
    # calibration_targets.md (validation): seed 001 DCR 26.4% (< 6 months) vs 58.3% (>= 6 months); seed 004
    # Table 2: ORR 44.4% (< 12 months) vs 70.8% (>= 12 months)
    sub = {(t["trial"], t["metric"], t["subgroup"]["threshold"], t["subgroup"]["side"]): t["value"]
           for t in ev.targets("validation") if t["subgroup"]}
    assert sub == {("MIKHAEL-2021", "dcr", 6.0, "below"): 0.264, ("MIKHAEL-2021", "dcr", 6.0, "at_or_above"): 0.583,
                   ("MARTINO-2025", "orr", 12.0, "below"): 0.444, ("MARTINO-2025", "orr", 12.0, "at_or_above"): 0.708}
    assert not [t for t in ev.targets("calibration") if t["subgroup"]]
