"""split(): random, stratified, time-ordered and grouped train/test splits."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from bizforge.errors import DataError, UsageError
from bizforge.split import SplitWarning, split


def _frame(n: int = 100) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "y": np.where(np.arange(n) % 5 == 0, "yes", "no"),  # 20% "yes"
            "customer": np.arange(n) // 4,  # 4 rows per customer
            "x": rng.normal(size=n),
        },
        index=np.arange(n) + 1000,
    )


def test_random_split_has_the_test_share_and_covers_every_row_once():
    frame = _frame()
    train, test = split(frame, test_size=0.25)
    assert (len(train), len(test)) == (75, 25)
    assert sorted([*train.index, *test.index]) == frame.index.tolist()


def test_same_seed_same_split_other_seed_other_split():
    frame = _frame()
    first, again, other = (split(frame, seed=s)[1] for s in (3, 3, 4))
    assert first.index.equals(again.index) and not first.index.equals(other.index)


def test_parts_keep_the_original_index_and_row_order():
    train, test = split(_frame(), seed=1)
    assert train.index.is_monotonic_increasing and test.index.is_monotonic_increasing
    assert train.index.min() >= 1000


def test_stratified_split_keeps_the_class_share_on_both_sides():
    train, test = split(_frame(), test_size=0.2, stratify="y")
    assert (test["y"] == "yes").sum() == 4 and (train["y"] == "yes").sum() == 16


def test_stratify_column_that_is_absent_is_a_data_error_naming_it():
    with pytest.raises(DataError, match="stratify column 'Churn'") as err:
        split(_frame(), stratify="Churn")
    assert err.value.column == "Churn"


def test_a_class_with_a_single_row_goes_to_train_with_a_warning():
    frame = _frame(40)
    frame.loc[1039, "y"] = "rare"
    with pytest.warns(SplitWarning, match="single row"):
        train, test = split(frame, stratify="y", seed=0)
    assert 1039 in train.index and "rare" not in set(test["y"])
    assert len(train) + len(test) == 40


def test_too_few_rows_to_stratify_falls_back_to_random_with_a_warning():
    frame = pd.DataFrame({"y": list("aabbccdd")})
    with pytest.warns(SplitWarning, match="splitting at random"):
        train, test = split(frame, test_size=0.25, stratify="y")
    assert (len(train), len(test)) == (6, 2)


def test_time_split_puts_the_latest_rows_in_test_without_shuffling():
    days = pd.date_range("2024-01-01", periods=10).strftime("%Y-%m-%d")
    frame = pd.DataFrame({"day": days[::-1], "v": range(10)})  # newest first, as text
    train, test = split(frame, test_size=0.3, time="day")
    assert test["day"].tolist() == ["2024-01-08", "2024-01-09", "2024-01-10"]
    assert train["day"].tolist() == sorted(train["day"]) and len(train) == 7


def test_time_split_never_puts_one_moment_on_both_sides():
    frame = pd.DataFrame({"t": pd.to_datetime(["2024-01-01"] * 3 + ["2024-01-02"] * 3)})
    train, test = split(frame, test_size=0.2, time="t")
    assert set(train["t"]).isdisjoint(set(test["t"]))
    assert (len(train), len(test)) == (3, 3)


def test_time_split_with_missing_dates_is_a_data_error_naming_rows():
    frame = pd.DataFrame({"day": ["2024-01-01", "", "2024-01-03", "junk"]})
    with pytest.raises(DataError, match="'day' has 2 missing or unreadable") as err:
        split(frame, time="day")
    assert err.value.rows == [2, 4] and "junk" not in str(err.value)


@pytest.mark.parametrize("other", [{"group": "customer"}, {"stratify": "y"}])
def test_time_with_group_or_stratify_is_a_usage_error(other):
    frame = _frame().assign(day=pd.date_range("2024-01-01", periods=100))
    with pytest.raises(UsageError, match="time-ordered split cannot also use"):
        split(frame, time="day", **other)


def test_grouped_split_keeps_every_id_on_one_side():
    train, test = split(_frame(), test_size=0.25, group="customer", seed=2)
    assert set(train["customer"]).isdisjoint(test["customer"])
    assert test["customer"].nunique() == 7  # ceil(0.25 * 25 ids)


def test_grouped_split_is_deterministic():
    frame = _frame()
    a = split(frame, group="customer", seed=5)[1]
    b = split(frame, group="customer", seed=5)[1]
    assert a.index.equals(b.index)


def test_grouped_and_stratified_split_keeps_ids_apart():
    train, test = split(_frame(), group="customer", stratify="y", seed=0)
    assert set(train["customer"]).isdisjoint(test["customer"])
    assert set(test["y"]) == {"yes", "no"}


def test_group_with_a_single_id_is_a_data_error():
    frame = _frame().assign(customer=1)
    with pytest.raises(DataError, match="single id"):
        split(frame, group="customer")


def test_absent_group_or_time_column_is_a_data_error_naming_it():
    with pytest.raises(DataError, match="group column 'cid'"):
        split(_frame(), group="cid")
    with pytest.raises(DataError, match="time column 'when'"):
        split(_frame(), time="when")


@pytest.mark.parametrize("size", [0, 1, 1.5, -0.1, "0.2"])
def test_test_size_outside_zero_and_one_is_a_usage_error(size):
    with pytest.raises(UsageError, match="test_size"):
        split(_frame(), test_size=size)


def test_a_single_row_cannot_be_split():
    with pytest.raises(DataError, match="at least 2 rows"):
        split(pd.DataFrame({"a": [1]}))


def test_plain_split_raises_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        split(_frame(), stratify="y")
