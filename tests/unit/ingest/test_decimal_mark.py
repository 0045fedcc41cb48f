"""Decimal commas (issue 25, defect 4): the mark is judged per column and per file."""

from __future__ import annotations

import pandas as pd
import pytest

from bizforge.errors import UsageError
from bizforge.frame import Role
from bizforge.ingest import read
from bizforge.ingest.decimal_mark import column_evidence, infer_decimal
from bizforge.ingest.numbers import parse_numbers


def _write(tmp_path, text, name="t.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


GERMAN = (
    "Artikel;Gewicht;Preis\n"
    "Mehl;1,500;12,50\n"
    "Zucker;2,300;-300,00\n"
    "Salz;0,750;1.234,56\n"
    "Reis;5,000;3,99\n"
)


def numbers(ds, column):
    info = ds.schema[column]
    return parse_numbers(ds.frame[column], decimal=info.decimal or ".").values.tolist()


def test_semicolon_file_with_decimal_commas_reads_1_500_as_one_and_a_half(tmp_path):
    ds = read(_write(tmp_path, GERMAN))
    assert ds.meta["decimal"] == ","
    assert numbers(ds, "Gewicht") == [1.5, 2.3, 0.75, 5.0]
    assert numbers(ds, "Preis") == [12.5, -300.0, 1234.56, 3.99]
    assert ds.schema["Preis"].role == Role.NUMERIC


def test_the_decimal_comma_is_said_in_a_reader_note(tmp_path):
    ds = read(_write(tmp_path, GERMAN))
    [note] = [w for w in ds.meta["warnings"] if w["kind"] == "decimal_mark"]
    assert "decimal comma" in note["message"] and "'Preis'" in note["message"]
    assert "--decimal ." in note["message"]


def test_a_leading_zero_group_is_never_thousands():
    assert column_evidence(pd.Series(["0,500", "0,125"])) == (2, 0, 0)


def test_comma_thousands_with_decimal_points_stay_thousands(tmp_path):
    ds = read(_write(tmp_path, "item,qty,price\na,\"1,500\",12.50\nb,\"2,300\",3.99\n"))
    assert ds.meta["decimal"] == "."
    assert numbers(ds, "qty") == [1500.0, 2300.0]
    assert not [w for w in ds.meta["warnings"] if w["kind"] == "decimal_mark"]


def test_ambiguous_values_alone_in_a_semicolon_file_take_the_comma_with_a_note(tmp_path):
    ds = read(_write(tmp_path, "Artikel;Gewicht\nMehl;1,500\nZucker;2,300\n"))
    assert ds.meta["decimal"] == ","
    assert numbers(ds, "Gewicht") == [1.5, 2.3]
    [note] = [w for w in ds.meta["warnings"] if w["kind"] == "decimal_mark"]
    assert "semicolons" in note["message"]


def test_ambiguous_values_alone_in_a_comma_file_keep_the_point_and_say_so(tmp_path):
    ds = read(_write(tmp_path, 'item,qty\na,"1,500"\nb,"2,300"\n'))
    assert ds.meta["decimal"] == "."
    assert numbers(ds, "qty") == [1500.0, 2300.0]
    [note] = [w for w in ds.meta["warnings"] if w["kind"] == "decimal_mark"]
    assert "--decimal ," in note["message"]


def test_dot_thousands_in_a_decimal_comma_column_are_not_coerced_to_decimals(tmp_path):
    ds = read(_write(tmp_path, "Land;Stimmen;Anteil\nA;1.500;12,5\nB;2.300;7,25\n"))
    assert str(ds.frame["Stimmen"].dtype) == "str"  # not 1.5 and 2.3 as floats
    assert numbers(ds, "Stimmen") == [1500.0, 2300.0]


def test_a_stray_decimal_point_in_a_decimal_comma_column_is_not_a_number():
    parsed = parse_numbers(pd.Series(["12,50", "1.5"]), decimal=",")
    assert parsed.values.tolist()[0] == 12.5
    assert parsed.bad_rows == [1]  # not silently 15


def test_decimal_option_overrides_the_judgement(tmp_path):
    ds = read(_write(tmp_path, 'item,qty\na,"1,500"\nb,"2,300"\n'), decimal=",")
    assert ds.meta["decimal"] == ","
    assert numbers(ds, "qty") == [1.5, 2.3]
    assert not [w for w in ds.meta["warnings"] if w["kind"] == "decimal_mark"]


def test_an_unknown_decimal_mark_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="decimal mark"):
        read(_write(tmp_path, "a\n1\n"), decimal=";")


@pytest.mark.parametrize(
    "values",
    [
        ["192.168.1.1", "10.100.200.300", "8.8.8.8"],  # addresses
        ["2.2.6.2", "1.0.3", "10.4"],  # versions
        ["12.05.2024", "01.01.2023"],  # German dates
    ],
)
def test_addresses_versions_and_dates_never_vote(values):
    assert column_evidence(pd.Series(values)) == (0, 0, 0)


def test_a_column_of_decimal_points_in_a_comma_file_keeps_its_own_mark():
    frame = pd.DataFrame({"eur": ["12,50", "3,99"], "usd": ["12.50", "3.99"]})
    guess = infer_decimal(frame, delimiter=";")
    assert guess.mark == "."  # a tie keeps the point for the file...
    assert guess.columns == {"eur": ",", "usd": "."}  # ...but each column is read its way


def test_three_decimal_points_in_a_comma_separated_file_need_no_note(tmp_path):
    ds = read(_write(tmp_path, "YEAR,JAN,FEB\n1950,23.110,24.200\n1951,24.190,25.280\n"))
    assert ds.frame["JAN"].tolist() == [23.11, 24.19]
    assert not [w for w in ds.meta["warnings"] if w["kind"] == "decimal_mark"]
