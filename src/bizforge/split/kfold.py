"""K-fold cross-validation plans: plain, stratified, grouped, or both."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold, KFold, StratifiedGroupKFold, StratifiedKFold

from bizforge.errors import DataError, UsageError
from bizforge.split._checks import check_frame, group_codes, labels, warn

__all__ = ["folds"]


def folds(
    frame: pd.DataFrame,
    k: int = 5,
    *,
    stratify: str | None = None,
    group: str | None = None,
    seed: int = 0,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``k`` pairs ``(train_idx, valid_idx)`` of sorted 0-based row positions.

    Arguments are checked at the call; the folds are then produced lazily.
    Every row is in exactly one validation fold. Folds are shuffled with ``seed``
    (``KFold``, ``StratifiedKFold``, ``GroupKFold``, ``StratifiedGroupKFold``).

    When ``k`` is too large, **k is reduced with a** :class:`SplitWarning` (never an
    error): to the row count of the smallest ``stratify`` class, or to the number of
    ``group`` ids. A stratify class with a single row cannot be validated on without
    being absent from training: its rows are in every training part and no
    validation part (also with a warning), as :func:`split` does. With ``group``
    as well, ids come first: ``k`` is limited by the number of ids only and the
    class shares are kept as well as the ids allow. Fewer than 2 usable folds is a
    DataError.

    >>> for train_idx, valid_idx in folds(frame, k=5, stratify="Churn"):  # doctest: +SKIP
    ...     model.fit(frame.iloc[train_idx])
    """
    frame = check_frame(frame, "folds")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 2:
        raise UsageError(f"k={k!r} must be a whole number of at least 2.", fix="use e.g. k=5.")
    positions = np.arange(len(frame))
    always_train = np.zeros(len(frame), dtype=bool)
    y = groups = None
    if stratify is not None:
        y = labels(frame, stratify)
    if y is not None and group is None:
        sizes = np.bincount(y)
        always_train = np.isin(y, np.flatnonzero(sizes == 1))
        if always_train.any():
            warn(
                f"{int(always_train.sum())} class(es) of '{stratify}' have a single row; "
                "those rows are kept in every training part."
            )
        kept = sizes[sizes > 1]
        if len(kept) == 0:
            raise DataError(
                f"Every class of '{stratify}' has a single row: nothing to stratify.",
                column=str(stratify),
                fix="stratify by a column with repeated values, or use folds without stratify=.",
            )
        k = _fewer(k, int(kept.min()), f"rows in the smallest class of '{stratify}'")
    if group is not None:
        groups = group_codes(frame, group)
        k = _fewer(k, len(np.unique(groups[~always_train])), f"ids in '{group}'")
    k = _fewer(k, int((~always_train).sum()), "rows")
    if k < 2:
        raise DataError(
            "Too few rows or ids for 2 folds.",
            column=str(group or stratify) if (group or stratify) else None,
            fix="provide more rows, or use a single train/test split instead of folds.",
        )

    use = positions[~always_train]
    if y is not None and groups is not None:
        splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
        plan = splitter.split(use, y[use], groups[use])
    elif y is not None:
        plan = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(use, y[use])
    elif groups is not None:
        splitter = GroupKFold(n_splits=k, shuffle=True, random_state=seed)
        plan = splitter.split(use, groups=groups[use])
    else:
        plan = KFold(n_splits=k, shuffle=True, random_state=seed).split(use)
    # Checked above, before the first fold is asked for; the folds come lazily.
    return _pairs(plan, use, positions[always_train])


def _pairs(plan, use: np.ndarray, extra: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    for train_i, valid_i in plan:
        yield np.sort(np.concatenate([use[train_i], extra])), np.sort(use[valid_i])


def _fewer(k: int, limit: int, what: str) -> int:
    if k > limit >= 2:
        warn(f"k={k} folds is more than the {limit} {what}; using k={limit}.", stacklevel=4)
        return limit
    return min(k, limit)
