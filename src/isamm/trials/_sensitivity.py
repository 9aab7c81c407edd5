"""One-at-a-time sensitivity of a virtual trial to a disease-model parameter.

The same virtual patients (same seed: common random numbers) are run with each value of one
parameter, so the differences between rows come from the parameter alone. Meant for the
parameters fixed a priori (EC50, the death hazards, the prior-daratumumab module, ...): it shows
which conclusions rest on a choice rather than on data.
"""

from __future__ import annotations

from isamm.disease import load_parameters
from isamm._constraints import FOLLOW_UP_MONTHS, N_PER_ARM, REPLICATES, SEED, VALUES, constrained
from isamm.errors import InputError
from isamm.trials._trial import run_trial

__all__ = ["sensitivity"]

_KEYS = ("orr", "vgpr_or_better", "dcr", "median_pfs_months", "median_os_months", "median_treatment_weeks")


@constrained(values=VALUES, seed=SEED, replicates=REPLICATES, n_per_arm=N_PER_ARM, follow_up_months=FOLLOW_UP_MONTHS)
def sensitivity(trial, parameter: str, values, *, seed: int, replicates: int = 1, n_per_arm: int | None = None,
                follow_up_months: float | None = None, parameters=None, backend: str = "auto",
                progress=None, client=None) -> dict:
    """Run ``trial`` once per value of ``parameter`` (others as in the parameter file).

    Returns ``{"trial", "parameter", "unit", "role", "tag", "source", "base_value", "seed", "replicates",
    "rows": [{"value", "arms": [{"arm", "orr", "vgpr_or_better", "dcr", "median_pfs_months",
    "median_os_months", "median_treatment_weeks"}], "hr_pfs", "hr_os"}]}`` (medians over replicates).
    """
    base = load_parameters(parameters)
    if parameter not in base.values:
        raise InputError("unknown disease-model parameter", option="parameter",
                         expected="one of " + ", ".join(base.values), got=parameter)  # fmt: skip
    vals = [float(v) for v in (values.split(",") if isinstance(values, str) else values)]
    spec = base.spec["parameters"][parameter]
    rows = []
    every = []
    for v in vals:  # every value checked before the first run: no run is wasted on a later typo
        try:
            every.append(base.with_values(**{parameter: v}))
        except InputError as exc:
            raise InputError(f"{parameter} = {v:g}: {exc.detail}", option="values", expected=exc.expected,
                             got=exc.got) from None
    for i, v in enumerate(vals):
        params = every[i]
        res = run_trial(trial, seed=seed, replicates=replicates, n_per_arm=n_per_arm,
                        follow_up_months=follow_up_months, parameters=params, backend=backend, client=client)
        d = res.to_dict()
        rows.append({"value": v, "arms": [{"arm": a["arm"], **{k: a[k] for k in _KEYS}} for a in d["arms"]],
                     "hr_pfs": (d["hr_pfs"] or {}).get("hr"), "hr_os": (d["hr_os"] or {}).get("hr")})
        if progress is not None:
            progress(i + 1, len(vals))
    return {"trial": res.spec.id, "parameter": parameter, "unit": spec["unit"], "role": spec["role"],
            "tag": spec["tag"], "source": spec["source"], "base_value": base[parameter], "seed": seed,
            "replicates": replicates, "rows": rows}
