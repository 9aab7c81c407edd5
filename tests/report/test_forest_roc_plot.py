"""Forest and ROC figures carry exactly the model results (checked on the figure objects)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection
from numpy.testing import assert_allclose

from conftest import TEST_DATA
from isamm.outcomes import cox, kaplan_meier, roc_cutoff
from isamm.report import forest_plot, roc_plot, save_figure


@pytest.fixture(scope="module")
def mgus2():
    return pd.read_csv(TEST_DATA / "mgus2.csv")


def _gid(ax, gid):
    return [a for a in ax.get_children() if a.get_gid() == gid]


def _errorbar_parts(ax):
    (points,) = [line for line in ax.get_lines() if line.get_gid() == "forest-hr" or line.get_marker() == "s"]
    (bars,) = [c for c in ax.collections if isinstance(c, LineCollection) and c.get_gid() != "forest-ref"]
    return points, bars


def test_forest_plot_shows_hr_and_ci_of_each_term(mgus2):
    model = cox(mgus2, "futime", "death", ["age", "sex", "hgb", "creat", "mspike"])
    terms = model.to_frame()
    fig = forest_plot(model, labels={"sexM": "Male vs female"})
    ax, ax_txt = fig.axes
    assert ax.get_xscale() == "log"
    (ref,) = _gid(ax, "forest-ref")
    assert_allclose(ref.get_xdata(), [1, 1])
    points, bars = _errorbar_parts(ax)
    assert_allclose(points.get_xdata(), terms["hr"], rtol=1e-12)
    # rows top to bottom in model order; the whisker of row i spans [lower_i, upper_i]
    y = points.get_ydata()
    assert list(y) == sorted(y, reverse=True)
    segments = bars.get_segments()
    assert_allclose([s[0][0] for s in segments], terms["lower"], rtol=1e-12)
    assert_allclose([s[1][0] for s in segments], terms["upper"], rtol=1e-12)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["age", "Male vs female", "hgb", "creat", "mspike"]
    printed = [t.get_text() for t in ax_txt.texts if t.get_gid() == "forest-text"]
    assert printed == [f"{r.hr:.2f} ({r.lower:.2f}–{r.upper:.2f})" for r in terms.itertuples()]
    lo, hi = ax.get_xlim()
    assert lo < terms["lower"].min() and hi > terms["upper"].max()


def test_forest_plot_stacks_univariable_models(mgus2):
    models = [cox(mgus2, "futime", "death", [c]) for c in ("age", "sex")]
    fig = forest_plot(models)
    points, _ = _errorbar_parts(fig.axes[0])
    assert_allclose(points.get_xdata(), [m.to_frame()["hr"].iloc[0] for m in models], rtol=1e-12)


def test_forest_plot_rejects_other_objects(mgus2):
    with pytest.raises(TypeError, match="forest_plot expects an isamm.outcomes.CoxResult"):
        forest_plot(kaplan_meier(mgus2.futime, mgus2.death))


def test_roc_plot_hand_worked_perfect_marker():
    # marker below 2.5 exactly identifies the outcome: cut-off 2.5 (midpoint of 2 and 3), sens = spec = 1, AUC = 1
    cut = roc_cutoff([1, 2, 3, 4], [1, 1, 0, 0], direction="below")
    fig = roc_plot(cut, marker_label="Hb", unit="g/dL")
    (ax,) = fig.axes
    (point,) = _gid(ax, "roc-youden")
    assert_allclose([point.get_xdata()[0], point.get_ydata()[0]], [0, 1])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["AUC = 1.000", "Youden cut-off: Hb < 2.5 g/dL"]


def test_roc_plot_curve_and_point_equal_the_result(mgus2, tmp_path):
    cut = roc_cutoff(mgus2.hgb, mgus2.death, direction="below")
    fig = roc_plot(cut, marker_label="hgb")
    (ax,) = fig.axes
    (curve,) = _gid(ax, "roc-curve")
    assert_allclose(curve.get_xdata(), cut.fpr)
    assert_allclose(curve.get_ydata(), cut.tpr)
    (point,) = _gid(ax, "roc-youden")
    assert_allclose([point.get_xdata()[0], point.get_ydata()[0]], [1 - cut.specificity, cut.sensitivity])
    # the Youden point is a vertex of the curve: the curve passes through it
    dist = np.hypot(cut.fpr - (1 - cut.specificity), cut.tpr - cut.sensitivity)
    assert dist.min() < 1e-12
    (chance,) = _gid(ax, "roc-chance")
    assert_allclose(chance.get_xydata(), [[0, 0], [1, 1]])
    paths = save_figure(fig, tmp_path / "roc")
    assert [p.name for p in paths] == ["roc.png", "roc.svg"]


def test_roc_plot_rejects_other_objects():
    with pytest.raises(TypeError, match="roc_plot expects an isamm.outcomes.CutoffResult"):
        roc_plot({"fpr": [0, 1], "tpr": [0, 1]})
