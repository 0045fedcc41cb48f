"""folds(): k-fold plans as positional (train_idx, valid_idx) arrays."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bizforge.errors import DataError, UsageError
from bizforge.split import SplitWarning, folds


def _frame(n: int = 40) -> pd.DataFrame:
    return pd.DataFrame(
        {"y": np.where(np.arange(n) % 4 == 0, 1, 0), "customer": np.arange(n) // 2},
        index=np.arange(n) * 10,  # positions, not labels, are yielded
    )


def test_every_row_is_validated_exactly_once_and_never_trained_on_then():
    plan = list(folds(_frame(), k=5))
    assert len(plan) == 5
    valid = np.concatenate([v for _, v in plan])
    assert sorted(valid.tolist()) == list(range(40))
    for train_idx, valid_idx in plan:
        assert np.intersect1d(train_idx, valid_idx).size == 0
        assert len(train_idx) + len(valid_idx) == 40


def test_folds_are_seeded_and_deterministic():
    a = [v.tolist() for _, v in folds(_frame(), k=4, seed=7)]
    b = [v.tolist() for _, v in folds(_frame(), k=4, seed=7)]
    c = [v.tolist() for _, v in folds(_frame(), k=4, seed=8)]
    assert a == b and a != c


def test_stratified_folds_keep_the_class_share():
    frame = _frame()
    for _, valid_idx in folds(frame, k=5, stratify="y"):
        assert frame["y"].to_numpy()[valid_idx].sum() == 2  # 10 ones over 5 folds


def test_grouped_folds_keep_each_id_in_one_fold():
    frame = _frame()
    ids = frame["customer"].to_numpy()
    for train_idx, valid_idx in folds(frame, k=4, group="customer"):
        assert set(ids[train_idx]).isdisjoint(ids[valid_idx])


def test_k_larger_than_the_smallest_class_is_reduced_with_a_warning():
    frame = pd.DataFrame({"y": [0] * 10 + [1] * 3})
    with pytest.warns(SplitWarning, match="using k=3"):
        plan = list(folds(frame, k=5, stratify="y"))
    assert len(plan) == 3


def test_a_single_row_class_stays_in_every_training_part():
    frame = pd.DataFrame({"y": [0] * 6 + [1] * 6 + [2]})
    with pytest.warns(SplitWarning, match="single row"):
        plan = list(folds(frame, k=3, stratify="y"))
    assert all(12 in train_idx and 12 not in valid_idx for train_idx, valid_idx in plan)


def test_k_larger_than_the_number_of_ids_is_reduced_with_a_warning():
    frame = pd.DataFrame({"g": [1, 1, 2, 2, 3, 3]})
    with pytest.warns(SplitWarning, match="using k=3"):
        assert len(list(folds(frame, k=5, group="g"))) == 3


def test_k_below_two_is_a_usage_error_at_the_call():
    with pytest.raises(UsageError, match="k=1"):
        folds(_frame(), k=1)  # raised before any fold is asked for


def test_absent_stratify_column_is_a_data_error_naming_it():
    with pytest.raises(DataError, match="'label'"):
        folds(_frame(), stratify="label")


def test_one_id_only_cannot_make_folds():
    with pytest.raises(DataError, match="2 folds"):
        folds(pd.DataFrame({"g": [1, 1, 1]}), k=2, group="g")
