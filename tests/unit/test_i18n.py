"""bizforge.i18n: catalogs, fallbacks, unknown languages, row phrases."""

from __future__ import annotations

import pytest

from bizforge.errors import UsageError
from bizforge.i18n import _CATALOGS, LANGS, add_messages, check_lang, pct, rows_phrase, t


def test_same_key_in_both_languages():
    assert t("report.findings", "en") == "Findings"
    assert t("report.findings", "zh") == "发现的问题"


def test_every_english_key_has_a_chinese_text():
    assert set(_CATALOGS["en"]) <= set(_CATALOGS["zh"])


def test_placeholders_match_between_languages():
    import string

    def fields(text):
        return {f for _, f, _, _ in string.Formatter().parse(text) if f}

    for key, text in _CATALOGS["en"].items():
        assert fields(text) == fields(_CATALOGS["zh"][key]), key


def test_unknown_language_lists_the_choices():
    with pytest.raises(UsageError) as err:
        t("report.findings", "fr")
    assert "'fr'" in err.value.message and err.value.fix == "use one of: zh, en."
    assert LANGS == ("zh", "en") and check_lang("en") == "en"


def test_unknown_key_raises_unless_a_default_is_given():
    with pytest.raises(KeyError):
        t("no.such.key")
    assert t("format.weird", "zh", default="weird") == "weird"


def test_added_messages_are_found_and_fall_back_to_english():
    add_messages("en", {"test.only_en": "hello {name}"})
    assert t("test.only_en", "zh", name="x") == "hello x"


@pytest.mark.parametrize(
    "rows,count,lang,expected",
    [
        ([489, 754], 11, "en", "rows 489, 754 and 9 more"),
        ([5], 1, "en", "row 5"),
        ([2, 4], 2, "en", "rows 2, 4"),
        ([489, 754], 11, "zh", "第 489、754 行等，另有 9 行"),
        ([], 0, "en", ""),
    ],
)
def test_rows_phrase(rows, count, lang, expected):
    assert rows_phrase(rows, count, lang) == expected


def test_pct_has_one_decimal():
    assert pct(0.26537) == "26.5%"
