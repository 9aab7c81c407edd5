"""The report's sections as view models: tables of formatted strings and figure references.

Numbers come from the results' ``to_dict()`` — the same dictionaries that go
into ``results.json`` — so the HTML and the JSON cannot disagree.
"""

from __future__ import annotations

from isamm.report._analysis import CohortAnalysis, NotEstimable
from isamm.report._figures import format_p, p_text
from isamm.report._html import Block, FigureRef, Section, Table, fmt_ci, fmt_num, fmt_pct

__all__ = ["build_sections"]


def build_sections(a: CohortAnalysis, figs: dict[str, FigureRef]) -> list[Section]:
    sections = []
    if a.table1 is not None:
        sections.append(_table1_section(a))
    if a.response is not None:
        sections.append(_response_section(a))
    for key in a.endpoints:
        sections.append(_endpoint_section(a, key, figs))
    if a.cutoff is not None:
        sections.append(_cutoff_section(a, figs))
    return sections


def _figs(figs: dict[str, FigureRef], *ids: str) -> list[FigureRef]:
    return [figs[i] for i in ids if i in figs]


def _table1_section(a: CohortAnalysis) -> Section:
    t1 = a.table1
    labels = a.config.table1.labels
    frame = t1.to_frame()
    n_row = frame[frame["kind"] == "n"].iloc[0]
    columns = ["Characteristic", f"All (n = {n_row['overall']})"]
    columns += [f"{g} (n = {n_row[g]})" for g in t1.groups]
    if t1.groups:
        columns += ["p", "Test"]
    rows, indent = [], []
    for r in frame.to_dict(orient="records"):  # records, not itertuples: group labels need not be identifiers
        kind, var = r["kind"], labels.get(r["variable"], r["variable"])
        if kind == "n":
            continue
        label = {"continuous": f"{var}, median [IQR]", "categorical": var,
                 "missing": "Missing, n"}.get(kind, r["level"])
        cells = [label, r["overall"]] + [r[g] for g in t1.groups]
        if t1.groups:
            p = r["p"]
            cells += ["" if p is None or p != p else format_p(p), r["test"] or ""]
        rows.append([str(c) for c in cells])
        indent.append(kind in ("level", "missing"))
    by = t1.by
    caption = "Table 1. Patient characteristics" + (f" by {labels.get(by, by)}" if by else "")
    note = ("Continuous variables: median [interquartile range]; categorical: n (% of patients with the value "
            "recorded); missing values counted on their own row.")
    if t1.n_missing_by:
        note += f" {t1.n_missing_by} patients without a value of {by} are not shown."
    return Section(id="table1", heading="Patient characteristics",
                   blocks=[Block(tables=[Table(columns, rows, caption, note, indent)])])


def _response_section(a: CohortAnalysis) -> Section:
    d = a.response.to_dict()
    rows = [[c, str(k), fmt_pct(k / d["n"]), ""] for c, k in d["counts"].items() if k or c != "NE"]
    rows += [[f"Overall response (≥{d['threshold']})", str(d["responders"]), fmt_pct(d["orr"]),
              fmt_ci(100 * d["ci"][0], 100 * d["ci"][1])]]
    rows += [[r["level"], str(r["k"]), fmt_pct(r["proportion"]), fmt_ci(100 * r["ci"][0], 100 * r["ci"][1])]
             for r in d["rates"] if r["level"] != f"≥{d['threshold']}"]
    tab = Table(["Best response (IMWG)", "n", "%", "95% CI"], rows, f"Best response, n = {d['n']} patients",
                note="95% CI: exact (Clopper–Pearson), as R binom.test.")
    blocks = [Block(tables=[tab])]
    if a.response_by_group:
        blocks.append(_response_by_group_block(a))
    if a.response_model is not None:
        blocks.append(_ordinal_block(a))
    return Section(id="response", heading="Response", blocks=blocks)


def _response_by_group_block(a: CohortAnalysis) -> Block:
    group = a.config.group
    rows = []
    for g, res in a.response_by_group.items():
        d = res.to_dict()
        lo, hi = (100 * v for v in d["ci"])
        rows.append([str(g), f"{d['responders']}/{d['n']}", fmt_pct(d["orr"]), fmt_ci(lo, hi)])
    paras = []
    if a.response_test is not None:
        t = a.response_test.to_dict()
        name = "Fisher's exact test" if t["test"] == "fisher" else "Pearson's χ² test"
        paras.append(f"{name} of responders by {group}: p = {format_p(t['p'])}.".replace("p = <", "p < "))
    threshold = a.response.to_dict()["threshold"]
    tab = Table([str(group), "Responders/n", f"ORR (≥{threshold}), %", "95% CI"], rows,
                f"Overall response rate by {group}")
    return Block(heading=f"By {group}", paragraphs=paras, tables=[tab])


