"""`bizforge inspect`: terminal summary, report files, exit codes 0/2/3."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from bizforge.cli import app

runner = CliRunner()

PHONES = ["13800138000", "13912345678", "15000000001", "18688886666"]


@pytest.fixture
def churn_csv(tmp_path):
    lines = ["customerID,phone,tenure,TotalCharges,Churn"]
    for i in range(24):
        total = " " if i in (3, 9) else f"{(i + 1) * 10.5:.2f}"
        lines.append(f"C{i:04d}X,{PHONES[i % 4]},{i},{total},{'Yes' if i % 4 == 0 else 'No'}")
    path = tmp_path / "churn.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_inspect_prints_summary_and_findings(churn_csv):
    result = runner.invoke(app, ["inspect", str(churn_csv), "--target", "Churn"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "24 rows x 5 columns" in out and "encoding utf-8" in out
    assert "Class balance of 'Churn'" in out and "25.0%" in out
    assert "column 'TotalCharges' holds numbers stored as text: 2 blank values (rows 4, 10)" in out
    assert "id_like" in out and "Fix:" in out


def test_inspect_writes_json_and_html(churn_csv, tmp_path):
    js, html = tmp_path / "p.json", tmp_path / "p.html"
    result = runner.invoke(
        app,
        ["inspect", str(churn_csv), "--target", "Churn", "--json", str(js), "--html", str(html)],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(js.read_text(encoding="utf-8"))
    assert data["rows"] == 24
    kinds = {(f["column"], f["kind"]) for f in data["findings"]}
    assert ("TotalCharges", "numeric_as_text") in kinds and ("phone", "pii") in kinds
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_inspect_makes_the_folders_of_its_outputs(churn_csv, tmp_path):
    js, html = tmp_path / "new" / "p.json", tmp_path / "other" / "p.html"
    result = runner.invoke(app, ["inspect", str(churn_csv), "--json", str(js), "--html", str(html)])
    assert result.exit_code == 0, result.output
    assert json.loads(js.read_text(encoding="utf-8"))["rows"] == 24 and html.exists()


@pytest.mark.parametrize("option", ["--html", "--json"])
def test_an_output_that_is_a_folder_is_refused_before_reading(tmp_path, option):
    result = runner.invoke(app, ["inspect", str(tmp_path / "missing.csv"), option, str(tmp_path)])
    assert result.exit_code == 2 and f"{option} {tmp_path} is a folder" in result.stderr


def test_no_raw_phone_number_in_any_output(churn_csv, tmp_path):
    js, html = tmp_path / "p.json", tmp_path / "p.html"
    result = runner.invoke(app, ["inspect", str(churn_csv), "--json", str(js), "--html", str(html)])
    assert result.exit_code == 0, result.output
    texts = [result.output, js.read_text(encoding="utf-8"), html.read_text(encoding="utf-8")]
    for phone in PHONES:
        assert not any(phone in text for text in texts)
    assert "mobile number" in result.stdout


def test_chinese_summary(churn_csv):
    result = runner.invoke(app, ["inspect", str(churn_csv), "--target", "Churn", "--lang", "zh"])
    assert result.exit_code == 0, result.output
    assert "发现的问题" in result.stdout and "建议" in result.stdout


def test_unknown_language_is_usage_error(churn_csv):
    result = runner.invoke(app, ["inspect", str(churn_csv), "--lang", "fr"])
    assert result.exit_code == 2
    assert "unknown language 'fr'" in result.stderr and "zh, en" in result.stderr


def test_missing_target_column_is_data_error_naming_it(churn_csv):
    result = runner.invoke(app, ["inspect", str(churn_csv), "--target", "churn"])
    assert result.exit_code == 3
    assert "target column 'churn' is not in the data" in result.stderr
    assert "'Churn'" in result.stderr and "Traceback" not in result.output


def test_single_class_target_is_data_error(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("x,y\n1,a\n2,a\n3,a\n", encoding="utf-8")
    result = runner.invoke(app, ["inspect", str(path), "--target", "y"])
    assert result.exit_code == 3
    assert "target 'y' has one class" in result.stderr


def test_unreadable_file_is_data_error(tmp_path):
    result = runner.invoke(app, ["inspect", str(tmp_path / "nope.csv")])
    assert result.exit_code == 3 and "nope.csv" in result.stderr


def test_report_path_equal_to_input_is_refused(churn_csv):
    result = runner.invoke(app, ["inspect", str(churn_csv), "--html", str(churn_csv)])
    assert result.exit_code == 2 and "never overwrites its input" in result.stderr


def test_sql_url_is_accepted(tmp_path):
    import sqlite3

    db = tmp_path / "shop.db"
    with sqlite3.connect(db) as con:
        con.execute("create table orders (amount real, city text)")
        con.executemany("insert into orders values (?, ?)", [(1.5, "北京"), (2.5, "上海")] * 3)
    result = runner.invoke(app, ["inspect", f"sqlite:///{db}", "--table", "orders"])
    assert result.exit_code == 0, result.output
    assert "6 rows x 2 columns" in result.stdout


def test_help_shows_an_example():
    result = runner.invoke(app, ["inspect", "--help"])
    assert result.exit_code == 0
    assert "bizforge inspect customers.csv --target Churn" in result.output


def test_inspect_shows_what_reading_the_file_noticed(tmp_path):
    path, html = tmp_path / "appended.csv", tmp_path / "p.html"
    rows = [f"{i},第{i}条评论\n" for i in range(20)]
    path.write_bytes(b"id,review\n" + b"".join(
        r.encode("gbk" if i == 12 else "utf-8") for i, r in enumerate(rows)))
    result = runner.invoke(app, ["inspect", str(path), "--html", str(html)])
    assert result.exit_code == 0, result.output
    assert "warning: appended.csv mixes encodings" in result.stdout
    assert "(first at line 14)" in result.stdout
    assert "appended.csv mixes encodings" in html.read_text(encoding="utf-8")


def test_inspect_keep_takes_a_column_off_the_drop_list_and_says_so(churn_csv):
    result = runner.invoke(app, ["inspect", str(churn_csv), "--target", "Churn",
                                 "--keep", "customerID", "--drop", "tenure"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "tenure (dropped on request)" in text and "customerID (identifier)" not in text
    assert "column 'customerID' kept on request (--keep)" in text


def test_inspect_drop_of_an_unknown_column_exits_2(churn_csv):
    result = runner.invoke(app, ["inspect", str(churn_csv), "--drop", "tenur"])
    assert result.exit_code == 2 and "did you mean 'tenure'" in result.output
