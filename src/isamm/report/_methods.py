"""The methods paragraph and the provenance table of a cohort report.

States what was computed, the R settings it matches, the library versions,
the isamm version, and the input file with its SHA-256, so a reader can
reproduce the numbers.
"""

from __future__ import annotations

import platform
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version

from isamm import __version__
from isamm.report._analysis import CohortAnalysis

__all__ = ["methods_paragraphs", "provenance", "library_versions"]

# what isamm.outcomes and this report actually call (lifelines is a dependency but not used here)
_LIBRARIES = ("numpy", "scipy", "pandas", "statsmodels", "scikit-learn", "matplotlib", "jinja2")


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:  # pragma: no cover - all are dependencies
            out[name] = "not installed"
    return out


def methods_paragraphs(a: CohortAnalysis) -> list[str]:
    cfg = a.config
    unit = cfg.time_unit
    v = library_versions()
    paras = []
    eps = "; ".join(f"{cfg.endpoint_label(k)} (time column {e.time!r}, event column {e.event!r}"
                    + (f", delayed entry {e.entry!r}" if e.entry else "") + ")" for k, e in cfg.endpoints.items())
    paras.append(
        f"Time-to-event endpoints: {eps}; times in {unit}"
        + (" (isamm's convention: 1 month = 30.4375 days)" if unit == "months" else "") + ". "
        "Survival was estimated with the Kaplan–Meier method; pointwise 95% confidence intervals use "
        "Greenwood's variance on the log scale (R survival::survfit, conf.type = \"log\"), and the 95% CI of "
        "the median is the Brookmeyer–Crowley interval read from those curves, as R reports it. "
        + "Median follow-up was estimated by the reverse Kaplan–Meier method (censoring taken as the event; "
        "Schemper & Smith, Control Clin Trials 1996). "
        + (f"Survival is reported at {', '.join(f'{t:g}' for t in cfg.landmarks)} {unit}. " if cfg.landmarks else "")
        + ("Groups were compared with the log-rank test (R survdiff, rho = 0). " if cfg.group else "")
    )
    if cfg.cox is not None:
        paras.append(
            "Hazard ratios come from Cox proportional-hazards models with Efron's method for ties "
            "(R coxph, ties = \"efron\"), Wald 95% confidence intervals and Wald p-values; categorical terms "
            "are named as R names them (e.g. sexM, against the first level). Each covariate was first fitted "
            "alone (univariable), then all together (multivariable). Patients with a missing covariate were left "
            "out of that model (complete cases, R na.action = na.omit). Proportional hazards were checked with the "
            "scaled Schoenfeld residual test of the multivariable model (R cox.zph, transform = \"km\")."
        )
    if cfg.cutoff is not None:
        c = cfg.cutoff
        paras.append(
            f"The optimal cut-off of {c.label or c.marker} for the {cfg.endpoint_label(c.endpoint).lower()} event "
            "(ignoring time) was the threshold maximising Youden's index J = sensitivity + specificity − 1 on "
            "the empirical ROC curve, reported as the midpoint between adjacent observed values; "
            f"values {c.direction} the cut-off were taken to predict the event. The area under the ROC curve is "
            "the Mann–Whitney estimate."
        )
    if cfg.table1 is not None:
        paras.append(
            "Table 1 gives continuous variables as median [interquartile range] and categorical variables as "
            "n (%); groups are compared with the test named in the table (Fisher's exact test for 2×2 tables, "
            "Pearson's χ² otherwise; Wilcoxon rank-sum or Kruskal–Wallis for continuous variables)."
        )
    if cfg.response is not None:
        paras.append("The overall response rate has an exact (Clopper–Pearson) 95% confidence interval"
                     + (f"; it was compared between {cfg.group} groups with Fisher's exact test (two groups) or "
                        "Pearson's χ² test (more)." if cfg.group else ".")
                     + (" Best response was related to covariates by proportional-odds (ordinal logistic) "
                        "regression (R MASS::polr); patients not evaluable (NE) were left out of that model."
                        if cfg.response.covariates else ""))
    paras.append(
        f"Analysis by isamm {__version__} on Python {v['python']}: Kaplan–Meier estimates, log-rank tests and "
        f"Cox models (Newton–Raphson as R coxph.fit) in NumPy {v['numpy']}, ordinal models with statsmodels "
        f"{v['statsmodels']}, ROC curves with "
        f"scikit-learn {v['scikit-learn']}, exact and rank tests with SciPy {v['scipy']}, tables with pandas "
        f"{v['pandas']}, figures with matplotlib {v['matplotlib']}; these estimates are compared with R "
        "(survival, MASS, stats) in isamm's test suite. "
        f"Input file {a.cohort_file.name} (SHA-256 {a.sha256}). A p-value ≤ 0.05 was considered significant; "
        "no adjustment for multiple comparisons was made."
    )
    return paras


def provenance(a: CohortAnalysis, generated: datetime) -> list[tuple[str, str]]:
    rows = [("input file", a.cohort_file.name), ("input SHA-256", a.sha256), ("rows", str(len(a.frame))),
            ("config", a.config.source.name if a.config.source else "(in memory)"),
            ("generated", generated.isoformat()), ("isamm", __version__)]
    rows += list(library_versions().items())
    return rows
