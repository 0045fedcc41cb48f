"""MLP backend: torch training loop, early stopping, budget, safetensors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import torch

from bizforge.models.mlp import MLPModel
from bizforge.testing import make_frame


def test_importing_models_does_not_import_torch():
    code = "import sys, bizforge.models; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_saves_safetensors_weights_and_json(tmp_path):
    X, y = make_frame("binary")
    model = MLPModel("binary", epochs=3).fit(X, y, seed=0)
    model.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json", "weights.safetensors"]
    assert np.array_equal(MLPModel.load(tmp_path).predict_proba(X), model.predict_proba(X))


def test_epochs_param_trains_exactly_that_many_epochs():
    X, y = make_frame("regression")
    model = MLPModel("regression", epochs=4).fit(X, y, seed=0)
    assert model.epochs_run_ == 4 and model.best_score_ is None


def test_early_stopping_keeps_the_best_epoch():
    X, y = make_frame("multiclass")
    model = MLPModel("multiclass", patience=3, max_epochs=300, lr=0.05).fit(
        X[:80], y[:80], valid=(X[80:], y[80:]), seed=0)
    assert model.best_epoch_ <= model.epochs_run_ < 300
    assert model.epochs_run_ - model.best_epoch_ <= 3


def test_holds_out_rows_for_early_stopping_without_valid():
    X, y = make_frame("binary")
    model = MLPModel("binary").fit(X, y, seed=0)
    assert model.best_score_ is not None


def test_budget_stops_training():
    X, y = make_frame("binary")
    model = MLPModel("binary", epochs=100000).fit(X, y, budget=0.2, seed=0)
    assert model.timed_out_ and model.epochs_run_ < 100000


def test_torch_thread_count_is_restored_after_fit():
    before = torch.get_num_threads()
    X, y = make_frame("binary")
    MLPModel("binary", epochs=2).fit(X, y, seed=0)
    assert torch.get_num_threads() == before


def test_regression_predictions_are_on_the_target_scale():
    X, y = make_frame("regression")
    y = y * 1000 + 5000
    pred = MLPModel("regression").fit(X, y, seed=0).predict(X)
    assert abs(pred.mean() - y.mean()) < 0.2 * y.std()


def test_embedding_per_categorical_column():
    X, y = make_frame("binary")
    model = MLPModel("binary", epochs=1).fit(X, y, seed=0)
    assert model.arch_["cat_sizes"] == [4, 2] and len(model.net_.embeddings) == 2
