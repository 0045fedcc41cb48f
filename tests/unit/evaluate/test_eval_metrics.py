"""Held-out metrics agree with scikit-learn and survive degenerate test sets."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from bizforge.errors import UsageError
from bizforge.evaluate.metrics import (
    calibration_bins,
    classification_metrics,
    cumulative_gain,
    gain_table,
    regression_metrics,
)


@pytest.fixture
def binary():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 60)
    p = np.clip(0.35 * y + 0.65 * rng.random(60), 0, 1)
    return y, p


def test_binary_metrics_match_sklearn(binary):
    y, p = binary
    m = classification_metrics(y, np.c_[1 - p, p], classes=["No", "Yes"], threshold=0.4)
    pred = (p >= 0.4).astype(int)
    assert m["roc_auc"] == pytest.approx(skm.roc_auc_score(y, p))
    assert m["pr_auc"] == pytest.approx(skm.average_precision_score(y, p))
    assert m["accuracy"] == pytest.approx(skm.accuracy_score(y, pred))
    assert m["precision"] == pytest.approx(skm.precision_score(y, pred))
    assert m["recall"] == pytest.approx(skm.recall_score(y, pred))
    assert m["f1"] == pytest.approx(skm.f1_score(y, pred))
    assert m["log_loss"] == pytest.approx(skm.log_loss(y, p))
    assert m["brier"] == pytest.approx(skm.brier_score_loss(y, p))
    assert m["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(y, pred))
    assert m["confusion_matrix"] == {
        "labels": ["No", "Yes"],
        "matrix": skm.confusion_matrix(y, pred).tolist(),
    }
    assert m["support"] == {"No": int((y == 0).sum()), "Yes": int((y == 1).sum())}
    assert m["threshold"] == 0.4 and m["positive_label"] == "Yes"


def test_binary_accepts_one_dimensional_positive_probability(binary):
    y, p = binary
    assert classification_metrics(y, p) == classification_metrics(y, np.c_[1 - p, p])


def test_positive_class_zero_flips_the_scored_column(binary):
    y, p = binary
    m = classification_metrics(1 - y, np.c_[p, 1 - p], positive=0)
    assert m["roc_auc"] == pytest.approx(skm.roc_auc_score(y, p))


def test_multiclass_metrics_are_macro_averages():
    rng = np.random.default_rng(1)
    y = np.tile([0, 1, 2], 20)
    proba = rng.dirichlet([1, 1, 1], 60) + np.eye(3)[y] * 0.5
    proba /= proba.sum(axis=1, keepdims=True)
    m = classification_metrics(y, proba, classes=["a", "b", "c"])
    pred = proba.argmax(axis=1)
    assert m["problem"] == "multiclass"
    assert m["roc_auc"] == pytest.approx(skm.roc_auc_score(y, proba, multi_class="ovr"))
    assert m["f1"] == pytest.approx(skm.f1_score(y, pred, average="macro"))
    assert m["macro_f1"] == m["f1"]
    assert m["precision"] == pytest.approx(skm.precision_score(y, pred, average="macro"))
    assert m["log_loss"] == pytest.approx(skm.log_loss(y, proba))
    assert "brier" not in m
    assert len(m["confusion_matrix"]["matrix"]) == 3


def test_one_class_in_truth_gives_none_auc_and_a_note():
    m = classification_metrics([1, 1, 1], [0.2, 0.7, 0.9], classes=["No", "Yes"])
    assert m["roc_auc"] is None and m["pr_auc"] is None
    assert "only class 'Yes'" in m["notes"][0]
    assert m["accuracy"] == pytest.approx(2 / 3)


def test_multiclass_with_absent_class_gives_none_auc():
    proba = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.6, 0.3, 0.1]])
    m = classification_metrics([0, 1, 0], proba, classes=["a", "b", "c"])
    assert m["roc_auc"] is None
    assert "['c']" in m["notes"][0]


def test_mismatched_lengths_raise_usage_error():
    with pytest.raises(UsageError, match="3 probability rows for 2 true labels"):
        classification_metrics([0, 1], [0.1, 0.2, 0.3])


def test_class_index_out_of_range_raises_usage_error():
    with pytest.raises(UsageError, match="class indices must lie in 0..1"):
        classification_metrics([0, 2], [0.1, 0.2])


def test_nan_probability_raises_usage_error():
    with pytest.raises(UsageError, match="non-finite probabilities"):
        classification_metrics([0, 1], [0.1, np.nan])


def test_regression_metrics_match_sklearn():
    rng = np.random.default_rng(2)
    y = rng.normal(size=40)
    pred = y + rng.normal(scale=0.3, size=40)
    m = regression_metrics(y, pred)
    assert m["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(y, pred)))
    assert m["mae"] == pytest.approx(skm.mean_absolute_error(y, pred))
    assert m["r2"] == pytest.approx(skm.r2_score(y, pred))


def test_constant_regression_target_gives_none_r2():
    m = regression_metrics([2.0, 2.0, 2.0], [1.0, 2.0, 3.0])
    assert m["r2"] is None and "constant" in m["notes"][0]


def test_regression_missing_target_raises_usage_error():
    with pytest.raises(UsageError, match="1 targets are missing"):
        regression_metrics([1.0, np.nan], [1.0, 2.0])


def test_cumulative_gain_treats_tied_scores_as_one_block():
    x, g = cumulative_gain([1, 0, 0, 1], [0.5, 0.5, 0.2, 0.9])
    assert x.tolist() == [0.0, 0.25, 0.75, 1.0]
    assert g.tolist() == [0.0, 0.5, 1.0, 1.0]


def test_gain_table_reports_share_found_and_lift():
    y = [1, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    p = np.linspace(1, 0, 10)
    row = gain_table(y, p, shares=[0.2])[0]
    assert row == {"top": 0.2, "captured": 1.0, "lift": 5.0}


def test_calibration_bins_average_each_bin():
    table = calibration_bins([0, 1, 1, 0], [0.1, 0.15, 0.85, 0.95], bins=2)
    assert table["predicted"] == pytest.approx([0.125, 0.9])
    assert table["observed"] == [0.5, 0.5]
    assert table["count"] == [2, 2]
