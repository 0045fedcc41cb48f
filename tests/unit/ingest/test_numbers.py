"""parse_numbers / looks_numeric: numbers written as text."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from bizforge.ingest.numbers import FORMATS, looks_numeric, parse_numbers, plain_floats


def values(texts):
    return parse_numbers(pd.Series(texts)).values.tolist()


def test_plain_numbers_parse_without_formats():
    result = parse_numbers(pd.Series(["1", "-2.5", "0.25", "+3"]))
    assert result.values.tolist() == [1.0, -2.5, 0.25, 3.0]
    assert (result.parsed, result.blank, result.bad) == (4, 0, 0)
    assert result.formats == []


def test_thousands_separators_are_removed():
    result = parse_numbers(pd.Series(["1,234", "1,234.50", "12,345,678"]))
    assert result.values.tolist() == [1234.0, 1234.5, 12345678.0]
    assert result.formats == ["thousands"]


def test_misplaced_comma_is_bad_not_thousands():
    result = parse_numbers(pd.Series(["1,23", "12"]))
    assert result.bad == 1 and result.bad_rows == [0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("¥12.5", 12.5),
        ("￥12.5", 12.5),
        ("$3", 3.0),
        ("€4", 4.0),
        ("£5", 5.0),
        ("12元", 12.0),
        ("RMB 8", 8.0),
        ("-¥12", -12.0),
        ("¥ 1,200 元", 1200.0),
    ],
)
def test_currency_signs_are_read(text, expected):
    result = parse_numbers(pd.Series([text]))
    assert result.values.tolist() == [expected]
    assert "currency" in result.formats


def test_percent_keeps_its_written_size():
    result = parse_numbers(pd.Series(["12%", "3.5 %"]))
    assert result.values.tolist() == [12.0, 3.5]
    assert result.formats == ["percent"]


def test_fullwidth_digits_sign_and_point_are_normalised():
    result = parse_numbers(pd.Series(["３５", "－３．５", "１，２００"]))
    assert result.values.tolist() == [35.0, -3.5, 1200.0]
    assert "fullwidth" in result.formats


def test_blank_and_whitespace_only_are_blank_not_bad():
    result = parse_numbers(pd.Series(["1", "", " ", "\u3000", "2"]))
    assert (result.parsed, result.blank, result.bad) == (2, 3, 0)
    assert result.blank_rows == [1, 2, 3]
    assert result.formats == ["blank"]
    assert math.isnan(result.values.iloc[1])


def test_surrounding_spaces_are_ignored():
    assert values([" 12 ", "\t7"]) == [12.0, 7.0]


def test_accounting_parentheses_are_negative():
    result = parse_numbers(pd.Series(["(12)", "(¥1,200.50)"]))
    assert result.values.tolist() == [-12.0, -1200.5]
    assert "accounting" in result.formats


def test_unbalanced_parenthesis_is_bad():
    assert parse_numbers(pd.Series(["(12"])).bad == 1


def test_scientific_notation_is_read():
    result = parse_numbers(pd.Series(["1.5e3", "2E-2"]))
    assert result.values.tolist() == [1500.0, 0.02]
    assert result.formats == ["scientific"]


def test_chinese_magnitudes_are_multiplied():
    result = parse_numbers(pd.Series(["1.2万", "3亿", "2千万", "12k"]))
    assert result.values.tolist() == [12000.0, 3e8, 2e7, 12000.0]
    assert result.formats == ["magnitude"]


def test_magnitude_must_follow_the_digits():
    assert values(["HK$5", "1.2万元", "(3k)"]) == [5.0, 12000.0, -3000.0]


def test_missing_values_are_neither_blank_nor_bad():
    result = parse_numbers(pd.Series(["1", None, np.nan]))
    assert (result.parsed, result.blank, result.bad, result.missing) == (1, 0, 0, 2)


def test_placeholders_count_as_blank():
    result = parse_numbers(pd.Series(["NA", "-", "null", "无", "5"]))
    assert (result.parsed, result.blank, result.bad) == (1, 4, 0)
    assert "na_marker" in result.formats


def test_words_and_broken_numbers_are_bad_with_positions():
    result = parse_numbers(pd.Series(["abc", "12", "1.2.3", "12 34", "--5", "1e999"]))
    assert result.parsed == 1
    assert result.bad_rows == [0, 2, 3, 4, 5]
    assert np.isnan(result.values.drop(1)).all()


def test_values_keep_the_input_index_and_name():
    series = pd.Series(["1", "2"], index=[10, 20], name="amount")
    result = parse_numbers(series)
    assert result.values.index.tolist() == [10, 20]
    assert result.values.name == "amount"
    assert result.values.dtype == "float64"


def test_numeric_dtype_input_passes_through():
    result = parse_numbers(pd.Series([1, None, 3], dtype="Int64"))
    assert result.values.tolist()[0] == 1.0 and result.parsed == 2 and result.missing == 1


def test_object_column_with_python_numbers_is_read():
    result = parse_numbers(pd.Series([1, "2,000", None], dtype=object))
    assert result.values.tolist()[:2] == [1.0, 2000.0]


def test_formats_come_from_the_documented_list():
    result = parse_numbers(pd.Series(["1,234", "¥3", "5%", "３", "(1)", "1e3", "1万", " ", "NA"]))
    assert set(result.formats) <= set(FORMATS)
    assert result.formats == sorted(result.formats)


def test_looks_numeric_accepts_decorated_numbers_with_blanks():
    assert looks_numeric(pd.Series(["29.85", "1,889.50", " ", "108.15"]))


def test_looks_numeric_rejects_words():
    assert not looks_numeric(pd.Series(["Month-to-month", "One year", "Two year"]))


def test_looks_numeric_rejects_when_too_many_values_fail():
    assert not looks_numeric(pd.Series(["1", "2", "3", "n/a yet", "later"]), min_share=0.95)
    assert looks_numeric(pd.Series(["1", "2", "3", "x"]), min_share=0.7)


def test_looks_numeric_rejects_codes_with_leading_zeros():
    assert not looks_numeric(pd.Series(["00123", "00456", "00789"]))


def test_looks_numeric_needs_one_parsed_value():
    assert not looks_numeric(pd.Series([" ", "", "NA"]))


@pytest.mark.slow
def test_a_million_formatted_values_parse_in_seconds():
    import time

    series = pd.Series([f"¥{v:,.2f}" for v in np.random.default_rng(0).uniform(0, 1e6, 1_000_000)])
    start = time.perf_counter()
    result = parse_numbers(series)
    assert result.parsed == 1_000_000
    assert time.perf_counter() - start < 10


TRICKY = ["1", " 2.5 ", "", "   ", None, "-3e2", ".5", "5.", "+7", "1_000", "0x1A", "1 2",
          "inf", "-inf", "nan", "NaN", "1e999", "３５", "1,234", "¥12.5", "12%", "NA", "-", "1.2万"]


@pytest.mark.parametrize("value", TRICKY)
@pytest.mark.parametrize("dtype", ["str", object])
def test_plain_floats_answers_exactly_like_parse_numbers_or_declines(value, dtype):
    series = pd.Series(["10", value, "3.25"], dtype=dtype)
    fast = plain_floats(series)
    if fast is not None:
        expected = parse_numbers(series)
        assert expected.bad == 0
        np.testing.assert_array_equal(fast, expected.values.to_numpy())


def test_plain_floats_reads_digits_and_blanks():
    values = plain_floats(pd.Series(["1", " 2.5", "", None], dtype="str"))
    np.testing.assert_array_equal(values, [1.0, 2.5, np.nan, np.nan])
