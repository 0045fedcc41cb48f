"""Encoding detection for text tables, and the "is this even text?" check.

Order of evidence, most reliable first: a byte-order mark; a strict UTF-8
decode of a sample; mostly UTF-8 lines with some GB18030 ones (read line by line,
:mod:`bizforge.ingest.mixed`); then every candidate of :data:`CANDIDATES` (GB18030,
Big5, Shift-JIS/cp932, cp1252) that decodes the sample cleanly is scored by how
plausible its text is (:mod:`bizforge.ingest.plausible`: common characters of its
standard, and runs: CJK characters between ASCII letters are Latin bytes misread)
and the most plausible wins; charset-normalizer last. Any byte string decodes as
cp1252 and most Latin-1 text decodes as Big5 (``Straße`` -> ``Stra絽``), so
decoding cleanly proves nothing; the plausibility test decides.

``EncodingGuess.confidence`` says how sure the guess is: 1.0 for a BOM or valid
UTF-8, 0.9 for UTF-16 without BOM or mixed UTF-8/GBK lines, for the candidates the
winner's score less half the runner-up's (two equally plausible readings: 0.5), at
most 0.6 for charset-normalizer's guesses.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from pathlib import Path

from bizforge.errors import DataError, UsageError
from bizforge.ingest.mixed import MIXED, looks_mixed, non_utf8_lines
from bizforge.ingest.plausible import looks_chinese, plausibility

__all__ = [
    "CANDIDATES",
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
# Tried in this order after UTF-8, each scored by plausibility(); cp1252 stands for the
# Western code pages (Latin-1 bytes decode the same, apart from 0x80-0x9F).
CANDIDATES = ("gb18030", "big5", "cp932", "cp1252")
PLAUSIBLE = 0.7  # the least score a reading needs; below it charset-normalizer guesses

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
    runner_up: str | None = None  # the next most plausible encoding, when one decoded


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
        return EncodingGuess(nobom, "utf-16-nobom", [nobom], 0.9)
    check_text(sample, path)
    tried = ["utf-8"]
    if _decodes(sample, "utf-8", final) is not None:
        return EncodingGuess("utf-8", "utf-8", tried)
    tried.append("utf-8 + gb18030 by line")
    if looks_mixed(sample, final):
        return EncodingGuess(MIXED, "mixed", tried, 0.9)
    guess = _most_plausible(sample, final, tried)
    if guess is not None:
        return guess
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
        text = _decodes(sample, name, final) or ""
        # Its statistics are weaker than the checks above on short samples: never very sure.
        sure = min(0.6, plausibility(text, name)) if name == "cp1252" else 0.5
        return EncodingGuess(name, "charset-normalizer", tried, round(sure, 2))
    odd = non_utf8_lines(sample, final)
    detail = (f"; it is UTF-8 except line {', '.join(map(str, odd))}, which fit neither UTF-8 "
              "nor GB18030 (fix those lines, or re-save the file as UTF-8)") if odd else ""
    raise undecodable_error(path, tried, detail)


def _most_plausible(sample: bytes, final: bool, tried: list[str]) -> EncodingGuess | None:
    """The candidate whose decoding of ``sample`` reads most like real text, when it is
    plausible enough; ties go to the earlier candidate (GB18030 first)."""
    scored = []
    for order, name in enumerate(CANDIDATES):
        tried.append(name)
        text = _decodes(sample, name, final)
        if text is not None:
            scored.append((plausibility(text, name), -order, name))
    scored.sort(reverse=True)
    if not scored or scored[0][0] < PLAUSIBLE:
        return None
    best, _, name = scored[0]
    second, other = (scored[1][0], scored[1][2]) if len(scored) > 1 else (0.0, None)
    # Sure when the winner reads well and no other reading comes close.
    confidence = best - 0.5 * min(second, best)
    return EncodingGuess(name, name, tried, round(confidence, 2), other)


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
