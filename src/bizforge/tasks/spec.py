"""TaskSpec: WHAT is predicted — the target, its classes and the metric.

A spec is plain data (``to_dict``/``from_dict`` round-trip through JSON) so it
is saved with every artifact and the server decodes predictions exactly as
training encoded them.

Class order: multiclass labels are sorted; for a binary task the positive
class is always LAST, so column 1 of ``predict_proba`` is P(positive) for every
binary model, whatever the labels are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bizforge.errors import DataError, UsageError, rows_text

__all__ = [
    "DEFAULT_METRIC",
    "METRICS",
    "PROBLEMS",
    "TASKS",
    "TaskSpec",
    "check_metric",
    "is_missing_label",
]

TASKS = ("tabular-classification", "tabular-regression", "text-classification")
PROBLEMS = ("binary", "multiclass", "regression")

# Metrics a search may optimise, by problem. The first one is the default.
METRICS: dict[str, tuple[str, ...]] = {
    "binary": ("roc_auc", "log_loss", "accuracy", "f1", "pr_auc", "balanced_accuracy"),
    "multiclass": ("log_loss", "accuracy", "macro_f1", "balanced_accuracy"),
    "regression": ("rmse", "mae", "r2"),
}
DEFAULT_METRIC = {problem: names[0] for problem, names in METRICS.items()}


def check_metric(metric: str | None, problem: str) -> str:
    """The metric to use for ``problem``: ``metric`` if valid, else the default.

    >>> check_metric(None, "binary")
    'roc_auc'
    """
    if metric is None:
        return DEFAULT_METRIC[problem]
    name = str(metric).lower().replace("-", "_")
    aliases = {"auc": "roc_auc", "logloss": "log_loss", "average_precision": "pr_auc"}
    name = aliases.get(name, name)
    if name not in METRICS[problem]:
        raise UsageError(
            f"metric '{metric}' does not apply to a {problem} task.",
            fix=f"use one of: {', '.join(METRICS[problem])}.",
        )
    return name


def is_missing_label(values: pd.Series) -> np.ndarray:
    """True where a target value is missing: NA/NaN/None or a blank string."""
    missing = values.isna().to_numpy(dtype=bool)
    if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
        text = values.astype("string").str.strip()
        missing = missing | (text == "").fillna(True).to_numpy(dtype=bool)
    return missing


def _plain(value: Any) -> Any:
    """A JSON-friendly Python scalar for a label (numpy ints -> int, ...)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@dataclass
