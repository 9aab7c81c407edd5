"""Which antibody of a regimen to simulate, and with which shipped model (by drug and route)."""

from __future__ import annotations

from isamm.errors import InputError
from isamm.pk._model import PKModel, load_model
from isamm.pk._regimen import get_regimen, regimen_events

__all__ = ["DEFAULT_MODELS", "models_for_routes", "regimen_model"]

#: The shipped model used for each (drug, route) when none is asked for.
DEFAULT_MODELS = {("isatuximab", "IV"): "isatuximab_fau2020", ("daratumumab", "IV"): "daratumumab_xu2020",
                  ("daratumumab", "SC"): "daratumumab_luo2021"}


def regimen_model(regimen: str, weeks: int, drug: str | None = None, model_id: str | None = None) -> tuple[str, PKModel]:
    """The antibody of ``regimen`` (default: its first one) and its PK model.

    Parameters
    ----------
    regimen
        A catalog id, e.g. ``"ISA-PD"``.
    weeks
        Calendar horizon (weeks, ≥ 1); the route of the first dose picks the default model.
    drug
        ``"isatuximab"`` or ``"daratumumab"``; must be in the regimen.
    model_id
        A model id (:func:`isamm.pk.available_models`); default from :data:`DEFAULT_MODELS`.

    Raises
    ------
    InputError
        Naming the parameter (``regimen``, ``drug``, ``weeks``, ``model_id``; the CLI names its flag).
    """
    reg = get_regimen(regimen)
    drugs = [d for d in ("isatuximab", "daratumumab") if d in reg.drugs]
    if drug is None:
        if not drugs:
            raise InputError("regimen has no isatuximab or daratumumab", option="regimen", got=regimen)
        drug = drugs[0]
    elif drug not in drugs:
        raise InputError(f"regimen has no {drug}", option="drug", expected=" or ".join(drugs) or "a regimen with an antibody", got=drug)
    if weeks < 1:
        raise InputError("invalid horizon", option="weeks", expected="an integer >= 1", got=weeks)
    if model_id is None:
        ev = regimen_events(regimen, [70.0], weeks=weeks, drug=drug)
        route = str(ev["route"].iloc[0])
        model_id = DEFAULT_MODELS.get((drug, route))
        if model_id is None:
            raise InputError(f"no shipped model for {drug} {route}", option="model_id")
    model = load_model(model_id)
    if model.drug != drug:
        raise InputError(f"model {model_id} is for {model.drug}", option="model_id", expected=f"a {drug} model", got=model_id)
    return drug, model


def models_for_routes(models, routes) -> tuple[list[str], dict[str, str]]:
    """The models among ``models`` that can simulate doses given by every route in ``routes``, and the others with why.

    A washout after subcutaneous daratumumab cannot be computed with an IV-only model (``pk.washout``
    refuses such a calendar); ``isamm pk washout --model both`` runs the models that fit and says which
    it skipped.
    """
    routes = set(routes)
    kept, skipped = [], {}
    for m in models:
        supported = set(load_model(m).model.routes)
        if routes <= supported:
            kept.append(m)
        else:
            skipped[m] = f"{'/'.join(sorted(supported))}-only model; the history has {'/'.join(sorted(routes))} doses"
    return kept, skipped
