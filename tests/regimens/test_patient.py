"""Patient validation and Mosteller body surface area."""

from __future__ import annotations

import math

import pytest

from isamm.errors import InputError
from isamm.regimens import Patient, bsa_mosteller


def test_mosteller_by_hand():
    # Mosteller 1987: BSA = sqrt(height_cm * weight_kg / 3600).
    # 170 cm, 70 kg: 11900 / 3600 = 3.305556, sqrt = 1.818119 m^2 (hand calculation).
    assert bsa_mosteller(170, 70) == pytest.approx(1.818119, abs=5e-7)
    # 160 cm, 90 kg: 14400 / 3600 = 4 exactly -> 2 m^2.
    assert bsa_mosteller(160, 90) == 2.0
    assert Patient(weight_kg=90, height_cm=160, age_y=60).bsa_m2 == 2.0


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("weight_kg", -5, "option weight_kg: out of range: expected a number from 20 to 350, got -5"),
        ("weight_kg", 0, "from 20 to 350"),
        ("weight_kg", 700, "from 20 to 350"),
        ("weight_kg", math.nan, "from 20 to 350"),
        ("height_cm", 1.7, "option height_cm: out of range: expected a number from 100 to 250, got 1.7"),
        ("age_y", 7, "option age_y: out of range: expected a number from 18 to 120"),
        ("age_y", "old", "option age_y"),
        ("sex", "x", "option sex: invalid value: expected 'F' or 'M', got 'x'"),
    ],
)
def test_implausible_values_name_the_field(field, value, expected):
    kw = {"weight_kg": 70, "height_cm": 170, "age_y": 60}
    kw[field] = value
    with pytest.raises(InputError) as e:
        Patient(**kw)
    assert expected in str(e.value)


def test_missing_age_is_named():
    with pytest.raises(InputError, match="option age_y: missing"):
        Patient(weight_kg=70)


def test_sex_spellings_and_height_optional():
    assert Patient(weight_kg=70, age_y=60, sex="female").sex == "F"
    assert Patient(weight_kg=70, age_y=60, sex="m").sex == "M"
    with pytest.raises(InputError, match="option height_cm: needed for a dose in mg/m"):
        Patient(weight_kg=70, age_y=60).bsa_m2
