"""Which PK engine runs: ``"numpy"`` (the reference), ``"jax"`` (compiled), or ``"auto"`` (the default).

``"auto"`` picks JAX when it is importable and the work is large enough for compiling to pay,
NumPy otherwise. The rule depends only on the size of the work, never on the machine's state
(what is in the compilation cache, what is already imported), so the same call always runs the
same engine and gives the same numbers. Both engines agree within 1e-5 where C > 1 µg/mL (the
stated accuracy is 1e-4; tests/pk/test_pk_engine_jax.py), and the seed gives the same patients on either.

Why :data:`AUTO_JAX_PATIENT_YEARS` = 500 (benchmarks/README.md, "Choosing the engine"; 2 cores,
new processes, label isatuximab population, 52 weeks): NumPy took 0.42 s for 5 patients
(its lockstep loop costs the slowest patient's steps), 0.84 s for 100 and 2.1 s for 1,000
patient-years; JAX took 0.87 s to import, then 0.34 / 0.50 / 0.83 s for the first call with the
kernel cached (2.7 / 3.6 / 4.8 s on an empty cache: compiling, once per machine and calendar size)
and 0.05 / 0.13 / 0.55 s for later calls. So in a new process JAX breaks even near 500
patient-years with a warm cache (~2,000 on the very first run), and wins from there on.
"""

from __future__ import annotations

from isamm.errors import InputError

__all__ = ["BACKENDS", "AUTO_JAX_PATIENT_YEARS", "resolve_backend", "jax_available"]

#: Accepted values of every ``backend`` argument and ``--backend`` option.
BACKENDS = ("auto", "numpy", "jax")
#: ``backend="auto"`` runs JAX from this much work on (patients × years integrated, in one run).
AUTO_JAX_PATIENT_YEARS = 500.0
_HOURS_PER_YEAR = 365.25 * 24.0


def jax_available() -> bool:
    """Whether the JAX engine can be imported (JAX is a dependency; a broken or absent install gives False)."""
    import importlib

    try:
        importlib.import_module("isamm.pk._engine_jax")
    except ImportError:
        return False
    return True


def resolve_backend(backend: str, patient_hours: float) -> str:
    """The engine that runs: ``"numpy"`` or ``"jax"``.

    Parameters
    ----------
    backend
        ``"auto"``, ``"numpy"`` or ``"jax"``.
    patient_hours
        The work of the whole run: patients × hours integrated (h), summed over every call that
        the run makes, so that one run uses one engine.

    Raises
    ------
    InputError
        An unknown backend, or ``"jax"`` without JAX.
    """
    if backend not in BACKENDS:
        raise InputError("unknown backend", option="backend", expected=" or ".join(BACKENDS), got=backend)
    if backend == "numpy":
        return "numpy"
    if backend == "jax":
        if not jax_available():
            raise InputError("the jax backend needs JAX (a dependency of isamm)", option="backend",
                             expected="pip install jax")
        return "jax"
    if patient_hours / _HOURS_PER_YEAR >= AUTO_JAX_PATIENT_YEARS and jax_available():
        return "jax"
    return "numpy"
