"""detect_language: zh, en, mixed or None."""

from __future__ import annotations

import pandas as pd

from bizforge.ingest.language import detect_language


def test_chinese_reviews_are_zh():
    assert detect_language(pd.Series(["房间很大，服务周到。", "早餐一般，位置不错"])) == "zh"


def test_english_texts_are_en():
    assert detect_language(["My card was declined", "How do I top up?"]) == "en"


def test_chinese_with_brand_names_is_still_zh():
    assert detect_language(["这个iPhone很好用，推荐购买", "华为Mate手机质量不错"]) == "zh"


def test_half_chinese_half_english_rows_are_mixed():
    texts = ["物流很快，包装完好", "fast delivery and good packaging", "质量一般", "quality is ok"]
    assert detect_language(texts) == "mixed"


def test_no_letters_gives_none():
    assert detect_language(["123", "--", "!!"]) is None


def test_empty_and_missing_give_none():
    assert detect_language(pd.Series([None, None], dtype="str")) is None
    assert detect_language([]) is None


def test_large_column_is_sampled():
    texts = pd.Series(["好评"] * 50_000 + ["good"] * 10)
    assert detect_language(texts, sample=500) == "zh"


def test_texts_mostly_in_another_script_are_mixed_so_the_multilingual_encoder_reads_them():
    assert detect_language(["Доставка быстрая, всё отлично", "Очень плохое качество"]) == "mixed"
    assert detect_language(["배송이 빨라요", "품질이 별로예요"]) == "mixed"
    assert detect_language(["สินค้าดีมาก", "ส่งช้า"]) == "mixed"


def test_a_few_foreign_words_do_not_change_english_or_chinese():
    assert detect_language(["great borscht at Café Москва", "the room was clean"]) == "en"
    assert detect_language(["房间很大，服务周到，有俄语Привет菜单"]) == "zh"
