"""The XGBoost backend: native JSON files, early stopping, a clear error without the library."""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest

from bizforge.errors import ModelError
from bizforge.models import get_model


def frame(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"x": rng.normal(size=n),
                      "plan": pd.Categorical(rng.choice(["a", "b", "c"], n))})
    y = (X["x"] + (X["plan"] == "a") + rng.normal(scale=0.5, size=n) > 0.5).astype(int)
    return X, y.to_numpy()


def test_saved_booster_is_xgboost_json_not_pickle(tmp_path):
    pytest.importorskip("xgboost")
    X, y = frame()
    get_model("xgboost")("binary").fit(X, y, seed=0).save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json", "xgboost.json"]
    assert "learner" in json.loads((tmp_path / "xgboost.json").read_text(encoding="utf-8"))


def test_early_stopping_keeps_only_the_best_rounds():
    pytest.importorskip("xgboost")
    X, y = frame()
    Xv, yv = frame(200, seed=1)
    noise = np.random.default_rng(2).integers(0, 2, len(yv))  # nothing to learn: stops early
    model = get_model("xgboost")("binary", max_rounds=500).fit(X, y, valid=(Xv, noise), seed=0)
    assert model.best_iteration_ < 100
    assert model.booster_.num_boosted_rounds() == model.best_iteration_


def test_fit_without_the_library_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "xgboost", None)  # import xgboost -> ImportError
    X, y = frame(40)
    with pytest.raises(ModelError, match=r"bizforge\[xgboost\]"):
        get_model("xgboost")("binary").fit(X, y, seed=0)
