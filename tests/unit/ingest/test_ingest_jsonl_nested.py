"""Nested JSON lines (issue #25, defect 8): objects opened into columns, /Date(ms)/ read."""

from __future__ import annotations

import json

import pandas as pd

from bizforge import read


def _write(tmp_path, rows, name="log.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", "utf-8")
    return path


def test_nested_object_becomes_dotted_columns(tmp_path):
    path = _write(tmp_path, [{"id": 1, "ts": {"value": "2024-03-01 08:00", "tz": "CST"}}])
    assert list(read(path).frame.columns) == ["id", "ts.value", "ts.tz"]


def test_event_time_inside_an_object_is_a_datetime_column(tmp_path):
    rows = [{"ts": {"value": f"2024-03-0{d} 08:00"}, "n": d} for d in range(1, 5)]
    assert read(_write(tmp_path, rows)).schema["ts.value"].role == "datetime"


def test_two_levels_are_opened_and_the_third_stays_json_text(tmp_path):
    path = _write(tmp_path, [{"user": {"geo": {"city": "上海", "pt": {"x": 1}}}}])
    frame = read(path).frame
    assert frame["user.geo.city"].tolist() == ["上海"]
    assert frame["user.geo.pt"].tolist() == ['{"x": 1}']


def test_key_mixing_objects_and_numbers_stays_one_json_column(tmp_path):
    frame = read(_write(tmp_path, [{"a": {"k": 1}}, {"a": 3}])).frame
    assert frame["a"].tolist() == ['{"k": 1}', "3"]


def test_missing_object_gives_missing_children(tmp_path):
    frame = read(_write(tmp_path, [{"u": {"name": "李雷"}}, {"u": None}])).frame
    assert frame["u.name"].tolist()[0] == "李雷" and pd.isna(frame["u.name"].iloc[1])


def test_ms_date_values_are_utc_datetimes(tmp_path):
    rows = [{"t": "/Date(1609459200000)/"}, {"t": "/Date(1609545600000+0800)/"}, {"t": None}]
    frame = read(_write(tmp_path, rows)).frame
    assert frame["t"].tolist()[:2] == [pd.Timestamp("2021-01-01"), pd.Timestamp("2021-01-02")]
    assert pd.isna(frame["t"].iloc[2])


def test_ms_dates_are_noted_in_the_reader_warnings(tmp_path):
    meta = read(_write(tmp_path, [{"ts": {"v": "/Date(0)/"}}])).meta
    assert [w["kind"] for w in meta["warnings"]] == ["ms_dates"]
    assert "ts.v" in meta["warnings"][0]["message"]


def test_column_with_one_ms_date_among_text_stays_text(tmp_path):
    frame = read(_write(tmp_path, [{"t": "/Date(0)/"}, {"t": "soon"}])).frame
    assert frame["t"].tolist() == ["/Date(0)/", "soon"]


def test_json_list_of_nested_records_is_flattened_too(tmp_path):
    path = tmp_path / "t.json"
    path.write_text(json.dumps([{"o": {"p": 1}}, {"o": {"p": 2}}]), encoding="utf-8")
    assert read(path).frame["o.p"].tolist() == [1, 2]
