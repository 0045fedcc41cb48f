"""Excel report sheets: title, unit and note rows around the table, deep header bands."""

from __future__ import annotations

from openpyxl import Workbook

from bizforge.ingest import read


def _save(wb, path):
    wb.save(path)
    return path


def _titled(path):
    wb = Workbook()
    ws = wb.active
    ws.append(["2024年各地区销售额", None, None])
    ws.merge_cells("A1:C1")
    ws.append(["单位：万元", None, None])
    ws.append(["地区", "销售额", "利润"])
    ws.append(["北京", 100, 20])
    ws.append(["上海", 120, 30])
    ws.append(["注：不含港澳台", None, None])
    return _save(wb, path)


def _deep_band(path):
    """Five header rows: 地区 merged down A1:A5, years over halves over quarters over
    measures, and a row of units."""
    wb = Workbook()
    ws = wb.active
    ws.append(["地区", "2024年", None, None, None])
    ws.append([None, "上半年", None, "下半年", None])
    ws.append([None, "一季度", "二季度", "三季度", "四季度"])
    ws.append([None, "销售额", "销售额", "销售额", "销售额"])
    ws.append([None, "万元", "万元", "万元", "万元"])
    ws.merge_cells("A1:A5")
    ws.merge_cells("B1:E1")
    ws.merge_cells("B2:C2")
    ws.merge_cells("D2:E2")
    ws.append(["北京", 1, 2, 3, 4])
    ws.append(["上海", 5, 6, 7, 8])
    return _save(wb, path)


def test_merged_title_and_unit_rows_are_not_the_header(tmp_path):
    ds = read(_titled(tmp_path / "t.xlsx"))
    assert list(ds.frame.columns) == ["地区", "销售额", "利润"]
    assert ds.frame["销售额"].tolist() == [100, 120]


def test_skipped_title_rows_and_header_row_are_reported(tmp_path):
    ds = read(_titled(tmp_path / "t.xlsx"))
    assert ds.meta["header_row"] == 3
    assert ds.meta["skipped_above"] == ["2024年各地区销售额", "单位：万元"]


def test_unit_row_above_the_table_is_kept_for_the_number_columns(tmp_path):
    ds = read(_titled(tmp_path / "t.xlsx"))
    assert ds.meta["units"] == {"销售额": "万元", "利润": "万元"}


def test_note_row_under_the_table_is_left_out(tmp_path):
    ds = read(_titled(tmp_path / "t.xlsx"))
    assert ds.frame["地区"].tolist() == ["北京", "上海"]
    assert ds.meta["notes_below"] == ["注：不含港澳台"]


def test_five_row_merged_header_band_is_joined_into_names(tmp_path):
    ds = read(_deep_band(tmp_path / "deep.xlsx"))
    assert list(ds.frame.columns) == [
        "地区",
        "2024年_上半年_一季度_销售额",
        "2024年_上半年_二季度_销售额",
        "2024年_下半年_三季度_销售额",
        "2024年_下半年_四季度_销售额",
    ]
    assert ds.frame["地区"].tolist() == ["北京", "上海"]


def test_unit_row_inside_a_band_becomes_column_units(tmp_path):
    ds = read(_deep_band(tmp_path / "deep.xlsx"))
    assert set(ds.meta["units"].values()) == {"万元"}
    assert len(ds.meta["units"]) == 4


def test_header_row_option_starts_the_table_there(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["k", "v"])
    ws.append(["x", 1])
    ws.append(["name", "age"])
    ws.append(["Ann", 30])
    ds = read(_save(wb, tmp_path / "two.xlsx"), header_row=3)
    assert list(ds.frame.columns) == ["name", "age"]
    assert ds.frame["age"].tolist() == [30]


def test_plain_sheet_has_header_on_row_one_and_nothing_skipped(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["a", "b"])
    ws.append([1, 2])
    ds = read(_save(wb, tmp_path / "plain.xlsx"))
    assert ds.meta["header_row"] == 1
    assert ds.meta["skipped_above"] == [] and ds.meta["units"] is None


def test_first_row_with_one_name_over_data_is_kept_as_the_header(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["amount", None])
    ws.append([1, 2])
    ws.append([3, 4])
    ds = read(_save(wb, tmp_path / "one.xlsx"))
    assert list(ds.frame.columns) == ["amount", "column_2"]
