"""Text tables inside a report: title/source lines above the header, notes below."""

from __future__ import annotations

import pytest

from bizforge.errors import DataError, UsageError
from bizforge.ingest import read

STATS = (
    "数据库：年度数据\n时间：最近3年\n地区,2024年,2023年,2022年\n"
    "北京,100,90,80\n上海,120,110,100\n广州,90,85,70\n"
)
NOTES = "注：2024年为初步数据\n数据来源：国家统计局\n"


def _write(tmp_path, text, name="t.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_chinese_title_lines_above_header_are_skipped(tmp_path):
    ds = read(_write(tmp_path, STATS))
    assert list(ds.frame.columns) == ["地区", "2024年", "2023年", "2022年"]
    assert ds.frame["地区"].tolist() == ["北京", "上海", "广州"]


def test_skipped_title_lines_are_reported_with_the_header_line(tmp_path):
    ds = read(_write(tmp_path, STATS))
    assert ds.meta["header_row"] == 3
    assert ds.meta["skipped_above"] == ["数据库：年度数据", "时间：最近3年"]
    assert any(w["kind"] == "lines_above_header" for w in ds.meta["warnings"])


def test_chinese_note_lines_below_table_are_left_out_and_reported(tmp_path):
    ds = read(_write(tmp_path, STATS + NOTES))
    assert ds.frame["地区"].tolist() == ["北京", "上海", "广州"]
    assert ds.meta["notes_below"] == ["注：2024年为初步数据", "数据来源：国家统计局"]
    assert any(w["kind"] == "notes_below_table" for w in ds.meta["warnings"])


def test_note_continuation_lines_are_part_of_the_notes(tmp_path):
    text = "a,b\n1,2\n3,4\n注：\n1. 不含港澳台\n2. 四舍五入\n"
    ds = read(_write(tmp_path, text))
    assert ds.frame["a"].tolist() == [1, 3]
    assert len(ds.meta["notes_below"]) == 3


def test_last_data_row_with_one_filled_cell_is_kept(tmp_path):
    ds = read(_write(tmp_path, "name,score\nA,1\nB,2\nC,\n"))
    assert ds.frame["name"].tolist() == ["A", "B", "C"]
    assert ds.meta["notes_below"] == []


def test_quoted_source_lines_with_commas_do_not_make_a_ragged_error(tmp_path):
    text = (
        '"Data Source","WDI",\n\n"Last Updated Date","2016-05-02",\n\n'
        '"Country Name","Country Code","1960","1961"\n'
        '"Aruba","ABW","1.5","2.5"\n"Andorra","AND","3","4"\n"Chad","TCD","","5"\n'
    )
    ds = read(_write(tmp_path, text))
    assert list(ds.frame.columns) == ["Country Name", "Country Code", "1960", "1961"]
    assert ds.meta["header_row"] == 5
    assert len(ds.frame) == 3


def test_german_source_line_with_trailing_semicolons_is_not_the_header(tmp_path):
    text = "Quelle: Amt X 2025;;\nLand;Kennziffer;Stimmen\nBayern;9;100\nHessen;6;80\n"
    ds = read(_write(tmp_path, text, encoding="cp1252"))
    assert list(ds.frame.columns) == ["Land", "Kennziffer", "Stimmen"]
    assert ds.frame["Land"].tolist() == ["Bayern", "Hessen"]


def test_english_source_note_with_commas_below_table_is_left_out(tmp_path):
    text = "region,sales,profit\nNorth,10,2\nSouth,12,3\nSource: Statistics Bureau, 2024, table 3\n"
    ds = read(_write(tmp_path, text))
    assert ds.frame["region"].tolist() == ["North", "South"]
    assert ds.meta["notes_below"] == ["Source: Statistics Bureau, 2024, table 3"]


def test_plain_csv_reads_with_header_on_line_one_and_nothing_skipped(tmp_path):
    ds = read(_write(tmp_path, "a,b\n1,2\n3,4\n"))
    assert ds.meta["header_row"] == 1
    assert ds.meta["skipped_above"] == [] and ds.meta["notes_below"] == []


def test_header_with_trailing_delimiters_in_data_is_still_line_one(tmp_path):
    ds = read(_write(tmp_path, "id,name\n1,a,\n2,b,\n3,c,\n"))
    assert list(ds.frame.columns) == ["id", "name"]
    assert ds.meta["header_row"] == 1


def test_header_row_option_names_the_header_line(tmp_path):
    # Two lines that look like a table above the real one: only the user can tell.
    text = "k,v\nx,1\nname,age\nAnn,30\nBob,40\n"
    ds = read(_write(tmp_path, text), header_row=3)
    assert list(ds.frame.columns) == ["name", "age"]
    assert ds.frame["name"].tolist() == ["Ann", "Bob"]


def test_skip_rows_option_skips_that_many_lines(tmp_path):
    text = "k,v\nx,1\nname,age\nAnn,30\nBob,40\n"
    ds = read(_write(tmp_path, text), skip_rows=2)
    assert list(ds.frame.columns) == ["name", "age"]
    assert ds.meta["skipped_above"] == ["k,v", "x,1"]


def test_header_row_and_skip_rows_that_disagree_are_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="disagree"):
        read(_write(tmp_path, "a,b\n1,2\n"), header_row=3, skip_rows=1)


