"""One train/test split: random, stratified, grouped or time-ordered."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupShuffleSplit, StratifiedGroupKFold, train_test_split

from bizforge.errors import DataError, UsageError
from bizforge.split._checks import (
    check_frame,
    group_codes,
    labels,
    n_test,
    times,
    warn,
)

__all__ = ["split"]


def split(
    frame: pd.DataFrame,
    *,
    test_size: float = 0.2,
    stratify: str | None = None,
    time: str | None = None,
    group: str | None = None,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split rows into ``(train, test)``; the same ``seed`` gives the same split.

    - default: a seeded random ``test_size`` share of the rows;
    - ``stratify="Churn"``: each class keeps its share on both sides (scikit-learn's
      ``train_test_split(stratify=...)``). A class with a single row cannot be on both
      sides: it goes to train, with a :class:`SplitWarning`. When the test part is too
      small to hold every class, the split falls back to random, with a warning.
      A missing value counts as a class of its own.
    - ``time="date"``: rows ordered by that column (text dates are parsed); the
      latest ``test_size`` share is the test part, nothing is shuffled. Rows with the
      same time are never split apart (the test part may grow a little). A missing
      or unreadable date is a DataError.
    - ``group="customer_id"``: all rows of one id on the same side (``GroupShuffleSplit``;
      ``test_size`` is then a share of the ids). With ``stratify`` too, the test part
      is one fold of ``StratifiedGroupKFold`` (about ``test_size`` of the rows).

    Both parts keep the original index; random, stratified and grouped parts keep
    the original row order, time-ordered parts are sorted by time.
    ``time`` with ``group`` or ``stratify`` is a UsageError.

    >>> train, test = split(frame, test_size=0.25, stratify="Churn", seed=0)  # doctest: +SKIP
    """
    frame = check_frame(frame, "split")
    count = n_test(len(frame), test_size)
    if time is not None and (group is not None or stratify is not None):
        other = "group" if group is not None else "stratify"
        raise UsageError(
            f"A time-ordered split cannot also use {other}=: the latest rows are the test part.",
            fix=f"use time= alone, or {other}= without time=.",
        )
    if time is not None:
        train_pos, test_pos = _by_time(frame, time, count)
    elif group is not None:
        train_pos, test_pos = _by_group(frame, group, stratify, test_size, seed)
    elif stratify is not None:
        train_pos, test_pos = _stratified(frame, stratify, count, seed)
    else:
        train_pos, test_pos = train_test_split(
            np.arange(len(frame)), test_size=count, random_state=seed
        )
        train_pos, test_pos = np.sort(train_pos), np.sort(test_pos)
    return frame.iloc[train_pos], frame.iloc[test_pos]


def _stratified(frame, name: str, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    y = labels(frame, name)
    sizes = np.bincount(y)
    single = np.isin(y, np.flatnonzero(sizes == 1))
    if single.any():
        warn(
            f"{int(single.sum())} class(es) of '{name}' have a single row; "
            "those rows go to the training part only.",
            stacklevel=4,
        )
    rest = np.flatnonzero(~single)
    classes = len(np.unique(y[rest]))
    # Stratifying needs room for every class on both sides.
    if len(rest) < 2 or count < classes or len(rest) - count < classes:
        warn(
            f"{len(rest)} rows are too few to stratify by '{name}' with a test part of "
            f"{count} rows ({classes} classes); splitting at random instead.",
            stacklevel=4,
        )
        if len(rest) < 2 or count >= len(rest):
            raise DataError(
                f"Too few rows to split with '{name}' classes on both sides.",
                column=str(name),
                fix="provide more rows or use a smaller test_size.",
            )
        train_pos, test_pos = train_test_split(rest, test_size=count, random_state=seed)
    else:
        train_pos, test_pos = train_test_split(
            rest, test_size=count, stratify=y[rest], random_state=seed
        )
    return np.sort(np.concatenate([train_pos, np.flatnonzero(single)])), np.sort(test_pos)


def _by_group(frame, name, stratify, test_size, seed) -> tuple[np.ndarray, np.ndarray]:
    groups = group_codes(frame, name)
    n_groups = len(np.unique(groups))
    if n_groups < 2:
        raise DataError(
            f"The group column '{name}' has a single id: its rows cannot be on both sides.",
            column=str(name),
            fix="group by a column with several ids, or split without group=.",
        )
    positions = np.arange(len(frame))
    if stratify is not None:
        y = labels(frame, stratify)
        k = min(max(2, round(1 / test_size)), n_groups)
        splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
        train_pos, test_pos = next(splitter.split(positions, y, groups))
    else:
        n_test_groups = min(max(1, int(np.ceil(test_size * n_groups))), n_groups - 1)
        splitter = GroupShuffleSplit(n_splits=1, test_size=n_test_groups, random_state=seed)
        train_pos, test_pos = next(splitter.split(positions, groups=groups))
    return np.sort(train_pos), np.sort(test_pos)


def _by_time(frame, name: str, count: int) -> tuple[np.ndarray, np.ndarray]:
    when = times(frame, name).to_numpy()
    order = np.argsort(when, kind="stable")  # ties keep their row order
    ordered = when[order]
    cut = len(frame) - count
    # One moment is never on both sides: move the cut to the start of its run of equal
    # times (a larger test part), or, when that run starts the data, to its end.
    start = int(np.searchsorted(ordered, ordered[cut], side="left"))
    end = int(np.searchsorted(ordered, ordered[cut], side="right"))
    if start > 0:
        cut = start
    elif end < len(frame):
        warn(
            f"Many rows share the earliest time of '{name}'; the test part is smaller.",
            stacklevel=4,
        )
        cut = end
    else:
        raise DataError(
            f"Every row has the same value in the time column '{name}'.",
            column=str(name),
            fix="order by a column that changes over time, or split without time=.",
        )
    return order[:cut], order[cut:]
