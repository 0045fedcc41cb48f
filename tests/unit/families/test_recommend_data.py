"""Reading interactions: columns, cleaning rules and findings of the recommend family."""

from __future__ import annotations

import pandas as pd
import pytest

from bizforge.errors import DataError
from bizforge.families.recommend.data import normalise_id, parse_times, prepare
from bizforge.families.recommend.options import RecommendOptions


def _kinds(prepared) -> set[str]:
    return {f.kind for f in prepared.findings}


def test_user_and_item_columns_are_found_by_name():
    frame = pd.DataFrame({"customer": ["a", "b"], "product": ["x", "y"], "qty": [1, 2]})
    assert prepare(frame, RecommendOptions()).columns == {
        "user": "customer", "item": "product", "rating": "qty", "time": None}


def test_a_named_column_that_does_not_exist_is_refused_naming_it():
    frame = pd.DataFrame({"user": ["a", "b"], "item": ["x", "y"]})
    with pytest.raises(DataError, match="--user-column 'buyer'") as err:
        prepare(frame, RecommendOptions(user_column="buyer"))
    assert err.value.column == "buyer"


def test_undetectable_columns_ask_for_the_option():
    frame = pd.DataFrame({"a": ["a", "b"], "b": ["x", "y"]})
    with pytest.raises(DataError, match="--user-column"):
        prepare(frame, RecommendOptions())


def test_an_item_column_that_is_all_missing_is_refused():
    frame = pd.DataFrame({"user": ["a", "b"], "item": [None, None]})
    with pytest.raises(DataError, match="holds no item ids") as err:
        prepare(frame, RecommendOptions())
    assert err.value.column == "item"


def test_a_table_with_one_user_is_refused_with_a_fix():
    frame = pd.DataFrame({"user": ["a", "a", "a"], "item": ["x", "y", "z"]})
    with pytest.raises(DataError, match="1 users") as err:
        prepare(frame, RecommendOptions())
    assert "Fix:" in str(err.value)


def test_negative_quantities_are_left_out_as_returns():
    frame = pd.DataFrame({"user": ["a", "a", "b", "b"], "item": ["x", "y", "x", "y"],
                          "quantity": [2, -1, 1, 3]})
    prepared = prepare(frame, RecommendOptions())
    assert len(prepared.pairs) == 3 and "negative" in _kinds(prepared)


def test_a_rating_column_with_words_is_refused_naming_rows():
    frame = pd.DataFrame({"user": ["a", "b"], "item": ["x", "y"], "rating": ["5", "great"]})
    with pytest.raises(DataError, match="row 2"):
        prepare(frame, RecommendOptions())


def test_repeated_pairs_count_once_with_quantities_summed():
    frame = pd.DataFrame({"user": ["a", "a", "b"], "item": ["x", "x", "y"],
                          "quantity": [1.5, 2.5, 1.0]})
    prepared = prepare(frame, RecommendOptions())
    assert prepared.pairs.set_index(["user", "item"]).loc[("a", "x"), "strength"] == 4.0
    assert "duplicates" in _kinds(prepared)


def test_low_explicit_ratings_count_at_half_weight():
    frame = pd.DataFrame({"user": ["a", "a", "b", "b"], "item": ["x", "y", "x", "y"],
                          "rating": [1, 5, 4, 2]})
    prepared = prepare(frame, RecommendOptions())
    weights = prepared.pairs.set_index(["user", "item"])["weight"]
    assert (weights[("a", "x")], weights[("a", "y")]) == (0.5, 1.0)
    assert "explicit" in _kinds(prepared)


def test_timestamps_out_of_order_are_reported():
    frame = pd.DataFrame({"user": ["a", "a", "b", "b"], "item": ["x", "y", "x", "y"],
                          "time": [20, 10, 1, 2]})
    assert "time_order" in _kinds(prepare(frame, RecommendOptions()))


def test_times_in_milliseconds_become_seconds():
    assert parse_times(pd.Series([1_700_000_000_000]), "t")[0] == 1_700_000_000


def test_dates_become_seconds():
    assert parse_times(pd.Series(["1970-01-02"]), "t")[0] == 86400


def test_unparseable_times_are_refused_naming_the_column():
    with pytest.raises(DataError, match="column 't'"):
        parse_times(pd.Series(["2024-01-01", "soon"]), "t")


def test_ids_written_as_floats_match_whole_numbers():
    assert normalise_id(3.0) == normalise_id(3) == normalise_id(" 3") == "3"


def test_single_interaction_users_are_a_finding():
    frame = pd.DataFrame({"user": ["a", "a", "b"], "item": ["x", "y", "x"]})
    assert "single_users" in _kinds(prepare(frame, RecommendOptions()))
