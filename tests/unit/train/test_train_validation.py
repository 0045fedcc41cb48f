"""Validation scheme: k-fold CV for small tables, a stratified holdout for large ones."""

from __future__ import annotations

import numpy as np
import pytest

from bizforge.errors import DataError
from bizforge.train.validation import CV_MAX_ROWS, choose_scheme


def test_small_table_gets_five_fold_cv_covering_every_row_once():
    y = np.array([0, 1] * 50)
    scheme = choose_scheme(y, "binary", seed=0)
    assert (scheme.kind, scheme.k) == ("cv", 5)
    assert np.array_equal(scheme.valid_index, np.arange(100))
    for train, valid in scheme.splits:
        assert not set(train) & set(valid)


def test_large_table_gets_a_twenty_percent_holdout():
    y = np.array([0, 1] * (CV_MAX_ROWS // 2 + 1))
    scheme = choose_scheme(y, "binary", seed=0)
    assert (scheme.kind, scheme.k) == ("holdout", 1)
    assert scheme.splits[0][1].size == pytest.approx(0.2 * y.size, abs=1)
    assert scheme.to_dict()["valid_rows"] == scheme.splits[0][1].size


def test_threshold_is_inclusive_at_cv_max_rows():
    assert choose_scheme(np.zeros(CV_MAX_ROWS), "regression").kind == "cv"
    assert choose_scheme(np.zeros(CV_MAX_ROWS + 1), "regression").kind == "holdout"


def test_cv_folds_are_stratified_for_classification():
    y = np.array([1] * 10 + [0] * 90)
    scheme = choose_scheme(y, "binary", seed=3)
    assert [int(y[valid].sum()) for _, valid in scheme.splits] == [2, 2, 2, 2, 2]


def test_tiny_table_uses_fewer_folds():
    scheme = choose_scheme(np.array([0, 1, 0, 1, 0, 1]), "binary")
    assert scheme.k == 3


def test_fewer_than_four_rows_raise_data_error():
    with pytest.raises(DataError, match="only 3 usable rows"):
        choose_scheme(np.array([0, 1, 0]), "binary")


def test_same_seed_gives_same_folds():
    y = np.arange(50) % 2
    a = choose_scheme(y, "binary", seed=7).splits
    b = choose_scheme(y, "binary", seed=7).splits
    assert all(np.array_equal(v1, v2) for (_, v1), (_, v2) in zip(a, b))


def _no_group_on_both_sides(scheme, groups):
    for train, valid in scheme.splits:
        assert not set(groups[train]) & set(groups[valid])


def test_grouped_holdout_keeps_each_group_on_one_side_and_caps_validation_rows():
    rng = np.random.default_rng(0)
    groups = rng.integers(0, 900, 6000)
    y = rng.integers(0, 2, 6000)
    scheme = choose_scheme(y, "binary", cv_max_rows=0, max_valid_rows=500, groups=groups,
                           grouped_by="copies")
    _no_group_on_both_sides(scheme, groups)
    train, valid = scheme.splits[0]
    assert 500 <= valid.size < 500 + np.bincount(groups).max()
    assert train.size + valid.size == 6000
    assert scheme.to_dict()["grouped"] == {"by": "copies", "groups": len(np.unique(groups))}
    again = choose_scheme(y, "binary", cv_max_rows=0, max_valid_rows=500, groups=groups)
    assert np.array_equal(again.splits[0][1], valid)


def test_grouped_cv_is_stratified_group_k_fold():
    groups = np.repeat(np.arange(40), 5)
    y = np.tile([0, 1], 100)
    scheme = choose_scheme(y, "binary", groups=groups)
    assert (scheme.kind, scheme.k) == ("cv", 5)
    assert np.array_equal(scheme.valid_index, np.arange(200))
    _no_group_on_both_sides(scheme, groups)


def test_one_group_cannot_be_validated():
    with pytest.raises(DataError, match="one group"):
        choose_scheme(np.array([0, 1] * 10), "binary", groups=np.zeros(20, int))


def test_text_overlap_groups_only_when_overlap_is_common():
    from bizforge.train.validation import text_overlap_groups

    distinct = [f"review {i} of the hotel" for i in range(100)]
    assert text_overlap_groups(distinct) == (None, 0)
    pieces = distinct + [f"review {i} of" for i in range(10)]
    groups, overlapping = text_overlap_groups(pieces)
    assert overlapping == 20 and groups is not None and groups[100] == groups[0]
