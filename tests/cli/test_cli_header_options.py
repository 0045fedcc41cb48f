"""--header-row / --skip-rows on the verbs that read a file, and the reader facts in
``inspect --json``."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from bizforge.cli import app

runner = CliRunner()

TWO_TABLES = "k,v\nx,1\nname,phone,age\nAnn,13800138000,30\nBob,13912345678,40\nCid,15000000001,50\n"


@pytest.fixture
def stacked(tmp_path):
    path = tmp_path / "stacked.csv"
    path.write_text(TWO_TABLES, encoding="utf-8")
    return path


def test_inspect_header_row_picks_the_header_line(stacked, tmp_path):
    js = tmp_path / "p.json"
    result = runner.invoke(app, ["inspect", str(stacked), "--header-row", "3", "--json", str(js)])
    assert result.exit_code == 0, result.output
    doc = json.loads(js.read_text(encoding="utf-8"))
    assert [c["name"] for c in doc["columns"]] == ["name", "phone", "age"]
    assert doc["reader"]["header_row"] == 3


def test_inspect_json_has_what_the_reader_learned(tmp_path):
    path = tmp_path / "de.csv"
    path.write_bytes("Quelle: Amt X;;\nLand;Straße;Stimmen\nBayern;Hauptstraße;100\n"
                     "Hessen;Ringstraße;80\n".encode("cp1252"))
    js = tmp_path / "p.json"
    result = runner.invoke(app, ["inspect", str(path), "--json", str(js)])
    assert result.exit_code == 0, result.output
    reader = json.loads(js.read_text(encoding="utf-8"))["reader"]
    assert reader["encoding"] == "cp1252" and 0 < reader["encoding_confidence"] <= 1
    assert reader["delimiter"] == ";" and reader["header_row"] == 2
    assert reader["skipped_above"] == ["Quelle: Amt X"]
    assert [w["kind"] for w in reader["warnings"]] == ["lines_above_header"]


def test_header_row_zero_is_a_usage_error(stacked):
    result = runner.invoke(app, ["inspect", str(stacked), "--header-row", "0"])
    assert result.exit_code == 2


def test_mask_skip_rows_masks_the_table_below(stacked, tmp_path):
    out = tmp_path / "masked.csv"
    result = runner.invoke(app, ["mask", str(stacked), "-o", str(out), "--skip-rows", "2"])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "name,phone,age"
    assert "13800138000" not in text


def test_mask_reports_skipped_title_lines(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("客户名单 2024\nname,phone\nAnn,13800138000\nBob,13912345678\n", encoding="utf-8")
    result = runner.invoke(app, ["mask", str(path), "-o", str(tmp_path / "m.csv")])
    assert result.exit_code == 0, result.output
    assert "the header is line 2" in result.output


def test_train_header_row_hands_the_library_the_table_below(monkeypatch, stacked):
    import bizforge.pipeline

    given = []

    def fake(data, target, **kwargs):
        given.append(data)
        raise KeyboardInterrupt  # stop before any training

    monkeypatch.setattr(bizforge.pipeline, "train", fake)
    runner.invoke(app, ["train", str(stacked), "--target", "age", "--header-row", "3"])
    assert list(given[0].frame.columns) == ["name", "phone", "age"]


def test_predict_negative_skip_rows_is_a_usage_error(stacked, tmp_path):
    result = runner.invoke(app, ["predict", "m", str(stacked), "-o", str(tmp_path / "o.csv"),
                                 "--skip-rows", "-1"])
    assert result.exit_code == 2
