"""Linear backend: sklearn fit, numpy prediction from JSON arrays, attributions."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from bizforge.models.linear import LinearModel
from bizforge.models.preprocess import NumericPrep, one_hot
from bizforge.testing import make_frame


def test_one_hot_puts_missing_in_the_last_column_of_each_block():
    out = one_hot(np.array([[1.0, np.nan], [np.nan, 0.0]]), [2, 1])
    assert out.tolist() == [[0, 1, 0, 0, 1], [0, 0, 1, 1, 0]]


def test_numeric_prep_imputes_median_and_flags_missing():
    prep = NumericPrep.fit(np.array([[1.0, 5.0], [3.0, 5.0], [np.nan, 5.0]]))
    z = prep.transform(np.array([[np.nan, 5.0]]))
    assert z.tolist() == [[pytest.approx((2.0 - 2.0) / 1.0), 0.0, 1.0]]
    assert prep.indicators.tolist() == [0]


def test_probabilities_match_scikit_learn_on_the_same_design():
    X, y = make_frame("binary")
    model = LinearModel("binary", C=0.7).fit(X, y, seed=0)
    Xm = model._check_X(X)
    D = model._design(Xm)
    ref = LogisticRegression(C=0.7, max_iter=2000, tol=1e-6).fit(D, y)
    assert np.allclose(model.predict_proba(X), ref.predict_proba(D), atol=1e-6)


def test_saved_model_is_json_arrays_only(tmp_path):
    X, y = make_frame("multiclass")
    model = LinearModel("multiclass").fit(X, y, seed=0)
    model.save(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]
    state = json.loads((tmp_path / "model.json").read_text())["state"]
    assert len(state["coef"]) == 3 and len(state["intercept"]) == 3
    loaded = LinearModel.load(tmp_path)
    assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_contributions_are_centred_and_sum_to_log_odds():
    X, y = make_frame("binary")
    model = LinearModel("binary").fit(X, y, seed=0)
    contrib = model.contributions(X)
    p = model.predict_proba(X)[:, 1]
    assert np.allclose(contrib.sum(axis=1), np.log(p / (1 - p)))
    # Centred on the training mean: the average attribution of each column is ~0.
    assert np.allclose(contrib[:, :-1].mean(axis=0), 0.0, atol=1e-9)


def test_ridge_recovers_a_linear_relation():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    y = 3.0 * X["a"].to_numpy() - 2.0 * X["b"].to_numpy() + 1.0
    model = LinearModel("regression", alpha=1e-6).fit(X, y)
    assert np.allclose(model.predict(X), y, atol=1e-4)


def test_class_absent_from_training_rows_gets_tiny_probability():
    X, y = make_frame("multiclass")
    model = LinearModel("multiclass", n_classes=4).fit(X, y, seed=0)
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 4) and proba[:, 3].max() < 1e-3


def test_stronger_regularisation_shrinks_coefficients():
    X, y = make_frame("binary")
    weak = LinearModel("binary", preset="weak").fit(X, y)
    strong = LinearModel("binary", preset="strong").fit(X, y)
    assert np.abs(strong.coef_).sum() < np.abs(weak.coef_).sum()
