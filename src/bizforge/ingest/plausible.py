"""How plausible a decoded text is as real writing in the encoding that decoded it.

Many byte strings decode cleanly in several encodings; only one of them gives real
text. Latin-1 German ``Straße;Währung`` decodes as Big5 too, into ``Stra絽;W鄣rung``;
GBK Chinese decodes as cp1252 into ``ÄãºÃ``. Two things tell them apart:

* **character frequencies**: real Chinese keeps >90% of its characters among the
  common ones of its standard (GB2312 for simplified, Big5 level 1 for traditional,
  JIS level 1 plus kana for Japanese); mojibake lands on rare ones;
* **runs**: a Latin accented letter sits inside a word, between ASCII letters; a
  CJK character decoded from Latin bytes does too, while real CJK characters come
  in runs between punctuation, digits and delimiters. Conversely, CJK bytes read as
  a Latin code page give long runs of accented letters, which real Western text
  does not have.

:func:`plausibility` scores a text 0-1 for one encoding; the detector compares the
scores of every encoding that decodes the bytes (:mod:`bizforge.ingest.encoding`).

>>> plausibility("Stra\\u7d7d;W\\u9123rung", "big5") < 0.2
True
>>> plausibility("Straße;Währung", "cp1252") > 0.9
True
>>> plausibility("地区,销售额\\n北京,100\\n", "gb18030") > 0.9
True
"""

from __future__ import annotations

import functools
import re

__all__ = ["looks_chinese", "plausibility"]

_MAX_CHARS = 20_000  # non-ASCII characters looked at: plenty, and fast on a 1 MiB sample
_MAX_TEXT = 100_000  # characters of the text looked at (the runs are found in Python)
# Western symbols that stand alone (not inside a word) in real cp1252 text.
_SYMBOLS = set("€£¥°§µ²³¹½¼¾«»“”‘’‚„–—…•×÷±©®™·¶¢¤¦¨¯´¸ªº¿¡\u00a0")


def _is_han(c: str) -> bool:
    return "\u4e00" <= c <= "\u9fff"


def _cjk_punct(c: str) -> bool:
    return "\u3000" <= c <= "\u303f" or "\uff00" <= c <= "\uffef" and not "\uff61" <= c <= "\uff9f"


@functools.lru_cache(maxsize=1 << 16)
def _encodes(c: str, encoding: str) -> bytes | None:
    # Cached: a text repeats a few thousand characters, and this is asked for every one.
    try:
        return c.encode(encoding)
    except UnicodeEncodeError:
        return None


_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_CJK = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")
_HAN_OR_PRIVATE = re.compile(r"[\u4e00-\u9fff\ue000-\uf8ff]")


def looks_chinese(text: str, simplified: bool) -> bool:
    """Mostly Han characters and CJK punctuation (and, for GB18030, mostly GB2312 ones).

    Big5 bytes often decode as GBK too, but into rare GBK-extension and
    private-use characters; real simplified-Chinese text keeps >90% of its Han
    characters inside the 6,763 common ones of GB2312. (Counted with regular
    expressions: it is asked of every line of a mixed UTF-8/GBK sample.)
    """
    non_ascii = len(_NON_ASCII.findall(text))
    if not non_ascii:
        return False
    if len(_CJK.findall(text)) / non_ascii < 0.7:
        return False
    if not simplified:
        return True
    han = "".join(_HAN_OR_PRIVATE.findall(text))
    # Each character GB2312 lacks becomes one "?" (han holds no "?" of its own).
    rare = han.encode("gb2312", errors="replace").count(b"?")
    return not han or (len(han) - rare) / len(han) >= 0.9


def _common_gb(c: str) -> bool:
    # GB2312: the 6,763 common Han characters and its rows of punctuation and symbols.
    return _cjk_punct(c) or _encodes(c, "gb2312") is not None


def _common_big5(c: str) -> bool:
    if _cjk_punct(c):
        return True
    code = _encodes(c, "big5")
    # Level 1: the 5,401 frequent characters (A440-C67E); A140-A3BF: punctuation, symbols.
    return code is not None and len(code) == 2 and (
        0xA440 <= int.from_bytes(code, "big") <= 0xC67E
        or 0xA140 <= int.from_bytes(code, "big") <= 0xA3BF)


def _common_sjis(c: str) -> bool:
    if "\u3040" <= c <= "\u30ff" or _cjk_punct(c):
        return True  # kana and punctuation (halfwidth katakana excluded: see _cjk_punct)
    code = _encodes(c, "cp932")
    # 8140-84BE: punctuation and symbols; 889F-9872: the level-1 kanji.
    value = int.from_bytes(code, "big") if code is not None and len(code) == 2 else 0
    return 0x8140 <= value <= 0x84BE or 0x889F <= value <= 0x9872


_COMMON = {"gb18030": _common_gb, "big5": _common_big5, "cp932": _common_sjis,
           "shift_jis": _common_sjis}


def _letter(c: str) -> bool:
    return c.isascii() and c.isalpha()


def _cjk_score(text: str, common) -> float:
    """Share of non-ASCII characters that are common, and that do not sit between ASCII
    letters (the mark of Latin bytes read as double-byte characters)."""
    good = total = 0
    for i, c in enumerate(text):
        if ord(c) < 128:
            continue
        total += 1
        inside = i > 0 and _letter(text[i - 1]) and i + 1 < len(text) and _letter(text[i + 1])
        good += common(c) and not inside
        if total >= _MAX_CHARS:
            break
    return good / total if total else 1.0


def _latin_score(text: str) -> float:
    """Share of non-ASCII characters that are letters inside words (runs of at most two,
    touching an ASCII letter) or Western symbols."""
    good = total = 0
    run = 0  # length of the current run of non-ASCII characters
    runs: list[tuple[int, int]] = []  # (start, length)
    for i, c in enumerate(text):
        if ord(c) >= 128 and not c.isspace():
            run += 1
            continue
        if run:
            runs.append((i - run, run))
            run = 0
    if run:
        runs.append((len(text) - run, run))
    for start, length in runs:
        end = start + length
        touches = (start > 0 and _letter(text[start - 1])) or (end < len(text) and _letter(text[end]))
        for c in text[start:end]:
            total += 1
            if c in _SYMBOLS:
                good += length <= 2
            else:
                good += c.isalpha() and length <= 2 and touches
        if total >= _MAX_CHARS:
            break
    return good / total if total else 1.0


def plausibility(text: str, encoding: str) -> float:
    """0-1: how much ``text`` looks like real writing in ``encoding`` (which decoded it).

    Known: gb18030 (simplified Chinese), big5 (traditional), cp932/shift_jis
    (Japanese) and the Western single-byte code pages (cp1252, latin-1 ...);
    any other encoding scores 0.5 (no evidence either way).
    """
    name = encoding.lower().replace("-", "_")
    text = text[:_MAX_TEXT]
    if name in _COMMON:
        return _cjk_score(text, _COMMON[name])
    if name in ("cp1252", "latin_1", "iso8859_1", "iso8859_15", "windows_1252"):
        return _latin_score(text)
    return 0.5
