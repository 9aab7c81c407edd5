"""``cohort_report``: one call from a cohort file and a config to a finished report folder.

Writes, into the output folder::

    report.html      self-contained (figures embedded as base64 PNG, inline CSS, no JS)
    results.json     every number in the report, as the isamm.outcomes results' to_dict()
    figures/*.png    the figures, 200 dpi
    figures/*.svg    the same figures as vector graphics

Everything is first written into a temporary folder beside the output and then
moved into place file by file with ``os.replace``: a failure part-way leaves
the previous outputs untouched and no half-written file behind.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

from isamm import __version__
from isamm._io import staged_folder, to_json, writing
from isamm.errors import InputError
from isamm.outcomes import zph_records
from isamm.report._analysis import CohortAnalysis, NotEstimable, run_analysis
from isamm.report._config import AnalysisConfig, load_config
from isamm.report._figures import save_figure
from isamm.report._forest import forest_plot
from isamm.report._html import FigureRef, render_html
from isamm.report._km import km_plot
from isamm.report._methods import methods_paragraphs, provenance
from isamm.report._roc import roc_plot
from isamm.report._sections import build_sections

__all__ = ["cohort_report"]


def cohort_report(config: AnalysisConfig | str | os.PathLike[str], output_dir: str | os.PathLike[str], *,
                  cohort: str | os.PathLike[str] | None = None) -> dict:
    """Run the analysis ``config`` describes and write the report folder.

    Parameters
    ----------
    config
        An :class:`AnalysisConfig` or the path of its TOML file.
    output_dir
        Folder for ``report.html``, ``results.json`` and ``figures/``; created
        if missing; files of the same names in it are replaced.
    cohort
        The cohort file; overrides ``cohort`` in the config.

    Returns
    -------
    dict
        The content of ``results.json``: ``title``, ``isamm_version``, ``generated``,
        ``input`` (file, sha256, n_rows), ``config``, ``table1``, ``response``, ``response_model``, ``response_by_group``,
        ``endpoints`` (per key: label, km, follow_up, km_by_group, logrank, cox_univariable,
        cox_multivariable, cox_zph), ``cutoff`` and ``figures`` (id → relative paths). Each
        statistics entry is the matching ``isamm.outcomes`` result's ``to_dict()``.
    """
    cfg = config if isinstance(config, AnalysisConfig) else load_config(config)
    path = Path(cohort) if cohort is not None else cfg.cohort
    if path is None:
        raise InputError("no cohort file given", option="cohort",
                         expected="a cohort file argument or 'cohort' in the config")
    if not path.is_file():
        raise InputError("cohort file not found", file=str(path))
    output_dir = Path(output_dir)
    if output_dir.exists() and not output_dir.is_dir():
        raise InputError("output exists and is not a folder", option="output_dir", got=str(output_dir))

    analysis = run_analysis(cfg, path)
    generated = datetime.now(timezone.utc).replace(microsecond=0)
    with writing(output_dir):  # the report creates missing parent folders
        output_dir.parent.mkdir(parents=True, exist_ok=True)
    with staged_folder(output_dir) as staging:  # the whole set appears, or nothing changes
        (staging / "figures").mkdir()
        figures = _draw_figures(analysis, staging / "figures")
        results = _results_dict(analysis, figures, generated)
        meta = {
            "isamm_version": __version__,
            "generated": generated.strftime("%Y-%m-%d %H:%M UTC"),
            "input_file": path.name,
            "n_patients": len(analysis.frame),
            "provenance": provenance(analysis, generated),
        }
        html = render_html(title=cfg.title, sections=build_sections(analysis, figures), meta=meta,
                           methods=methods_paragraphs(analysis))
        (staging / "report.html").write_text(html, encoding="utf-8")
        (staging / "results.json").write_text(to_json(results) + "\n", encoding="utf-8")
    return results


def _draw_figures(a: CohortAnalysis, folder: Path) -> dict[str, FigureRef]:
    cfg = a.config
    unit = cfg.time_unit
    figs: dict[str, FigureRef] = {}

    def add(fid: str, fig, caption: str) -> None:
        paths = save_figure(fig, folder / fid)
        figs[fid] = FigureRef(id=fid, caption=caption, png=paths[0], files=[f"figures/{p.name}" for p in paths])

    def km(result, ylabel):
        return km_plot(result, ylabel=ylabel, xlabel=f"Time ({unit})", t_max=cfg.plot_max_time)

    labels = cfg.cox.labels if cfg.cox else {}
    for key, ep in a.endpoints.items():
        ylabel = cfg.endpoints[key].ylabel or ep.label
        add(f"{key}_km", km(ep.km, ylabel),
            f"{ep.label}: Kaplan–Meier estimate with 95% CI (shaded) and censoring marks (+).")
        if ep.km_by_group is not None:
            add(f"{key}_km_by_{_slug(cfg.group)}",
                km(ep.km_by_group, ylabel),
                f"{ep.label} by {cfg.group}: Kaplan–Meier estimates with 95% CI and log-rank test.")
        fitted = [m for m in ep.cox_univariable if not isinstance(m, NotEstimable)]
        if fitted:
            add(f"{key}_forest_univariable", forest_plot(fitted, labels=labels,
                                                                  title=f"{ep.label}: univariable Cox models"),
                f"{ep.label}: hazard ratios from univariable Cox models (one model per row).")
        if ep.cox_multivariable is not None and not isinstance(ep.cox_multivariable, NotEstimable):
            add(f"{key}_forest_multivariable", forest_plot(ep.cox_multivariable, labels=labels,
                                                                     title=f"{ep.label}: multivariable Cox model"),
                f"{ep.label}: hazard ratios from the multivariable Cox model.")
    if a.cutoff is not None:
        c, cc = a.cutoff, cfg.cutoff
        ep_label = cfg.endpoint_label(c.endpoint)
        name = cc.label or cc.marker
        event = cfg.endpoints[c.endpoint].event_label
        add("cutoff_roc", roc_plot(c.roc, marker_label=name, unit=cc.unit, title=f"ROC of {name} for {event}"),
            f"ROC curve of {name} for {event} during follow-up (time ignored); dot: Youden-optimal cut-off.")
        add("cutoff_km", km(c.km, cfg.endpoints[c.endpoint].ylabel or ep_label),
            f"{ep_label} by the ROC-derived {name} cut-off.")
    return figs


def _slug(text: str | None) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in str(text)).strip("_") or "group"


def _to_dict(obj):
    return None if obj is None else obj.to_dict()


def _follow_up(km) -> dict:
    g = km.to_dict()["groups"][0]
    return {"method": "reverse Kaplan-Meier", "median": g["median"], "median_ci": g["median_ci"]}


def _results_dict(a: CohortAnalysis, figures: dict[str, FigureRef], generated: datetime) -> dict:
    cfg = a.config
    out = {
        "title": cfg.title,
        "isamm_version": __version__,
        "generated": generated.isoformat(),
        "input": {"file": a.cohort_file.name, "sha256": a.sha256, "n_rows": len(a.frame)},
        "config": cfg.model_dump(mode="json", exclude={"cohort", "source"}),
        "table1": _to_dict(a.table1),
        "response": _to_dict(a.response),
        "response_model": _to_dict(a.response_model),
        "response_by_group": None if not a.response_by_group else {
            "groups": {g: res.to_dict() for g, res in a.response_by_group.items()},
            "test": _to_dict(a.response_test)},
        "endpoints": {},
        "cutoff": None,
        "figures": {fid: f.files for fid, f in figures.items()},
    }
    for key, ep in a.endpoints.items():
        out["endpoints"][key] = {
            "label": ep.label,
            "km": _to_dict(ep.km),
            "follow_up": _follow_up(ep.follow_up),
            "km_by_group": _to_dict(ep.km_by_group),
            "logrank": _to_dict(ep.logrank),
            "cox_univariable": [m.to_dict() for m in ep.cox_univariable],
            "cox_multivariable": _to_dict(ep.cox_multivariable),
            "cox_zph": None if ep.zph is None else zph_records(ep.zph),
        }
    if a.cutoff is not None:
        c = a.cutoff
        out["cutoff"] = {
            "endpoint": c.endpoint, "marker": cfg.cutoff.marker, "direction": cfg.cutoff.direction,
            "roc": c.roc.to_dict(), "groups": list(c.labels),
            "km": c.km.to_dict(), "logrank": c.logrank.to_dict(), "cox": c.cox.to_dict(),
        }
    return out
