"""The KM figure shows exactly the KM estimate: checked on the figure objects, not on pixels."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from conftest import TEST_DATA
from isamm.outcomes import kaplan_meier
from isamm.report import km_plot, number_at_risk, save_figure
from isamm.report._figures import format_p
from isamm.report._figures import p_text as figure_p_text


@pytest.fixture(scope="module")
def mgus2():
    return pd.read_csv(TEST_DATA / "mgus2.csv")


def _by_gid(ax, prefix):
    return [a for a in ax.get_children() if (a.get_gid() or "").startswith(prefix)]


def test_step_function_is_the_hand_computed_km():
    # times 1 2 2+ 3 4+ 5 (+ = censored); by hand: S = 5/6, 5/6·4/5, ·2/3, (censor), ·0/1
    km = kaplan_meier([1, 2, 2, 3, 4, 5], [1, 1, 0, 1, 0, 1])
    fig = km_plot(km)
    (line,) = [a for a in _by_gid(fig.axes[0], "km-") if a.get_gid() == "km-0"]
    assert line.get_drawstyle() == "steps-post"
    assert_allclose(line.get_xdata(), [0, 1, 2, 3, 4, 5])
    assert_allclose(line.get_ydata(), [1, 5 / 6, 4 / 6, 4 / 9, 4 / 9, 0], rtol=1e-12)
    (marks,) = _by_gid(fig.axes[0], "km-censor-0")
    assert_allclose(marks.get_xdata(), [2, 4])  # the censored times, at the curve's height there
    assert_allclose(marks.get_ydata(), [4 / 6, 4 / 9], rtol=1e-12)


def test_curves_band_and_risk_table_equal_the_km_tables(mgus2):
    km = kaplan_meier(mgus2.futime, mgus2.death, group=mgus2.sex)
    fig = km_plot(km, ylabel="Overall survival")
    ax, ax_risk = fig.axes
    ticks = ax.get_xticks()
    assert ticks[0] == 0 and len(ticks) >= 4
    for i, (label, g) in enumerate(zip(["F", "M"], km.groups)):
        assert g.group == label
        (line,) = [a for a in _by_gid(ax, f"km-{i}") if a.get_gid() == f"km-{i}"]
        assert_allclose(line.get_xdata()[1:], g.table["time"])
        assert_allclose(line.get_ydata()[1:], g.table["surv"])
        # the CI band spans the table's own lower/upper limits
        (band,) = _by_gid(ax, f"km-ci-{i}")
        ys = np.concatenate([p.vertices[:, 1] for p in band.get_paths()])
        finite = g.table[["lower", "upper"]].to_numpy().ravel()
        finite = finite[np.isfinite(finite)]
        assert np.isin(np.round(finite, 12), np.round(ys, 12)).all()
        # number at risk under each tick: counted by hand from the data (follow-up >= t)
        texts = _by_gid(ax_risk, f"risk-{i}")
        shown = {t.get_position()[0]: int(t.get_text()) for t in texts}
        assert_allclose(sorted(shown), ticks)
        futime = mgus2.loc[mgus2.sex == label, "futime"].to_numpy()
        by_hand = [int((futime >= t).sum()) for t in ticks]
        assert [shown[t] for t in ticks] == by_hand
        # ... and equals the KM result's own landmark n_risk (R summary(fit, times=))
        at = kaplan_meier(futime, mgus2.loc[mgus2.sex == label, "death"], at=ticks)["all"].at
        assert by_hand == at["n_risk"].tolist()
    p_text = [t.get_text() for t in ax.texts if t.get_gid() == "logrank-p"]
    assert p_text == [f"Log-rank p = {format_p(km.logrank.p)}"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["F (n = 631)", "M (n = 753)"]


def test_number_at_risk_beyond_follow_up_is_zero():
    km = kaplan_meier([1, 2, 3], [1, 0, 1])
    assert number_at_risk(km["all"].table, [0, 1, 1.5, 3, 3.5]).tolist() == [3, 3, 2, 1, 0]


def test_single_group_has_no_legend_and_no_logrank():
    fig = km_plot(kaplan_meier([1, 2, 3, 4], [1, 0, 1, 1]), risk_table=False)
    (ax,) = fig.axes
    assert ax.get_legend() is None
    assert not [t for t in ax.texts if t.get_gid() == "logrank-p"]


def test_custom_ticks_drive_the_risk_table():
    km = kaplan_meier([5, 10, 15, 20], [1, 1, 1, 1])
    fig = km_plot(km, xticks=[0, 10, 20])
    shown = [int(t.get_text()) for t in _by_gid(fig.axes[1], "risk-0")]
    assert shown == [4, 3, 1]  # follow-up >= 0, >= 10, >= 20


def test_saved_as_png_and_svg(tmp_path):
    fig = km_plot(kaplan_meier([1, 2, 3, 4], [1, 0, 1, 1], group=["a", "a", "b", "b"]))
    png, svg = save_figure(fig, tmp_path / "km")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert ET.parse(svg).getroot().tag.endswith("svg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["km.png", "km.svg"]  # no temporary files left
    again = save_figure(fig, tmp_path / "km2")[1]
    assert again.read_bytes() == svg.read_bytes()  # no dates or random ids: reproducible SVG


def test_wrong_object_fails_clearly():
    with pytest.raises(TypeError, match="km_plot expects an isamm.outcomes.KMResult"):
        km_plot(pd.DataFrame({"time": [1], "surv": [0.5]}))


@settings(max_examples=25, deadline=None)
@given(
    data=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 1), st.sampled_from(["a", "b"])),
                  min_size=2, max_size=40),
)
def test_property_risk_table_is_the_hand_count(data):
    time, event, group = (np.array(x) for x in zip(*data))
    time = time.astype(float)
    if time.max() == 0:
        time[0] = 1.0
    km = kaplan_meier(time, event, group=group)  # never raises, even when the log-rank variance is 0
    fig = km_plot(km)
    ax, ax_risk = fig.axes
    p_text = [t.get_text() for t in ax.texts if t.get_gid() == "logrank-p"]
    lr = km.logrank
    if lr is None:  # one group, or no events
        assert p_text == []
    elif lr.df == 0:  # e.g. every death leaves no survivor in its risk set: no test, and no p on the figure
        assert (lr.chisq, lr.p) == (0.0, 1.0) and lr.note.startswith("no test: ")
        assert p_text == []
    else:
        assert p_text == [f"Log-rank {figure_p_text(lr.p)}"]  # "p < 0.001" below 0.001, not "p = <0.001"
    ticks = ax.get_xticks()
    for i, g in enumerate(km.groups):
        shown = [int(t.get_text()) for t in sorted(_by_gid(ax_risk, f"risk-{i}"), key=lambda t: t.get_position()[0])]
        mine = time[group == g.group]
        assert shown == [int((mine >= t).sum()) for t in ticks]
        (line,) = [a for a in ax.get_lines() if a.get_gid() == f"km-{i}"]
        assert_allclose(line.get_ydata()[1:], g.table["surv"])


def test_long_group_labels_sit_above_their_row():
    km = kaplan_meier([1, 2, 3, 4], [1, 0, 1, 1], group=["Haemoglobin < 11", "Haemoglobin < 11",
                                                         "Haemoglobin ≥ 11", "Haemoglobin ≥ 11"])
    fig = km_plot(km, xticks=[0, 2])
    ax_risk = fig.axes[1]
    labels = [t.get_text() for i in (0, 1) for t in _by_gid(ax_risk, f"risk-label-{i}")]
    assert labels == ["Haemoglobin < 11", "Haemoglobin ≥ 11"]
    assert ax_risk.get_yticks().size == 0  # no tick labels widening the margin
    assert [int(t.get_text()) for t in _by_gid(ax_risk, "risk-0")] == [2, 1]  # times 1, 2 ≥ 0; only 2 ≥ 2
