"""Bad input: each gives a DataError naming the file and the fix; inputs never change."""

from __future__ import annotations

import numpy as np
import pytest
from openpyxl import Workbook

from bizforge.errors import DataError, UsageError
from bizforge.ingest import read


def _raises(path, **kw) -> DataError:
    with pytest.raises(DataError) as info:
        read(path, **kw)
    err = info.value
    assert path.name in str(err)
    assert err.fix
    return err


def test_missing_file(tmp_path):
    (tmp_path / "customers.csv").write_text("a\n1\n")
    err = _raises(tmp_path / "customer.csv")
    assert "does not exist" in err.message
    assert "customers.csv" in err.message  # a similar name is suggested


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert "empty (0 bytes)" in _raises(path).message


def test_whitespace_only_file_is_empty(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text("\n  \n")
    assert "empty" in _raises(path).message


def test_header_only_file(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text("a,b,c\n")
    err = _raises(path)
    assert "header (3 columns) but no data rows" in err.message


def test_binary_file_with_csv_suffix(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"a,b\n1,\x00\x01\x02\x03\n")
    assert "binary" in _raises(path).message


def test_xlsx_saved_as_csv_is_recognised(tmp_path):
    wb = Workbook()
    wb.active.append(["a"])
    path = tmp_path / "book.csv"
    wb.save(path)
    err = _raises(path)
    assert "ZIP" in err.message and ".xlsx" in err.fix


def test_binary_file_with_unknown_suffix_lists_supported_formats(tmp_path):
    path = tmp_path / "blob.bin"
    path.write_bytes(bytes(range(256)) * 4)
    err = _raises(path)
    assert ".parquet" in err.message and "unknown suffix" in err.message


def test_ragged_csv_names_lines_and_counts(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text('a,b,c\n1,2,3\n4,5,6,7\n"x\ny",8,9\n10,11,12,13,14\n')
    err = _raises(path)
    assert "2 rows have more fields than the header, which has 3" in err.message
    assert "line 3 has 4" in err.message
    assert "line 6 has 5" in err.message  # physical line, after the 2-line quoted field
    assert err.rows == [3, 6]


def test_undecodable_bytes_list_tried_encodings(tmp_path):
    path = tmp_path / "weird.csv"
    rng = np.random.default_rng(0)
    path.write_bytes(b"a,b\n" + bytes(rng.integers(0x80, 0x100, 3000).astype(np.uint8)))
    err = _raises(path)
    assert "utf-8" in err.message and "gb18030" in err.message
    assert "encoding=" in err.fix and "--encoding" in err.fix


def test_wrong_explicit_encoding_suggests_encoding_option(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes("名称,数量\n苹果,3\n".encode("gbk"))
    err = _raises(path, encoding="utf-8")
    assert "cannot decode" in err.message and "--encoding" in err.fix


def test_unknown_encoding_name_is_a_usage_error(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("a\n1\n")
    with pytest.raises(UsageError, match="unknown encoding"):
        read(path, encoding="klingon-8")


def test_folder_is_not_a_file(tmp_path):
    with pytest.raises(DataError, match="folder"):
        read(tmp_path)


def test_old_xls_asks_for_xlsx(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 100)
    assert ".xlsx" in _raises(path).fix


def test_web_url_is_a_usage_error():
    with pytest.raises(UsageError, match="download"):
        read("https://example.com/data.csv")


@pytest.mark.parametrize("kind", ["csv", "xlsx", "jsonl"])
def test_reading_never_modifies_the_input(tmp_path, kind):
    path = tmp_path / f"input.{kind}"
    if kind == "csv":
        path.write_bytes("编号,值\n001,1\n002,2\n".encode("gbk"))
    elif kind == "jsonl":
        path.write_text('{"a": 1}\n{"a": 2}\n')
    else:
        wb = Workbook()
        wb.active.append(["a", "b"])
        wb.active.append([1, 2])
        wb.save(path)
    before, mtime = path.read_bytes(), path.stat().st_mtime_ns
    read(path)
    read(path, sample_rows=1)
    assert path.read_bytes() == before
    assert path.stat().st_mtime_ns == mtime


def test_utf8_file_with_a_line_in_neither_utf8_nor_gbk_names_the_line(tmp_path):
    path = tmp_path / "latin.csv"
    rows = "".join(f"{i},第{i}条评论，质量不错\n" for i in range(30))
    path.write_bytes(b"id,review\n" + rows.encode() + "31,café très bon\n".encode("cp1252"))
    err = _raises(path)
    assert "it is UTF-8 except line 32" in err.message and "--encoding" in err.fix
