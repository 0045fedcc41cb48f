"""`bizforge mask`: exit codes, output file, audit JSON, never a raw value in messages."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from bizforge.cli import app

runner = CliRunner()

from pii_ids import make_id

ID_A = make_id("110105", "19900307", "123")
ID_B = make_id("320102", "19851111", "456")
RAW = [ID_A, ID_B, "13800138000", "13900139000", "zs@example.com", "021-66668888"]


@pytest.fixture()
def customers(tmp_path):
    path = tmp_path / "客户.csv"
    pd.DataFrame(
        {
            "姓名": ["张三", "李四", "王五"],
            "身份证号": [ID_A, ID_B, ID_A],
            "手机": ["13800138000", "13900139000", "13800138000"],
            "备注": ["请致电 021-66668888", "邮件 zs@example.com", "无"],
            "城市": ["北京", "南京", "北京"],
        }
    ).to_csv(path, index=False)
    return path


def _run(*args: str):
    return runner.invoke(app, ["mask", *map(str, args)])


def test_mask_writes_masked_csv_audit_and_summary(customers, tmp_path):
    out, audit = tmp_path / "out.csv", tmp_path / "audit.json"
    result = _run(customers, "-o", out, "--audit", audit)
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out, dtype=str)
    assert frame["身份证号"].tolist()[0] == ID_A[:6] + "********" + ID_A[-4:]
    assert frame["手机"].tolist() == ["138****8000", "139****9000", "138****8000"]
    assert frame["备注"].tolist() == ["请致电 021-******88", "邮件 z***@example.com", "无"]
    assert frame["城市"].tolist() == ["北京", "南京", "北京"]
    report = json.loads(audit.read_text(encoding="utf-8"))
    assert [(e["column"], e["action"]) for e in report["columns"]] == [
        ("身份证号", "masked"),
        ("手机", "masked"),
        ("备注", "masked"),
    ]
    assert "身份证号" in result.output and "cn_mobile 3" in result.output
    assert str(out) in result.output.replace("\n", "")


def test_output_and_audit_never_show_a_raw_value(customers, tmp_path):
    out, audit = tmp_path / "out.csv", tmp_path / "audit.json"
    result = _run(customers, "-o", out, "--audit", audit, "--mode", "hash", "--salt", "s")
    assert result.exit_code == 0, result.output
    written = out.read_text(encoding="utf-8") + audit.read_text(encoding="utf-8")
    for raw in RAW:
        assert raw not in written
        assert raw not in result.output


def test_hash_mode_is_consistent_between_runs(customers, tmp_path):
    for name in ("a.csv", "b.csv"):
        assert _run(customers, "-o", tmp_path / name, "--mode", "hash").exit_code == 0
    a, b = (pd.read_csv(tmp_path / n, dtype=str) for n in ("a.csv", "b.csv"))
    pd.testing.assert_frame_equal(a, b)
    assert a["手机"].iloc[0] == a["手机"].iloc[2] != a["手机"].iloc[1]


def test_drop_mode_removes_whole_pii_columns(customers, tmp_path):
    out = tmp_path / "out.csv"
    result = _run(customers, "-o", out, "--mode", "drop")
    assert result.exit_code == 0, result.output
    assert list(pd.read_csv(out).columns) == ["姓名", "备注", "城市"]
    assert "dropped" in result.output and "masked_spans" in result.output


def test_columns_option_limits_the_treatment(customers, tmp_path):
    out = tmp_path / "out.csv"
    assert _run(customers, "-o", out, "--columns", "手机").exit_code == 0
    frame = pd.read_csv(out, dtype=str)
    assert frame["身份证号"].iloc[0] == ID_A
    assert frame["手机"].iloc[0] == "138****8000"


def test_missing_input_file_exits_3(tmp_path):
    result = _run(tmp_path / "nope.csv", "-o", tmp_path / "out.csv")
    assert result.exit_code == 3
    assert "nope.csv" in result.output and "Traceback" not in result.output


def test_output_equal_to_input_exits_2_and_leaves_input_alone(customers):
    before = customers.read_bytes()
    result = _run(customers, "-o", customers)
    assert result.exit_code == 2
    assert "never overwrites" in result.output
    assert customers.read_bytes() == before


def test_audit_equal_to_input_exits_2(customers, tmp_path):
    assert _run(customers, "-o", tmp_path / "o.csv", "--audit", customers).exit_code == 2


def test_bad_mode_exits_2(customers, tmp_path):
    result = _run(customers, "-o", tmp_path / "out.csv", "--mode", "zap")
    assert result.exit_code == 2
    assert "zap" in result.output


def test_unknown_column_exits_3_naming_it(customers, tmp_path):
    result = _run(customers, "-o", tmp_path / "out.csv", "--columns", "电话")
    assert result.exit_code == 3
    assert "电话" in result.output and "Traceback" not in result.output


def test_file_without_pii_is_copied_and_says_so(tmp_path):
    src = tmp_path / "plain.csv"
    pd.DataFrame({"城市": ["北京", "上海"], "销量": ["3", "5"]}).to_csv(src, index=False)
    result = _run(src, "-o", tmp_path / "out.csv")
    assert result.exit_code == 0, result.output
    assert "No personal data found" in result.output
    assert pd.read_csv(tmp_path / "out.csv")["城市"].tolist() == ["北京", "上海"]


def test_mask_keeps_untouched_columns_verbatim(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("id,price,phone\n007,12.50,13800138000\n008,3,13900139000\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(app, ["mask", str(src), "-o", str(out)])
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[1].startswith("007,12.50,") and lines[2].startswith("008,3,")
    assert "13800138000" not in out.read_text(encoding="utf-8")


def test_an_output_suffix_it_cannot_write_is_refused_before_reading(tmp_path):
    # The input does not exist: the refusal naming the output shows the check came first.
    result = _run(tmp_path / "nope.csv", "-o", tmp_path / "out.docx")
    assert result.exit_code == 3 and "unknown suffix '.docx'" in result.output
    assert "nope.csv" not in result.output


def test_an_audit_path_that_is_a_folder_is_refused_before_anything_is_written(customers, tmp_path):
    out = tmp_path / "out.csv"
    result = _run(customers, "-o", out, "--audit", tmp_path)
    assert result.exit_code == 2 and "--audit" in result.output and "is a folder" in result.output
    assert not out.exists()
