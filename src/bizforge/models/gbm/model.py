"""LightGBM gradient boosting on the encoded matrix, with native categorical splits.

Categorical columns reach LightGBM as category codes with ``categorical_feature`` set,
so the categories stay exactly those recorded at fit. Saved as LightGBM's own text
model (``model.txt``) plus ``model.json``.

>>> m = LightGBMModel("binary", preset="shallow").fit(X, y, valid=(Xv, yv), budget=10)  # doctest: +SKIP
>>> m.contributions(X.head(1)).shape                                                  # doctest: +SKIP
(1, 20)
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any, ClassVar

import lightgbm as lgb
import numpy as np

from bizforge.errors import ModelError
from bizforge.models.base import Model, Tags, _settings_threads
from bizforge.models.catalog import register_model

__all__ = ["LightGBMModel", "safe_feature_names"]

MODEL_TXT = "model.txt"
_OBJECTIVE = {"binary": "binary", "multiclass": "multiclass", "regression": "regression"}
_METRIC = {"binary": "binary_logloss", "multiclass": "multi_logloss", "regression": "l2"}
# Parameters this class interprets itself; everything else goes to LightGBM as is.
# Below these sizes one OpenMP thread is faster: tiny parallel regions cost more to
# hand over than they save, and on a busy machine waiting threads make it many times slower.
_PARALLEL_FIT_CELLS = 1_000_000
_PARALLEL_PREDICT_ROWS = 2_000
_OWN = {"preset", "n_estimators", "max_rounds", "early_stopping_rounds", "n_classes",
        "class_weight", "n_threads", "rounds_without_valid"}


def safe_feature_names(names: list[str]) -> list[str]:
    """Names LightGBM accepts (it rejects JSON characters such as ``[]{},:"``), unique.

    >>> safe_feature_names(['plan: "a"', "plan_a_", "年龄"])
    ['plan_a_', 'plan_a__1', 'f2']
    """
    out: list[str] = []
    seen: set[str] = set()
    for i, name in enumerate(names):
        safe = re.sub(r"[^0-9A-Za-z_.\-]", "_", name)
        if not safe.strip("_"):
            safe = f"f{i}"
        base, k = safe, 1
        while safe in seen:
            safe = f"{base}_{k}"
            k += 1
        seen.add(safe)
        out.append(safe)
    return out


class _Stopper:
    """Early stopping on the validation loss plus the time budget, in one callback.

    Stopping keeps the best iteration so far; without validation data the budget
    keeps every tree grown so far.
    """

    order = 30
    before_iteration = False

    def __init__(self, patience: int, deadline: float | None):
        self.patience = patience
        self.deadline = deadline
        self.best_score = float("inf")
        self.best_iteration = -1
        self.best_results: list = []
        self.timed_out = False

    def __call__(self, env: lgb.callback.CallbackEnv) -> None:
        results = env.evaluation_result_list or []
        if results:
            score = results[0][2]
            if results[0][3]:  # higher is better
                score = -score
            if score < self.best_score:
                self.best_score, self.best_iteration = score, env.iteration
                self.best_results = list(results)
            elif env.iteration - self.best_iteration >= self.patience:
                raise lgb.callback.EarlyStopException(self.best_iteration, self.best_results)
        else:
            self.best_iteration = env.iteration
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self.timed_out = True
            raise lgb.callback.EarlyStopException(self.best_iteration, self.best_results)


@register_model("lightgbm")
class LightGBMModel(Model):
    """Gradient-boosted trees (LightGBM ``train`` API).

    Parameters: ``preset`` ("default", "shallow", "deep", "rare", "extra"), ``learning_rate``,
    ``num_leaves`` and any other LightGBM parameter; ``max_rounds`` (cap with
    validation data, early stopping after ``early_stopping_rounds``), ``n_estimators``
    (exact number of rounds; the search refits with ``best_iteration_``), ``class_weight``.
    Without validation data and ``n_estimators`` it grows ``rounds_without_valid`` trees.
    """

    tags = Tags(explains=True)
    passthrough_params = True
    defaults: ClassVar[dict[str, Any]] = {
        "preset": "default",
        "n_estimators": None,
        "max_rounds": 3000,
        "early_stopping_rounds": 50,
        "rounds_without_valid": 200,
    }
    presets: ClassVar[dict[str, dict[str, Any]]] = {
        "default": {"learning_rate": 0.05, "num_leaves": 31, "min_data_in_leaf": 20,
                    "feature_fraction": 0.9, "bagging_fraction": 0.8, "bagging_freq": 1,
                    "lambda_l2": 1.0},
        "shallow": {"learning_rate": 0.05, "num_leaves": 15, "min_data_in_leaf": 30,
                    "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1,
                    "lambda_l2": 1.0, "cat_smooth": 20.0, "rounds_without_valid": 150},
        "deep": {"learning_rate": 0.03, "num_leaves": 63, "min_data_in_leaf": 10,
                 "feature_fraction": 0.7, "bagging_fraction": 0.8, "bagging_freq": 1,
                 "lambda_l2": 3.0, "rounds_without_valid": 300},
        # Rare positives (a few hundred failures or frauds): let leaves hold fewer rows.
        "rare": {"learning_rate": 0.05, "num_leaves": 15, "min_data_in_leaf": 10,
                 "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1,
                 "lambda_l2": 1.0, "rounds_without_valid": 300},
        "extra": {"learning_rate": 0.05, "num_leaves": 31, "min_data_in_leaf": 20,
                  "extra_trees": True, "feature_fraction": 0.8, "lambda_l2": 1.0,
                  "rounds_without_valid": 300},
    }

    def _lgb_params(self) -> dict[str, Any]:
        p = self.params_
        params: dict[str, Any] = {
            "objective": _OBJECTIVE[self.problem],
            "metric": _METRIC[self.problem],
            "verbosity": -1,
            "num_threads": self.threads_,
            "seed": self.seed_,
            "deterministic": True,
            "force_row_wise": True,
            "feature_pre_filter": False,
        }
        if self.problem == "multiclass":
            params["num_class"] = self.n_classes_
        params.update({k: v for k, v in p.items() if k not in _OWN and v is not None})
        return params

    def _fit(self, X: np.ndarray, y: np.ndarray, valid: tuple | None) -> None:
        p = self.params_
        names = safe_feature_names(self.feature_names_)
        params = self._lgb_params()
        explicit = self.params_["n_threads"] is not None or "num_threads" in self.params
        if X.size < _PARALLEL_FIT_CELLS and not explicit:
            params["num_threads"] = 1
        cat = self.spec_.cat_idx or "auto"
        train = lgb.Dataset(X, label=y, weight=self._sample_weight(y), feature_name=names,
                            categorical_feature=cat, free_raw_data=True)
        valid_sets = []
        if valid is not None:
            vx, vy = valid
            valid_sets.append(lgb.Dataset(vx, label=vy, weight=self._sample_weight(vy),
                                          reference=train, categorical_feature=cat))
        if p["n_estimators"] is not None:
            rounds, patience = int(p["n_estimators"]), 10**9
        elif valid_sets:
            rounds, patience = int(p["max_rounds"]), int(p["early_stopping_rounds"])
        else:
            rounds, patience = int(p["rounds_without_valid"]), 10**9
        stopper = _Stopper(patience, self.deadline_)
        booster = lgb.train(params, train, num_boost_round=rounds, valid_sets=valid_sets,
                            valid_names=["valid"] * len(valid_sets), callbacks=[stopper])
        best = stopper.best_iteration + 1 if stopper.best_iteration >= 0 else 1
        # Keep only the best trees, so the in-memory model is exactly the saved one.
        self.booster_ = lgb.Booster(model_str=booster.model_to_string(num_iteration=best))
        self.best_iteration_ = best
        self.best_score_ = None if not valid_sets else float(stopper.best_score)
        self.timed_out_ = stopper.timed_out
        self.lgb_names_ = names
        self._set_importances()

    def _set_importances(self) -> None:
        gain = self.booster_.feature_importance(importance_type="gain")
        total = gain.sum()
        self.feature_importances_ = gain / total if total > 0 else gain.astype(np.float64)

    def _raw(self, X: np.ndarray, **kw: Any) -> np.ndarray:
        # Fit threads may be pinned to 1 by the search; a large batch still uses every core.
        # Settings are read once per model: building them costs ~5 ms, a 10k-row batch ~50.
        threads = 1
        if len(X) >= _PARALLEL_PREDICT_ROWS:
            threads = getattr(self, "batch_threads_", None)
            if threads is None:
                threads = self.batch_threads_ = max(self.threads_, _settings_threads())
        return self.booster_.predict(X, num_threads=threads, **kw)

    def _predict_proba(self, X: np.ndarray) -> np.ndarray:
        out = self._raw(X)
        if self.problem == "binary":
            return np.column_stack([1.0 - out, out])
        return out

    def _predict_value(self, X: np.ndarray) -> np.ndarray:
        return self._raw(X)

    def _contributions(self, X: np.ndarray) -> np.ndarray:
        out = np.asarray(self._raw(X, pred_contrib=True))
        if self.problem == "multiclass":
            # LightGBM lays classes side by side: (n, k * (p + 1)).
            return out.reshape(len(X), self.n_classes_, self.n_features_in_ + 1)
        return out

    def _state(self) -> dict[str, Any]:
        return {"file": MODEL_TXT, "lgb_names": self.lgb_names_,
                "best_iteration": self.best_iteration_, "best_score": self.best_score_,
                "timed_out": self.timed_out_}

    def _save_files(self, directory: Path) -> None:
        self.booster_.save_model(str(directory / MODEL_TXT))

    def _restore(self, state: dict[str, Any], directory: Path) -> None:
        path = directory / state["file"]
        if not path.is_file():
            raise ModelError(f"'{path}' is missing.", fix="save the model again.")
        self.booster_ = lgb.Booster(model_file=str(path))
        self.lgb_names_ = state["lgb_names"]
        self.best_iteration_ = state["best_iteration"]
        self.best_score_ = state["best_score"]
        self.timed_out_ = state["timed_out"]
