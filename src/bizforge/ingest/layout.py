"""How a text table is laid out: encoding, delimiter, header line, notes at the end.

Learned from the first MiB (and, for notes, the last 64 KiB) before pandas reads
the file: :func:`sniff_layout` returns a :class:`TextLayout` that says how to parse
the rest. Title or source lines above the header and note lines below the table
are found by :mod:`bizforge.ingest.header`, skipped, and reported.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from bizforge.errors import DataError, UsageError
from bizforge.ingest.encoding import (
    check_text,
    detect_encoding,
    normalise_encoding,
    read_sample,
    undecodable_error,
)
from bizforge.ingest.header import (
    Header,
    header_at_line,
    locate_header,
    parse_records,
    trailing_notes,
)
from bizforge.ingest.mixed import MIXED, mixed_note

__all__ = ["DELIMITERS", "DELIMITER_NAMES", "NAME_NOTES", "ONE_COLUMN", "TextLayout", "header_names",
           "normalise_delimiter", "sniff_delimiter", "sniff_layout"]

DELIMITERS = (",", "\t", ";", "|")
DELIMITER_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}
_ALIASES = {"\\t": "\t", "tab": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_SNIFF_CHARS = 64 * 1024
# The ASCII unit separator: never found in text, so a one-column file is never split.
ONE_COLUMN = "\x1f"
NAME_NOTES = ("blank_header", "duplicate_columns")


@dataclass
class TextLayout:
    """What was learned from the first MiB: how to parse the rest."""

    encoding: str
    delimiter: str
    names: list[str] | None  # None: let pandas take the header as it is
    header: bool = True
    warnings: list[dict] = field(default_factory=list)
    tried: list[str] = field(default_factory=list)
    confidence: float | None = None  # how sure the encoding is (None: it was given)
    skip: int = 0  # records before the header, blank ones included (pandas' skiprows)
    header_line: int = 1  # 1-based line of the header (or of the first row, without one)
    above: list[str] = field(default_factory=list)  # lines skipped above the header
    notes: list[str] = field(default_factory=list)  # note lines left out at the end
    rows: int | None = None  # records from the header on to read (pandas' nrows); None: all


def _complete_lines(text: str, final: bool) -> list[str]:
    lines = text.splitlines(keepends=True)
    if not final and len(lines) > 1:
        lines = lines[:-1]  # the sample may end mid-line
    return [ln for ln in lines if ln.strip()]


def _field_counts(lines: list[str], delimiter: str) -> list[int]:
    try:
        return [len(r) for r in csv.reader(lines, delimiter=delimiter) if r]
    except csv.Error:
        return []


def _consistency(counts: list[int]) -> float:
    """Share of records with as many fields as the header (0 when one field)."""
    if not counts or counts[0] < 2:
        return 0.0
    body = counts[1:-1] or counts[1:] or counts  # the last record may be cut off
    return sum(1 for c in body if c == counts[0]) / len(body)


def sniff_delimiter(text: str, final: bool = True) -> str:
    """The delimiter among comma, tab, semicolon and pipe that splits ``text`` consistently.

    csv.Sniffer is asked first; its answer is kept only if it splits the rows
    into a consistent number of fields (>1), otherwise every candidate is scored
    on that consistency. When the header is one field whatever the delimiter,
    the table has one column and ``ONE_COLUMN`` is returned: commas in its
    values are then text, not separators.

    >>> sniff_delimiter("a;b;c\\n1;2;3\\n4;5;6\\n")
    ';'
    """
    lines = _complete_lines(text[:_SNIFF_CHARS], final)[:200]
    if not lines:
        return ","
    sample = "".join(lines)
    try:
        guess = csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        guess = None
    if guess in DELIMITERS and _consistency(_field_counts(lines, guess)) >= 0.9:
        return guess
    scored = []
    for d in DELIMITERS:
        counts = _field_counts(lines, d)
        scored.append((_consistency(counts), counts[0] if counts else 0, d))
    if all(header <= 1 for _c, header, _d in scored):
        return ONE_COLUMN
    best = max(scored, key=lambda s: (s[0], s[1]))
    return best[2] if best[0] > 0 else ","


def normalise_delimiter(delimiter: str) -> str:
    d = _ALIASES.get(delimiter.lower(), delimiter) if delimiter else delimiter
    if not d or len(d) != 1 or d in '"\r\n':
        raise UsageError(
            f"delimiter {delimiter!r} is not a single character.",
            fix="pass one character, e.g. delimiter=',' or --delimiter tab.",
        )
    return d


def header_names(first: list[str]) -> tuple[list[str], list[dict]]:
    """Usable column names from the header record: blanks named, duplicates numbered."""
    notes: list[dict] = []
    names, seen = [], set()
    blanks, dupes = [], []
    for i, raw in enumerate(first):
        name = raw.lstrip("\ufeff")
        if not name.strip():
            blanks.append(i + 1)
            name = f"column_{i + 1}"
        base, k = name, 2
        while name in seen:
            name = f"{base}_{k}"
            k += 1
        if name != base and base not in {f"column_{j}" for j in blanks}:
            dupes.append(base)
        seen.add(name)
        names.append(name)
    if blanks:
        notes.append(
            {
                "kind": "blank_header",
                "message": (
                    f"header cells {', '.join(map(str, blanks[:10]))} are empty; they were named "
                    "column_N."
                ),
            }
        )
    if dupes:
        notes.append(
            {
                "kind": "duplicate_columns",
                "message": (
                    f"column names repeat ({', '.join(sorted(set(dupes))[:10])}); repeats were "
                    "numbered name_2, name_3, ..."
                ),
            }
        )
    return names, notes


def _decode_sample(path: Path, encoding: str | None, unsure: list[dict]):
    """``(text of the first MiB, whole file in it, encoding, tried, confidence)``; a note
    goes to ``unsure`` when the encoding was guessed without much confidence."""
    sample = read_sample(path)
    final = path.stat().st_size <= len(sample)
    if encoding:
        enc, tried, confidence = normalise_encoding(encoding), [normalise_encoding(encoding)], None
        if not enc.startswith(("utf_16", "utf_32", "utf-16", "utf-32")):
            check_text(sample, path)
    else:
        guess = detect_encoding(path, sample)
        enc, tried, confidence = guess.encoding, guess.tried, guess.confidence
        if confidence < UNSURE:
            unsure.append(_unsure_note(path, guess))
    try:
        text = codecs.getincrementaldecoder(enc)("strict").decode(sample, final=final)
    except UnicodeDecodeError as exc:
        raise undecodable_error(path, tried, f" (byte {exc.start} is invalid in {enc})") from None
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise DataError(
            f"{path} is empty: it has no header and no rows.",
            path=str(path),
            fix="export the table again, with a header row and at least one data row.",
        )
    return text, final, enc, tried, confidence


UNSURE = 0.6  # below this encoding confidence the reader says so


def _unsure_note(path: Path, guess) -> dict:
    other = guess.runner_up or "gb18030"
    return {"kind": "encoding_uncertain", "message": (
        f"{path.name}: the encoding was guessed as {guess.encoding}, but not surely "
        f"(confidence {guess.confidence:.2f}"
        + (f"; {guess.runner_up} reads almost as well" if guess.runner_up else "")
        + f"). Fix: if the text looks garbled, name the encoding: --encoding {other} "
        f"(encoding='{other}').")}


def _given_header(path: Path, text: str, delimiter: str | None, skip_rows: int):
    """``(delimiter, Header)`` for ``skip_rows=N``: the first non-blank line after line N."""
    below = "".join(text.splitlines(keepends=True)[skip_rows:])
    delim = delimiter or sniff_delimiter(below, True)
    found = header_at_line(text, delim, skip_rows + 1)
    if found is None:
        lines = len(text.splitlines())
        raise DataError(
            f"{path} has no table below line {skip_rows}: the first MiB has {lines} lines.",
            path=str(path),
            fix="give the line number of the header row as it shows in an editor "
            "(--header-row N), or the number of lines above it (--skip-rows N).",
        )
    return delim, found


def _found_header(text: str, sniffed: str, fixed: bool) -> tuple[str, Header | None]:
    """The header under any title lines, with the sniffed delimiter or, when that finds
    none and the delimiter was not given, with the widest table another one finds."""
    found = locate_header(text, sniffed)
    if found is not None or fixed:
        return sniffed, found
    others = [(d, locate_header(text, d)) for d in DELIMITERS if d != sniffed]
    others = [(d, h) for d, h in others if h is not None]
    if not others:
        return sniffed, None
    return max(others, key=lambda dh: (-dh[1].index, len(dh[1].fields)))


def sniff_layout(
    path: Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    skip_rows: int | None = None,
) -> TextLayout:
    """Encoding, delimiter, header and end of a text table, from its first MiB (and last
    64 KiB). ``skip_rows=N``: the header is the first non-blank line after line N;
    otherwise title lines above it are found and skipped (:mod:`bizforge.ingest.header`).
    """
    notes: list[dict] = []
    text, final, enc, tried, confidence = _decode_sample(path, encoding, notes)
    if enc == MIXED:
        notes.append(mixed_note(path))
    fixed = bool(delimiter) or path.suffix.lower() in (".tsv", ".tab")
    if delimiter:
        delim = normalise_delimiter(delimiter)
    elif fixed:
        delim = "\t"
    else:
        delim = sniff_delimiter(text, final)
    if skip_rows is not None:  # header_row=1 (skip_rows=0) too: the caller knows best
        delim, found = _given_header(path, text, delim if fixed else None, skip_rows)
    else:
        delim, found = _found_header(text, delim, fixed)
    layout = TextLayout(enc, delim, None, tried=tried, warnings=notes, confidence=confidence)
    if found is not None:
        layout.skip, layout.header_line, layout.above = found.index, found.line, found.above
        first = found.fields
    else:
        try:
            first = next(csv.reader(io.StringIO(text[: _SNIFF_CHARS * 4]), delimiter=delim))
        except (csv.Error, StopIteration):
            return layout  # header longer than the sample: pandas will name the columns
    if layout.above:
        layout.warnings.append(_above_note(path, layout, given=skip_rows is not None))
    if all(_PLAIN_NUMBER.match(v.strip()) for v in first):
        # Column names are never all numbers: the first row is data.
        layout.header = False
        layout.names = [f"column_{i + 1}" for i in range(len(first))]
        layout.warnings.append(
            {
                "kind": "no_header",
                "message": (
                    f"{path.name}: the first row holds only numbers, so it was read as "
                    "data, not as column names; the columns are named column_1, column_2, "
                    "... Fix: add a header row naming the columns."
                ),
            }
        )
    else:
        layout.names, header_notes = header_names(first)
        layout.warnings.extend(header_notes)
    if delim == ONE_COLUMN:
        layout.warnings.extend(_blank_lines_note(path, enc))
    else:
        _find_notes(path, layout, text if final else None)
    return layout


def _quote(lines: list[str], show: int = 3, width: int = 60) -> str:
    cut = [ln if len(ln) <= width else ln[: width - 1] + "…" for ln in lines[:show]]
    return "; ".join(repr(ln) for ln in cut) + (f" and {len(lines) - show} more"
                                                   if len(lines) > show else "")


def _above_note(path: Path, layout: TextLayout, given: bool) -> dict:
    n = len(layout.above)
    how = "as asked" if given else "as they do not have the shape of the table below"
    return {"kind": "lines_above_header", "message": (
        f"{path.name}: the header is line {layout.header_line}; the {n} line(s) above it "
        f"({_quote(layout.above)}) are titles or notes, not rows, and were skipped {how}. "
        "Fix: if the header is another line, pass --header-row N (header_row=N) or "
        "--skip-rows N (skip_rows=N).")}


def _tail_text(path: Path, encoding: str, size: int = 1 << 16) -> str:
    """The last ``size`` bytes of ``path`` decoded, from the first whole line on."""
    total = path.stat().st_size
    start = max(total - size, 0)
    wide = 4 if "32" in encoding else 2 if "16" in encoding else 1
    start -= start % wide  # UTF-16/32: stay on a character boundary
    with open(path, "rb") as fh:
        head = fh.read(4)
        fh.seek(start)
        data = fh.read()
    codec = encoding
    if wide > 1 and codec.replace("-", "_") in ("utf_16", "utf_32"):
        # The BOM at the start says the byte order; the tail has none.
        big = head.startswith((codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE))
        codec = f"{codec}-{'be' if big else 'le'}"
    text = data.decode(codec, errors="replace")
    return text if start == 0 else text.split("\n", 1)[-1]


def _find_notes(path: Path, layout: TextLayout, whole: str | None) -> None:
    """Find note lines at the end of the table; set how many rows to read, and say so."""
    width = len(layout.names or [])
    text = whole if whole is not None else _tail_text(path, layout.encoding)
    # In the whole text, only the records below the header; the tail is far below it.
    first = layout.skip + 1 if whole is not None else 0
    records = [f for i, _l, f in parse_records(text, layout.delimiter, limit=None) if i >= first]
    k = trailing_notes(records, width)
    if not k:
        return
    layout.notes = [layout.delimiter.join(f).rstrip(layout.delimiter).strip()
                    for f in records[len(records) - k:]]
    layout.rows = _count_records(path, layout) - k
    layout.warnings.append({"kind": "notes_below_table", "message": (
        f"{path.name}: the last {k} line(s) ({_quote(layout.notes)}) are notes under the "
        "table, not rows, and were left out. Fix: nothing is needed; to keep them as rows, "
        "remove the note marks (注：, Source:, Quelle: ...) from those lines.")})


def _count_records(path: Path, layout: TextLayout) -> int:
    """Non-blank records from the header to the end of the file (streamed)."""
    count = 0
    with open(path, encoding=layout.encoding, newline="") as fh:
        for i, record in enumerate(csv.reader(fh, delimiter=layout.delimiter)):
            count += bool(record) and i >= layout.skip
    return count


def _blank_lines_note(path: Path, encoding: str, show: int = 5) -> list[dict]:
    """A note on the blank lines inside a one-column file, which the reader skips.

    In a one-column text file a line is a row, so a skipped line is a row the output
    will not have; blank lines at the end of the file are not counted, nor are those
    inside a quoted text (an odd number of ``"`` so far), which stay part of it.
    """
    found: list[int] = []
    pending: list[int] = []  # blank lines not yet followed by a non-blank one
    quoted = False
    # errors="replace": a bad byte past the first MiB is the reader's to report, not ours.
    with open(path, encoding=encoding, errors="replace", newline=None) as fh:
        for number, line in enumerate(fh, start=1):
            if line.strip():
                found += pending
                pending = []
                quoted ^= line.count('"') % 2 == 1
            elif not quoted:
                pending.append(number)
    if not found:
        return []
    where = ", ".join(map(str, found[:show])) + (", ..." if len(found) > show else "")
    return [{"kind": "blank_lines", "message": (
        f"{path.name}: {len(found)} blank line(s) (line {where}) were skipped, so they are "
        "not rows: the results have that many fewer rows than the file has lines.")}]

