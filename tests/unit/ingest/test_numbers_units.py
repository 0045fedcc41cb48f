"""Numbers with units, lower bounds and Excel error values (issue 25, defects 5 and 7)."""

from __future__ import annotations

import pandas as pd
import pytest

from bizforge.ingest import read
from bizforge.ingest.numbers import is_excel_error, looks_numeric, parse_numbers


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("89平米", 89.0, "平米"),
        ("10000元/平米", 10000.0, "元/平米"),
        ("5 kg", 5.0, "kg"),
        ("120.5㎡", 120.5, "m2"),
        ("3个月", 3.0, "个月"),
        ("12 Stk", 12.0, "stk"),
        ("1.5万平米", 15000.0, "平米"),
    ],
)
def test_a_number_with_a_unit_is_read_and_its_unit_counted(text, value, unit):
    parsed = parse_numbers(pd.Series([text]))
    assert parsed.values.tolist() == [value]
    assert parsed.units == {unit: 1}
    assert "unit" in parsed.formats


def test_a_lower_bound_such_as_10000_plus_is_read_as_the_bound():
    parsed = parse_numbers(pd.Series(["10,000+", "500+"]))
    assert parsed.values.tolist() == [10000.0, 500.0]
    assert "plus" in parsed.formats


@pytest.mark.parametrize("codes", [["4G", "5G", "4G"], ["12A", "12B", "13A"]])
def test_codes_ending_in_one_letter_are_not_numbers_with_a_unit(codes):
    assert not looks_numeric(pd.Series(codes))


def test_magnitude_and_percent_are_not_taken_for_units():
    parsed = parse_numbers(pd.Series(["3.5万", "12%"]))
    assert parsed.values.tolist() == [35000.0, 12.0]
    assert parsed.units == {}


@pytest.mark.parametrize(
    "error", ["#DIV/0!", "#VALUE!", "#REF!", "#N/A", "#NUM!", "#NAME?", "#NULL!"]
)
def test_excel_error_values_are_missing_and_counted(error):
    parsed = parse_numbers(pd.Series(["1", error, "3"]))
    assert parsed.values.isna().tolist() == [False, True, False]
    assert (parsed.bad, parsed.errors) == (0, 1)
    assert "excel_error" in parsed.formats


def test_excel_errors_are_found_whatever_the_case_and_padding():
    assert is_excel_error(pd.Series(["#div/0!", " #N/A ", "#hashtag", None])).tolist() == [
        True,
        True,
        False,
        False,
    ]


def test_excel_errors_in_a_csv_leave_a_number_column_numeric(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("region,margin\nA,12.5\nB,#DIV/0!\nC,7\nD,#N/A\n", encoding="utf-8")
    ds = read(path)
    assert ds.schema["margin"].role.value == "numeric"
    assert ds.frame["margin"].isna().tolist() == [False, True, False, True]
    assert ds.meta["excel_errors"]["margin"]["count"] == 2
    assert ds.meta["excel_errors"]["margin"]["values"] == {"#DIV/0!": 1, "#N/A": 1}


def test_excel_error_cells_in_a_workbook_are_missing(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["region", "margin"])
    for region, margin in (("A", 12.5), ("B", "#DIV/0!"), ("C", 7), ("D", "#VALUE!")):
        ws.append([region, margin])
    wb.save(tmp_path / "t.xlsx")
    ds = read(tmp_path / "t.xlsx")
    assert ds.frame["margin"].tolist()[0] == 12.5
    assert ds.frame["margin"].isna().sum() == 2
    assert ds.meta["excel_errors"]["margin"]["values"] == {"#DIV/0!": 1, "#VALUE!": 1}


def test_excel_errors_are_kept_as_written_for_tools_that_write_back(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("region,margin\nA,12.5\nB,#DIV/0!\n", encoding="utf-8")
    ds = read(path, coerce=False)
    assert ds.frame["margin"].tolist() == ["12.5", "#DIV/0!"]


def test_empty_strings_in_parquet_are_missing_as_in_csv(tmp_path):
    frame = pd.DataFrame({"city": ["上海", "", "北京", ""], "n": [1, 2, 3, 4]})
    frame.to_parquet(tmp_path / "t.parquet")
    (tmp_path / "t.csv").write_text("city,n\n上海,1\n,2\n北京,3\n,4\n", encoding="utf-8")
    from_parquet = read(tmp_path / "t.parquet").frame["city"]
    from_csv = read(tmp_path / "t.csv").frame["city"]
    assert from_parquet.isna().tolist() == from_csv.isna().tolist() == [False, True, False, True]
