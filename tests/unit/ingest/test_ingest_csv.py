"""Delimited text: encodings, delimiters, quoting, every cell kept as text first."""

from __future__ import annotations

import pandas as pd
import pytest

from bizforge.ingest import read
from bizforge.ingest.delimited import sniff_delimiter

REVIEWS = pd.DataFrame(
    {
        "编号": ["001", "002", "003", "004", "005"],
        "评论": [
            "房间干净，服务很好！",
            "早餐一般，\n性价比不高",  # a quoted multi-line field
            "位置方便, 交通便利",  # a comma inside a quoted field
            "“非常满意”，下次还来",
            "空调有噪音；隔音差",
        ],
        "评分": ["5", "2", "4", "5", "1"],
        "标签": ["正面", "负面", "正面", "正面", "负面"],
    }
)


def _write(tmp_path, name, encoding, sep=","):
    path = tmp_path / name
    REVIEWS.to_csv(path, index=False, encoding=encoding, sep=sep)
    return path


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("gbk", "gb18030"),
        ("gb18030", "gb18030"),
        ("utf-16", "utf-16"),
    ],
)
def test_chinese_table_reads_identically_in_each_encoding(tmp_path, encoding, expected):
    original = read(_write(tmp_path, "utf8.csv", "utf-8"))
    ds = read(_write(tmp_path, f"{encoding}.csv", encoding))
    assert ds.meta["encoding"] == expected
    pd.testing.assert_frame_equal(ds.frame, original.frame)


def test_gbk_copy_of_review_file_equals_utf8_original(tmp_path):
    utf8 = read(_write(tmp_path, "reviews.csv", "utf-8"))
    gbk = read(_write(tmp_path, "reviews_gbk.csv", "gbk"))
    assert list(gbk.frame.columns) == list(REVIEWS.columns)
    assert gbk.frame["评论"].tolist() == REVIEWS["评论"].tolist()
    pd.testing.assert_frame_equal(gbk.frame, utf8.frame)


def test_bom_is_stripped_from_first_header_even_with_explicit_utf8(tmp_path):
    path = _write(tmp_path, "bom.csv", "utf-8-sig")
    ds = read(path, encoding="utf-8")
    assert ds.frame.columns[0] == "编号"


def test_utf16_without_bom_is_recognised(tmp_path):
    path = tmp_path / "le.csv"
    path.write_bytes("a,b\n1,x\n2,y\n".encode("utf-16-le"))
    ds = read(path)
    assert ds.meta["encoding"] == "utf-16-le"
    assert ds.frame["b"].tolist() == ["x", "y"]


@pytest.mark.parametrize("sep", [",", "\t", ";", "|"])
def test_delimiter_is_sniffed(tmp_path, sep):
    ds = read(_write(tmp_path, "data.txt", "utf-8", sep=sep))
    assert ds.meta["delimiter"] == sep
    assert list(ds.frame.columns) == list(REVIEWS.columns)
    assert ds.frame["评论"].tolist() == REVIEWS["评论"].tolist()


def test_explicit_delimiter_name_is_accepted(tmp_path):
    ds = read(_write(tmp_path, "data.txt", "utf-8", sep="\t"), delimiter="tab")
    assert ds.meta["delimiter"] == "\t"


def test_sniffer_prefers_consistent_split_over_commas_in_text():
    text = "id;comment\n1;good, clean, quiet\n2;bad, noisy\n3;ok\n"
    assert sniff_delimiter(text) == ";"


def test_multiline_quoted_field_stays_one_row(tmp_path):
    ds = read(_write(tmp_path, "r.csv", "utf-8"))
    assert len(ds.frame) == 5
    assert ds.frame.loc[1, "评论"] == "早餐一般，\n性价比不高"


def test_only_empty_cells_are_missing(tmp_path):
    path = tmp_path / "na.csv"
    path.write_text("code,note,flag\n007,NA, \n010,,null\n", encoding="utf-8")
    frame = read(path).frame
    assert frame["code"].tolist() == ["007", "010"]  # leading zeros kept
    assert frame.loc[0, "note"] == "NA"
    assert frame.loc[0, "flag"] == " "  # a single space is a value, not missing
    assert frame.loc[1, "flag"] == "null"
    assert pd.isna(frame.loc[1, "note"])


