"""Validation of the target passed to ``Model.fit``, and class weights.

>>> import numpy as np
>>> check_target(np.array([0, 1, 1]), 3, "binary")
(array([0, 1, 1]), 2)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from bizforge.errors import DataError, UsageError

__all__ = ["check_target", "class_weights"]

_ENCODE_FIX = "encode labels with bizforge.tasks (TaskSpec.encode) and drop rows without a target."


def check_target(y: Any, n: int, problem: str, *, n_classes: int | None = None,
                 fitting: bool = True) -> tuple[np.ndarray, int | None]:
    """``(y as float64 or int64 class indices, number of classes)``; bad targets -> DataError.

    At fit (``fitting``) the class count is ``n_classes`` or inferred as max + 1 and at
    least two classes must be present; otherwise ``n_classes`` is the fitted count.
    """
    arr = np.asarray(y.to_numpy() if isinstance(y, (pd.Series, pd.Index)) else y)
    if arr.ndim != 1 or len(arr) != n:
        raise DataError(f"the target has shape {arr.shape} but X has {n} rows.",
                        column="target", fix="pass one target value per row of X.")
    if problem == "regression":
        try:
            out = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise DataError("the regression target holds text.", column="target",
                            fix="pass numbers as the target.") from None
        if not np.isfinite(out).all():
            rows = [int(i) + 1 for i in np.flatnonzero(~np.isfinite(out))]
            raise DataError(f"the target has {len(rows)} missing or infinite values.",
                            column="target", rows=rows, fix="drop the rows without a target.")
        return out, None
    if arr.dtype.kind not in "iub":
        ok = arr.dtype.kind == "f" and np.isfinite(arr).all() and (arr == np.round(arr)).all()
        if not ok:
            raise DataError("the target must hold class indices 0..k-1 (integers) for "
                            "classification.", column="target", fix=_ENCODE_FIX)
    out = arr.astype(np.int64)
    k = n_classes
    if fitting:
        k = int(k) if k is not None else int(out.max()) + 1
        if problem == "binary":
            k = max(2, k)
            if k != 2:
                raise DataError(f"a binary target has {k} classes.", column="target",
                                fix="use problem='multiclass'.")
        if len(np.unique(out)) < 2:
            raise DataError("the target has only one class in the training rows.",
                            column="target", fix="train on rows from at least two classes.")
    if out.min() < 0 or out.max() >= k:
        raise DataError(f"the target has class indices outside 0..{k - 1}.", column="target",
                        fix="encode labels with the same TaskSpec as the training rows.")
    return out, k


def class_weights(y: np.ndarray, n_classes: int, class_weight: Any) -> np.ndarray | None:
    """Per-row weights: None, "balanced" (n / (k * count)) or {class_index: weight}."""
    if class_weight is None:
        return None
    if isinstance(class_weight, str) and class_weight == "balanced":
        counts = np.bincount(y, minlength=n_classes).astype(np.float64)
        weights = len(y) / (n_classes * np.maximum(counts, 1.0))
    elif isinstance(class_weight, dict):
        weights = np.ones(n_classes)
        for k, w in class_weight.items():  # keys come back from JSON as strings
            weights[int(k)] = float(w)
    else:
        raise UsageError(f"class_weight={class_weight!r} is not understood.",
                         fix="use None, 'balanced' or {class_index: weight}.")
    return weights[y]
