"""LightGBM backend: native categoricals, early stopping, budget, contributions, files."""

from __future__ import annotations

import numpy as np
import pytest

from bizforge.models import get_model
from bizforge.models.gbm import LightGBMModel, safe_feature_names
from bizforge.testing import make_frame
from bizforge.testing.check import ODD_NAME


def fit(problem="binary", **params):
    X, y = make_frame(problem, n=160)
    return LightGBMModel(problem, **params).fit(X, y, seed=0), X, y


def test_feature_names_are_sanitised_and_unique():
    assert safe_feature_names(['a: "b"', "a__b_", "年龄", "x[0]"]) == [
        "a___b_", "a__b_", "f2", "x_0_"]


def test_odd_column_names_are_kept_outside_lightgbm():
    model, _, _ = fit()
    assert model.feature_names_[-1] == ODD_NAME
    assert ODD_NAME not in model.booster_.feature_name()


def test_categorical_columns_are_native_categoricals():
    model, _, _ = fit()
    assert "[categorical_feature: 1,2]" in model.booster_.model_to_string()


def test_early_stopping_keeps_the_best_iteration():
    X, y = make_frame("binary", n=160)
    model = LightGBMModel("binary", early_stopping_rounds=5, learning_rate=0.3).fit(
        X[:100], y[:100], valid=(X[100:], y[100:]), seed=0)
    assert 1 <= model.best_iteration_ < 100
    assert model.booster_.current_iteration() == model.best_iteration_
    assert model.best_score_ is not None


def test_n_estimators_gives_exactly_that_many_trees():
    model, _, _ = fit(n_estimators=7)
    assert model.booster_.current_iteration() == 7 and not model.timed_out_


def test_budget_stops_training_early():
    X, y = make_frame("regression", n=160)
    slow = LightGBMModel("regression", n_estimators=100000, learning_rate=0.001)
    slow.fit(X, y, budget=0.3, seed=0)
    assert slow.timed_out_ and 1 <= slow.best_iteration_ < 100000


def test_presets_change_the_trees():
    shallow, X, _ = fit(preset="shallow")
    deep, _, _ = fit(preset="deep")
    assert shallow.params_["num_leaves"] == 15 and deep.params_["num_leaves"] == 63
    assert not np.array_equal(shallow.predict_proba(X), deep.predict_proba(X))


def test_lightgbm_parameters_pass_through():
    model, _, _ = fit(lambda_l1=2.5)
    assert "[lambda_l1: 2.5]" in model.booster_.model_to_string()


def test_balanced_class_weight_raises_minority_probability():
    X, y = make_frame("binary", n=160)
    keep = np.flatnonzero((y == 0) | (np.arange(len(y)) % 4 == 0))
    X, y = X.iloc[keep], y[keep]
    plain = LightGBMModel("binary").fit(X, y, seed=0).predict_proba(X)[:, 1].mean()
    weighted = LightGBMModel("binary", class_weight="balanced").fit(X, y, seed=0)
    assert weighted.predict_proba(X)[:, 1].mean() > plain


def test_multiclass_contributions_are_per_class():
    model, X, _ = fit("multiclass")
    assert model.contributions(X.head(4)).shape == (4, 3, X.shape[1] + 1)


def test_binary_contributions_sum_to_log_odds():
    model, X, _ = fit()
    p = model.predict_proba(X.head(5))[:, 1]
    assert np.allclose(model.contributions(X.head(5)).sum(axis=1), np.log(p / (1 - p)))


def test_feature_importances_are_normalised_gain():
    model, X, _ = fit()
    assert model.feature_importances_.shape == (X.shape[1],)
    assert model.feature_importances_.sum() == pytest.approx(1.0)


def test_save_writes_lightgbm_text_and_json(tmp_path):
    model, X, _ = fit()
    model.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json", "model.txt"]
    assert (tmp_path / "model.txt").read_text().startswith("tree")
    assert np.array_equal(get_model("lightgbm").load(tmp_path).predict_proba(X),
                          model.predict_proba(X))


def test_different_seeds_give_different_models():
    X, y = make_frame("binary", n=160)
    a = LightGBMModel("binary").fit(X, y, seed=0).predict_proba(X)
    b = LightGBMModel("binary").fit(X, y, seed=1).predict_proba(X)
    assert not np.array_equal(a, b)
