"""Findings on how values were written: units, Excel errors, times stored as numbers."""

from __future__ import annotations

from bizforge.clean import profile
from bizforge.ingest import read


def _kinds(prof, kind):
    return [f for f in prof.findings if f.kind == kind]


def _csv(tmp_path, text, name="t.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read(path)


def test_numbers_with_a_unit_get_a_finding_naming_the_unit(tmp_path):
    ds = _csv(tmp_path, "小区,面积\nA,89平米\nB,120平米\nC,56.5平米\n")
    [f] = _kinds(profile(ds, lang="zh"), "unit")
    assert f.column == "面积" and f.severity == "info"
    assert "平米 (3)" in f.message


def test_a_unit_alone_gives_no_second_numbers_as_text_finding(tmp_path):
    ds = _csv(tmp_path, "小区,面积\nA,89平米\nB,120平米\nC,56.5平米\n")
    assert _kinds(profile(ds), "numeric_as_text") == []


def test_several_units_in_one_column_are_a_warning(tmp_path):
    ds = _csv(tmp_path, "item,weight\na,5 kg\nb,2 kg\nc,500 mg\nd,3 kg\n")
    [f] = _kinds(profile(ds), "unit")
    assert f.severity == "warning"
    assert "kg (3)" in f.message and "mg (1)" in f.message


def test_excel_errors_are_counted_in_a_finding_with_their_rows(tmp_path):
    ds = _csv(tmp_path, "region,margin\nA,12.5\nB,#DIV/0!\nC,7\nD,#DIV/0!\nE,#N/A\n")
    [f] = _kinds(profile(ds), "excel_errors")
    assert (f.column, f.count, f.rows) == ("margin", 3, [2, 4, 5])
    assert "#DIV/0! 2" in f.message and "#N/A 1" in f.message


def test_a_time_stored_as_a_number_says_which_unit_was_assumed(tmp_path):
    ds = _csv(tmp_path, "created_at,n\n1700000000,1\n1700086400,2\n1700172800,3\n")
    [f] = _kinds(profile(ds), "number_time")
    assert f.column == "created_at"
    assert "Unix times in seconds" in f.message and "2023-11-14" in f.message


def test_a_unix_time_is_not_summarised_as_a_number(tmp_path):
    ds = _csv(tmp_path, "created_at,n\n1700000000,1\n1700086400,2\n1700172800,3\n")
    [column] = [c for c in profile(ds).columns if c["name"] == "created_at"]
    assert column["role"] == "datetime" and column["numeric"] is None


def test_a_decimal_comma_column_is_summarised_with_its_mark(tmp_path):
    ds = _csv(tmp_path, "Artikel;Preis\nA;12,50\nB;1.234,56\nC;3,99\n")
    [column] = [c for c in profile(ds).columns if c["name"] == "Preis"]
    assert column["numeric"]["max"] == 1234.56
