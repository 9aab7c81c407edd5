"""Virtual trials: user-editable trial definitions, the run from dose to outcome, the evidence base.

>>> import isamm.trials as tr
>>> result = tr.run_trial("ICARIA-MM", seed=1, replicates=2)      # doctest: +SKIP
>>> result.to_dict()["arms"][0]["orr"]                            # doctest: +SKIP

Public names
------------
run_trial, TrialResult
    Replicated virtual trial and its ``to_dict()`` (the ``isamm trial run --json`` contract).
simulate_arm, ArmSimulation
    One arm of one replicate: cohort, simulated labs, IMWG result.
TrialSpec, Arm, load_trial, list_trials, parse_trial
    Trial definitions (YAML; shipped ones in ``isamm/data/trials/``).
write_trial_outputs
    ``report.html``, ``cohort.csv``, ``labs.csv`` and ``result.json`` into a folder, as a whole.
validate, VALIDATE_ROLES, write_validation_outputs, format_value, published_label, quantity_label
    Every `validation` number of the evidence base predicted; its report and the labels of its table.
number_text, prior_lines_text, refractory_text, side_cells
    The published evidence as text (``isamm evidence show|compare`` and the studio).
calibrate, parameter_file_text, sensitivity
    Fit the free disease-model parameters to the `calibration` targets; one parameter's effect on a trial.
"""

from isamm.trials._run import ArmSimulation, simulate_arm, simulate_arms
from isamm.trials._spec import Arm, TrialSpec, list_trials, load_trial, parse_trial
from isamm.trials._calibrate import calibrate, parameter_file_text
from isamm.trials._evidence_text import number_text, prior_lines_text, refractory_text, side_cells
from isamm.trials._report import (
    format_value,
    published_label,
    quantity_label,
    write_trial_outputs,
    write_validation_outputs,
)
from isamm.trials._sensitivity import sensitivity
from isamm.trials._validate import VALIDATE_ROLES, validate
from isamm.trials._trial import TrialResult, run_trial

__all__ = ["number_text", "prior_lines_text", "refractory_text", "side_cells", "validate", "VALIDATE_ROLES", "write_validation_outputs", "format_value", "published_label", "quantity_label", "calibrate",
           "parameter_file_text", "sensitivity", "run_trial", "TrialResult", "simulate_arm", "simulate_arms", "ArmSimulation", "TrialSpec", "Arm", "load_trial",
           "list_trials", "parse_trial", "write_trial_outputs"]
