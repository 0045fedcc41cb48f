"""A torch MLP for tables: standardised numerics + category embeddings, dropout, early stopping.

Saved as ``weights.safetensors`` plus the preprocessing arrays in ``model.json``.
torch is imported only when a model is fitted or loaded.

>>> m = MLPModel("binary", hidden=[64, 32]).fit(X, y, valid=(Xv, yv), budget=30)  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from scipy.special import expit, softmax

from bizforge.errors import ModelError
from bizforge.models.base import Model, Tags
from bizforge.models.catalog import register_model
from bizforge.models.preprocess import NumericPrep

__all__ = ["MLPModel"]

WEIGHTS = "weights.safetensors"
# Below this many rows there is too little to hold some out for early stopping.
_MIN_ROWS_FOR_HOLDOUT = 50


@register_model("mlp")
class MLPModel(Model):
    """Multi-layer perceptron (AdamW, dropout, early stopping on validation loss).

    Parameters: ``hidden`` (layer widths), ``dropout``, ``lr``, ``weight_decay``,
    ``batch_size``, ``max_epochs``, ``patience``, ``epochs`` (exact count, no early
    stopping), ``valid_fraction`` (held out of the training rows when no ``valid`` is
    given), ``emb_max_dim``, ``class_weight``.
    """

    tags = Tags(explains=False)
    defaults: ClassVar[dict[str, Any]] = {
        "hidden": [64, 32], "dropout": 0.1, "lr": 2e-3, "weight_decay": 1e-2,
        "batch_size": 256, "max_epochs": 200, "patience": 12, "epochs": None,
        "valid_fraction": 0.1, "emb_max_dim": 8,
    }
    presets: ClassVar[dict[str, dict[str, Any]]] = {
        "default": {},
        "small": {"hidden": [32, 16], "dropout": 0.05},
        "wide": {"hidden": [128, 64], "dropout": 0.2, "lr": 1e-3},
    }

    # -- training ------------------------------------------------------------------------

    def _fit(self, X: np.ndarray, y: np.ndarray, valid: tuple | None) -> None:
        import torch

        p = self.params_
        torch.manual_seed(self.seed_)
        threads_before = torch.get_num_threads()
        # Matrices of one mini-batch are small: handing them to several OpenMP threads
        # costs more than it saves (much more on a busy machine), so use one thread then.
        small = int(p["batch_size"]) * max([int(h) for h in p["hidden"]] or [1]) < 131072
        torch.set_num_threads(1 if small else max(1, self.threads_))
        try:
            self._train(X, y, valid, rng=np.random.default_rng(self.seed_))
        finally:
            torch.set_num_threads(threads_before)

    def _train(self, X: np.ndarray, y: np.ndarray, valid: tuple | None, rng) -> None:
        from bizforge.models.mlp.net import TabularNet, embedding_dim, train_net

        p = self.params_
        weight = self._sample_weight(y)
        weight = np.ones(len(y)) if weight is None else weight
        if valid is None and p["epochs"] is None and len(X) >= _MIN_ROWS_FOR_HOLDOUT:
            order = rng.permutation(len(X))
            n_valid = max(1, round(len(X) * float(p["valid_fraction"])))
            hold, keep = order[:n_valid], order[n_valid:]
            valid = (X[hold], y[hold])
            valid_w = weight[hold]
            X, y, weight = X[keep], y[keep], weight[keep]
        else:
            valid_w = None if valid is None else self._valid_weight(valid[1])
        self.prep_ = NumericPrep.fit(X[:, self.spec_.num_idx])
        if self.problem == "regression":
            self.y_mean_, self.y_scale_ = float(y.mean()), float(y.std() or 1.0)
        else:
            self.y_mean_, self.y_scale_ = 0.0, 1.0
        cap = int(p["emb_max_dim"])
        self.arch_ = {
            "n_numeric": self.prep_.width,
            "cat_sizes": list(self.spec_.n_cats),
            "emb_dims": [embedding_dim(k, cap) for k in self.spec_.n_cats],
            "hidden": [int(h) for h in p["hidden"]],
            "dropout": float(p["dropout"]),
            "n_out": 1 if self.problem in ("binary", "regression") else self.n_classes_,
        }
        self.net_ = TabularNet(**self.arch_)
        train = self._tensors(X, y, weight)
        exact = p["epochs"] is not None
        valid_t = None if valid is None or exact else self._tensors(valid[0], valid[1], valid_w)
        epochs = int(p["epochs"] if exact else (p["max_epochs"] if valid_t is not None else 50))
        result = train_net(
            self.net_, self._loss_fn(), train, valid_t, lr=float(p["lr"]),
            weight_decay=float(p["weight_decay"]), batch_size=int(p["batch_size"]),
            epochs=epochs, patience=int(p["patience"]), deadline=self.deadline_,
            seed=self.seed_,
        )
        self.best_epoch_, self.best_score_ = result.best_epoch, result.best_loss
        self.timed_out_, self.epochs_run_ = result.timed_out, result.epochs_run
        self.feature_importances_ = self._permutation_importance(*(valid or (X, y)), rng)

    def _valid_weight(self, y: np.ndarray) -> np.ndarray:
        w = self._sample_weight(y)
        return np.ones(len(y)) if w is None else w

    def _tensors(self, X: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple:
        import torch

        num, cat = self._inputs(X)
        if self.problem == "regression":
            target = torch.from_numpy(((y - self.y_mean_) / self.y_scale_).astype(np.float32))
        elif self.problem == "binary":
            target = torch.from_numpy(y.astype(np.float32))
        else:
            target = torch.from_numpy(y.astype(np.int64))
        return num, cat, target, torch.from_numpy(w.astype(np.float32))

    def _loss_fn(self):
        from torch import nn

        if self.problem == "binary":
            bce = nn.BCEWithLogitsLoss(reduction="none")
            return lambda out, t: bce(out[:, 0], t)
        if self.problem == "regression":
            mse = nn.MSELoss(reduction="none")
            return lambda out, t: mse(out[:, 0], t)
        return nn.CrossEntropyLoss(reduction="none")

    def _permutation_importance(self, X: np.ndarray, y: np.ndarray, rng) -> np.ndarray:
        """Loss increase when one column is shuffled, on at most 1000 held-out rows."""
        if len(X) > 1000:
            pick = rng.choice(len(X), 1000, replace=False)
            X, y = X[pick], y[pick]
        base = self._loss_on(X, y)
        imp = np.zeros(self.n_features_in_)
        for j in range(self.n_features_in_):
            Xp = X.copy()
            Xp[:, j] = Xp[rng.permutation(len(X)), j]
            imp[j] = max(0.0, self._loss_on(Xp, y) - base)
        return imp / imp.sum() if imp.sum() > 0 else imp

    def _loss_on(self, X: np.ndarray, y: np.ndarray) -> float:
        if self.problem == "regression":
            return float(np.mean((self._predict_value(X) - y) ** 2))
        proba = self._predict_proba(X)
        return float(-np.mean(np.log(np.clip(proba[np.arange(len(y)), y], 1e-15, 1.0))))

    # -- prediction ----------------------------------------------------------------------

    def _inputs(self, X: np.ndarray):
        from bizforge.models.mlp.net import to_tensors

        return to_tensors(self.prep_.transform(X[:, self.spec_.num_idx]), X[:, self.spec_.cat_idx])

    def _logits(self, X: np.ndarray) -> np.ndarray:
        import torch

        num, cat = self._inputs(X)
        with torch.inference_mode():
            out = self.net_(num, cat)
        # Finish in float64 so probabilities sum to 1 to machine precision.
        return out.numpy().astype(np.float64)

    def _predict_proba(self, X: np.ndarray) -> np.ndarray:
        z = self._logits(X)
        if self.problem == "binary":
            p1 = expit(z[:, 0])
            return np.column_stack([1.0 - p1, p1])
        return softmax(z, axis=1)

    def _predict_value(self, X: np.ndarray) -> np.ndarray:
        return self._logits(X)[:, 0] * self.y_scale_ + self.y_mean_

    # -- persistence ---------------------------------------------------------------------

    def _state(self) -> dict[str, Any]:
        return {
            "file": WEIGHTS, "arch": self.arch_, "numeric": self.prep_.to_dict(),
            "y_mean": self.y_mean_, "y_scale": self.y_scale_, "best_epoch": self.best_epoch_,
            "best_score": self.best_score_, "epochs_run": self.epochs_run_,
            "timed_out": self.timed_out_,
        }

    def _save_files(self, directory: Path) -> None:
        from safetensors.torch import save_file

        state = {k: v.detach().contiguous() for k, v in self.net_.state_dict().items()}
        save_file(state, str(directory / WEIGHTS))

    def _restore(self, state: dict[str, Any], directory: Path) -> None:
        from safetensors.torch import load_file

        from bizforge.models.mlp.net import TabularNet

        path = directory / state["file"]
        if not path.is_file():
            raise ModelError(f"'{path}' is missing.", fix="save the model again.")
        self.arch_ = state["arch"]
        self.prep_ = NumericPrep.from_dict(state["numeric"])
        self.y_mean_, self.y_scale_ = state["y_mean"], state["y_scale"]
        self.best_epoch_, self.best_score_ = state["best_epoch"], state["best_score"]
        self.epochs_run_, self.timed_out_ = state["epochs_run"], state["timed_out"]
        self.net_ = TabularNet(**self.arch_)
        self.net_.load_state_dict(load_file(str(path)))
        self.net_.eval()