def _ordinal_block(a: CohortAnalysis) -> Block:
    m = a.response_model
    heading = "Ordinal regression of best response"
    if isinstance(m, NotEstimable):
        return Block(heading=heading, paragraphs=[f"Not estimable: {m.reason}"])
    d = m.to_dict()
    labels = a.config.cox.labels if a.config.cox else {}
    rows = [[labels.get(t["term"], t["term"]), f"{fmt_num(t['or'], 2)} ({fmt_ci(*t['ci'], 2)})", format_p(t["p"])]
            for t in d["terms"]]
    note = (f"Proportional-odds logistic model (R MASS::polr), n = {d['n']}"
            f" ({d['n_dropped']} with a missing covariate and {a.n_not_evaluable} not evaluable (NE) left out). "
            f"Categories, worst to best: {', '.join(d['levels'])}. An odds ratio above 1 means better responses.")
    return Block(heading=heading, tables=[Table(["Term", "Odds ratio (95% CI)", "p"], rows,
                                                "Best response: multivariable ordinal regression", note=note)])


def _km_table(km: dict, landmarks: list[float], unit: str, caption: str) -> Table:
    columns = ["Group", "n", "Events", f"Median, {unit} (95% CI)"]
    # "event-free at t" reads right for every endpoint (OS: alive; progression: not progressed)
    columns += [f"At {t:g} {unit}, % (95% CI)" for t in landmarks]
    rows = []
    for g in km["groups"]:
        lo, hi = g["median_ci"]
        row = [_group_label(g["group"]), str(g["n"]), str(g["events"]), f"{fmt_num(g['median'])} ({fmt_ci(lo, hi)})"]
        at = {round(x["time"], 9): x for x in g.get("at", [])}
        for t in landmarks:
            x = at.get(round(t, 9))
            if x is None or x["surv"] is None:  # beyond the last follow-up: not estimable
                row.append("—")
            else:
                lo, hi = (None if v is None else 100 * v for v in x["ci"])
                row.append(f"{fmt_pct(x['surv'])} ({fmt_ci(lo, hi)})")
        rows.append(row)
    note = ("Percentages are Kaplan–Meier estimates of remaining event-free at that time. " if landmarks else "")
    note += "NR: not reached (the curve or its confidence limit stays above 50%)."
    return Table(columns, rows, caption, note=note)


def _group_label(label) -> str:
    return "All patients" if label == "all" else str(label)


def _logrank_text(lr: dict, group: str) -> str:
    if lr["df"] == 0:
        return f"Log-rank test by {group}: not computed ({lr.get('note', 'no test')})."
    note = f" ({lr['note']})" if lr.get("note") else ""
    return f"Log-rank test by {group}: χ² = {lr['chisq']:.2f} on {lr['df']} df, {p_text(lr['p'])}{note}."


def _endpoint_section(a: CohortAnalysis, key: str, figs: dict[str, FigureRef]) -> Section:
    cfg, ep = a.config, a.endpoints[key]
    unit = cfg.time_unit
    km = ep.km.to_dict()
    overall = km["groups"][0]
    lo, hi = overall["median_ci"]
    fu = ep.follow_up.to_dict()["groups"][0]
    paras = [f"{overall['n']} patients, {overall['events']} events. Kaplan–Meier median "
             f"{fmt_num(overall['median'])} {unit} (95% CI {fmt_ci(lo, hi)}). Median follow-up "
             f"{fmt_num(fu['median'])} {unit} (95% CI {fmt_ci(*fu['median_ci'])}; reverse Kaplan–Meier)."]
    blocks = [Block(tables=[_km_table(km, cfg.landmarks, unit, f"{ep.label}: Kaplan–Meier estimates")],
                    figures=_figs(figs, f"{key}_km"))]
    if ep.km_by_group is not None:
        gid = next((i for i in figs if i.startswith(f"{key}_km_by_")), None)
        blocks.append(Block(heading=f"By {cfg.group}",
                            paragraphs=[_logrank_text(ep.logrank.to_dict(), cfg.group)],
                            tables=[_km_table(ep.km_by_group.to_dict(), cfg.landmarks, unit,
                                              f"{ep.label} by {cfg.group}")],
                            figures=_figs(figs, gid) if gid else []))
    if ep.cox_univariable or ep.cox_multivariable is not None:
        blocks.append(_cox_block(ep, figs, cfg.cox.labels if cfg.cox else {}))
    return Section(id=f"endpoint-{key}", heading=ep.label, paragraphs=paras, blocks=blocks)


