"""A Member of the final ensemble: one fitted model, or the average of fold models.

A member is refitted on all training rows when the time budget allows (one
model: fastest to serve); otherwise it keeps the models fitted on the CV folds
and averages them (a bag: no extra training time). Either way it looks like a
:class:`bizforge.models.base.Model` to its callers: ``predict_proba``,
``predict``, ``contributions``, ``feature_importances_``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bizforge.errors import UsageError

__all__ = ["Member", "model_class", "text_columns"]


def model_class(backend: Any) -> type:
    """The Model class for a backend name (through the catalog) or a class itself.

    Passing a class lets a caller try an unregistered model in a search.
    """
    if isinstance(backend, type):
        return backend
    from bizforge.models.catalog import get_model  # models import torch lazily; keep train light

    return get_model(str(backend))


def text_columns(frame: pd.DataFrame) -> list[str]:
    """Columns holding free text (str/object dtype) in a model frame."""
    return [
        c
        for c in frame.columns
        if pd.api.types.is_string_dtype(frame[c].dtype)
        and not isinstance(frame[c].dtype, pd.CategoricalDtype)
    ]


class Member:
    """``models`` (1 refit model, or k fold models averaged) fed ``columns`` of X.

    ``refit`` says which: True for one model trained on all rows.
    """

    def __init__(
        self,
        name: str,
        backend: str,
        params: dict[str, Any],
        models: list[Any],
        columns: list[str],
        *,
        weight: float = 0.0,
        refit: bool = False,
        problem: str = "binary",
    ):
        self.name = name
        self.backend = backend
        self.params = params
        self.models = models
        self.columns = columns
        self.weight = weight
        self.refit = refit
        self.problem = problem

    def __repr__(self) -> str:
        how = "refit" if self.refit else f"{len(self.models)} fold models"
        return f"Member({self.name}: {self.backend}, {how}, weight={self.weight:.3f})"

    @property
    def tags(self):
        return self.models[0].tags

    def _x(self, X: pd.DataFrame) -> pd.DataFrame:
        return X if list(X.columns) == self.columns else X[self.columns]

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        if self.problem == "regression":
            raise UsageError("predict_proba is for classification; use predict for regression.")
        X = self._x(X)
        return _mean([m.predict_proba(X) for m in self.models])

    def predict_value(self, X: pd.DataFrame) -> np.ndarray:
        """Probabilities for classification, predicted values for regression."""
        if self.problem == "regression":
            X = self._x(X)
            return _mean([np.asarray(m.predict(X), dtype="float64") for m in self.models])
        return self.predict_proba(X)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        value = self.predict_value(X)
        return value if self.problem == "regression" else np.argmax(value, axis=1)

    def contributions(self, X: pd.DataFrame) -> np.ndarray:
        """Per-feature contributions in raw score space, averaged over the bag."""
        X = self._x(X)
        return _mean([np.asarray(m.contributions(X), dtype="float64") for m in self.models])

    @property
    def feature_importances_(self) -> np.ndarray:
        return _mean([np.asarray(m.feature_importances_, dtype="float64") for m in self.models])

    # -- persistence -------------------------------------------------------------
    def save(self, directory: Path) -> list[str]:
        """Each model with its own ``save``; returns the sub-folders written (relative)."""
        directory = Path(directory)
        if self.refit:
            directory.mkdir(parents=True, exist_ok=True)
            self.models[0].save(directory)
            return ["."]
        parts = []
        for j, model in enumerate(self.models):
            sub = directory / f"fold_{j}"
            sub.mkdir(parents=True, exist_ok=True)
            model.save(sub)
            parts.append(sub.name)
        return parts

    def to_dict(self, path: str, parts: list[str]) -> dict[str, Any]:
        return {
            "name": self.name,
            "backend": self.backend,
            "params": self.params,
            "weight": self.weight,
            "refit": self.refit,
            "columns": list(self.columns),
            "path": path,
            "parts": parts,
        }

    @classmethod
    def load(
        cls,
        directory: Path,
        d: dict[str, Any],
        problem: str,
        classes: dict[str, type] | None = None,
    ) -> Member:
        klass = (classes or {}).get(d["backend"]) or model_class(d["backend"])
        directory = Path(directory)
        models = [klass.load(directory / part if part != "." else directory) for part in d["parts"]]
        return cls(
            d["name"],
            d["backend"],
            dict(d["params"]),
            models,
            list(d["columns"]),
            weight=float(d["weight"]),
            refit=bool(d["refit"]),
            problem=problem,
        )


def _mean(arrays: list[np.ndarray]) -> np.ndarray:
    if len(arrays) == 1:
        return np.asarray(arrays[0], dtype="float64")
    return np.mean(np.stack(arrays), axis=0)
