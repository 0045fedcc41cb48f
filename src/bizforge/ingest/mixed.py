"""Files that are UTF-8 except for some lines in GB18030/GBK, read line by line.

Such files come from appending exports of two systems (a new one writing UTF-8, an
old one GBK) or from pasting rows between editors. Read whole as one encoding,
either the UTF-8 or the GBK lines come out garbled, and the classic detectors then
guess a Cyrillic or Latin code page for all of it. Here each line is decoded on its
own: as UTF-8 when it is valid UTF-8, else as GB18030 (a superset of GBK and
GB2312), else as UTF-8 with the bad bytes replaced by U+FFFD.

The codec :data:`MIXED` does that inside pandas and ``open()``. Newline bytes
never occur inside a GBK or UTF-8 character, so cutting at them is safe.

>>> looks_mixed("好\\n".encode() + "差\\n".encode("gbk") + "好\\n".encode(), final=True)
True
>>> "a,好\\n".encode().decode(MIXED) == "a,好\\n"
True
"""

from __future__ import annotations

import codecs
from pathlib import Path

from bizforge.ingest.plausible import looks_chinese

__all__ = ["MIXED", "count_mixed_lines", "decode_line", "looks_mixed", "mixed_note",
           "non_utf8_lines"]

MIXED = "bizforge_utf8_gb18030"


def decode_line(line: bytes) -> tuple[str, str]:
    """``(text, how)``: how is "utf-8", "gb18030" or "replaced"."""
    try:
        return line.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return line.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        return line.decode("utf-8", "replace"), "replaced"


class _Decoder(codecs.IncrementalDecoder):
    """Holds back the last, unfinished line until its newline (or the end) arrives."""

    def __init__(self, errors: str = "strict"):
        super().__init__(errors)
        self._pending = b""

    def decode(self, data, final: bool = False) -> str:
        data = self._pending + bytes(data)
        cut = len(data) if final else max(data.rfind(b"\n"), data.rfind(b"\r")) + 1
        self._pending = data[cut:]
        return "".join(decode_line(line)[0] for line in data[:cut].splitlines(keepends=True))

    def reset(self) -> None:
        self._pending = b""

    def getstate(self):
        return self._pending, 0

    def setstate(self, state) -> None:
        self._pending = state[0]


def _decode(data, errors: str = "strict"):
    return _Decoder(errors).decode(data, final=True), len(data)


def _search(name: str):
    if name != MIXED:
        return None
    utf8 = codecs.lookup("utf-8")
    return codecs.CodecInfo(name=MIXED, encode=utf8.encode, decode=_decode,
                            incrementalencoder=utf8.incrementalencoder,
                            incrementaldecoder=_Decoder)


codecs.register(_search)


def _non_ascii_lines(sample: bytes, final: bool):
    """``(line number from 1, text, how)`` for each non-ASCII line of ``sample``
    (:func:`decode_line`); the last line is left out when the sample is cut."""
    lines = sample.splitlines()
    if not final and lines:
        lines = lines[:-1]  # maybe cut in the middle of a character
    for number, line in enumerate(lines, start=1):
        if not line.isascii():
            yield (number, *decode_line(line))


def looks_mixed(sample: bytes, final: bool) -> bool:
    """True when ``sample`` (not valid UTF-8 as a whole) is mostly UTF-8 lines with some
    lines that read as Chinese in GB18030.

    At least as many non-ASCII lines must be valid UTF-8 as are not: a GBK file whose
    few non-ASCII lines all fail UTF-8 is plain GBK, not mixed.
    """
    good = bad = 0
    for _, text, how in _non_ascii_lines(sample, final):
        if how == "utf-8":
            good += 1
        elif how == "gb18030" and looks_chinese(text, simplified=True):
            bad += 1
        else:
            return False
    return bad > 0 and good >= bad


def non_utf8_lines(sample: bytes, final: bool, show: int = 5) -> list[int]:
    """Line numbers (from 1) of the lines of ``sample`` that are not UTF-8, when at least
    as many non-ASCII lines are UTF-8 (a mostly-UTF-8 file); else []."""
    hows = [(number, how) for number, _, how in _non_ascii_lines(sample, final)]
    bad = [number for number, how in hows if how != "utf-8"]
    return bad[:show] if bad and len(hows) - len(bad) >= len(bad) else []


def count_mixed_lines(path: Path, show: int = 5) -> tuple[int, int, list[int]]:
    """``(lines read as GB18030, lines with replaced bytes, first such line numbers)``,
    streaming the whole file (line numbers count from 1, as an editor shows them)."""
    gb = replaced = 0
    first: list[int] = []
    with open(path, "rb") as fh:
        for number, line in enumerate(fh, start=1):
            if line.isascii():
                continue
            how = decode_line(line)[1]
            if how != "utf-8":
                gb += how == "gb18030"
                replaced += how == "replaced"
                if len(first) < show:
                    first.append(number)
    return gb, replaced, first


def mixed_note(path: Path, counts: tuple[int, int, list[int]] | None = None) -> dict[str, str]:
    """The reader's warning for a mixed file: how many lines were converted, and where
    (``counts``: :func:`count_mixed_lines` of ``path``, when already made)."""
    gb, replaced, first = counts or count_mixed_lines(path)
    message = (f"{path.name} mixes encodings: it is UTF-8 except {gb} line(s) in "
               "GB18030/GBK, which were read as such")
    if replaced:
        message += (f", and {replaced} line(s) that fit neither, whose undecodable bytes "
                    "became \ufffd")
    message += (f" (first at line {', '.join(map(str, first))}). Fix: nothing is needed to "
                "read it; to avoid the warning, re-save the file as UTF-8 in one go.")
    return {"kind": "mixed_encoding", "message": message}
