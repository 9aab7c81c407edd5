"""One rule for matching a user's name to a catalog id (regimens, trials)."""

import pytest
from hypothesis import given, strategies as st

from isamm import regimens
from isamm._ids import catalog_key
from isamm.errors import InputError
from isamm.trials import load_trial


@pytest.mark.parametrize("name", ["ISA-PD", "isa-pd", "Isa Pd", "isa_pd", "IsaPd", " isa.pd "])
def test_spellings_of_one_regimen(name):
    assert regimens.get(name).id == "ISA-PD"


def test_aliases_with_plus_and_trials():
    assert regimens.get("Pom+LoDex").id == "POM-LODEX"
    assert load_trial("icaria mm").id == "ICARIA-MM" and load_trial("mm_002").id == "MM-002"


@pytest.mark.parametrize("name", ["ISA\nPD", "ISA\tPD", "ISA[PD]", "-ISA-PD", ""])
def test_other_characters_match_nothing(name):
    with pytest.raises(InputError, match="unknown regimen"):
        regimens.get(name)


@given(st.text(max_size=30))
def test_a_key_is_none_or_plain_uppercase(name):
    key = catalog_key(name)
    assert key is None or (key.isalnum() and key == key.upper() and key.isascii())
