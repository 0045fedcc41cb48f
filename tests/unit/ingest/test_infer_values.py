"""Roles decided by the column name and the value spread (issue 25, defects 5 and 6)."""

from __future__ import annotations

import pandas as pd
import pytest

from bizforge.frame import Role
from bizforge.ingest import read
from bizforge.ingest.infer import detect_datetime_formats, infer_schema, parse_datetimes


def role(name, values):
    return infer_schema(pd.DataFrame({name: values}))[name].role


AMOUNTS = [123456789 + 7919 * i * i for i in range(30)]  # nine digits each, all different


def test_nine_digit_amounts_are_not_identifiers():
    assert role("销售额(元)", AMOUNTS) == Role.NUMERIC
    assert role("Umsatz", AMOUNTS) == Role.NUMERIC


def test_nine_digit_numbers_without_an_amount_name_are_still_identifiers():
    assert role("kontonummer", AMOUNTS) == Role.ID


@pytest.mark.parametrize("name", ["邮编", "郵遞區號", "PLZ", "zip", "ISBN", "电话"])
def test_codes_named_as_postal_codes_phones_or_isbns_are_not_quantities(name):
    repeated = [10115, 20095, 10115, 80331, 20095, 50667] * 4
    assert role(name, repeated) == Role.CATEGORICAL


def test_unique_isbns_are_identifiers():
    isbns = [9787111213826 + 13 * i for i in range(25)]
    assert role("ISBN", isbns) == Role.ID


def test_numbers_with_a_unit_are_numeric_and_keep_their_unit():
    info = infer_schema(pd.DataFrame({"面积": ["89平米", "120平米", "56.5平米"]}))["面积"]
    assert info.role == Role.NUMERIC
    assert info.numeric_text["units"] == {"平米": 3}


@pytest.mark.parametrize(
    ("name", "values", "fmt"),
    [
        ("created_at", [1700000000, 1700086400, 1700172800], "unix_s"),
        ("ts", [1700000000000, 1700086400000, 1700172800000], "unix_ms"),
        ("下单时间", [1700000000, 1700086400, 1700172800], "unix_s"),
        ("Datum", [45000, 45001.5, 45032], "excel_serial"),
        ("交易日期", [20240105, 20240106, 20231231], "%Y%m%d"),
        ("日期", ["0960614", "0960615", "1120105"], "roc"),
        ("日期", ["96/06/14", "96/06/15", "112/01/05"], "roc"),
        ("x", ["民國96年6月14日", "民國112年1月5日", "民國100年10月10日"], "roc"),
    ],
)
def test_times_stored_as_numbers_are_datetime_when_name_and_range_agree(name, values, fmt):
    column = pd.Series(values, name=name)
    assert role(name, values) == Role.DATETIME
    assert detect_datetime_formats(column) == [fmt]


def test_roc_years_add_1911():
    when = parse_datetimes(pd.Series(["0960614", "民國112年1月5日"]), ["roc"])
    assert when.dt.strftime("%Y-%m-%d").tolist() == ["2007-06-14", "2023-01-05"]


def test_excel_serial_fraction_is_the_time_of_day():
    when = parse_datetimes(pd.Series(["45000.5"]), ["excel_serial"])
    assert when.iloc[0] == pd.Timestamp("2023-03-15 12:00")


def test_unix_range_without_a_time_name_stays_a_number():
    assert role("amount", [1700000000, 1800086400, 1900172800]) == Role.NUMERIC


def test_a_time_name_with_numbers_out_of_range_stays_a_number():
    assert role("time", [12.5, 30.0, 45.25]) == Role.NUMERIC  # minutes, not a date


def test_unix_milliseconds_in_a_file_become_datetime(tmp_path):
    path = tmp_path / "events.csv"
    rows = "\n".join(f"{1700000000000 + i * 3_600_000},{i}" for i in range(5))
    path.write_text("event_time,clicks\n" + rows + "\n", encoding="utf-8")
    ds = read(path)
    assert ds.schema["event_time"].role == Role.DATETIME
    assert ds.schema["clicks"].role == Role.NUMERIC


def test_a_unit_makes_consecutive_values_amounts_not_row_numbers():
    areas = [f"{50 + i}平米" for i in range(30)]  # dense like a counter, but with a unit
    assert role("面积", areas) == Role.NUMERIC


def test_repeated_mobile_numbers_are_labels_whatever_the_column_is_called():
    phones = [13800138000, 13912345678, 13800138000, 15000000001] * 6
    assert role("联系方式", phones) == Role.CATEGORICAL


def test_day_first_two_digit_years_are_not_taken_for_roc_dates():
    assert role("日期", ["05/02/10", "12/03/10", "28/11/09"]) != Role.DATETIME
