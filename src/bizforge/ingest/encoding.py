"""Encoding detection for text tables, and the "is this even text?" check.

Order of evidence, most reliable first: a byte-order mark; a strict UTF-8
decode of a sample; mostly UTF-8 lines with some GB18030 ones (read line by line,
:mod:`bizforge.ingest.mixed`); GB18030 (a superset of GBK and GB2312) when it decodes the
sample cleanly and the result looks like Chinese; charset-normalizer last.
Mis-detecting GBK as some Latin code page is the classic failure this order
avoids: any byte string decodes as cp1252, but only real Chinese text decodes
as GB18030 *and* comes out as common Han characters.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from pathlib import Path

from bizforge.errors import DataError, UsageError
from bizforge.ingest.mixed import MIXED, looks_mixed, non_utf8_lines

__all__ = [
    "SAMPLE_BYTES",
    "EncodingGuess",
    "binary_kind",
    "check_text",
    "detect_encoding",
    "find_decode_error",
    "looks_chinese",
    "normalise_encoding",
]

SAMPLE_BYTES = 1 << 20  # 1 MiB is plenty to tell encodings apart

_BOMS = (  # longest first: the UTF-32-LE BOM starts with the UTF-16-LE one
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# Magic numbers of formats people save with a .csv/.txt name by mistake, with the fix.
_MAGIC = (
    (
        b"PK\x03\x04",
        "a ZIP container (an Excel .xlsx workbook or a .zip archive)",
        "if it is an Excel workbook, rename it to .xlsx; if it is a .zip archive, unzip it first.",
    ),
    (b"\x1f\x8b", "a gzip-compressed file", "decompress it first (gunzip FILE)."),
    (b"%PDF", "a PDF document", "export the table from its source as CSV or Excel."),
    (
        b"SQLite format 3\x00",
        "an SQLite database",
        "read it as a database: bizforge.read('sqlite:///FILE', table='NAME').",
    ),
    (b"PAR1", "a Parquet file", "rename it to .parquet."),
    (
        b"\xd0\xcf\x11\xe0",
        "an old binary Excel .xls workbook",
        "open it in Excel or LibreOffice and save it as .xlsx or CSV.",
    ),
)


@dataclass
class EncodingGuess:
    """The chosen encoding, how it was chosen, and every codec that was tried."""

    encoding: str
    # "bom", "utf-8", "mixed" (UTF-8 and GB18030 lines), "gb18030", "charset-normalizer",
    # "given", "utf-16-nobom"
    method: str
    tried: list[str] = field(default_factory=list)
    confidence: float = 1.0  # 0-1: how sure the guess is (see the module docstring)


def normalise_encoding(name: str) -> str:
    """Canonical Python codec name, or UsageError for a name Python does not know.

    >>> normalise_encoding("GBK")
    'gbk'
    """
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise UsageError(
            f"unknown encoding {name!r}.",
            fix="use a Python codec name such as utf-8, utf-8-sig, gbk, gb18030, utf-16, big5 "
            "or cp1252.",
        ) from None


def read_sample(path: Path, size: int = SAMPLE_BYTES) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(size)


def binary_kind(sample: bytes) -> tuple[str, str] | None:
    """``(what it looks like, fix)`` when ``sample`` is clearly not text, else None.

    NUL bytes never occur in text encoded as UTF-8, GBK or any single-byte code
    page, so they mean binary (UTF-16/32 is recognised before this is asked).
    """
    for magic, what, fix in _MAGIC:
        if sample.startswith(magic):
            return f"it looks like {what}", fix
    head = sample[:65536]
    controls = sum(head.count(bytes([b])) for b in (*range(9), *range(14, 27), *range(28, 32)))
    if b"\x00" in head or (head and controls / len(head) > 0.05):
        return "it contains binary data (NUL or control bytes)", (
            "export the data as CSV (UTF-8), Excel .xlsx, Parquet or JSON lines."
        )
    return None


def check_text(sample: bytes, path: Path) -> None:
    """Raise DataError when ``sample`` (the start of ``path``) is clearly not a text table."""
    found = binary_kind(sample)
    if found:
        raise DataError(f"{path} is not a text table: {found[0]}.", path=str(path), fix=found[1])


def _utf16_without_bom(sample: bytes) -> str | None:
    # Mostly-ASCII UTF-16 has a NUL in every other byte; which half tells the byte order.
    head = sample[:4096]
    if len(head) < 8:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _decodes(sample: bytes, encoding: str, final: bool) -> str | None:
    # Incremental decode so a multi-byte character cut at the sample's end is not an error.
    try:
        return codecs.getincrementaldecoder(encoding)("strict").decode(sample, final=final)
    except UnicodeDecodeError:
        return None


def _is_han(c: str) -> bool:
    return "\u4e00" <= c <= "\u9fff"


def looks_chinese(text: str, simplified: bool) -> bool:
    """Mostly Han characters and CJK punctuation (and, for GB18030, mostly GB2312 ones).

    Big5 bytes often decode as GBK too, but into rare GBK-extension and
    private-use characters; real simplified-Chinese text keeps >90% of its Han
    characters inside the 6,763 common ones of GB2312.
    """
    non_ascii = [c for c in text if ord(c) > 127]
    if not non_ascii:
        return False
    cjk = sum(
        1 for c in non_ascii if _is_han(c) or "\u3000" <= c <= "\u303f" or "\uff00" <= c <= "\uffef"
    )
    if cjk / len(non_ascii) < 0.7:
        return False
    if not simplified:
        return True
    han = [c for c in non_ascii if _is_han(c) or "\ue000" <= c <= "\uf8ff"]
    common = sum(1 for c in han if _encodes(c, "gb2312"))
    return not han or common / len(han) >= 0.9


def _encodes(c: str, encoding: str) -> bool:
    try:
        c.encode(encoding)
        return True
    except UnicodeEncodeError:
        return False


def _latin(text: str) -> bool:
    """Non-ASCII characters are all Western-European letters and punctuation."""
    return all(
        ord(c) < 128
        or "\u00a0" <= c <= "\u00ff"
        or c in "\u2018\u2019\u201c\u201d\u2013\u2014\u20ac\u2026"
        for c in text
    )


def detect_encoding(path: Path, sample: bytes | None = None) -> EncodingGuess:
    """Guess the encoding of the text file at ``path`` from its first MiB.

    Raises DataError for binary content or when no encoding fits.

    >>> detect_encoding(Path("reviews_gbk.csv")).encoding  # doctest: +SKIP
    'gb18030'
    """
    if sample is None:
        sample = read_sample(path)
    final = path.stat().st_size <= len(sample)
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return EncodingGuess(name, "bom", [name])
    nobom = _utf16_without_bom(sample)
    if nobom and _decodes(sample[: len(sample) // 2 * 2], nobom, final=False) is not None:
        return EncodingGuess(nobom, "utf-16-nobom", [nobom])
    check_text(sample, path)
    tried = ["utf-8"]
    if _decodes(sample, "utf-8", final) is not None:
        return EncodingGuess("utf-8", "utf-8", tried)
    tried.append("utf-8 + gb18030 by line")
    if looks_mixed(sample, final):
        return EncodingGuess(MIXED, "mixed", tried)
    for name, simplified in (("gb18030", True), ("big5", False)):
        tried.append(name)
        text = _decodes(sample, name, final)
        if text is not None and looks_chinese(text, simplified):
            return EncodingGuess(name, name, tried)
    tried.append("charset-normalizer")
    from charset_normalizer import from_bytes

    for match in from_bytes(sample):
        name = normalise_encoding(match.encoding)
        if name.startswith(("utf-16", "utf-32")):
            continue  # no NUL bytes were seen, so not UTF-16/32 whatever the statistics say
        if not match.multi_byte_usage and _latin(_decodes(sample, "cp1252", final) or "\u0100"):
            # Small samples fool the statistics among Latin code pages; cp1252 is by far
            # the most common one and decodes this sample to Western letters.
            name = "cp1252"
        tried[-1] = f"charset-normalizer ({name})"
        return EncodingGuess(name, "charset-normalizer", tried)
    odd = non_utf8_lines(sample, final)
    detail = (f"; it is UTF-8 except line {', '.join(map(str, odd))}, which fit neither UTF-8 "
              "nor GB18030 (fix those lines, or re-save the file as UTF-8)") if odd else ""
    raise undecodable_error(path, tried, detail)


def undecodable_error(path: Path, tried: list[str], detail: str = "") -> DataError:
    """The DataError for a file no tried encoding can decode."""
    return DataError(
        f"cannot decode {path} as text: tried {', '.join(tried)}{detail}. The file may be "
        "in another encoding, or not a text table at all.",
        path=str(path),
        fix="name the encoding: bizforge.read(path, encoding='big5') or --encoding big5 "
        "(common ones: utf-8, gbk, gb18030, big5, shift_jis, cp1252, utf-16), or re-save the "
        "file as UTF-8.",
    )


def find_decode_error(path: Path, encoding: str, chunk: int = 1 << 22) -> int | None:
    """Byte offset of the first undecodable byte in the whole file, or None if it all decodes.

    Streams the file, so it works on files larger than memory.
    """
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = 0
    with open(path, "rb") as fh:
        while True:
            block = fh.read(chunk)
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                return offset + max(exc.start, 0)
            if not block:
                return None
            offset += len(block)
