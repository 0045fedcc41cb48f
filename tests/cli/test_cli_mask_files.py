"""`bizforge mask` on small files shaped like the real ones of issue #25.

Each test writes its file (a German bank export, an app-store table, a
customer table) and checks the leak or the damage the issue found is gone,
and that the masked file keeps the input's encoding and delimiter.
"""

from __future__ import annotations

import codecs
import json

import pandas as pd
from typer.testing import CliRunner

from bizforge.cli import app
from pii_ids import luhn_complete

runner = CliRunner()


def _run(*args):
    return runner.invoke(app, ["mask", *map(str, args)])


def test_gbk_semicolon_file_is_written_back_as_gbk_with_semicolons(tmp_path):
    src, out = tmp_path / "客户.csv", tmp_path / "out.csv"
    src.write_bytes("姓名;手机;城市\n张三;13800138000;北京\n李四;13900139000;上海\n".encode("gbk"))
    result = _run(src, "-o", out)
    assert result.exit_code == 0, result.output
    assert out.read_bytes().decode("gb18030").splitlines() == [
        "姓名;手机;城市",
        "张三;138****8000;北京",
        "李四;139****9000;上海",
    ]
    assert "gb18030" in result.output and "';'" in result.output


def test_excel_choice_writes_utf8_with_bom(tmp_path):
    src, out = tmp_path / "客户.csv", tmp_path / "out.csv"
    src.write_bytes("姓名,手机\n张三,13800138000\n".encode("gbk"))
    result = _run(src, "-o", out, "--output-encoding", "excel")
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(codecs.BOM_UTF8)
    assert out.read_bytes()[3:].decode("utf-8").splitlines()[1] == "张三,138****8000"


def test_parquet_input_gives_a_csv_excel_can_open(tmp_path):
    src, out = tmp_path / "客户.parquet", tmp_path / "out.csv"
    pd.DataFrame({"姓名": ["张三"], "手机": ["13800138000"]}).to_parquet(src)
    result = _run(src, "-o", out)
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(codecs.BOM_UTF8)


def test_audit_says_which_encoding_and_delimiter_were_written(tmp_path):
    src, out, audit = tmp_path / "k.csv", tmp_path / "out.csv", tmp_path / "audit.json"
    src.write_bytes("Name;E-Mail\nJörg;jörg.müller@example.de\n".encode("cp1252"))
    result = _run(src, "-o", out, "--audit", audit, "--output-encoding", "utf-8")
    assert result.exit_code == 0, result.output
    assert json.loads(audit.read_text(encoding="utf-8"))["output"] == {
        "encoding": "utf-8",
        "delimiter": ";",
    }


def test_unknown_output_encoding_exits_2_before_reading(tmp_path):
    result = _run(tmp_path / "nope.csv", "-o", tmp_path / "out.csv", "--output-encoding", "klingon")
    assert result.exit_code == 2 and "unknown encoding" in result.output


def test_an_encoding_that_cannot_hold_the_text_exits_3(tmp_path):
    src, out = tmp_path / "k.csv", tmp_path / "out.csv"
    src.write_text("城市,手机\n北京,13800138000\n", encoding="utf-8")
    result = _run(src, "-o", out, "--output-encoding", "latin-1")
    assert result.exit_code == 3 and "U+57CE" in result.output and "fix:" in result.output
    assert not out.exists()


def test_non_ascii_email_is_masked_whole_in_the_file(tmp_path):
    src, out = tmp_path / "k.csv", tmp_path / "out.csv"
    src.write_text("Name;E-Mail\nJörg;jörg.müller@example.de\nAnna;anna@example.de\n", "utf-8")
    assert _run(src, "-o", out).exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert "j***@example.de" in text and "ller" not in text


def test_uncommon_cards_in_a_card_column_leave_no_digits_but_the_last_four(tmp_path):
    cards = [luhn_complete("2014" + f"{i:010d}") for i in range(3)]
    cards += [luhn_complete("06" + f"{i:016d}") for i in range(3)]
    src, out = tmp_path / "客户.csv", tmp_path / "out.csv"
    src.write_text("客户,银行卡号\n" + "".join(f"c{i},{c}\n" for i, c in enumerate(cards)), "utf-8")
    assert _run(src, "-o", out).exit_code == 0
    masked = pd.read_csv(out, dtype=str)["银行卡号"].tolist()
    assert masked == ["*" * (len(c) - 4) + c[-4:] for c in cards]


def test_floats_kept_as_text_and_versions_come_back_unchanged(tmp_path):
    src, out = tmp_path / "apps.csv", tmp_path / "out.csv"
    src.write_text(
        "App,Rating,Current Ver\n"
        "Foo,18.3268802124461,2.2.6.2\n"
        "Bar,4.19999980926514,1.0.3.4\n"
        "Baz,n/a,Varies with device\n",
        encoding="utf-8",
    )
    result = _run(src, "-o", out)
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == src.read_text(encoding="utf-8")
    assert "No personal data found" in result.output
