"""Trial YAML files: every mistake names the file, the key and what was expected."""

from __future__ import annotations

import pytest
import yaml

import isamm.trials as tr
from isamm.errors import InputError

BASE = tr.load_trial("ICARIA-MM").model_dump(mode="json")


def _write(tmp_path, data, name="trial.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _with(**changes):
    data = yaml.safe_load(yaml.safe_dump(BASE))
    for dotted, value in changes.items():
        node = data
        *head, last = dotted.split("__")
        for key in head:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[last] = value
    return data


def test_shipped_trials_load():
    ids = [t.id for t in tr.list_trials()]
    assert {"ICARIA-MM", "IKEMA", "MM-002", "TED10893", "MARTINO-2025", "MIKHAEL-2021"} <= set(ids)
    assert tr.load_trial("icaria mm").id == "ICARIA-MM"


def test_a_copied_file_loads(tmp_path):
    assert tr.load_trial(_write(tmp_path, BASE)).id == "ICARIA-MM"


@pytest.mark.parametrize(("changes", "key", "message"), [
    ({"arms__0__regimen": "ISA-XX"}, "arms.0.regimen", "unknown regimen"),
    ({"arms__0__n": -5}, "arms.0.n", "out of range: expected a number >= 1, got -5"),
    ({"arms__0__ratio": 3}, None, "randomisation ratio"),
    ({"population__iss": {"I": 0.5, "II": 0.5, "III": 0.5}}, "population", "sum to 1"),
    ({"accrual_months": 30}, None, "data_cutoff_months must be later"),
    ({"population__serum_m_g_dl": {"median": 2.2, "log_sd": 0.8, "min": 0.5, "max": 20.0}}, None,
     "serum_m_g_dl.max must be at most 15 g/dL"),
    ({"population__female": 1.5}, "population.female", "out of range: expected a number <= 1, got 1.5"),
])  # fmt: skip
def test_bad_values_are_named(tmp_path, changes, key, message):
    path = _write(tmp_path, _with(**changes))
    with pytest.raises(InputError, match=message) as exc:
        tr.load_trial(path)
    assert str(path) in str(exc.value)
    if key:
        assert exc.value.column == key


def test_unknown_and_missing_keys(tmp_path):
    data = _with()
    data["arm"] = data.pop("arms")
    with pytest.raises(InputError) as exc:
        tr.load_trial(_write(tmp_path, data))
    assert exc.value.column in {"arm", "arms"}
    assert "unknown key" in str(exc.value) or "missing key" in str(exc.value)


def test_not_yaml_and_not_a_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(InputError, match="not valid YAML"):
        tr.load_trial(bad)
    with pytest.raises(InputError, match="not found"):
        tr.load_trial(tmp_path / "missing.yaml")
    with pytest.raises(InputError, match="unknown trial"):
        tr.load_trial("NO-SUCH-TRIAL")
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(InputError, match="mapping"):
        tr.load_trial(tmp_path / "list.yaml")


def test_overrides_are_checked():
    spec = tr.load_trial("ICARIA-MM")
    assert all(a.n == 10 for a in spec.with_overrides(n_per_arm=10).arms)
    assert spec.with_overrides(follow_up_months=40).data_cutoff_months == 40
    with pytest.raises(InputError, match="option n_per_arm: out of range"):
        spec.with_overrides(n_per_arm=0)
    with pytest.raises(InputError, match="option follow_up_months: data cut-off before the end of accrual"):
        spec.with_overrides(follow_up_months=5)  # before the end of accrual


def test_arm_with_a_regimen_file_next_to_the_trial(tmp_path):
    # a user changes the dose: Isa-Kd with isatuximab 20 mg/kg, as a regimen file beside the trial file
    from importlib import resources

    text = resources.files("isamm").joinpath("data", "regimens", "isa-kd.toml").read_text(encoding="utf-8")
    assert text.count("dose = 10, unit = \"mg/kg\"") == 2
    (tmp_path / "isa-kd-20.toml").write_text(text.replace('id = "ISA-KD"', 'id = "ISA-KD-20"')
                                             .replace("dose = 10, unit = \"mg/kg\"", "dose = 20, unit = \"mg/kg\""))
    data = _with(arms__0__regimen="isa-kd-20.toml")
    spec = tr.load_trial(_write(tmp_path, data))
    assert spec.arms[0].regimen == str(tmp_path / "isa-kd-20.toml")
    from isamm.trials._dosing import arm_dose_events

    import pandas as pd

    ev = arm_dose_events(spec.arms[0].regimen, pd.DataFrame({"age_y": [60], "weight_kg": [70], "height_cm": [170]}), 4)
    assert set(ev.loc[ev["drug"] == "isatuximab", "amount_mg"]) == {1400.0}
    bad = _with(arms__0__regimen="missing.toml")
    with pytest.raises(InputError, match="regimen file"):
        tr.load_trial(_write(tmp_path, bad, "bad.yaml"))