def _cox_block(ep, figs: dict[str, FigureRef], labels: dict[str, str]) -> Block:
    uni, notes = {}, []
    for m in ep.cox_univariable:
        if isinstance(m, NotEstimable):
            uni[m.covariates[0]] = (None, None)
            notes.append(f"Univariable model of {labels.get(m.covariates[0], m.covariates[0])} not estimable: "
                         f"{m.reason}")
            continue
        d = m.to_dict()
        for t in d["terms"]:
            uni[t["term"]] = (t, d)
    multi_obj = ep.cox_multivariable
    multi = None
    if isinstance(multi_obj, NotEstimable):
        notes.append(f"Multivariable model not estimable: {multi_obj.reason}")
    elif multi_obj is not None:
        multi = multi_obj.to_dict()
    terms = list(uni) + [t["term"] for t in (multi["terms"] if multi else []) if t["term"] not in uni]
    mt = {t["term"]: t for t in multi["terms"]} if multi else {}
    columns = ["Term"]
    if uni:
        columns += ["Univariable HR (95% CI)", "p", "n (events)"]
    if multi:
        columns += ["Multivariable HR (95% CI)", "p"]
    rows = []
    for term in terms:
        row = [labels.get(term, term)]
        if uni:
            t, d = uni.get(term, (None, None))
            if term in uni and t is None:
                row += ["not estimable", "", ""]
            else:
                row += _hr_cells(t) + ([f"{d['n']} ({d['events']})"] if d else [""])
        if multi:
            row += _hr_cells(mt.get(term))
        rows.append(row)
    if multi:
        zph = ep.zph
        global_p = float(zph.loc[zph["term"] == "GLOBAL", "p"].iloc[0])
        notes.append(f"Multivariable model: n = {multi['n']}, {multi['events']} events "
                     f"({multi['n_dropped']} patients with a missing covariate left out), "
                     f"concordance {multi['concordance']:.3f}; proportional-hazards test (cox.zph) "
                     f"global p = {format_p(global_p)}.".replace("p = <", "p < "))
        flagged = [labels.get(t, t) for t, p in zip(zph["term"], zph["p"]) if t != "GLOBAL" and p < 0.05]
        if flagged:
            notes.append("The proportional-hazards assumption is doubtful (cox.zph p < 0.05) for: "
                         + ", ".join(flagged) + "; read their hazard ratios as averages over follow-up.")
    notes.append("Rows with a missing covariate are left out of that model (complete-case analysis, as R does).")
    tab = Table(columns, rows, f"{ep.label}: Cox proportional-hazards models", note=" ".join(notes))
    return Block(heading="Cox regression", tables=[tab],
                 figures=_figs(figs, f"{ep.key}_forest_univariable", f"{ep.key}_forest_multivariable"))


def _hr_cells(t: dict | None) -> list[str]:
    if t is None:
        return ["", ""]
    lo, hi = t["ci"]
    return [f"{fmt_num(t['hr'], 2)} ({fmt_ci(lo, hi, 2)})", format_p(t["p"])]


def _cutoff_section(a: CohortAnalysis, figs: dict[str, FigureRef]) -> Section:
    cfg, c = a.config, a.cutoff
    cc = cfg.cutoff
    name = cc.label or cc.marker
    ep_label = cfg.endpoint_label(c.endpoint)
    event = cfg.endpoints[c.endpoint].event_label
    r = c.roc.to_dict()
    unit = f" {cc.unit}" if cc.unit else ""
    rows = [[name, f"{r['cutoff']:.4g}{unit}", f"{r['auc']:.3f}", f"{r['youden_j']:.3f}",
             f"{fmt_pct(r['sensitivity'])}", f"{fmt_pct(r['specificity'])}"]]
    tab = Table(["Marker", "Cut-off", "AUC", "Youden J", "Sensitivity, %", "Specificity, %"], rows,
                f"ROC analysis of {name} for {event}",
                note=f"Outcome: {event} during follow-up (column {cfg.endpoints[c.endpoint].event!r} = 1), "
                     f"time ignored; values {cc.direction} the cut-off predict {event}. "
                     f"{r['n']} patients with {name} measured ({r['n_dropped']} without), "
                     f"{r['n_positive']} with {event}.")
    if isinstance(c.cox, NotEstimable):
        hr_text = f"Hazard ratio {c.labels[0]} vs {c.labels[1]}: not estimable ({c.cox.reason})."
    else:
        hr = c.cox.to_dict()["terms"][0]
        hr_text = (f"Hazard ratio {c.labels[0]} vs {c.labels[1]}: {_hr_cells(hr)[0]}, "
                   f"p = {format_p(hr['p'])}.".replace("p = <", "p < "))
    blocks = [Block(tables=[tab], figures=_figs(figs, "cutoff_roc")),
              Block(heading=f"{ep_label} by the {name} cut-off",
                    paragraphs=[_logrank_text(c.logrank.to_dict(), "cut-off group"),
                                hr_text],
                    tables=[_km_table(c.km.to_dict(), cfg.landmarks, cfg.time_unit, f"{ep_label} by {name} cut-off")],
                    figures=_figs(figs, "cutoff_km"))]
    paras = ["A cut-off chosen on the same data it is then tested on overstates its prognostic value; "
             "confirm it in an independent cohort before using it."]
    return Section(id="cutoff", heading=f"{name} cut-off (ROC, Youden index)", paragraphs=paras, blocks=blocks)
