"""Tiny fake backends that follow the Model contract, and small deterministic frames.

The fakes subclass the real ``bizforge.models.base.Model`` (validation, save/load
in JSON) but are never registered, so the contract suite does not see them; the
search receives the class itself as a candidate's backend.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest

from bizforge.models.base import Model, Tags


class OneColumnModel(Model):
    """Predicts from one numeric column: class centroids (classification) or a line.

    ``sleep``: seconds each fit takes; ``respect_budget``: whether it stops at the
    fit budget; ``fail``: raise in fit (a broken backend); ``fail_refit``: raise
    only when fitted without validation rows (the final refit).
    """

    name = "fake"
    tags = Tags(explains=False)
    iteration_param = "rounds"
    defaults: ClassVar[dict[str, Any]] = {
        "column": 0,
        "sleep": 0.0,
        "respect_budget": True,
        "fail": False,
        "rounds": 50,
        "fail_refit": False,
    }

    def _fit(self, X: np.ndarray, y: np.ndarray, valid: tuple | None) -> None:
        p = self.params_
        if p["fail"] or (p["fail_refit"] and valid is None):
            raise RuntimeError("this fake backend always fails")
        sleep = float(p["sleep"])
        if p["respect_budget"] and self.deadline_ is not None:
            sleep = min(sleep, max(0.0, self._time_left()))
        time.sleep(sleep)
        x = X[:, int(p["column"])]
        if self.problem == "regression":
            self.coef_ = np.polyfit(x, y, 1).tolist()
        else:
            self.centroids_ = [
                float(np.mean(x[y == k])) if np.any(y == k) else 0.0 for k in range(self.n_classes_)
            ]
        if valid is not None:
            self.best_iteration_ = int(p["rounds"]) // 2
        self.feature_importances_ = np.eye(X.shape[1])[int(p["column"])]

    def _predict_value(self, X: np.ndarray) -> np.ndarray:
        return np.polyval(self.coef_, X[:, int(self.params_["column"])])

    def _predict_proba(self, X: np.ndarray) -> np.ndarray:
        x = X[:, int(self.params_["column"])][:, None]
        logits = -((x - np.asarray(self.centroids_)[None, :]) ** 2)
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return e / e.sum(axis=1, keepdims=True)

    def _state(self) -> dict[str, Any]:
        if self.problem == "regression":
            return {"coef": self.coef_}
        return {"centroids": self.centroids_}

    def _restore(self, state: dict[str, Any], directory) -> None:
        if "coef" in state:
            self.coef_ = state["coef"]
        else:
            self.centroids_ = state["centroids"]


@pytest.fixture
def fake_model():
    return OneColumnModel


def two_signal_frame(n: int = 200, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Binary target driven equally by x1 and x2 (so each alone is only half the story)."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    noise = rng.normal(scale=0.5, size=n)
    y = np.where(x1 + x2 + noise > 0, "yes", "no")
    frame = pd.DataFrame({"x1": x1, "x2": x2, "plan": pd.Categorical(rng.choice(["a", "b"], n))})
    return frame, y


@pytest.fixture
def binary_data():
    return two_signal_frame()


@pytest.fixture
def make_binary():
    """``make_binary(n, seed)`` -> (frame, labels), for tests that need another size."""
    return two_signal_frame
