"""Which language a text column is written in: Chinese, English, or both.

Only the split that matters for model choice is made: CJK script ("zh", which
needs character n-grams or jieba and a multilingual encoder) versus Latin
script ("en"). Text mostly in another script (Cyrillic, Arabic, Hangul, Thai, ...)
is "mixed": like Chinese mixed with English, it wants character n-grams and the
multilingual encoder, not the English one. Counting is done on a sample, so it is
cheap on large columns.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = ["CJK_CHARS", "detect_language"]

#: Character class of CJK ideographs (unified, extension A, compatibility).
#: Written with literal characters, not ``\\u`` escapes, so pandas can hand the
#: pattern to pyarrow's RE2 instead of Python's ``re``.
CJK_CHARS = "[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
_LATIN_WORD = "[A-Za-z]+"
#: Runs of letters of other scripts: Greek, Cyrillic, Hebrew, Arabic, Devanagari, Thai,
#: Japanese kana, Hangul. A run counts like one Latin word.
_OTHER_WORD = ("[\u0370-\u03ff\u0400-\u04ff\u0590-\u05ff\u0600-\u06ff\u0900-\u097f"
               "\u0e00-\u0e7f\u3040-\u30ff\uac00-\ud7af]+")

# One CJK character carries about as much as one English word (a Chinese word
# is 1-2 characters), so characters are weighed against words, not letters:
# "这个iPhone很好用" is Chinese, not half English.
_ZH_AT_LEAST = 0.7
_EN_AT_MOST = 0.3


def detect_language(texts: Iterable[str] | pd.Series, sample: int = 2000) -> str | None:
    """``"zh"``, ``"en"``, ``"mixed"`` (both, or mostly another script) or ``None``
    (no letters at all).

    The share of CJK characters among CJK characters plus Latin words, over
    an evenly spread sample of ``sample`` non-missing texts: >= 0.7 is "zh",
    <= 0.3 is "en", in between "mixed". When runs of letters of other scripts
    outnumber those CJK characters and Latin words together: "mixed".

    >>> detect_language(["质量很好，物流也快", "不错"])
    'zh'
    >>> detect_language(["great value", "arrived late"])
    'en'
    >>> detect_language(["12", "-"]) is None
    True
    >>> detect_language(["отличный сервис", "очень плохо"])
    'mixed'
    """
    series = texts if isinstance(texts, pd.Series) else pd.Series(list(texts), dtype="str")
    series = series.dropna()
    if series.dtype != "str":
        series = series.astype("str")
    if len(series) > sample:
        series = series.iloc[np.linspace(0, len(series) - 1, sample).astype(int)]
    if series.empty:
        return None
    cjk = int(series.str.count(CJK_CHARS).sum())
    words = int(series.str.count(_LATIN_WORD).sum())
    other = int(series.str.count(_OTHER_WORD).sum())
    if cjk + words + other == 0:
        return None
    if other > cjk + words:
        return "mixed"
    share = cjk / (cjk + words)
    if share >= _ZH_AT_LEAST:
        return "zh"
    if share <= _EN_AT_MOST:
        return "en"
    return "mixed"
