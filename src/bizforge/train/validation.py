"""Validation scheme chosen by data size.

- up to :data:`CV_MAX_ROWS` rows (20,000): k-fold cross-validation, k = 5
  (fewer when the table is tiny), stratified for classification. Every row gets
  an out-of-fold prediction, which the ensemble and the threshold search need,
  and five fits of a small table are cheap.
- above that: one stratified holdout of :data:`HOLDOUT_FRACTION` (20%). A
  holdout of 4,000+ rows already scores candidates reliably, and fitting five
  times on a large table would spend the time budget on folds instead of on
  better candidates.

With ``groups`` (one code per row), rows of a group stay on one side: the
search passes the groups of overlapping texts (:mod:`bizforge.split.overlap`)
when they are common enough to inflate validation scores.

Splits are positional index arrays, shuffled with ``seed``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.model_selection import (
    GroupKFold,
    KFold,
    StratifiedGroupKFold,
    StratifiedKFold,
    train_test_split,
)

from bizforge.errors import DataError

__all__ = [
    "CV_FOLDS",
    "CV_MAX_ROWS",
    "HOLDOUT_FRACTION",
    "OVERLAP_SHARE",
    "Scheme",
    "choose_scheme",
    "text_overlap_groups",
]

CV_MAX_ROWS = 20_000
CV_FOLDS = 5
HOLDOUT_FRACTION = 0.2
MIN_ROWS = 4
# Texts are grouped for validation when at least this share overlaps (copies, pieces).
OVERLAP_SHARE = 0.05


@dataclass
class Scheme:
    """How candidates are validated: ``kind`` is "cv" or "holdout".

    ``splits`` is a list of ``(train_idx, valid_idx)`` positional arrays;
    ``valid_index`` lists the rows that get an out-of-fold prediction (all rows
    for CV, the holdout rows otherwise).
    """

    kind: str
    splits: list[tuple[np.ndarray, np.ndarray]] = field(repr=False)
    n_rows: int = 0
    grouped: dict | None = None  # {"by": why, "groups": count} when rows were grouped

    @property
    def k(self) -> int:
        return len(self.splits)

    @property
    def valid_index(self) -> np.ndarray:
        return np.sort(np.concatenate([v for _, v in self.splits]))

    def to_dict(self) -> dict:
        out = {"kind": self.kind, "rows": self.n_rows}
        if self.kind == "cv":
            out["folds"] = self.k
        else:
            out["valid_rows"] = int(self.splits[0][1].size)
        if self.grouped:
            out["grouped"] = dict(self.grouped)
        return out


def choose_scheme(
    y: np.ndarray,
    problem: str,
    *,
    seed: int = 0,
    folds: int = CV_FOLDS,
    cv_max_rows: int = CV_MAX_ROWS,
    max_valid_rows: int | None = None,
    groups: np.ndarray | None = None,
    grouped_by: str = "groups",
) -> Scheme:
    """Pick CV or holdout for encoded targets ``y`` and build the splits.

    >>> s = choose_scheme(np.array([0, 1] * 50), "binary")
    >>> s.kind, s.k
    ('cv', 5)
    >>> choose_scheme(np.zeros(30_000), "regression").kind
    'holdout'
    """
    n = len(y)
    if n < MIN_ROWS:
        raise DataError(
            f"only {n} usable rows; at least {MIN_ROWS} are needed to validate a model.",
            fix="add more rows with a known target.",
        )
    stratify = problem != "regression"
    if groups is not None:
        return _grouped(y, np.asarray(groups), stratify, seed, folds, cv_max_rows,
                        max_valid_rows, grouped_by)
    if n > cv_max_rows:
        index = np.arange(n)
        # A cap on validation rows keeps costly backends (embeddings, fine-tunes) inside
        # the budget: scoring 13k validation texts can cost more than training.
        train, valid = train_test_split(
            index,
            test_size=int(np.ceil(_valid_count(y, stratify, max_valid_rows))),
            random_state=seed,
            shuffle=True,
            stratify=y if stratify and _can_stratify(y, 2) else None,
        )
        return Scheme("holdout", [(np.sort(train), np.sort(valid))], n)
    k = max(2, min(folds, n // 2))
    if stratify and _can_stratify(y, 2):
        splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    else:
        splitter = KFold(n_splits=k, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        # Classes rarer than k simply miss some folds; the warning is expected.
        warnings.simplefilter("ignore", UserWarning)
        splits = [(tr, va) for tr, va in splitter.split(np.zeros(n), y)]
    return Scheme("cv", splits, n)


def text_overlap_groups(texts) -> tuple[np.ndarray | None, int]:
    """(groups of overlapping texts, or None when under :data:`OVERLAP_SHARE`; count)."""
    from bizforge.split.overlap import overlap_groups

    groups, overlapping = overlap_groups(texts)
    return (groups if overlapping >= OVERLAP_SHARE * max(1, len(groups)) else None), overlapping


def _valid_count(y: np.ndarray, stratify: bool, max_valid_rows: int | None) -> float:
    """Holdout rows: :data:`HOLDOUT_FRACTION` of them, at most ``max_valid_rows`` (but room
    for two rows per class when stratified)."""
    size = HOLDOUT_FRACTION * len(y)
    if max_valid_rows is not None and size > max_valid_rows:
        size = max(max_valid_rows, 2 * len(np.unique(y)) if stratify else 2)
    return size


def _grouped(y, groups, stratify, seed, folds, cv_max_rows, max_valid_rows, by) -> Scheme:
    """Like the ungrouped schemes, with every group on one side of each split."""
    n = len(y)
    codes, member = np.unique(groups, return_inverse=True)
    n_groups = codes.size
    info = {"by": by, "groups": int(n_groups)}
    if n_groups < 2:
        raise DataError(f"all {n} rows are one group ({by}); validation needs two or more.",
                        fix="add rows that are not copies or pieces of each other.")
    if n > cv_max_rows:
        size = _valid_count(y, stratify, max_valid_rows)
        # Whole groups in a seeded random order until the validation part is big enough.
        order = np.random.default_rng(seed).permutation(n_groups)
        sizes = np.bincount(member, minlength=n_groups)[order]
        take = order[: max(1, min(n_groups - 1, int(np.searchsorted(np.cumsum(sizes), size)) + 1))]
        valid = np.isin(member, take)
        index = np.arange(n)
        return Scheme("holdout", [(index[~valid], index[valid])], n, info)
    k = max(2, min(folds, n_groups))
    if stratify and _can_stratify(y, k):
        splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    else:
        splitter = GroupKFold(n_splits=k)
    splits = [(tr, va) for tr, va in splitter.split(np.zeros(n), y, member)]
    return Scheme("cv", splits, n, info)


def _can_stratify(y: np.ndarray, minimum: int) -> bool:
    _, counts = np.unique(y, return_counts=True)
    return counts.size > 1 and counts.min() >= minimum
