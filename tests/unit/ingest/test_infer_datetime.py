"""Datetime columns written as text, and their formats."""

from __future__ import annotations

import pandas as pd
import pytest

from bizforge.frame import Role
from bizforge.ingest.infer import detect_datetime_formats, infer_schema, parse_datetimes


def role(values):
    return infer_schema(pd.DataFrame({"when": values}))["when"].role


@pytest.mark.parametrize(
    "values",
    [
        ["2024-01-05", "2024-02-10", "2023-12-31"],
        ["2024/1/5", "2024/2/10", "2023/12/31"],
        ["2024年1月5日", "2024年2月10日", "2023年12月31日"],
        ["2024-01-05 10:00", "2024-02-10 23:59", "2023-12-31 00:00"],
        ["05-02-2010", "12-02-2010", "19-02-2010"],
        ["Jan 5, 2024", "Feb 10, 2024", "Dec 31, 2023"],
    ],
)
def test_dates_written_as_text_are_datetime(values):
    assert role(values) == Role.DATETIME


def test_mixed_date_and_datetime_values_are_datetime():
    assert role(["2024-01-05", "2024-01-05 10:00", "2024-01-06T08:30:00"]) == Role.DATETIME


def test_a_few_unparseable_values_stop_datetime():
    assert role(["2024-01-05", "soon", "later", "2024-01-06"]) != Role.DATETIME


def test_compact_digit_dates_without_a_time_name_are_numeric_not_datetime():
    # Name and range must agree (see timecodes); "amount" is not a time.
    schema = infer_schema(pd.DataFrame({"amount": ["20240105", "20240106", "20240107"]}))
    assert schema["amount"].role == Role.NUMERIC


def test_phone_like_codes_are_not_dates():
    assert detect_datetime_formats(pd.Series(["010-12345678", "021-87654321"])) == []


def test_day_first_is_chosen_when_a_day_exceeds_twelve():
    assert detect_datetime_formats(pd.Series(["13/02/2024", "05/02/2024"])) == ["%d/%m/%Y"]


def test_format_is_noted_on_the_column():
    column = infer_schema(pd.DataFrame({"d": ["05-02-2010", "19-02-2010"]}))["d"]
    assert column.note == "datetime format %d-%m-%Y"


def test_parse_datetimes_replays_the_detected_format():
    formats = detect_datetime_formats(pd.Series(["13/02/2024", "05/02/2024"]))
    parsed = parse_datetimes(pd.Series(["05/02/2024", "bad", None]), formats)
    assert parsed.iloc[0] == pd.Timestamp("2024-02-05")
    assert parsed.iloc[1:].isna().all()


def test_parse_datetimes_tries_each_format_in_order():
    parsed = parse_datetimes(pd.Series(["2024年1月5日", "2024-01-06"]), ["ISO8601", "%Y年%m月%d日"])
    assert parsed.dt.day.tolist() == [5, 6]
