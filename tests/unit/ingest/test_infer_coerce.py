"""coerce_types: only unmistakable numbers and True/False change type."""

from __future__ import annotations

import pandas as pd

from bizforge.ingest.infer import coerce_types


def coerce(**columns):
    return coerce_types(pd.DataFrame(columns))


def test_all_integers_become_int64_with_empty_cells_missing():
    out = coerce(n=["1", "-2", "", "30"])
    assert str(out["n"].dtype) == "Int64"
    assert out["n"].isna().tolist() == [False, False, True, False]
    assert out["n"].iloc[3] == 30


def test_decimals_become_float64():
    out = coerce(x=["29.85", "0.5", "1e3"])
    assert out["x"].dtype == "float64"
    assert out["x"].tolist() == [29.85, 0.5, 1000.0]


def test_a_single_space_keeps_the_column_text():
    out = coerce(total=["29.85", " ", "108.15"])
    assert out["total"].tolist() == ["29.85", " ", "108.15"]
    assert out["total"].dtype == "str"


def test_leading_zeros_keep_codes_as_text():
    out = coerce(zip=["007", "0571", "123"])
    assert out["zip"].tolist() == ["007", "0571", "123"]


def test_zero_and_zero_point_are_plain_numbers():
    assert coerce(x=["0", "0.25", "3"])["x"].tolist() == [0.0, 0.25, 3.0]


def test_thousands_currency_and_fullwidth_stay_text():
    out = coerce(a=["1,234", "5"], b=["¥5", "6"], c=["３５", "6"])
    assert [str(out[c].dtype) for c in "abc"] == ["str", "str", "str"]


def test_long_digit_strings_stay_text():
    ids = ["110105199001011234", "110105199001015678"]
    assert coerce(card=ids)["card"].tolist() == ids


def test_literal_true_false_become_boolean():
    out = coerce(flag=["True", "False", "True"], gap=["True", "", "False"])
    assert out["flag"].dtype == "bool" and out["flag"].tolist() == [True, False, True]
    assert str(out["gap"].dtype) == "boolean" and out["gap"].isna().sum() == 1


def test_other_spellings_of_booleans_stay_text():
    assert coerce(flag=["true", "false"])["flag"].tolist() == ["true", "false"]


def test_numeric_and_all_empty_columns_are_untouched():
    out = coerce(n=[1.5, 2.5], e=["", ""])
    assert out["n"].tolist() == [1.5, 2.5]
    assert out["e"].tolist() == ["", ""]


def test_input_frame_is_not_modified():
    frame = pd.DataFrame({"n": ["1", "2"]})
    coerce_types(frame)
    assert frame["n"].tolist() == ["1", "2"]


def test_chinese_column_names_work():
    out = coerce(月费=["12.5", "30"], 城市=["北京", "上海"])
    assert out["月费"].dtype == "float64"
    assert out["城市"].tolist() == ["北京", "上海"]