def test_plain_number_columns_are_coerced(tmp_path):
    frame = read(_write(tmp_path, "r.csv", "utf-8")).frame
    assert pd.api.types.is_integer_dtype(frame["评分"])
    assert frame["评分"].tolist() == [5, 2, 4, 5, 1]


def test_metadata_records_how_it_was_read(tmp_path):
    path = _write(tmp_path, "r.csv", "utf-8")
    ds = read(path)
    assert ds.meta["source"] == str(path)
    assert ds.meta["format"] == "csv"
    assert ds.meta["rows_total"] == 5
    assert ds.meta["sampled"] is False
    assert ds.meta["warnings"] == []
    assert ds.schema.names == list(REVIEWS.columns)


def test_numeric_first_row_is_read_as_data_not_header(tmp_path):
    path = tmp_path / "u.data"
    path.write_text("196\t242\t3\n186\t302\t3\n22\t377\t1\n", encoding="utf-8")
    ds = read(path)
    assert list(ds.frame.columns) == ["column_1", "column_2", "column_3"]
    assert len(ds.frame) == 3
    assert [w["kind"] for w in ds.meta["warnings"]] == ["no_header"]


def test_blank_and_duplicate_header_names_are_made_unique(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("a,,a\n1,2,3\n", encoding="utf-8")
    ds = read(path)
    assert list(ds.frame.columns) == ["a", "column_2", "a_2"]
    assert {w["kind"] for w in ds.meta["warnings"]} == {"blank_header", "duplicate_columns"}


def test_trailing_delimiter_is_ignored_with_a_warning(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,x,\n2,y,\n3,z\n", encoding="utf-8")
    ds = read(path)
    assert ds.frame["b"].tolist() == ["x", "y", "z"]
    assert [w["kind"] for w in ds.meta["warnings"]] == ["trailing_delimiter"]


def test_unknown_text_suffix_is_read_as_table(tmp_path):
    path = tmp_path / "export.dat"
    path.write_text("a|b\n1|x\n2|y\n", encoding="utf-8")
    ds = read(path)
    assert ds.meta["delimiter"] == "|"
    assert ds.frame["b"].tolist() == ["x", "y"]


def test_dataframe_source_is_wrapped_without_changing_it():
    frame = pd.DataFrame({"n": ["1", "2"], "s": ["x", "y"]})
    ds = read(frame)
    assert ds.meta["format"] == "frame"
    assert frame["n"].tolist() == ["1", "2"]  # the caller's frame is untouched
    assert len(ds) == 2


def test_big5_table_is_not_mistaken_for_gbk(tmp_path):
    path = tmp_path / "big5.csv"
    path.write_bytes("名稱,數量\n蘋果,3\n香蕉,5\n".encode("big5"))
    ds = read(path)
    assert ds.meta["encoding"] == "big5"
    assert ds.frame["名稱"].tolist() == ["蘋果", "香蕉"]


def test_western_code_page_is_read_as_cp1252(tmp_path):
    path = tmp_path / "fr.csv"
    path.write_bytes("nom,ville\nRené,Besançon\nZoë,Orléans\n".encode("cp1252"))
    ds = read(path)
    assert ds.meta["encoding"] == "cp1252"
    assert ds.frame["ville"].tolist() == ["Besançon", "Orléans"]


def test_one_column_text_keeps_commas_in_values(tmp_path):
    path = tmp_path / "reviews.txt"
    path.write_text("review\nGood room, quiet street\nFine\n很好，干净, 安静\n", encoding="utf-8")
    ds = read(path)
    assert ds.meta["delimiter"] is None
    assert ds.frame["review"].tolist() == ["Good room, quiet street", "Fine", "很好，干净, 安静"]


def test_gbk_text_after_the_first_mib_is_still_decoded(tmp_path):
    path = tmp_path / "late.csv"
    ascii_rows = "".join(f"{i},plain text row\n" for i in range(80_000))  # > 1 MiB
    path.write_bytes(("id,note\n" + ascii_rows + "80000,中文备注\n").encode("gbk"))
    ds = read(path)
    assert ds.meta["encoding"] == "gb18030"
    assert ds.frame["note"].iloc[-1] == "中文备注"
    assert [w["kind"] for w in ds.meta["warnings"]] == ["encoding_fallback"]


def _mixed_rows(gbk_at: set[int], n: int = 12) -> bytes:
    rows = [f"{i},第{i}条评论，质量不错\n" for i in range(n)]
    return b"id,review\n" + b"".join(
        r.encode("gbk" if i in gbk_at else "utf-8") for i, r in enumerate(rows))


def test_utf8_file_with_some_gbk_lines_reads_every_line_and_says_which(tmp_path):
    path = tmp_path / "appended.csv"
    path.write_bytes(_mixed_rows({3, 7}))
    ds = read(path)
    assert ds.frame["review"].tolist() == [f"第{i}条评论，质量不错" for i in range(12)]
    (note,) = ds.meta["warnings"]
    assert note["kind"] == "mixed_encoding"
    assert "2 line(s) in GB18030/GBK" in note["message"] and "line 5, 9" in note["message"]


def test_gbk_lines_past_the_first_mib_of_a_utf8_file_are_read_line_by_line(tmp_path):
    path = tmp_path / "late_mixed.csv"
    head = "".join(f"{i},第{i}行\n" for i in range(70_000)).encode()  # > 1 MiB of UTF-8
    path.write_bytes(b"id,note\n" + head + "70000,旧系统导出的备注\n".encode("gbk"))
    ds = read(path)
    assert ds.frame["note"].iloc[-1] == "旧系统导出的备注" and ds.frame["note"].iloc[0] == "第0行"
    assert [w["kind"] for w in ds.meta["warnings"]] == ["mixed_encoding"]


def test_a_gbk_file_with_few_chinese_lines_is_still_plain_gbk(tmp_path):
    path = tmp_path / "gbk_mostly_ascii.csv"
    path.write_bytes(("id,note\n" + "".join(f"{i},ok\n" for i in range(50))
                      + "50,中文备注\n").encode("gbk"))
    ds = read(path)
    assert ds.meta["encoding"] == "gb18030" and ds.frame["note"].iloc[-1] == "中文备注"
    assert ds.meta["warnings"] == []


def test_mixed_decoder_holds_a_line_cut_between_reads():
    import codecs

    from bizforge.ingest.mixed import MIXED

    data = "甲,好\n".encode() + "乙,差\n".encode("gbk")
    decoder = codecs.getincrementaldecoder(MIXED)()
    parts = [decoder.decode(data[i:i + 3]) for i in range(0, len(data), 3)]
    assert "".join(parts) + decoder.decode(b"", final=True) == "甲,好\n乙,差\n"


@pytest.mark.parametrize(("text", "rows", "counted"), [
    ("review\n很好\n   \n\nbad\n\n", ["很好", "bad"], "2 blank line(s) (line 3, 4)"),
    # a blank line inside a quoted text is part of that text, not a skipped row
    ('review\n"first part\n\nsecond ""part"""\n\nbad\n',
     ['first part\n\nsecond "part"', "bad"], "1 blank line(s) (line 5)"),
])
def test_blank_lines_inside_a_one_column_file_are_counted_and_named(tmp_path, text, rows,
                                                                    counted):
    path = tmp_path / "reviews.txt"
    path.write_text(text, encoding="utf-8")
    ds = read(path)
    assert ds.frame["review"].tolist() == rows
    (note,) = ds.meta["warnings"]
    assert note["kind"] == "blank_lines" and counted in note["message"]


def test_a_one_column_file_without_inner_blank_lines_has_no_note(tmp_path):
    path = tmp_path / "reviews.txt"
    path.write_text("review\n很好\nbad\n\n", encoding="utf-8")
    assert read(path).meta["warnings"] == []
