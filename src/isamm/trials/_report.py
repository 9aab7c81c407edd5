"""Writing a virtual trial's outputs: report, simulated cohort and labs, JSON, figures.

::

    report.html   self-contained: arms beside the published numbers, KM of PFS and OS by arm (published
                  medians marked), best-response bars, isatuximab concentrations, parameters and provenance
    result.json   TrialResult.to_dict() (the ``isamm trial run --json`` contract)
    cohort.csv    replicate 1, one row per patient (``isamm km`` / ``isamm cohort report`` read it)
    labs.csv      replicate 1, the simulated visits (``isamm response assess labs.csv --config response.toml``
                  gives the cohort's responses again)
    response.toml the IMWG engine settings the trial used (measurability from its eligibility, ...)
    figures/      the figures as PNG and SVG

Everything is written into a temporary folder first. A new output folder appears whole (one
rename); into an existing folder the files are moved one by one, figures first and the report
last, so a failure leaves the earlier outputs untouched and no half-written file behind.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from isamm import __version__
from isamm._io import staged_folder, to_json
from isamm.outcomes import kaplan_meier
from isamm.pk import population_band
from isamm.report import Block, FigureRef, Section, Table, fmt_num, fmt_pct, house_style, km_plot, render_html, save_figure
from isamm.trials._trial import TrialResult
from isamm.trials._validate import VALIDATE_ROLES

__all__ = ["write_trial_outputs"]



def write_trial_outputs(result: TrialResult, output_dir: str | os.PathLike[str]) -> dict:
    """Write the output folder of a trial run; returns ``result.to_dict()``."""
    data = result.to_dict()
    with staged_folder(output_dir) as staging:  # the whole set appears, or nothing changes
        (staging / "figures").mkdir()
        figures = _figures(result, data, staging / "figures")
        (staging / "result.json").write_text(to_json(data) + "\n", encoding="utf-8")
        result.cohort().to_csv(staging / "cohort.csv", index=False)
        result.labs().to_csv(staging / "labs.csv", index=False)
        (staging / "response.toml").write_text(_response_toml(result), encoding="utf-8")
        html = render_html(title=f"Virtual trial {result.spec.id}", sections=_sections(result, data, figures),
                           methods=_methods(result), meta=_meta(result, data))
        (staging / "report.html").write_text(html, encoding="utf-8")
    return data


def _response_toml(result: TrialResult) -> str:
    from isamm.response import load_config
    from isamm.trials._run import response_settings

    cfg = load_config(response_settings(result.spec)).model_dump()
    lines = [f"# IMWG engine settings of the virtual trial {result.spec.id} (isamm {__version__})",
             "# isamm response assess labs.csv --config response.toml"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in cfg.items() if v is not None]
    return "\n".join(lines) + "\n"


def _published_arm(data: dict, arm: str) -> dict:
    pub = data.get("published") or {}
    return (pub.get("arms") or {}).get(arm) or {}


def _pub_value(entry: dict | None):
    if not entry:
        return None
    if entry.get("not_reached"):
        return float("inf")
    return entry.get("value")


def _figures(result: TrialResult, data: dict, folder: Path) -> dict[str, FigureRef]:
    import matplotlib.pyplot as plt

    cohort = result.cohort()
    figs = {}
    for key, label in (("pfs", "Progression-free survival"), ("os", "Overall survival")):
        km = kaplan_meier(cohort[f"{key}_months"], cohort[f"{key}_event"], group=cohort["arm"])
        with house_style():
            fig = km_plot(km, ylabel=f"{label} (probability)", xlabel="Months from the first dose (1 month = 30.4375 days)",
                          title=f"{result.spec.id}: {label.lower()}, replicate 1 (simulated)")
            ax = fig.axes[0]
            marked = False
            for arm in result.spec.arms:
                v = _pub_value(_published_arm(data, arm.id).get(f"median_{key}_months"))
                if v is not None and np.isfinite(v):
                    ax.plot([v], [0.5], marker="D", color="black", ms=6, ls="none",
                            label="published median" if not marked else None)
                    ax.annotate(f"{arm.id}: {v:g}", (v, 0.5), textcoords="offset points", xytext=(4, 6), fontsize=7)
                    marked = True
            if marked:
                ax.legend(fontsize=8, loc="upper right")
        paths = save_figure(fig, folder / f"km_{key}")
        plt.close(fig)
        figs[key] = FigureRef(f"km-{key}", f"Kaplan–Meier {label.lower()} by arm (replicate 1); diamonds: published medians",
                              paths[0], [f"figures/{p.name}" for p in paths])
    figs["response"] = _response_figure(result, data, folder)
    pk = _pk_figure(result, folder)
    if pk is not None:
        figs["pk"] = pk
    return figs


_LEVELS = ("sCR", "CR", "VGPR", "PR", "MR", "SD", "PD", "NE")
_COLOURS = ("#08306b", "#2171b5", "#6baed6", "#c6dbef", "#fdd0a2", "#d9d9d9", "#ef3b2c", "#969696")


def _response_figure(result: TrialResult, data: dict, folder: Path) -> FigureRef:
    import matplotlib.pyplot as plt

    arms = [a.id for a in result.spec.arms]
    cohort = result.cohort()
    with house_style():
        fig, ax = plt.subplots(figsize=(7.5, 0.6 + 0.7 * len(arms)), layout="constrained")
        for y, arm in enumerate(arms):
            best = cohort.loc[cohort["arm"] == arm, "best_response"]
            left = 0.0
            for level, colour in zip(_LEVELS, _COLOURS):
                share = float((best == level).mean())
                ax.barh(y, share, left=left, color=colour, edgecolor="white", label=level if y == 0 else None)
                left += share
            pub = _published_arm(data, arm)
            for key, marker in (("orr", "|"), ("vgpr_or_better", "x")):
                v = _pub_value(pub.get(key))
                if v is not None:
                    ax.plot([v], [y], marker=marker, color="black", ms=14, mew=2, ls="none",
                            label=("published ORR" if key == "orr" else "published ≥VGPR") if y == 0 else None)
        ax.set_yticks(range(len(arms)), arms)
        ax.set_xlim(0, 1)
        ax.set_xlabel("Share of patients, best confirmed response (replicate 1, simulated)")
        ax.invert_yaxis()
        ax.legend(ncol=5, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.35 if len(arms) < 3 else -0.2))
    paths = save_figure(fig, folder / "response")
    plt.close(fig)
    return FigureRef("response", "Best confirmed IMWG response by arm, from left (sCR) to right (NE); "
                     "marks: published ORR (|) and ≥VGPR (x)", paths[0], [f"figures/{p.name}" for p in paths])


def _pk_figure(result: TrialResult, folder: Path) -> FigureRef | None:
    import matplotlib.pyplot as plt

    curves = [(s.arm, s.times_days, s.conc_ug_ml) for s in result.first if s.conc_ug_ml is not None]
    if not curves:
        return None
    with house_style():
        fig, ax = plt.subplots(figsize=(7.5, 4.0), layout="constrained")
        for arm, t, c in curves:
            followed = np.isfinite(c).sum(axis=0) >= max(5, c.shape[0] // 10)  # NaN after a patient's cut-off
            t, c = t[followed], c[:, followed]
            med, p5, p95 = population_band(c, 90.0, skip_nan=True)
            (line,) = ax.plot(t / 7.0, med, lw=1.4, label=f"{arm}: median")
            ax.fill_between(t / 7.0, p5, p95,
                            color=line.get_color(), alpha=0.2, lw=0, label=f"{arm}: 5th–95th percentile")
        ax.set_xlabel("Weeks from the first dose")
        ax.set_ylabel("Isatuximab (µg/mL)")
        ax.legend(fontsize=8)
    paths = save_figure(fig, folder / "pk_isatuximab")
    plt.close(fig)
    return FigureRef("pk", "Isatuximab concentration (Fau 2020 model), replicate 1: median and 5th–95th percentile; "
                     "each patient's doses stop at discontinuation or the data cut-off; patients leave the band at their cut-off",
                     paths[0], [f"figures/{p.name}" for p in paths])


def _fmt_pub(entry: dict | None, pct: bool) -> str:
    if not entry:
        return "—"
    if entry.get("not_reached"):
        return "NR"
    v = entry.get("value")
    text = fmt_pct(v) if pct else fmt_num(v)
    lo, hi = entry.get("ci_low"), entry.get("ci_high")
    if lo is not None and hi is not None:
        text += f" ({fmt_pct(lo) if pct else fmt_num(lo)}–{fmt_pct(hi) if pct else fmt_num(hi)})"
    role = entry.get("role")
    return f"{text} [{role}]" if role else text


def _fmt_sim(value, rng, pct: bool) -> str:
    f = fmt_pct if pct else fmt_num
    text = f(value)
    if rng is not None:
        text += f" ({f(rng[0])}–{f(rng[1])})"
    return text


_ROWS = (("ORR, %", "orr", "orr_range", True), ("≥VGPR, %", "vgpr_or_better", None, True),
         ("≥CR, %", "cr_or_better", None, True), ("Median PFS, months", "median_pfs_months", "median_pfs_range", False),
         ("Median OS, months", "median_os_months", "median_os_range", False),
         ("Median treatment, weeks", "median_treatment_weeks", None, False),
         ("Median follow-up (reverse KM), months", "median_follow_up_months", None, False))  # fmt: skip


def _sections(result: TrialResult, data: dict, figures: dict[str, FigureRef]) -> list[Section]:
    columns = ["", *(f"{a['arm']} simulated" for a in data["arms"]), *(f"{a['arm']} published" for a in data["arms"])]
    rows = []
    for label, key, rkey, pct in _ROWS:
        sim = [_fmt_sim(a[key], a.get(rkey) if rkey else None, pct) for a in data["arms"]]
        pub = [_fmt_pub(_published_arm(data, a["arm"]).get(key), pct) for a in data["arms"]]
        rows.append([label, *sim, *pub])
    for t in ("12",):
        for key, label in (("pfs_at_months", "PFS"), ("os_at_months", "OS")):
            sim = [fmt_pct(a[key].get(t)) for a in data["arms"]]
            pub = [_fmt_pub((_published_arm(data, a["arm"]).get(key) or {}).get(t), True) for a in data["arms"]]
            rows.append([f"{label} at {t} months, %", *sim, *pub])
    arms_table = Table(columns, rows, caption="Arms: simulated (median over replicates, 2.5–97.5% replicate range) "
                       "and published (95% CI unless stated) [role in isamm]")  # fmt: skip
    blocks = [Block(tables=[arms_table])]
    for key in ("hr_pfs", "hr_os"):
        hr = data.get(key)
        if hr:
            pub = (data.get("published") or {}).get(key)
            blocks.append(Block(paragraphs=[
                f"{'PFS' if key == 'hr_pfs' else 'OS'} hazard ratio {hr['arms'][0]} vs {hr['arms'][1]}: simulated "
                f"{fmt_num(hr['hr'], 3)} (replicate range {fmt_num(hr['range'][0], 3)}–{fmt_num(hr['range'][1], 3)}); "
                f"published {_fmt_pub(pub, False) if pub else '—'}."]))
    status = result.parameters.status
    intro = [f"{result.spec.name}. {result.replicates} replicate trial(s) of the published size, seed {result.seed}.",
             f"Disease-model parameters: {result.parameters.model_id} ({status}). "
             + ("These are uncalibrated starting values: the simulation shows what the machine does, not a "
                "prediction of the trial." if "uncalibrated" in status else "")]
    sections = [Section("arms", "Simulated and published results", intro, blocks)]
    sections.append(Section("figures", "Figures", [], [Block(figures=[figures[k] for k in ("pfs", "os", "response", "pk")
                                                                        if k in figures])]))
    params = result.parameters.spec["parameters"]
    prow = [[name, f"{p['value']:g}", p["unit"], p["tag"], p["role"], p["source"]] for name, p in params.items()]
    sections.append(Section("parameters", "Disease-model parameters", [],
                            [Block(tables=[Table(["parameter", "value", "unit", "tag", "role", "source"], prow)])]))
    return sections


def _methods(result: TrialResult) -> list[str]:
    spec = result.spec
    return [
        "Each arm's patients were drawn to match the trial's baseline table (Gaussian copula on the published "
        "marginals), dosed from the regimen catalog until discontinuation or the data cut-off, with isatuximab "
        "concentrations from the Fau 2020 population PK model. Serum M-protein followed a Claret tumour-growth-"
        "inhibition model (isatuximab Emax on concentration, K-PD partner drugs, acquired resistance, log-normal "
        "between-patient variability).",
        f"Serum M-protein was observed every {spec.assessment_interval_days:g} days with proportional and additive "
        "error and a detection limit, immunofixation and marrow when the spike was not quantifiable. Responses and "
        "progression were scored by isamm's IMWG 2016 engine, the same code that scores real labs; PFS adds deaths "
        "and non-M-protein progression (new lesions), OS a post-progression survival model.",
        f"Accrual was uniform over {spec.accrual_months:g} months and the data cut-off {spec.data_cutoff_months:g} "
        "months after the first patient. Statistics: Kaplan–Meier (R survfit conventions), Cox model with Efron ties "
        "(first arm vs second), ORR with Clopper–Pearson intervals. One month = 30.4375 days.",
        "Cross-trial caveat: published numbers come from their own populations and analyses; the simulated trial "
        "shares only what its YAML file states.",
    ]


def _meta(result: TrialResult, data: dict) -> dict:
    generated = datetime.now(timezone.utc).replace(microsecond=0)
    p = result.parameters
    return {
        "isamm_version": __version__,
        "generated": generated.strftime("%Y-%m-%d %H:%M UTC"),
        "input_file": f"{result.spec.id} (simulated, replicate 1)",
        "n_patients": int(sum(a.n for a in result.spec.arms)),
        "provenance": [
            ("isamm version", __version__), ("seed", str(result.seed)), ("replicates", str(result.replicates)),
            ("trial", result.spec.id), ("data cut-off (months)", f"{result.spec.data_cutoff_months:g}"),
            ("disease model", f"{p.model_id} — {p.status}"), ("parameter file", p.path),
            ("parameter file SHA-256", p.sha256), ("PK model", "isatuximab_fau2020 (Fau 2020, doi:10.1002/psp4.12561)"),
            ("PK backend", result.backend), ("generated", generated.isoformat()),
        ],
    }


def write_validation_outputs(result, output_dir: str | os.PathLike[str]) -> dict:
    """``validation.html`` (table, forest plot of published CI vs prediction interval, KM of each validation
    trial with its published medians), ``validation.json`` and ``figures/`` into ``output_dir`` (as a whole).
    A calibration check (``validate(role="calibration")``) writes ``calibration.html`` and ``calibration.json``."""
    import matplotlib.pyplot as plt

    doc = result.to_dict()
    role = doc.get("role", "validation")
    fitted = role == "calibration"
    what = VALIDATE_ROLES[role]
    with staged_folder(output_dir) as staging:  # the whole set appears, or nothing changes
        figdir = staging / "figures"
        figdir.mkdir()
        figures = [_forest(doc, figdir)]
        for trial, res in result.results.items():
            data = res.to_dict()
            for key, label in (("pfs", "PFS"), ("os", "OS")):
                km = kaplan_meier(res.cohort()[f"{key}_months"], res.cohort()[f"{key}_event"], group=res.cohort()["arm"])
                with house_style():
                    fig = km_plot(km, ylabel=f"{label} (probability)", xlabel="Months (1 month = 30.4375 days)",
                                  title=f"{trial}: {label}, replicate 1 " + ("(calibrated on these trials)" if fitted
                                                                                else "(predicted, never fitted)"))
                    ax = fig.axes[0]
                    for arm in res.spec.arms:
                        v = _pub_value(_published_arm(data, arm.id).get(f"median_{key}_months"))
                        if v is not None and np.isfinite(v):
                            ax.plot([v], [0.5], marker="D", color="black", ms=6, ls="none")
                            ax.annotate(f"published {arm.id}: {v:g}", (v, 0.5), textcoords="offset points",
                                        xytext=(4, 6), fontsize=7)
                paths = save_figure(fig, figdir / f"km_{key}_{trial.lower()}")
                plt.close(fig)
                figures.append(FigureRef(f"km-{key}-{trial}", f"{trial}: Kaplan–Meier {label} of replicate 1; "
                                         "diamonds: published medians", paths[0], [f"figures/{p.name}" for p in paths]))
        rows = [[r["trial"], r["arm"] or "—", quantity_label(r), published_label(r),
                 "—" if r["published_ci"] is None else "–".join(format_value(x, r["quantity"]) for x in r["published_ci"]),
                 format_value(r["predicted"], r["quantity"]),
                 "–".join(format_value(x, r["quantity"]) for x in r["prediction_interval"]),
                 {True: "yes", False: "MISS", None: "—"}[r["covered"]]] for r in doc["targets"]]
        table = Table(["trial", "arm", "quantity", "published", "published CI", "predicted", "prediction interval",
                       "covered"], rows, caption=f"{'Calibration' if fitted else 'Validation'} targets: {doc['summary']['covered']} of "
                       f"{doc['summary']['targets']} published values inside the replicate 2.5–97.5% range")  # fmt: skip
        status = doc["parameters"]["status"]
        paragraphs = [f"Parameters: {doc['parameters']['model']} ({status}); seed {doc['seed']}, "
                      f"{doc['replicates']} replicate trials of each published size. " + (
                          "These are the numbers the parameters were calibrated on (one large virtual trial against "
                          "each published CI); here each trial is rerun at its real size, and a miss says the "
                          "published result is not one such a trial would show if the model were true."
                          if fitted else "Nothing here was fitted to these numbers: they are predictions, and a miss "
                          "is a finding about the model.")]
        if "uncalibrated" in status:
            paragraphs.append("These parameters are uncalibrated starting values: misses say little about the "
                              "model structure until it is calibrated on the calibration targets.")
        sections = [Section(role, "Predicted vs published", paragraphs, [Block(tables=[table])]),
                    Section("figures", "Figures", [], [Block(figures=figures)])]
        methods = [f"Each {role} trial was simulated at its published size, replicate by replicate, from its trial "
                   "file and the parameter file as shipped. The prediction interval is the 2.5–97.5% range of the "
                   "replicates: the spread of results a real trial of that size would show if the model were true; "
                   "'covered' says whether the published value falls inside it."]
        meta = {"isamm_version": __version__, "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                "input_file": f"{role} targets of the evidence base", "n_patients": doc["summary"]["targets"],
                "provenance": [("isamm version", __version__), ("seed", str(doc["seed"])),
                               ("replicates", str(doc["replicates"])), ("PK backend", str(doc.get("backend"))),
                               ("parameter file", doc["parameters"]["file"]),
                               ("parameter file SHA-256", doc["parameters"]["sha256"])]}  # fmt: skip
        html = render_html(title=f"isamm {what}: predicted vs published", sections=sections, methods=methods,
                           meta=meta)
        (staging / f"{role}.json").write_text(to_json(doc) + "\n", encoding="utf-8")
        (staging / f"{role}.html").write_text(html, encoding="utf-8")
    return doc


def published_label(r: dict) -> str:
    """The published value as printed: a median not reached reads "> bound"."""
    if r.get("published_greater_than") is not None:
        return "> " + format_value(r["published_greater_than"], r["quantity"])
    return format_value(r["published"], r["quantity"])


def quantity_label(r: dict) -> str:
    q = r["quantity"]
    sg = r.get("subgroup")
    if sg:
        side = "<" if sg["side"] == "below" else "≥"
        q += f" ({side} {sg['threshold']:g} months since daratumumab)"
    return q


def format_value(x, quantity: str) -> str:
    if x is None:
        return "NR" if quantity.startswith("median") else "—"
    if quantity.startswith(("orr", "vgpr", "cr_", "dcr", "pfs_at", "os_at")):
        return f"{100 * x:.1f}%"
    return f"{x:.3g}" if quantity.startswith("hr") else f"{x:.1f}"


def _forest(doc: dict, folder: Path) -> FigureRef:
    import matplotlib.pyplot as plt

    rows = doc["targets"]
    groups = [("proportions", [r for r in rows if r["quantity"].startswith(("orr", "vgpr", "cr_", "dcr", "pfs_at",
                                                                             "os_at"))], "share of patients"),
              ("medians", [r for r in rows if r["quantity"].startswith("median") and r["quantity"].endswith("_months")],
               "months"),
              ("treatment duration", [r for r in rows if r["quantity"] == "median_treatment_weeks"], "weeks"),
              ("hazard ratios", [r for r in rows if r["quantity"].startswith("hr")], "hazard ratio")]  # fmt: skip
    groups = [g for g in groups if g[1]]
    heights = [max(1.0, 0.32 * len(g[1])) for g in groups]
    with house_style():
        fig, axes = plt.subplots(len(groups), 1, figsize=(8.0, 1.0 + sum(heights)), layout="constrained",
                                 gridspec_kw={"height_ratios": heights}, squeeze=False)
        for ax, (title, items, unit) in zip(axes[:, 0], groups):
            for y, r in enumerate(items):
                lo, hi = r["prediction_interval"]
                if lo is not None:
                    ax.plot([lo, hi if hi is not None else ax.get_xlim()[1]], [y, y], color="#6baed6", lw=6,
                            solid_capstyle="butt", label="prediction interval" if y == 0 else None)
                if r["predicted"] is not None:
                    ax.plot([r["predicted"]], [y], "o", color="#08519c", ms=4, label="predicted" if y == 0 else None)
                if r.get("published_greater_than") is not None:  # not reached: the median lies beyond this
                    ax.plot([r["published_greater_than"]], [y], ">", color="black" if r["covered"] else "#cb181d",
                            ms=6)
                if r["published"] is not None:
                    if r["published_ci"]:
                        ax.plot(r["published_ci"], [y, y], color="black", lw=1)
                    ax.plot([r["published"]], [y], "D", color="black" if r["covered"] else "#cb181d", ms=5,
                            label="published (red: outside)" if y == 0 else None)
            ax.set_yticks(range(len(items)), [f"{r['trial']} {r['arm'] or ''} {quantity_label(r)}" for r in items],
                          fontsize=7)
            ax.invert_yaxis()
            ax.set_xlabel(unit)
            ax.set_title(title, fontsize=9, loc="left")
        axes[0, 0].legend(fontsize=7, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=3, frameon=False)
    paths = save_figure(fig, folder / "forest")
    plt.close(fig)
    return FigureRef("forest", "Published value (diamond, with its CI where published; red outside the interval) "
                     "and the predicted replicate 2.5–97.5% range (bar, dot = median)", paths[0],
                     [f"figures/{p.name}" for p in paths])
