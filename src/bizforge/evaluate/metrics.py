"""Held-out metrics as plain, JSON-ready dicts.

Pure functions over numpy arrays: class indices and probabilities in, numbers
out. Degenerate inputs (a test set with one class only, a constant target)
give ``None`` for the undefined metric and a sentence in ``notes`` instead of
an exception or a scikit-learn warning, because a small test file is a normal
business situation, not a bug.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn import metrics as skm

from bizforge.errors import UsageError

__all__ = [
    "as_proba",
    "calibration_bins",
    "classification_metrics",
    "cumulative_gain",
    "gain_table",
    "regression_metrics",
]

# Shares of the population at which the gain table reports how many positives are found.
GAIN_SHARES = (0.1, 0.2, 0.3, 0.5)


def as_proba(proba: Any, n_rows: int | None = None) -> np.ndarray:
    """Return ``proba`` as a float64 (n, k) array; a 1-D array is P(class 1) of a binary task.

    >>> as_proba([0.2, 0.9]).tolist()
    [[0.8, 0.2], [0.09999999999999998, 0.9]]
    """
    p = np.asarray(proba, dtype=np.float64)
    if p.ndim == 1:
        p = np.column_stack([1.0 - p, p])
    if p.ndim != 2 or p.shape[1] < 2:
        raise UsageError(
            "probabilities must have shape (rows, classes) with at least 2 classes, "
            f"got {p.shape}.",
            fix="pass model.predict_proba(X) (binary: 2 columns, or a 1-D P(positive)).",
        )
    if n_rows is not None and p.shape[0] != n_rows:
        raise UsageError(
            f"{p.shape[0]} probability rows for {n_rows} true labels.",
            fix="score the same rows as the labels, in the same order.",
        )
    if not np.all(np.isfinite(p)):
        bad = np.flatnonzero(~np.all(np.isfinite(p), axis=1))
        raise UsageError(
            f"{len(bad)} rows have non-finite probabilities (first row {int(bad[0]) + 1}).",
            fix="check the model output; probabilities must be numbers between 0 and 1.",
        )
    return p


def _class_indices(y_true_idx: Any, n_classes: int) -> np.ndarray:
    y = np.asarray(y_true_idx)
    if y.ndim != 1 or len(y) == 0:
        raise UsageError(
            "true labels must be a non-empty 1-D array of class indices.",
            fix="encode the target with TaskSpec.encode(y) first.",
        )
    if y.dtype.kind == "b":
        y = y.astype(np.int64)
    if y.dtype.kind not in "iu":
        if y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
            y = y.astype(np.int64)
        else:
            raise UsageError(
                f"true labels must be integer class indices, got dtype {y.dtype}.",
                fix="encode the target with TaskSpec.encode(y) first.",
            )
    if y.min() < 0 or y.max() >= n_classes:
        raise UsageError(
            f"class indices must lie in 0..{n_classes - 1}, found {int(y.min())}..{int(y.max())}.",
            fix="pass probabilities with one column per class of the task.",
        )
    return y.astype(np.int64)


def classification_metrics(
    y_true_idx: Any,
    proba: Any,
    *,
    classes: Sequence[Any] | None = None,
    threshold: float = 0.5,
    positive: int = 1,
) -> dict[str, Any]:
    """Metrics of a classifier on held-out rows.

    Binary: the positive class is column ``positive`` of ``proba``; a row is
    predicted positive when its probability is ``>= threshold``; precision,
    recall and F1 are for the positive class. Multiclass: the predicted class is
    the argmax; precision/recall/F1 are macro averages (``macro_f1`` too).

    ``confusion_matrix`` is ``{"labels": [...], "matrix": [[...]]}`` with true
    classes as rows and predicted classes as columns.

    >>> m = classification_metrics([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9])
    >>> m["roc_auc"], m["accuracy"]
    (0.75, 0.5)
    """
    p = as_proba(proba)
    k = p.shape[1]
    y = _class_indices(y_true_idx, k)
    if len(y) != len(p):
        raise UsageError(
            f"{len(p)} probability rows for {len(y)} true labels.",
            fix="score the same rows as the labels, in the same order.",
        )
    labels = [str(c) for c in (classes if classes is not None else range(k))]
    if len(labels) != k:
        raise UsageError(
            f"{len(labels)} class labels for {k} probability columns.",
            fix="pass the task's classes in the order of predict_proba's columns.",
        )
    if k == 2 and not 0.0 <= threshold <= 1.0:
        raise UsageError(f"threshold must lie between 0 and 1, got {threshold}.")
    notes: list[str] = []
    present = np.unique(y)
    out: dict[str, Any] = {"problem": "binary" if k == 2 else "multiclass", "n": len(y)}

    if k == 2:
        if positive not in (0, 1):
            raise UsageError(f"positive must be 0 or 1 for a binary task, got {positive}.")
        is_pos = (y == positive).astype(np.int64)
        p_pos = p[:, positive]
        pred_pos = p_pos >= threshold
        pred = np.where(pred_pos, positive, 1 - positive)
        out.update(threshold=float(threshold), positive_label=labels[positive])
        if len(present) < 2:
            notes.append(
                f"only class '{labels[int(present[0])]}' occurs in the true labels, so ROC-AUC "
                "and PR-AUC are undefined; evaluate on a test set that holds both classes."
            )
            out["roc_auc"] = out["pr_auc"] = None
        else:
            out["roc_auc"] = float(skm.roc_auc_score(is_pos, p_pos))
            out["pr_auc"] = float(skm.average_precision_score(is_pos, p_pos))
        tp = int(np.sum(pred_pos & (is_pos == 1)))
        fp = int(np.sum(pred_pos & (is_pos == 0)))
        fn = int(np.sum(~pred_pos & (is_pos == 1)))
        out["precision"] = tp / (tp + fp) if tp + fp else 0.0
        out["recall"] = tp / (tp + fn) if tp + fn else 0.0
        out["f1"] = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
        out["brier"] = float(np.mean((p_pos - is_pos) ** 2))
        out["base_rate"] = float(is_pos.mean())
        out["gain"] = gain_table(is_pos, p_pos)
    else:
        pred = np.argmax(p, axis=1)
        if len(present) < k:
            missing = [labels[i] for i in range(k) if i not in set(present.tolist())]
            notes.append(
                f"classes {missing} do not occur in the true labels, so ROC-AUC is undefined "
                "and PR-AUC averages only the classes present."
            )
            out["roc_auc"] = None
        else:
            out["roc_auc"] = float(
                skm.roc_auc_score(y, p, multi_class="ovr", average="macro", labels=list(range(k)))
            )
        onehot = np.eye(k, dtype=np.int64)[y]
        aps = [skm.average_precision_score(onehot[:, c], p[:, c]) for c in present.tolist()]
        out["pr_auc"] = float(np.mean(aps)) if len(present) > 1 else None
        prec, rec, f1, _ = skm.precision_recall_fscore_support(
            y, pred, labels=list(range(k)), average="macro", zero_division=0
        )
        out.update(precision=float(prec), recall=float(rec), f1=float(f1))
    out["macro_f1"] = float(
        skm.f1_score(y, pred, labels=list(range(k)), average="macro", zero_division=0)
    )
    out["accuracy"] = float(np.mean(pred == y))
    recalls = [np.mean(pred[y == c] == c) for c in present.tolist()]
    out["balanced_accuracy"] = float(np.mean(recalls))
    out["log_loss"] = float(skm.log_loss(y, np.clip(p, 1e-15, 1.0), labels=list(range(k))))
    cm = skm.confusion_matrix(y, pred, labels=list(range(k)))
    out["confusion_matrix"] = {"labels": labels, "matrix": cm.astype(int).tolist()}
    counts = np.bincount(y, minlength=k)
    out["support"] = {labels[i]: int(counts[i]) for i in range(k)}
    out["notes"] = notes
    return out


def regression_metrics(y: Any, pred: Any) -> dict[str, Any]:
    """RMSE, MAE and R² of predictions on held-out rows (R² is None for a constant target).

    >>> regression_metrics([1.0, 2.0, 3.0], [1.0, 2.0, 4.0])["mae"]
    0.3333333333333333
    """
    yt = np.asarray(y, dtype=np.float64).ravel()
    yp = np.asarray(pred, dtype=np.float64).ravel()
    if len(yt) == 0 or len(yt) != len(yp):
        raise UsageError(
            "need the same non-zero number of targets and predictions, "
            f"got {len(yt)} and {len(yp)}.",
            fix="score the same rows as the targets, in the same order.",
        )
    for name, arr in (("targets", yt), ("predictions", yp)):
        if not np.all(np.isfinite(arr)):
            raise UsageError(
                f"{int(np.sum(~np.isfinite(arr)))} {name} are missing or infinite.",
                fix="drop rows with a missing target before evaluating.",
            )
    err = yp - yt
    notes: list[str] = []
    ss_tot = float(np.sum((yt - yt.mean()) ** 2))
    if ss_tot == 0.0:
        r2 = None
        notes.append("the target is constant in these rows, so R² is undefined.")
    else:
        r2 = 1.0 - float(np.sum(err**2)) / ss_tot
    return {
        "problem": "regression",
        "n": len(yt),
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mae": float(np.mean(np.abs(err))),
        "r2": r2,
        "notes": notes,
    }


def cumulative_gain(is_pos: Any, score: Any) -> tuple[np.ndarray, np.ndarray]:
    """Share of rows contacted (highest scores first) vs share of all positives found.

    Both arrays start at 0 and end at 1. Tied scores are taken as one block so
    the curve does not depend on row order.

    >>> x, g = cumulative_gain([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1])
    >>> g.tolist()
    [0.0, 0.5, 0.5, 1.0, 1.0]
    """
    yp = np.asarray(is_pos, dtype=np.float64).ravel()
    s = np.asarray(score, dtype=np.float64).ravel()
    order = np.argsort(-s, kind="mergesort")
    s_sorted, y_sorted = s[order], yp[order]
    cum = np.cumsum(y_sorted)
    # Keep only the last index of each block of tied scores.
    last = np.r_[s_sorted[1:] != s_sorted[:-1], True]
    n = len(s)
    total = cum[-1] if n else 0.0
    x = np.r_[0.0, (np.flatnonzero(last) + 1) / n]
    g = np.r_[0.0, cum[last] / total] if total > 0 else np.zeros(len(x))
    return x, g


def gain_table(is_pos: Any, score: Any, shares: Sequence[float] = GAIN_SHARES) -> list[dict]:
    """Share of positives found among the top ``share`` of rows, with the lift over random.

    Interpolates the gain curve linearly inside a block of tied scores.

    >>> gain_table([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1], shares=[0.5])
    [{'top': 0.5, 'captured': 0.5, 'lift': 1.0}]
    """
    x, g = cumulative_gain(is_pos, score)
    rows = []
    for share in shares:
        captured = float(np.interp(share, x, g))
        rows.append({"top": float(share), "captured": captured, "lift": captured / share})
    return rows


def calibration_bins(is_pos: Any, p_pos: Any, bins: int = 10) -> dict[str, list]:
    """Reliability table: equal-width probability bins with mean prediction, observed rate, count.

    Empty bins are left out.

    >>> calibration_bins([0, 1], [0.05, 0.95], bins=2)["observed"]
    [0.0, 1.0]
    """
    yp = np.asarray(is_pos, dtype=np.float64).ravel()
    p = np.clip(np.asarray(p_pos, dtype=np.float64).ravel(), 0.0, 1.0)
    idx = np.minimum((p * bins).astype(np.int64), bins - 1)
    count = np.bincount(idx, minlength=bins)
    sum_p = np.bincount(idx, weights=p, minlength=bins)
    sum_y = np.bincount(idx, weights=yp, minlength=bins)
    keep = count > 0
    return {
        "predicted": (sum_p[keep] / count[keep]).tolist(),
        "observed": (sum_y[keep] / count[keep]).tolist(),
        "count": count[keep].astype(int).tolist(),
    }