def test_header_row_zero_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="at least 1"):
        read(_write(tmp_path, "a,b\n1,2\n"), header_row=0)


def test_skip_rows_past_the_end_is_a_data_error_naming_the_option(tmp_path):
    with pytest.raises(DataError, match="--header-row") as err:
        read(_write(tmp_path, "a,b\n1,2\n"), skip_rows=10)
    assert "no table below line 10" in err.value.message


def test_ragged_error_names_the_header_line_and_the_header_options(tmp_path):
    with pytest.raises(DataError) as err:
        read(_write(tmp_path, "a,b,c\n1,2,3\n4,5,6,7\n8,9,10\n"))
    assert "(line 1)" in err.value.message
    assert "--header-row" in err.value.fix


def test_streamed_read_skips_title_and_notes(tmp_path):
    rows = "".join(f"r{i},{i},{i * 2}\n" for i in range(3000))
    path = _write(tmp_path, "Report 2024: sales\nname,a,b\n" + rows + "Source: ERP export\n")
    ds = read(path, sample_rows=100)
    assert list(ds.frame.columns) == ["name", "a", "b"]
    assert ds.meta["stats"]["rows"] == 3000


def test_note_like_last_row_stays_when_the_column_holds_such_texts(tmp_path):
    text = "memo,amount\nNote: call back,1\nok,2\nNote: paid late,3\n"
    ds = read(_write(tmp_path, text))
    assert ds.frame["memo"].tolist() == ["Note: call back", "ok", "Note: paid late"]


def test_notes_at_the_end_of_a_file_past_the_first_mib_are_left_out(tmp_path):
    rows = "".join(f"{i},北京市朝阳区第{i}号,{i * 3}\n" for i in range(40_000))  # > 1 MiB
    path = _write(tmp_path, "编号,地址,金额\n" + rows + "注：金额单位为元\n数据来源：ERP\n")
    assert path.stat().st_size > 1 << 20
    ds = read(path)
    assert len(ds.frame) == 40_000
    assert ds.meta["notes_below"] == ["注：金额单位为元", "数据来源：ERP"]


def test_notes_at_the_end_of_a_large_utf16_file_are_found(tmp_path):
    rows = "".join(f"{i}\t台北{i}\n" for i in range(60_000))
    path = _write(tmp_path, "編號\t地點\n" + rows + "資料來源：內政部\n", name="t.txt",
                  encoding="utf-16")
    assert path.stat().st_size > 1 << 20
    ds = read(path)
    assert len(ds.frame) == 60_000
    assert ds.meta["notes_below"] == ["資料來源：內政部"]


def test_batch_reader_skips_title_lines_like_read(tmp_path):
    from bizforge.ingest.delimited import iter_delimited

    chunks = list(iter_delimited(_write(tmp_path, STATS + NOTES), chunk_rows=2))
    assert list(chunks[0].columns) == ["地区", "2024年", "2023年", "2022年"]
    assert sum(len(c) for c in chunks) == 3


def test_batch_reader_takes_skip_rows(tmp_path):
    from bizforge.ingest.delimited import iter_delimited

    text = "k,v\nx,1\nname,age\nAnn,30\nBob,40\n"
    chunks = list(iter_delimited(_write(tmp_path, text), skip_rows=2))
    assert list(chunks[0].columns) == ["name", "age"]


def test_header_with_unnamed_index_column_stays_the_header(tmp_path):
    ds = read(_write(tmp_path, ",city\n0,Paris\n1,Lyon\n2,Nice\n"))
    assert list(ds.frame.columns) == ["column_1", "city"]
    assert ds.meta["header_row"] == 1


def test_title_padded_with_delimiters_is_skipped(tmp_path):
    ds = read(_write(tmp_path, "2024年销售报表,,\n门店,月份,销售额\nS1,1月,10\nS2,1月,12\n"))
    assert list(ds.frame.columns) == ["门店", "月份", "销售额"]


def test_header_row_one_turns_the_title_search_off(tmp_path):
    ds = read(_write(tmp_path, STATS), header_row=1)
    assert list(ds.frame.columns) == ["数据库：年度数据"]
    assert ds.meta["skipped_above"] == []


def test_title_and_note_lines_padded_with_commas_are_skipped(tmp_path):
    pad = ",,,"
    text = (f"数据库：年度数据{pad}\n时间：最近3年{pad}\n指标,2024年,2023年,2022年\n"
            "出生率(‰),6.77,6.39,6.77\n死亡率(‰),7.76,7.87,7.37\n"
            f"注：2020年为普查数据。{pad}\n数据来源：国家统计局{pad}\n")
    ds = read(_write(tmp_path, text, encoding="gbk"))
    assert ds.frame["指标"].tolist() == ["出生率(‰)", "死亡率(‰)"]
    assert ds.meta["skipped_above"] == ["数据库：年度数据", "时间：最近3年"]
    assert ds.meta["notes_below"] == ["注：2020年为普查数据。", "数据来源：国家统计局"]
