"""Caruana ensemble selection and the search's scorers."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from bizforge.errors import UsageError
from bizforge.train.ensemble import caruana
from bizforge.train.scoring import get_scorer, roc_auc_fast


def proba(p1: np.ndarray) -> np.ndarray:
    return np.column_stack([1 - p1, p1])


def test_weights_sum_to_one_and_ensemble_beats_each_member_on_complementary_models():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=400), rng.normal(size=400)
    y = (a + b > 0).astype(int)
    sigmoid = lambda z: 1 / (1 + np.exp(-z))
    preds = [proba(sigmoid(a)), proba(sigmoid(b)), proba(rng.uniform(size=400))]
    scorer = get_scorer("roc_auc", "binary")
    sel = caruana(preds, y, scorer)
    singles = [scorer(y, p) for p in preds]
    assert sel.weights.sum() == pytest.approx(1.0)
    assert sel.weights[0] > 0 and sel.weights[1] > 0
    assert sel.score > max(singles) + 0.05
    assert sel.score == pytest.approx(scorer(y, sel.blend(preds)))


def test_ensemble_never_scores_below_the_best_single_member():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, size=120)
    preds = [rng.dirichlet(np.ones(3), size=120) for _ in range(4)]
    scorer = get_scorer("log_loss", "multiclass")
    sel = caruana(preds, y, scorer, rounds=10)
    assert sel.score <= min(scorer(y, p) for p in preds) + 1e-12


def test_regression_ensemble_averages_opposite_errors():
    y = np.linspace(0, 10, 50)
    sel = caruana([y + 1.0, y - 1.0], y, get_scorer("rmse", "regression"))
    assert sel.weights.tolist() == [0.5, 0.5]
    assert sel.score == pytest.approx(0.0)


def test_a_member_joins_only_while_the_summed_cost_fits_the_limit():
    y = np.linspace(0, 10, 50)
    preds = [y + 1.0, y - 1.0, y - 1.2]  # the first two cancel out; the third nearly does
    scorer = get_scorer("rmse", "regression")
    free = caruana(preds, y, scorer, costs=[5e-6, 6e-6, 1e-6], max_cost=None)
    assert free.weights[1] > 0
    capped = caruana(preds, y, scorer, costs=[5e-6, 6e-6, 1e-6], max_cost=8e-6)
    assert capped.weights[1] == 0 and capped.weights[2] > 0  # 5 + 6 > 8; 5 + 1 fits
    assert capped.score > free.score  # what the limit costs, honestly reported


def test_the_best_single_member_is_kept_even_above_the_cost_limit():
    y = np.linspace(0, 10, 50)
    sel = caruana([y + 0.1, y + 3.0], y, get_scorer("rmse", "regression"),
                  costs=[1e-3, 1e-9], max_cost=1e-6)
    assert sel.weights.tolist() == [1.0, 0.0]


def test_single_candidate_gets_all_the_weight():
    y = np.array([0, 1, 0, 1])
    sel = caruana([proba(np.array([0.2, 0.7, 0.4, 0.9]))], y, get_scorer(None, "binary"))
    assert sel.weights.tolist() == [1.0]


def test_fast_auc_matches_scikit_learn_with_ties():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, size=300)
    score = rng.integers(0, 10, size=300) / 10
    assert roc_auc_fast(y, score) == pytest.approx(roc_auc_score(y, score))


def test_metric_that_does_not_fit_the_problem_raises_usage_error():
    with pytest.raises(UsageError, match="rmse, mae, r2"):
        get_scorer("roc_auc", "regression")


def test_lower_is_better_metrics_gain_when_smaller():
    scorer = get_scorer("mae", "regression")
    assert scorer.gain(0.1) > scorer.gain(0.2)


def test_max_members_caps_the_number_of_distinct_members():
    rng = np.random.default_rng(3)
    y = rng.normal(size=200)
    preds = [y + rng.normal(scale=1.0, size=200) for _ in range(6)]  # independent errors
    scorer = get_scorer("rmse", "regression")
    free = caruana(preds, y, scorer, max_members=None)
    capped = caruana(preds, y, scorer, max_members=2)
    assert np.count_nonzero(free.weights) > 2
    assert np.count_nonzero(capped.weights) == 2
    assert capped.weights.sum() == pytest.approx(1.0)
