"""XGBoost on the encoded matrix: depth-wise trees beside LightGBM's leaf-wise ones.

Why a second booster: an ensemble gains from members whose errors differ, and
XGBoost grows trees level by level (``max_depth``) where LightGBM grows the best
leaf first, and it splits categories natively its own way. Categorical columns
reach it as category codes marked ``"c"``. Saved as XGBoost's own JSON model
(``model.json`` is bizforge's, so the booster is ``xgboost.json``); no pickle.

>>> m = XGBoostModel("binary", max_depth=4).fit(X, y, valid=(Xv, yv), budget=10)  # doctest: +SKIP
>>> m.predict_proba(X.head(1)).shape                                            # doctest: +SKIP
(1, 2)
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from bizforge.errors import ModelError
from bizforge.models.base import Model, Tags
from bizforge.models.catalog import register_model

__all__ = ["XGBoostModel", "available"]

BOOSTER_FILE = "xgboost.json"
_OBJECTIVE = {"binary": "binary:logistic", "multiclass": "multi:softprob",
              "regression": "reg:squarederror"}
_METRIC = {"binary": "logloss", "multiclass": "mlogloss", "regression": "rmse"}
# Parameters this class interprets itself; everything else goes to XGBoost as is.
_OWN = {"n_estimators", "max_rounds", "early_stopping_rounds", "n_classes", "class_weight",
        "n_threads", "rounds_without_valid"}


def available() -> bool:
    """Whether the xgboost library is installed (``pip install 'bizforge[xgboost]'``)."""
    return importlib.util.find_spec("xgboost") is not None


def _xgb():
    try:
        import xgboost
    except ImportError as exc:
        raise ModelError("the 'xgboost' backend needs the xgboost library, which is not "
                         "installed.", fix="pip install 'bizforge[xgboost]', or leave out "
                         "the xgboost candidates.") from exc
    return xgboost


def _stopper(xgb, patience: int, deadline: float | None):
    """Early stopping on the validation loss plus the time budget, in one callback."""

    class Stopper(xgb.callback.TrainingCallback):
        def __init__(self):
            self.best_score, self.best_iteration, self.timed_out = float("inf"), 0, False

        def after_iteration(self, model, epoch, evals_log) -> bool:
            if evals_log:
                score = next(iter(next(iter(evals_log.values())).values()))[-1]
                if score < self.best_score:
                    self.best_score, self.best_iteration = float(score), epoch
                elif epoch - self.best_iteration >= patience:
                    return True
            else:
                self.best_iteration = epoch
            if deadline is not None and time.monotonic() >= deadline:
                self.timed_out = True
                return True
            return False

    return Stopper()


@register_model("xgboost")
class XGBoostModel(Model):
    """Gradient-boosted trees (XGBoost ``train`` API, ``hist`` method).

    Parameters: ``max_depth``, ``learning_rate`` (``eta``), ``min_child_weight``,
    ``subsample``, ``colsample_bytree``, ``reg_lambda`` and any other XGBoost
    parameter; ``max_rounds`` (cap with validation data, early stopping after
    ``early_stopping_rounds``), ``n_estimators`` (exact rounds; the search refits
    with ``best_iteration_``), ``class_weight``.
    """

    tags = Tags(explains=False)
    passthrough_params = True
    # How the search refits on all rows: the rounds early stopping chose, as n_estimators.
    iteration_attr = "best_iteration_"
    iteration_param = "n_estimators"
    defaults: ClassVar[dict[str, Any]] = {
        "n_estimators": None, "max_rounds": 2000, "early_stopping_rounds": 50,
        "rounds_without_valid": 200, "max_depth": 6, "learning_rate": 0.05,
        "min_child_weight": 1.0, "subsample": 0.8, "colsample_bytree": 0.8,
        "reg_lambda": 1.0, "max_cat_to_onehot": 4, "max_bin": 256,
    }

    def _params(self) -> dict[str, Any]:
        params = {"objective": _OBJECTIVE[self.problem], "eval_metric": _METRIC[self.problem],
                  "tree_method": "hist", "nthread": self.threads_, "seed": self.seed_,
                  "verbosity": 0}
        if self.problem == "multiclass":
            params["num_class"] = self.n_classes_
        params.update({k: v for k, v in self.params_.items() if k not in _OWN and v is not None})
        return params

    def _matrix(self, xgb, X: np.ndarray, y=None, weight=None):
        kinds = ["c" if i in set(self.spec_.cat_idx) else "q" for i in range(X.shape[1])]
        return xgb.DMatrix(X, label=y, weight=weight, feature_types=kinds,
                           enable_categorical=True, nthread=self.threads_)

    def _fit(self, X: np.ndarray, y: np.ndarray, valid: tuple | None) -> None:
        xgb = _xgb()
        p = self.params_
        train = self._matrix(xgb, X, y, self._sample_weight(y))
        evals = []
        if valid is not None:
            vx, vy = valid
            evals.append((self._matrix(xgb, vx, vy, self._sample_weight(vy)), "valid"))
        if p["n_estimators"] is not None:
            rounds, patience = int(p["n_estimators"]), 10**9
        elif evals:
            rounds, patience = int(p["max_rounds"]), int(p["early_stopping_rounds"])
        else:
            rounds, patience = int(p["rounds_without_valid"]), 10**9
        stopper = _stopper(xgb, patience, self.deadline_)
        booster = xgb.train(self._params(), train, num_boost_round=rounds, evals=evals,
                            callbacks=[stopper], verbose_eval=False)
        best = stopper.best_iteration + 1
        # Keep only the best trees, so the in-memory model is exactly the saved one.
        self.booster_ = booster[:best]
        self.best_iteration_ = best
        self.timed_out_ = stopper.timed_out
        self._set_importances()

    def _set_importances(self) -> None:
        gain = self.booster_.get_score(importance_type="total_gain")
        imp = np.array([gain.get(f"f{i}", 0.0) for i in range(self.n_features_in_)])
        self.feature_importances_ = imp / imp.sum() if imp.sum() > 0 else imp

    def _raw(self, X: np.ndarray) -> np.ndarray:
        # XGBoost answers in float32; the contract's sums and comparisons are in float64.
        return np.asarray(self.booster_.predict(self._matrix(_xgb(), X)), dtype=np.float64)

    def _predict_proba(self, X: np.ndarray) -> np.ndarray:
        out = self._raw(X)
        if self.problem == "binary":
            return np.column_stack([1.0 - out, out])
        return out / out.sum(axis=1, keepdims=True)

    def _predict_value(self, X: np.ndarray) -> np.ndarray:
        return self._raw(X)

    def _state(self) -> dict[str, Any]:
        return {"file": BOOSTER_FILE, "best_iteration": self.best_iteration_,
                "timed_out": self.timed_out_}

    def _save_files(self, directory: Path) -> None:
        self.booster_.save_model(str(directory / BOOSTER_FILE))

    def _restore(self, state: dict[str, Any], directory: Path) -> None:
        path = directory / state["file"]
        if not path.is_file():
            raise ModelError(f"'{path}' is missing.", fix="save the model again.")
        booster = _xgb().Booster()
        booster.load_model(str(path))
        booster.set_param({"nthread": self.threads_})
        self.booster_ = booster
        self.best_iteration_ = state["best_iteration"]
        self.timed_out_ = state["timed_out"]