class TaskSpec:
    """What to predict, resolved from the data by :func:`bizforge.tasks.resolve_task`.

    ``classes`` holds the original labels (str, int, float or bool) in encoding
    order; ``positive`` is the positive class of a binary task (last in
    ``classes``). ``dropped`` counts rows that cannot be used for training
    (``{"missing_target": n, "rare_class": n}``) and ``warnings`` explains every
    fallback taken, as ``{"kind", "message"}``.

    >>> spec = TaskSpec("tabular-classification", "binary", "Churn", ["No", "Yes"], "Yes")
    >>> spec.encode(["Yes", "No"]).tolist()
    [1, 0]
    >>> spec.decode([0, 1]).tolist()
    ['No', 'Yes']
    """

    kind: str
    problem: str
    target: str
    classes: list[Any] = field(default_factory=list)
    positive: Any = None
    metric: str = ""
    dropped: dict[str, int] = field(default_factory=dict)
    warnings: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.kind not in TASKS:
            raise UsageError(f"unknown task '{self.kind}'.", fix=f"use one of: {', '.join(TASKS)}.")
        if self.problem not in PROBLEMS:
            raise UsageError(
                f"unknown problem '{self.problem}'.", fix=f"use one of: {', '.join(PROBLEMS)}."
            )
        self.classes = [_plain(c) for c in self.classes]
        self.positive = _plain(self.positive)
        if not self.metric:
            self.metric = DEFAULT_METRIC[self.problem]

    # -- facts -----------------------------------------------------------------
    @property
    def is_classification(self) -> bool:
        return self.problem != "regression"

    @property
    def n_classes(self) -> int:
        """Number of classes (0 for regression)."""
        return len(self.classes)

    @property
    def positive_index(self) -> int | None:
        """Column of P(positive) in ``predict_proba`` for a binary task (always 1)."""
        if self.problem != "binary":
            return None
        return self.classes.index(self.positive)

    # -- labels <-> indices ----------------------------------------------------
    def keep_mask(self, y: Any) -> np.ndarray:
        """Rows usable for training: target present and (classification) a known class.

        >>> TaskSpec("tabular-regression", "regression", "y").keep_mask([1.0, None]).tolist()
        [True, False]
        """
        values = pd.Series(y).reset_index(drop=True)
        keep = ~is_missing_label(values)
        if self.is_classification:
            keep &= self._lookup(values).to_numpy() >= 0
        return keep

    def encode(self, y: Any) -> np.ndarray:
        """Original labels -> class indices (int64), or float64 values for regression.

        Raises DataError naming the target column and the rows for missing
        values or labels never seen in training.
        """
        values = pd.Series(y).reset_index(drop=True)
        missing = is_missing_label(values)
        if missing.any():
            rows = (np.flatnonzero(missing) + 1).tolist()
            raise DataError(
                f"target column '{self.target}' has {int(missing.sum())} missing values "
                f"({rows_text(rows)}).",
                column=self.target,
                rows=rows,
                fix="drop those rows first (TaskSpec.keep_mask) or fill the target.",
            )
        if not self.is_classification:
            numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")
            bad = ~np.isfinite(numbers)
            if bad.any():
                rows = (np.flatnonzero(bad) + 1).tolist()
                raise DataError(
                    f"target column '{self.target}' has {int(bad.sum())} values that are not "
                    f"finite numbers ({rows_text(rows)}).",
                    column=self.target,
                    rows=rows,
                    fix="clean those values or use a classification task.",
                )
            return numbers
        codes = self._lookup(values).to_numpy(dtype="int64")
        unknown = codes < 0
        if unknown.any():
            rows = (np.flatnonzero(unknown) + 1).tolist()
            raise DataError(
                f"target column '{self.target}' has {int(unknown.sum())} values that are not "
                f"among the {self.n_classes} training classes ({rows_text(rows)}).",
                column=self.target,
                rows=rows,
                fix="drop those rows or retrain with data that contains those classes.",
            )
        return codes

    def decode(self, idx: Any) -> np.ndarray:
        """Class indices -> original labels (object array); regression values pass through."""
        idx = np.asarray(idx)
        if not self.is_classification:
            return idx.astype("float64")
        table = np.empty(len(self.classes), dtype=object)
        table[:] = self.classes
        return table[idx.astype("int64")]

    def _lookup(self, values: pd.Series) -> pd.Series:
        """Index of each value in ``classes`` (-1 when unknown or missing).

        Labels are matched by value and, failing that, by text, so ``1`` and
        ``"1"`` or ``1.0`` name the same class after a round-trip through a CSV.
        """
        by_value = {c: i for i, c in enumerate(self.classes)}
        by_text = {_label_text(c): i for i, c in enumerate(self.classes)}

        def find(v: Any) -> int:
            if v is None or (not isinstance(v, str) and pd.isna(v)):
                return -1
            v = _plain(v)
            try:
                hit = by_value.get(v)
            except TypeError:  # unhashable
                hit = None
            # True == 1 in Python; a bool only matches a bool class by value.
            if hit is not None and isinstance(v, bool) == isinstance(self.classes[hit], bool):
                return hit
            return by_text.get(_label_text(v), -1)

        # Fast path for typed columns: one vectorised dictionary lookup, and only the
        # misses (odd spellings, missing values) go through ``find`` one by one. Object
        # columns, and bools against non-bool classes (True == 1), take the exact path.
        bool_values = pd.api.types.is_bool_dtype(values.dtype)
        bool_classes = any(isinstance(c, bool) for c in self.classes)
        if values.dtype == object or bool_values != bool_classes:
            return values.map(find).astype("int64")
        codes = values.map(by_value)
        miss = codes.isna().to_numpy()
        if miss.any():
            codes = codes.astype("float64")
            codes[miss] = values[miss].map(find).astype("float64")
        return codes.astype("int64")

    # -- JSON ------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "problem": self.problem,
            "target": self.target,
            "classes": list(self.classes),
            "positive": self.positive,
            "metric": self.metric,
            "dropped": dict(self.dropped),
            "warnings": [dict(w) for w in self.warnings],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TaskSpec:
        return cls(
            kind=d["kind"],
            problem=d["problem"],
            target=d["target"],
            classes=list(d.get("classes", [])),
            positive=d.get("positive"),
            metric=d.get("metric", ""),
            dropped=dict(d.get("dropped", {})),
            warnings=[dict(w) for w in d.get("warnings", [])],
        )


def _label_text(value: Any) -> str:
    """Canonical text of a label: ``1.0`` and ``" 1"`` -> "1", ``True`` -> "True"."""
    text = str(_plain(value)).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text
