"""The catalog: every data file loads, ids and aliases resolve, bad files are refused with file and field."""

from __future__ import annotations

import pytest

import isamm.regimens as rg
from isamm.errors import InputError

ISSUE_IDS = [
    "ISA-MONO-10", "ISA-MONO-20", "ISA-D", "ISA-PD", "ISA-KD", "ISA-RD", "ISA-VRD", "ISA-KRD",
    "PD", "KD", "VRD", "DARA-IV", "DARA-SC", "D-PD", "D-KD",
]  # fmt: skip


def test_every_issue_id_is_shipped_with_a_source():
    ids = {r.id for r in rg.list_regimens()}
    assert set(ISSUE_IDS) <= ids
    for r in rg.list_regimens():
        assert r.sources and all(s.strip() for s in r.sources), r.id
        assert r.drugs == tuple(d.lower() for d in r.drugs)


@pytest.mark.parametrize(
    "name, rid",
    [("ISA-PD", "ISA-PD"), ("isa-pd", "ISA-PD"), ("IsaPd", "ISA-PD"), ("Isa-Pd", "ISA-PD"), ("isa pd", "ISA-PD"),
     ("Isa-dex", "ISA-D"), ("isakd", "ISA-KD"), ("Isa-VRd", "ISA-VRD"), ("Dara-SC", "DARA-SC"), ("d-pd", "D-PD"),
     ("Pd", "PD"), ("isa-mono-10", "ISA-MONO-10")],
)  # fmt: skip
def test_lookup_is_case_and_punctuation_insensitive(name, rid):
    assert rg.get(name).id == rid


def test_unknown_id_lists_known_ids():
    with pytest.raises(InputError) as e:
        rg.get("NOPE")
    msg = str(e.value)
    assert "unknown regimen" in msg and "'NOPE'" in msg
    for rid in ISSUE_IDS:
        assert rid in msg


def test_summary_has_contract_keys():
    s = rg.get("ISA-PD").summary()
    assert s["id"] == "ISA-PD" and s["drugs"] == ["dexamethasone", "isatuximab", "pomalidomide"]
    assert "Lancet 2019" in s["source"]


def test_unverified_flags_are_carried_as_data():
    # regimens.md marks the IMROZ partner doses and the D-Kd dexamethasone split [UNVERIFIED].
    assert any("partner" in u or "doses" in u for u in rg.get("ISA-VRD").spec.unverified)
    assert rg.get("D-KD").spec.unverified
    assert not rg.get("ISA-PD").spec.unverified


GOOD = """
id = "X-1"
name = "test"
sources = ["a book"]
[[cycle_lengths]]
cycles = "1+"
days = 28
[[drugs]]
name = "isatuximab"
route = "IV"
clock_h = 9.0
doses = [{ cycles = "1+", days = [1, 15], dose = 10, unit = "mg/kg" }]
"""


def _load(tmp_path, text):
    p = tmp_path / "x.toml"
    p.write_text(text, encoding="utf-8")
    return rg.load_regimen_file(p)


def test_a_new_regimen_is_a_data_file(tmp_path):
    reg = _load(tmp_path, GOOD)
    cal = reg.schedule(rg.Patient(weight_kg=50, age_y=60), cycles=2)
    assert cal["day"].tolist() == [1, 15, 29, 43]
    assert cal["dose_mg"].tolist() == [500.0] * 4


@pytest.mark.parametrize(
    "old, new, where",
    [
        ('days = [1, 15]', 'days = [1, 29]', "day 29 in cycle 1, which has 28 days"),
        ('days = [1, 15]', 'days = [1, 1]', "listed twice"),
        ('days = [1, 15]', 'days = ["15-1"]', "range"),
        ('unit = "mg/kg"', 'unit = "mg/lb"', "doses"),
        ('cycles = "1+"\ndays = 28', 'cycles = "2+"\ndays = 28', "cover cycles from 1"),
        ('cycles = "1+"\ndays = 28', 'cycles = "1-3"\ndays = 28', "open-ended"),
        ('sources = ["a book"]', "sources = []", "sources"),
        ('route = "IV"', 'route = "IM"', "route"),
        ('name = "isatuximab"', 'name = "Isatuximab"', "name"),
        ('dose = 10', 'dose = -10', "dose"),
        ('clock_h = 9.0', 'clock_h = 9.0\nafter = "isatuximab"', "must name a drug that is not itself"),
        ('clock_h = 9.0', 'clock_h = 9.0\nafter = "pomalidomide"', "not a drug of this regimen"),
        ('clock_h = 9.0', 'clock_h = 25.0', "clock_h"),
    ],
)
def test_bad_files_are_refused_naming_file_and_field(tmp_path, old, new, where):
    assert old in GOOD
    with pytest.raises(InputError) as e:
        _load(tmp_path, GOOD.replace(old, new, 1))
    msg = str(e.value)
    assert msg.startswith("x.toml") and where in msg, msg


def test_overlapping_blocks_are_refused(tmp_path):
    text = GOOD.replace(
        'doses = [{ cycles = "1+", days = [1, 15], dose = 10, unit = "mg/kg" }]',
        'doses = [{ cycles = "1+", days = [1, 15], dose = 10, unit = "mg/kg" },'
        ' { cycles = "3", days = [15], dose = 10, unit = "mg/kg" }]',
    )
    with pytest.raises(InputError, match=r"cycle 3 day\(s\) \[15\] dosed twice"):
        _load(tmp_path, text)


def test_bad_toml_is_refused(tmp_path):
    with pytest.raises(InputError, match="x.toml: not valid TOML"):
        _load(tmp_path, "id = ")
