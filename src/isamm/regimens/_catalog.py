"""The regimen catalog: data files in ``isamm/data/regimens/``, loaded and checked once.

Look-ups are case-insensitive and ignore punctuation, so ``"Isa-Pd"``,
``"IsaPd"`` and ``"isa pd"`` all name ``ISA-PD``; a file may list further
aliases (``"Isa-dex"``). Two regimens may not share a normalised name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources

import pandas as pd
from pydantic import ValidationError

from isamm._toml import load_toml
from isamm._ids import catalog_key
from isamm._pydantic import input_error
from isamm.errors import InputError
from isamm.regimens._patient import Patient
from isamm.regimens._schedule import expand
from isamm.regimens._spec import RegimenSpec

__all__ = ["Regimen", "get", "list_regimens", "load_regimen_file"]



class Regimen:
    """A regimen from the catalog (a validated :class:`RegimenSpec`) that can build calendars.

    Attributes
    ----------
    id, name, sources, spec
        The catalog id (``"ISA-PD"``), its full name, its citations and the
        whole validated data file.
    """

    def __init__(self, spec: RegimenSpec) -> None:
        self.spec = spec

    id = property(lambda self: self.spec.id)
    name = property(lambda self: self.spec.name)
    sources = property(lambda self: self.spec.sources)

    @property
    def drugs(self) -> tuple[str, ...]:
        """Lower-case drug names, in the order of the data file."""
        return tuple(d.name for d in self.spec.drugs)

    def __repr__(self) -> str:
        return f"Regimen({self.id!r}: {self.name})"

    def schedule(
        self,
        patient: Patient,
        cycles: int | None = None,
        weeks: int | None = None,
        start_date: dt.date | str | None = None,
        weight_kg_by_cycle: Sequence[float] | None = None,
    ) -> pd.DataFrame:
        """The dosing calendar for ``patient``: one row per administration.

        Parameters
        ----------
        patient
            A :class:`Patient` (weight kg, height cm for mg/m² doses, age y).
        cycles, weeks
            The horizon; give exactly one. ``cycles=2`` is cycles 1–2; ``weeks=8``
            is study days 1–56. Fixed-duration regimens stop at their last cycle.
        start_date
            Calendar date of study day 1 (``datetime.date`` or ``"YYYY-MM-DD"``);
            adds a ``date`` column.
        weight_kg_by_cycle
            Actual weight (kg) measured before cycles 1, 2, ...; the last value
            carries forward. mg/kg doses follow it (the Sarclisa label re-weighs
            before each cycle); mg/m² doses keep the BSA from ``patient``.
            Default: ``patient.weight_kg`` for every cycle.

        Returns
        -------
        pandas.DataFrame
            Sorted by day and clock time. Columns: ``day`` (study day, day 1 =
            first dose), ``cycle``, ``cycle_day``, ``date`` (only with
            ``start_date``), ``time_h`` (hours from 00:00 of day 1), ``drug``
            (lower case), ``dose_mg``, ``route`` (IV/SC/PO), ``infusion_h``
            (NaN when the source gives no infusion time: oral, SC, IV
            dexamethasone), ``infusion_number`` (per drug course, IV only),
            ``infusion_profile`` (label of the rate profile, or ""),
            ``dose_basis`` (e.g. "10 mg/kg × 70 kg"), ``premedication``.

        Raises
        ------
        InputError
            Bad horizon or date, or a mg/m² dose without ``height_cm``.
        """
        return expand(self.spec, patient, cycles=cycles, weeks=weeks, start_date=start_date,
                      weight_kg_by_cycle=weight_kg_by_cycle)

    def summary(self) -> dict:
        """Catalog entry: ``id``, ``name``, ``drugs``, ``source`` (first citation) and more."""
        return {
            "id": self.id,
            "name": self.name,
            "drugs": list(self.drugs),
            "source": self.sources[0],
            "sources": list(self.sources),
            "aliases": list(self.spec.aliases),
            "setting": self.spec.setting,
            "unverified": list(self.spec.unverified),
            "investigational": self.spec.investigational,
        }


def load_regimen_file(path) -> Regimen:
    """Load and check one regimen data file (a path or a traversable resource).

    Raises
    ------
    InputError
        Naming the file and the offending field.
    """
    name = getattr(path, "name", str(path))
    data = load_toml(path, what="regimen file", name=name)
    try:
        spec = RegimenSpec.model_validate(data)
    except ValidationError as exc:
        raise input_error(exc, file=name) from None
    return Regimen(spec)


@lru_cache(maxsize=1)
def _catalog() -> tuple[dict[str, Regimen], dict[str, str]]:
    regimens: dict[str, Regimen] = {}
    keys: dict[str, str] = {}
    files = sorted(
        (f for f in resources.files("isamm").joinpath("data", "regimens").iterdir() if f.name.endswith(".toml")), key=lambda f: f.name
    )
    for f in files:
        reg = load_regimen_file(f)
        if reg.id in regimens:
            raise InputError(f"regimen id {reg.id} defined twice", file=f.name)
        regimens[reg.id] = reg
        for alias in (reg.id, *reg.spec.aliases):
            k = catalog_key(alias)
            if k is None:
                raise InputError("a name may hold letters, digits, spaces and . _ + / - only", file=f.name,
                                 column="aliases", got=alias)
            if keys.get(k, reg.id) != reg.id:
                raise InputError(f"name {alias!r} already names {keys[k]}", file=f.name, column="aliases")
            keys[k] = reg.id
    return regimens, keys


def list_regimens() -> list[Regimen]:
    """All catalog regimens, sorted by id."""
    regimens, _ = _catalog()
    return [regimens[k] for k in sorted(regimens)]


def get(regimen_id: str) -> Regimen:
    """The catalog regimen named ``regimen_id`` (case-insensitive; aliases accepted).

    Raises
    ------
    InputError
        For an unknown name, listing the known ids.
    """
    regimens, keys = _catalog()
    rid = keys.get(catalog_key(regimen_id))
    if rid is None:
        raise InputError(
            "unknown regimen", option="regimen", expected="one of " + ", ".join(sorted(regimens)), got=regimen_id
        )
    return regimens[rid]
