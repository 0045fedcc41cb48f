"""Encoding detection by plausibility: every candidate that decodes is scored, and the
reader says how sure it is."""

from __future__ import annotations

import pytest

from bizforge.ingest import read
from bizforge.ingest.encoding import detect_encoding
from bizforge.ingest.plausible import plausibility

GERMAN = "Land;Straße;Währung;Bemerkung\nBayern;Hauptstraße 5;Euro;Grüße aus München\n" \
         "Hessen;Ringstraße 1;Euro;schöne Aussicht\n"
TRADITIONAL = "縣市,人口,面積\n臺北市,2500000,271\n高雄市,2700000,2952\n新北市,4000000,2052\n"
JAPANESE = "都道府県,人口,メモ\n東京都,14000000,首都です\n大阪府,8800000,よろしくお願いします\n"
SIMPLIFIED = "地区,销售额,利润\n北京,100,20\n上海,120,30\n广州,90,10\n"


def _file(tmp_path, text, encoding):
    path = tmp_path / f"{encoding}.csv"
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
def test_german_latin1_text_is_not_read_as_big5(tmp_path, encoding):
    ds = read(_file(tmp_path, GERMAN, encoding))
    assert ds.meta["encoding"] == "cp1252"
    assert ds.frame["Straße"].tolist() == ["Hauptstraße 5", "Ringstraße 1"]


def test_one_short_german_line_is_cp1252(tmp_path):
    assert detect_encoding(_file(tmp_path, "Straße;Währung\n", "cp1252")).encoding == "cp1252"


@pytest.mark.parametrize(
    ("text", "encoding", "expected"),
    [
        (TRADITIONAL, "big5", "big5"),
        (SIMPLIFIED, "gbk", "gb18030"),
        (SIMPLIFIED + "𠀀,1,2\n", "gb18030", "gb18030"),  # a 4-byte GB18030 character
        (JAPANESE, "shift_jis", "cp932"),
        (TRADITIONAL, "utf-16", "utf-16"),
    ],
)
def test_real_cjk_encodings_are_still_detected(tmp_path, text, encoding, expected):
    assert detect_encoding(_file(tmp_path, text, encoding)).encoding == expected


def test_reader_reports_its_confidence(tmp_path):
    ds = read(_file(tmp_path, GERMAN, "cp1252"))
    assert ds.meta["encoding_confidence"] >= 0.9


def test_utf8_is_read_with_full_confidence(tmp_path):
    assert read(_file(tmp_path, SIMPLIFIED, "utf-8")).meta["encoding_confidence"] == 1.0


def test_two_equally_plausible_readings_give_low_confidence_and_a_warning(tmp_path):
    # In GBK, 合格 好 差 are bytes of common Big5 characters too (磁跡 疑 船).
    ds = read(_file(tmp_path, "合格\n好\n差\n", "gbk"))
    assert ds.meta["encoding"] == "gb18030"  # ties go to GB18030
    assert ds.meta["encoding_confidence"] == 0.5
    kinds = [w["kind"] for w in ds.meta["warnings"]]
    assert "encoding_uncertain" in kinds


def test_given_encoding_has_no_confidence(tmp_path):
    ds = read(_file(tmp_path, GERMAN, "cp1252"), encoding="latin-1")
    assert ds.meta["encoding_confidence"] is None


def test_latin_bytes_read_as_big5_score_low():
    assert plausibility("Stra\u7d7d;W\u9123rung", "big5") < 0.2


def test_gbk_bytes_read_as_cp1252_score_low():
    mojibake = SIMPLIFIED.encode("gbk").decode("cp1252", errors="replace")
    assert plausibility(mojibake, "cp1252") < 0.2
