"""Charts: the expected figures, labelled per language, rendered offline into one fragment."""

from __future__ import annotations

import re

import numpy as np
import pytest
from plotly.offline import get_plotlyjs

from bizforge.evaluate import plots


@pytest.fixture
def scored():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 80)
    p = np.clip(0.3 * y + 0.7 * rng.random(80), 0, 1)
    return y, np.c_[1 - p, p]


def _titles(figs):
    return [f.layout.title.text for f in figs]


def test_binary_chart_set_has_every_plot(scored):
    y, proba = scored
    figs = plots.classification_figures(y, proba, classes=["No", "Yes"], threshold=0.4,
                                        importance={"Contract": 0.3, "tenure": 0.2})
    assert _titles(figs) == [
        "ROC curve", "Precision-recall curve", "Calibration (reliability)",
        "Cumulative gain / Lift", "Confusion matrix (threshold 0.4)", "Feature importance",
    ]


def test_charts_are_labelled_in_chinese(scored):
    y, proba = scored
    figs = plots.classification_figures(y, proba, classes=["否", "是"], lang="zh")
    assert figs[0].layout.title.text == "ROC 曲线"
    assert figs[0].layout.xaxis.title.text == "误报率（假阳性率）"
    assert "“是”" in figs[2].layout.yaxis.title.text


def test_confusion_heatmap_shows_counts_at_the_threshold(scored):
    y, proba = scored
    fig = plots.classification_figures(y, proba, threshold=0.4)[4]
    pred = (proba[:, 1] >= 0.4).astype(int)
    expected = [[int(np.sum((y == a) & (pred == b))) for b in (0, 1)] for a in (0, 1)]
    assert np.asarray(fig.data[0].z).tolist() == expected


def test_calibration_plot_uses_ten_bins(scored):
    y, proba = scored
    fig = plots.calibration_figure(y, proba[:, 1])
    assert len(fig.data[1].x) <= 10 and sum(fig.data[1].customdata) == 80


def test_importance_bars_put_largest_on_top():
    fig = plots.importance_figure({"a": 0.1, "b": 0.5, "c": 0.3})
    assert list(fig.data[0].y) == ["a", "c", "b"]  # plotly draws the last bar at the top


def test_multiclass_chart_set_is_confusion_matrix():
    y = np.array([0, 1, 2, 2])
    proba = np.eye(3)[[0, 1, 2, 1]] * 0.8 + 0.2 / 3
    figs = plots.classification_figures(y, proba, classes=["a", "b", "c"])
    assert _titles(figs) == ["Confusion matrix"]


def test_regression_charts_show_residuals_and_predicted_vs_actual():
    y = np.arange(10, dtype=float)
    pred = y + 0.5
    figs = plots.regression_figures(y, pred, lang="zh")
    assert _titles(figs) == ["残差与预测值", "预测值与实际值"]
    assert np.allclose(figs[0].data[0].y, -0.5)


def test_scatter_is_sampled_for_large_test_sets():
    y = np.random.default_rng(0).normal(size=5000)
    fig = plots.residuals_figure(y, y)
    assert len(fig.data[0].x) == plots.MAX_SCATTER_POINTS


def test_fragment_embeds_plotly_once_and_loads_nothing_from_the_network(scored):
    y, proba = scored
    figs = plots.classification_figures(y, proba, importance={"a": 1.0})
    html = plots.figures_html(figs)
    bundle = get_plotlyjs()
    assert html.count(bundle) == 1
    assert html.count('class="plotly-graph-div"') == len(figs)
    assert not re.search(r"<(script|link|img)[^>]*(src|href)\s*=", html)
    # plotly.js itself mentions CDN URLs in strings it never fetches for these charts;
    # outside the bundle nothing may point at a CDN.
    assert "https://cdn" not in html.replace(bundle, "")
    assert not re.search(r"https?://", html.replace(bundle, "").replace("http://www.w3.org", ""))


def test_fragment_ids_are_reproducible(scored):
    y, proba = scored
    figs = plots.classification_figures(y, proba)[:2]
    assert 'id="r-1"' in plots.figures_html(figs, id_prefix="r")


def test_training_curve_draws_loss_and_validation_accuracy_against_examples_seen():
    from bizforge.evaluate.plots import training_curve_figure

    points = [{"examples": 32 * i, "train_loss": 1.0 / i, "valid_accuracy": None}
              for i in range(1, 5)]
    points[-1]["valid_accuracy"] = 0.9
    fig = training_curve_figure(points, lang="zh")
    loss, accuracy = fig.data
    assert list(loss.x) == [32, 64, 96, 128] and loss.y[0] == 1.0
    assert list(accuracy.x) == [128] and accuracy.y[0] == 0.9 and accuracy.yaxis == "y2"
    assert fig.layout.title.text == "微调过程：训练损失与验证集准确率"
