"""Parquet, JSON lines and writing tables back out."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from bizforge.errors import DataError, UsageError
from bizforge.ingest import read, write_table

FRAME = pd.DataFrame(
    {
        "id": ["007", "008", "009"],
        "城市": ["上海", "北京", "深圳"],
        "amount": [1.5, None, 3.0],
        "n": pd.array([1, 2, None], dtype="Int64"),
    }
)


def test_parquet_round_trip_keeps_types_and_text(tmp_path):
    path = write_table(FRAME, tmp_path / "t.parquet")
    ds = read(path)
    assert ds.meta["format"] == "parquet"
    pd.testing.assert_frame_equal(ds.frame, FRAME, check_dtype=False)
    assert ds.frame["id"].tolist() == ["007", "008", "009"]


def test_jsonl_lines_are_read_with_chinese_values(tmp_path):
    path = tmp_path / "t.jsonl"
    rows = [{"id": "007", "城市": "上海", "n": 1}, {"id": "008", "城市": "北京", "n": 2}]
    path.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8"
    )
    ds = read(path)
    assert ds.meta["format"] == "jsonl"
    assert ds.frame["城市"].tolist() == ["上海", "北京"]
    assert ds.frame["id"].tolist() == ["007", "008"]
    assert ds.frame["n"].tolist() == [1, 2]


def test_json_list_of_records_is_read(tmp_path):
    path = tmp_path / "t.json"
    path.write_text(json.dumps([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]), encoding="utf-8")
    assert read(path).frame["b"].tolist() == ["x", "y"]


def test_json_object_per_line_in_dot_json_is_read(tmp_path):
    path = tmp_path / "t.json"
    path.write_text('{"a": 1}\n{"a": 2}\n', encoding="utf-8")
    assert read(path).frame["a"].tolist() == [1, 2]


def test_lists_and_mixed_nested_values_become_json_text(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"a": {"k": 1}}\n{"a": [1, 2]}\n', encoding="utf-8")
    assert read(path).frame["a"].tolist() == ['{"k": 1}', "[1, 2]"]


def test_invalid_json_line_is_named(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"a": 1}\n{"a": 2,}\n', encoding="utf-8")
    with pytest.raises(DataError, match="line 2") as info:
        read(path)
    assert "bad.jsonl" in str(info.value) and info.value.fix


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet", ".jsonl", ".xlsx"])
def test_write_table_round_trips_by_suffix(tmp_path, suffix):
    path = write_table(FRAME, tmp_path / f"out{suffix}")
    back = read(path).frame
    assert back["城市"].tolist() == ["上海", "北京", "深圳"]
    assert back["id"].tolist() == ["007", "008", "009"]
    assert back["amount"].isna().tolist() == [False, True, False]


def test_write_table_csv_is_plain_utf8(tmp_path):
    path = write_table(FRAME, tmp_path / "out.csv")
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert "上海".encode() in raw


def test_write_table_unknown_suffix_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="unknown suffix") as info:
        write_table(FRAME, tmp_path / "out.docx")
    assert ".parquet" in info.value.fix


def test_write_table_refuses_to_overwrite_the_input(tmp_path):
    path = write_table(FRAME, tmp_path / "in.csv")
    ds = read(path)
    before = path.read_bytes()
    with pytest.raises(DataError, match="input"):
        write_table(ds, path)
    assert path.read_bytes() == before


def test_option_for_another_format_is_a_usage_error(tmp_path):
    path = write_table(FRAME, tmp_path / "t.parquet")
    with pytest.raises(UsageError, match="sheet="):
        read(path, sheet="x")


def test_single_pretty_printed_json_object_is_not_a_table(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"a": 1, "b": [1, 2]}, indent=2), encoding="utf-8")
    with pytest.raises(DataError, match="single JSON object") as info:
        read(path)
    assert "config.json" in str(info.value)
