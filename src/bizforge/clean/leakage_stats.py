"""The statistics the leakage rules share: ranks, cross-fitted lookups, flags.

Kept apart from :mod:`bizforge.clean.leakage` so the rules read as rules; nothing
here knows about findings or messages.

>>> import numpy as np
>>> roc_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9]))
1.0
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import rankdata

__all__ = [
    "MISSING",
    "binary_target",
    "codes",
    "crossfit_accuracy",
    "crossfit_rate",
    "numeric_auc",
    "roc_auc",
    "short",
]

MISSING = "\x00missing"
_POSITIVE = {"1", "1.0", "true", "yes", "y", "是", "positive"}


def roc_auc(y01: np.ndarray, score: np.ndarray) -> float:
    """ROC-AUC from ranks (ties averaged); 0.5 when only one class is present."""
    pos = int(y01.sum())
    neg = len(y01) - pos
    if pos == 0 or neg == 0:
        return 0.5
    ranks = rankdata(score)
    return float((ranks[y01 == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


def binary_target(y: pd.Series, classes: pd.Series) -> tuple[np.ndarray, str]:
    """(1 for the positive class, its label): a literal 1/True/yes if there is one,
    else the minority class."""
    labels = [str(c).strip().lower() for c in classes.index]
    positive = next((c for c, lab in zip(classes.index, labels) if lab in _POSITIVE), None)
    if positive is None:
        positive = classes.idxmin()
    return (y.astype(str).to_numpy() == str(positive)).astype(np.int8), str(positive)


def codes(series: pd.Series) -> tuple[np.ndarray, list]:
    """(integer level per row, the levels' values): missing is a level of its own,
    :data:`MISSING`. Factorising is many times faster than comparing strings.

    >>> level, values = codes(pd.Series([2.0, None, 2.0]))
    >>> level.tolist(), [short(v) for v in values]
    ([0, 1, 0], ['2', '(missing)'])
    """
    level, uniques = pd.factorize(series, use_na_sentinel=True)
    values = list(uniques)
    if (level < 0).any():
        level = np.where(level < 0, len(values), level)
        values.append(MISSING)
    return np.asarray(level, dtype=np.int64), values


def _halves(n: int) -> np.ndarray:
    return np.random.default_rng(0).permutation(n) % 2


def crossfit_rate(levels: np.ndarray, y01: np.ndarray) -> np.ndarray:
    """Per-level positive rate learned on one half, applied to the other.

    Cross-fitting is what keeps an id-like column at ~0.5 ROC-AUC instead of 1.0.
    """
    fold = _halves(len(levels))
    score = np.empty(len(levels))
    prior = y01.mean()
    for k in (0, 1):
        fit = pd.Series(y01[fold != k]).groupby(levels[fold != k])
        rates = (fit.sum() + prior) / (fit.count() + 1)  # one pseudo-row of the prior
        score[fold == k] = pd.Series(levels[fold == k]).map(rates).fillna(prior).to_numpy()
    return score


def crossfit_accuracy(levels: np.ndarray, y: np.ndarray) -> float:
    """Accuracy of the most frequent class per level, learned on one half, applied to the other."""
    fold = _halves(len(levels))
    hits = 0
    for k in (0, 1):
        fit = pd.DataFrame({"x": levels[fold != k], "y": y[fold != k]})
        # Most frequent class per level, vectorised (no per-group Python call).
        pairs = fit.groupby(["x", "y"]).size().sort_values(ascending=False, kind="stable")
        top = pairs.reset_index().drop_duplicates("x").set_index("x")["y"]
        majority = fit["y"].value_counts().index[0]
        pred = pd.Series(levels[fold == k]).map(top).fillna(majority).to_numpy()
        hits += int((pred.astype(str) == y[fold == k].astype(str)).sum())
    return hits / len(levels)


def numeric_auc(x: np.ndarray, y01: np.ndarray) -> float:
    """The better of the value's ROC-AUC either way round, missing placed lowest or highest.

    Only four fixed orderings are tried, so no cross-fitting is needed.
    """
    missing = np.isnan(x)
    if missing.all():
        return 0.5
    best = 0.0
    lo, hi = np.nanmin(x), np.nanmax(x)
    for fill in (lo - 1, hi + 1) if missing.any() else (lo,):
        auc = roc_auc(y01, np.where(missing, fill, x))
        best = max(best, auc, 1 - auc)
    return best


def short(value) -> str:
    """Numbers stored as floats print as '1', not '1.0'; missing prints as '(missing)'."""
    value = str(value)
    if value == MISSING:
        return "(missing)"
    try:
        f = float(value)
    except ValueError:
        return value
    return f"{f:g}" if np.isfinite(f) else value
