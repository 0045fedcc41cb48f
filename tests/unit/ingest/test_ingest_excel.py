"""Excel: sheet choice, missing sheets, merged and multi-row headers."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import Workbook

from bizforge.errors import DataError
from bizforge.ingest import read


def _two_sheets(path):
    wb = Workbook()
    ws = wb.active
    ws.title = "客户"
    ws.append(["编号", "城市", "消费"])
    ws.append(["001", "上海", 120.5])
    ws.append(["002", "北京", 80])
    other = wb.create_sheet("订单")
    other.append(["order", "qty"])
    for i in range(3):
        other.append([f"A{i}", i + 1])
    wb.save(path)
    return path


def _merged_header(path):
    wb = Workbook()
    ws = wb.active
    ws.title = "2023"
    ws.append(["客户", None, "2023年", None])
    ws.merge_cells("A1:B1")
    ws.merge_cells("C1:D1")
    ws.append(["编号", "姓名", "销售额", "利润"])
    ws.append(["C1", "张三", 100, 20])
    ws.append(["C2", "李四", 200, 35])
    wb.save(path)
    return path


def test_first_sheet_is_read_by_default(tmp_path):
    ds = read(_two_sheets(tmp_path / "book.xlsx"))
    assert ds.meta["sheet"] == "客户"
    assert ds.meta["format"] == "excel"
    assert list(ds.frame.columns) == ["编号", "城市", "消费"]
    assert ds.frame["编号"].tolist() == ["001", "002"]  # text cells stay text
    assert ds.frame["消费"].tolist() == [120.5, 80.0]


def test_sheet_is_picked_by_name(tmp_path):
    ds = read(_two_sheets(tmp_path / "book.xlsx"), sheet="订单")
    assert ds.frame["qty"].tolist() == [1, 2, 3]


def test_sheet_is_picked_by_index(tmp_path):
    ds = read(_two_sheets(tmp_path / "book.xlsx"), sheet=1)
    assert ds.meta["sheet"] == "订单"


def test_missing_sheet_lists_the_sheets(tmp_path):
    path = _two_sheets(tmp_path / "book.xlsx")
    with pytest.raises(DataError) as info:
        read(path, sheet="Sheet9")
    msg = str(info.value)
    assert "book.xlsx" in msg and "'Sheet9'" in msg
    assert "'客户'" in msg and "'订单'" in msg
    assert info.value.fix


def test_merged_multirow_header_is_flagged_and_real_names_used(tmp_path):
    ds = read(_merged_header(tmp_path / "sales.xlsx"))
    kinds = [w["kind"] for w in ds.meta["warnings"]]
    assert kinds == ["merged_header", "multirow_header"]
    assert "A1:B1" in ds.meta["warnings"][0]["message"]
    assert "Fix:" in ds.meta["warnings"][1]["message"]
    assert list(ds.frame.columns) == ["编号", "姓名", "销售额", "利润"]
    assert ds.frame["销售额"].tolist() == [100, 200]


def test_title_row_above_header_is_skipped(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["月度销售报表", None, None])
    ws.append(["门店", "月份", "销售额"])
    ws.append(["S1", "1月", 10])
    ws.append(["S2", "1月", 12])
    wb.save(tmp_path / "report.xlsx")
    ds = read(tmp_path / "report.xlsx")
    assert list(ds.frame.columns) == ["门店", "月份", "销售额"]
    assert [w["kind"] for w in ds.meta["warnings"]] == ["lines_above_header"]
    assert ds.meta["skipped_above"] == ["月度销售报表"]


def test_repeated_lower_header_names_get_group_prefix(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["门店", "2023", None, "2024", None])
    ws.merge_cells("B1:C1")
    ws.merge_cells("D1:E1")
    ws.append([None, "销售额", "利润", "销售额", "利润"])
    ws.merge_cells("A1:A2")
    ws.append(["S1", 1, 2, 3, 4])
    wb.save(tmp_path / "wide.xlsx")
    ds = read(tmp_path / "wide.xlsx")
    assert list(ds.frame.columns) == [
        "门店",
        "2023_销售额",
        "2023_利润",
        "2024_销售额",
        "2024_利润",
    ]


def test_mixed_cells_become_text(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["amount", "k"])
    ws.append([12, "a"])
    ws.append(["N/A", "b"])
    ws.append([None, "c"])
    wb.save(tmp_path / "mixed.xlsx")
    frame = read(tmp_path / "mixed.xlsx").frame
    assert frame["amount"].iloc[:2].tolist() == ["12", "N/A"]
    assert pd.isna(frame["amount"].iloc[2])


def test_header_only_sheet_is_a_data_error(tmp_path):
    wb = Workbook()
    wb.active.append(["a", "b"])
    wb.save(tmp_path / "empty.xlsx")
    with pytest.raises(DataError, match="no data rows") as info:
        read(tmp_path / "empty.xlsx")
    assert "empty.xlsx" in str(info.value)
