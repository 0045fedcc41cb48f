"""The contract every model backend follows.

The public methods here validate, record the input schema and seed; a backend only
implements the underscore hooks, on a float64 matrix (see ``columns.ColumnSpec``):

- ``_fit(X, y, valid)`` trains (``valid`` is ``(X, y)`` or None); honours ``self.deadline_``.
- ``_predict_proba(X)`` -> (n, k) for classification; ``_predict_value(X)`` for regression.
- ``_contributions(X)`` -> raw-score attributions when ``tags.explains``.
- ``_state()`` -> JSON-able dict and ``_restore(state, directory)``; ``_save_files(directory)``
  for native files (LightGBM text, safetensors). Never pickle.

>>> from bizforge.models import get_model
>>> model = get_model("linear")("binary", C=0.5)          # doctest: +SKIP
>>> model.fit(X, y, seed=0).predict_proba(X)[:, 1]        # doctest: +SKIP
"""

from __future__ import annotations

import json
import random
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from bizforge.errors import DataError, ModelError, NotFittedError, UsageError, rows_text
from bizforge.models.columns import ColumnSpec
from bizforge.models.target import check_target, class_weights

__all__ = ["PROBLEMS", "Model", "Tags", "read_json", "write_json"]

PROBLEMS = ("binary", "multiclass", "regression")
MODEL_FILE = "model.json"
FORMAT = 1
# Parameters the base class understands for every backend.
_COMMON = {"n_classes": None, "class_weight": None, "n_threads": None}


@dataclass(frozen=True)
class Tags:
    """Capabilities, as data: read by the contract tests, the search and the server."""

    problems: tuple[str, ...] = PROBLEMS
    handles_missing: bool = True
    handles_categorical: bool = True
    handles_text: bool = False
    supports_proba: bool = True
    explains: bool = False
    needs_gpu: bool = False

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["problems"] = list(self.problems)
        return d


def _plain(value: Any) -> Any:
    """numpy scalars and arrays in parameters -> plain JSON values."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} cannot be saved as JSON")


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write JSON that round-trips floats exactly (repr) and refuses NaN/inf."""
    text = json.dumps(data, indent=1, allow_nan=False, default=_plain)
    Path(path).write_text(text, encoding="utf-8")


