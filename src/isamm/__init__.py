"""isamm — isatuximab (anti-CD38) therapy in multiple myeloma, from dose to outcome.

Public subpackages: :mod:`isamm.regimens` (regimen catalog, dosing calendars),
:mod:`isamm.pk` (population PK), :mod:`isamm.response` (IMWG 2016 response),
:mod:`isamm.cohort` / :mod:`isamm.outcomes` / :mod:`isamm.report` (cohort statistics).
"""

from importlib.metadata import PackageNotFoundError, version

from isamm.errors import InputError

try:
    __version__ = version("isamm")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0+unknown"

__all__ = ["InputError", "__version__"]
