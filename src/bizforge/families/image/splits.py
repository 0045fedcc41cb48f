"""Held-out splits of images: stratified by class, and grouped when a group column says
which images show the same physical object (one tile under six lightings must sit on one
side of every split, or the score measures memory, not inspection).

>>> a, b = holdout(np.array([0, 0, 0, 1, 1, 1]), None, 0.34, seed=0)
>>> sorted(np.concatenate([a, b]).tolist())
[0, 1, 2, 3, 4, 5]
"""

from __future__ import annotations

import warnings

import numpy as np

from bizforge.errors import DataError

__all__ = ["holdout"]


def holdout(y: np.ndarray, groups: np.ndarray | None, share: float, *, seed: int,
            what: str = "validation", group_column: str | None = None
            ) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(keep, held)``: about ``share`` of each class held out (classes of fewer
    than 3 images stay whole in ``keep``); with ``groups``, whole groups at a time."""
    if groups is None:
        rng = np.random.default_rng(seed)
        held = []
        for c in np.unique(y):
            rows = rng.permutation(np.flatnonzero(y == c))
            k = 0 if len(rows) < 3 else min(len(rows) - 1, max(1, round(share * len(rows))))
            held.extend(rows[:k].tolist())
        held_arr = np.array(sorted(held), dtype=int)
        return np.setdiff1d(np.arange(len(y)), held_arr), held_arr
    from sklearn.model_selection import StratifiedGroupKFold

    n_groups = len(np.unique(groups))
    folds = max(2, round(1 / share))
    if n_groups < folds:
        raise DataError(f"column '{group_column}' has {n_groups} group(s); a grouped "
                        f"{what} split needs at least {folds}.", column=group_column,
                        fix="give more groups, or drop --group-column.")
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    # a class too rare for the folds triggers a warning, not an error: the split still holds
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        keep, held = next(splitter.split(np.zeros(len(y)), y, groups))
    return np.sort(keep), np.sort(held)