def read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(
            f"no saved model at '{path}'.", fix="pass the folder that Model.save wrote."
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ModelError(f"'{path}' is not valid JSON.", fix="save the model again.") from None


class Model:
    """Base class of every backend: ``fit`` -> ``predict`` / ``predict_proba`` -> ``save``.

    Constructors store parameters only; learned state lives in attributes ending in
    ``_``. ``params`` are the backend's own (``defaults``) plus ``n_classes``,
    ``class_weight`` (None | "balanced" | {class: weight}) and ``n_threads``.
    """

    name: ClassVar[str] = "model"
    tags: ClassVar[Tags] = Tags()
    # Backend parameters and their defaults; ``presets`` are named bundles of them.
    defaults: ClassVar[dict[str, Any]] = {}
    presets: ClassVar[dict[str, dict[str, Any]]] = {}
    # Backends that forward unknown parameters to their library (LightGBM) set this.
    passthrough_params: ClassVar[bool] = False

    def __init__(self, problem: str, **params: Any):
        self.problem = problem
        self.params = params

    def __repr__(self) -> str:
        args = "".join(f", {k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({self.problem!r}{args})"

    def get_params(self) -> dict[str, Any]:
        return {"problem": self.problem, **self.params}

    # -- public API ------------------------------------------------------------------------

    def fit(
        self,
        X: pd.DataFrame,
        y: Any,
        *,
        valid: tuple[pd.DataFrame, Any] | None = None,
        budget: float | None = None,
        seed: int = 0,
    ) -> Model:
        """Validate, record the schema, seed, then train within ``budget`` seconds.

        >>> model.fit(X_train, y_train, valid=(X_valid, y_valid), budget=20, seed=0)  # doctest: +SKIP
        """
        start = time.monotonic()
        self.__dict__.pop("is_fitted_", None)
        self.params_ = self._resolve_params()
        _require_frame(X, "X")
        if len(X) == 0 or X.shape[1] == 0:
            raise DataError(
                f"the training frame is empty ({X.shape[0]} rows, {X.shape[1]} columns).",
                fix="pass at least a few rows and one feature column.",
            )
        self.spec_ = ColumnSpec.from_frame(
            X, model=self.name, text=self.tags.handles_text,
            categorical=self.tags.handles_categorical,
        )
        self.feature_names_ = list(self.spec_.names)
        self.dtypes_ = {str(c): str(t) for c, t in zip(X.columns, X.dtypes)}
        self.categories_ = self.spec_.categories
        self.n_features_in_ = len(self.feature_names_)
        Xm = self._encode(X)
        ym = self._check_y(y, len(X), fitting=True)
        valid_m = None
        if valid is not None:
            vx, vy = valid
            _require_frame(vx, "valid X")
            if len(vx) == 0:
                raise DataError("the validation frame has no rows.",
                                fix="pass valid=None or at least one validation row.")
            valid_m = (self._encode_valid(vx), self._check_y(vy, len(vx)))
        self.seed_ = int(seed)
        self.threads_ = int(self.params_["n_threads"] or _settings_threads())
        self.budget_ = budget
        self.deadline_ = None if budget is None else start + float(budget)
        _seed_everything(self.seed_)
        self._fit(Xm, ym, valid_m)
        self.fit_seconds_ = time.monotonic() - start
        self.is_fitted_ = True
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Class index (int64) for classification, float64 value for regression."""
        Xm = self._check_X(X)
        if self.problem == "regression":
            return np.asarray(self._predict_value(Xm), dtype=np.float64)
        return np.asarray(self._predict_proba(Xm)).argmax(axis=1).astype(np.int64)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """(n, n_classes) float64 probabilities; binary gives 2 columns."""
        if self.problem == "regression" or not self.tags.supports_proba:
            raise UsageError(
                f"predict_proba is for classification; this {self.name} model does "
                f"{self.problem}.",
                fix="use predict().",
            )
        return np.asarray(self._predict_proba(self._check_X(X)), dtype=np.float64)

    def contributions(self, X: pd.DataFrame) -> np.ndarray:
        """Per-column attributions in raw score space, last column = bias.

        Binary and regression: (n, n_features + 1), each row sums to the raw score
        (log-odds or value). Multiclass: (n, n_classes, n_features + 1), one row per class
        summing to that class's raw score (softmax of the sums = predict_proba).
        """
        if not self.tags.explains:
            raise UsageError(
                f"model '{self.name}' does not explain predictions.",
                fix="explain through a backend tagged explains=True (lightgbm, linear).",
            )
        return np.asarray(self._contributions(self._check_X(X)), dtype=np.float64)

    def save(self, directory: str | Path) -> None:
        """Write ``model.json`` (+ the backend's native files) into ``directory``."""
        self._require_fitted()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        state = {
            "format": FORMAT,
            "backend": self.name,
            "problem": self.problem,
            "params": self.params,
            "columns": self.spec_.to_dict(),
            "dtypes": self.dtypes_,
            "n_classes": self.n_classes_,
            "seed": self.seed_,
            "threads": self.threads_,
            "fit_seconds": self.fit_seconds_,
            "feature_importances": _floats(self.feature_importances_),
            "state": self._state(),
        }
        self._save_files(directory)
        write_json(directory / MODEL_FILE, state)

    @classmethod
    def load(cls, directory: str | Path) -> Model:
        """Rebuild a saved model; ``Model.load`` picks the backend from ``model.json``."""
        directory = Path(directory)
        data = read_json(directory / MODEL_FILE)
        if data.get("format") != FORMAT:
            raise ModelError(
                f"'{directory / MODEL_FILE}' has format {data.get('format')!r}; "
                f"this bizforge reads format {FORMAT}.",
                fix="save the model again with this version.",
            )
        backend = data.get("backend")
        klass = cls
        if backend != cls.name:
            from bizforge.models.catalog import get_model

            klass = get_model(backend)
            if not issubclass(klass, cls):
                raise ModelError(
                    f"'{directory}' holds a '{backend}' model, not '{cls.name}'.",
                    fix=f"load it with {klass.__name__}.load or Model.load.",
                )
        model = klass(data["problem"], **data["params"])
        model.params_ = model._resolve_params()
        model.spec_ = ColumnSpec.from_dict(data["columns"])
        model.feature_names_ = list(model.spec_.names)
        model.dtypes_ = data["dtypes"]
        model.categories_ = model.spec_.categories
        model.n_features_in_ = len(model.feature_names_)
        model.n_classes_ = data["n_classes"]
        model.seed_ = data["seed"]
        model.threads_ = data["threads"]
        model.fit_seconds_ = data["fit_seconds"]
        model.budget_, model.deadline_ = None, None
        model.feature_importances_ = np.asarray(data["feature_importances"], dtype=np.float64)
        model._restore(data["state"], directory)
        model.is_fitted_ = True
        return model

    # -- shared helpers for backends -----------------------------------------------------

    def _check_X(self, X: pd.DataFrame) -> np.ndarray:
        """Validate a prediction frame and encode it (fit order, codes, NaN = missing)."""
        if not getattr(self, "is_fitted_", False):
            self._require_fitted()
        if not isinstance(X, pd.DataFrame):
            _require_frame(X, "X")
        if len(X) == 0:
            raise DataError(
                "the input has no rows.", fix="send at least one row to predict."
            )
        return self._encode(X)

    def _encode_valid(self, X: pd.DataFrame):
        """Validation rows while fitting; a backend may encode them more quietly."""
        return self._encode(X)

    def _encode(self, X: pd.DataFrame) -> np.ndarray:
        Xm = self.spec_.encode(X)
        # inf breaks every backend's arithmetic; ask for it to be fixed at the source.
        if not np.isfinite(Xm).all():
            bad = np.isinf(Xm)
            if bad.any():
                self._raise_at(bad, "holds an infinite value", "replace it with a number or leave "
                               "the cell empty for missing.")
            if not self.tags.handles_missing:
                self._raise_at(np.isnan(Xm), "has missing values and model "
                               f"'{self.name}' cannot handle them",
                               "fill them (e.g. with the median) or choose a backend that "
                               "handles missing values.")
        return Xm

    def _raise_at(self, mask: np.ndarray, what: str, fix: str) -> None:
        col = int(np.flatnonzero(mask.any(axis=0))[0])
        rows = [int(r) + 1 for r in np.flatnonzero(mask[:, col])]
        name = self.spec_.names[col]
        raise DataError(f"column '{name}' {what} ({rows_text(rows)}).", column=name,
                        rows=rows, fix=fix)

    def _check_y(self, y: Any, n: int, fitting: bool = False) -> np.ndarray:
        n_classes = self.params_["n_classes"] if fitting else self.n_classes_
        out, k = check_target(y, n, self.problem, n_classes=n_classes, fitting=fitting)
        if fitting:
            self.n_classes_ = k
        return out

    def _sample_weight(self, y: np.ndarray) -> np.ndarray | None:
        """Per-row weights from the ``class_weight`` parameter (None: unweighted)."""
        if self.problem == "regression":
            return None
        return class_weights(y, self.n_classes_, self.params_["class_weight"])

    def _time_left(self) -> float | None:
        """Seconds left of the fit budget (None: no budget)."""
        return None if self.deadline_ is None else self.deadline_ - time.monotonic()

    def _resolve_params(self) -> dict[str, Any]:
        if self.problem not in self.tags.problems:
            raise UsageError(
                f"model '{self.name}' does not do '{self.problem}' problems.",
                fix=f"use one of: {', '.join(self.tags.problems)}.",
            )
        merged = {**_COMMON, **self.defaults}
        preset = self.params.get("preset", merged.get("preset"))
        if preset is not None:
            if preset not in self.presets:
                raise UsageError(
                    f"model '{self.name}' has no preset '{preset}'.",
                    fix=f"use one of: {', '.join(self.presets)}.",
                )
            merged.update(self.presets[preset])
        unknown = sorted(set(self.params) - set(merged) - {"preset"})
        if unknown and not self.passthrough_params:
            raise UsageError(
                f"model '{self.name}' has no parameter {', '.join(map(repr, unknown))}.",
                fix=f"use one of: {', '.join(sorted(set(merged) | {'preset'}))}.",
            )
        merged.update(self.params)
        return merged

    def _require_fitted(self) -> None:
        if not getattr(self, "is_fitted_", False):
            raise NotFittedError(
                f"this {self.name} model is not fitted yet.",
                fix="call fit(X, y) first, or Model.load(folder).",
            )

    # -- hooks --------------------------------------------------------------------------

    def _fit(self, X: np.ndarray, y: np.ndarray, valid: tuple | None) -> None:
        raise NotImplementedError

    def _predict_proba(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _predict_value(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _contributions(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _state(self) -> dict[str, Any]:
        return {}

    def _save_files(self, directory: Path) -> None:
        pass

    def _restore(self, state: dict[str, Any], directory: Path) -> None:
        pass


def _require_frame(X: Any, what: str) -> None:
    if not isinstance(X, pd.DataFrame):
        raise DataError(
            f"{what} must be a pandas DataFrame, not {type(X).__name__}.",
            fix="wrap the rows in pandas.DataFrame (the cleaning recipe returns one).",
        )


def _floats(a: Any) -> list[float]:
    return [float(v) for v in np.nan_to_num(np.asarray(a, dtype=np.float64))]


def _settings_threads() -> int:
    from bizforge.config import get_settings

    return get_settings().threads


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch = sys.modules.get("torch")
    if torch is not None:  # only when a backend already imported it: torch is slow to import
        torch.manual_seed(seed)
