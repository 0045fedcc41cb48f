"""Where a text table starts and ends: title and source lines above the header, notes below.

Statistics exports and reports put lines around the table itself::

    数据库：年度数据                  <- title / source lines: one field, or fewer
    时间：最近3年                        fields than the table, or only one filled
    地区,2024年,2023年,2022年        <- the header: the first record whose shape
    北京,100,90,80                      (number of fields) the records below share
    ...
    注：2024年为初步数据              <- note lines: they start with 注： 数据来源：
    数据来源：国家统计局                 Source: Quelle: Note: * ... (or continue one)

:func:`locate_header` finds the header record in the decoded start of the file and
:func:`trailing_notes` the note records at its end; the reader skips both and says
so. Nothing here reads a file: it works on text, so it serves any encoding.

>>> text = "Quelle: Amt X 2025;;\\nLand;Kennziffer;Stimmen\\nBayern;9;100\\nHessen;6;80\\n"
>>> found = locate_header(text, ";")
>>> found.line, found.above
(2, ['Quelle: Amt X 2025'])
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

__all__ = ["Header", "header_at_line", "is_note", "locate_header", "parse_records",
           "trailing_notes"]

MAX_ABOVE = 30  # title blocks longer than this are not looked for: use --skip-rows
_MIN_CONSISTENCY = 0.9
_NUMBER = re.compile(r"^[+-]?[\d.,\s%]+$")
# A note line starts with one of these words and a colon (or a footnote mark).
NOTE_START = re.compile(
    r"""^\s*["'“]?\s*(?:
        (?:注|註|备注|備註|附注|附註|说明|說明|数据来源|數據來源|资料来源|資料來源|来源|來源|出处|出處
          |source|sources|note|notes|remark|remarks|footnote|quelle|quellen|anmerkung|anmerkungen
          |hinweis|hinweise|fußnote|fussnote|stand)\s*\d*\s*[:：]
      | 注\s*\d*\s*[、.．]
      | [*※†]
    )""",
    re.IGNORECASE | re.VERBOSE,
)


@dataclass
class Header:
    """The header record found in a text: ``index`` counts every record before it, blank
    ones included (pandas' ``skiprows``); ``line`` is its 1-based line number; ``above``
    the non-blank lines skipped before it (trailing delimiters removed)."""

    index: int
    line: int
    fields: list[str]
    above: list[str] = field(default_factory=list)


def parse_records(text: str, delimiter: str, limit: int | None = 300):
    """``[(index, line, fields)]`` of the non-blank records of ``text`` (at most ``limit``).

    ``index`` counts blank records too, as pandas' ``skiprows`` does; a record cut off
    by the end of a sample or a csv error ends the list.
    """
    out = []
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    index, start = 0, 1
    while limit is None or len(out) < limit:
        try:
            fields = next(reader)
        except (StopIteration, csv.Error):
            break
        if fields:
            out.append((index, start, fields))
        index += 1
        start = reader.line_num + 1
    return out


def _filled(fields: list[str]) -> int:
    return sum(1 for v in fields if v.strip())


def _titleish(fields: list[str], header: list[str]) -> bool:
    """A line above a table: one filled text cell that starts it (``2024年报表,,,``; a
    lone name further right, ``,a``, is a header with an unnamed index column), or fewer
    fields than the header has filled ones (a header whose data rows only add empty
    fields is the header itself)."""
    filled = [v for v in fields if v.strip()]
    if not filled or (len(filled) == 1 and fields[0].strip() == filled[0]
                      and not _NUMBER.match(filled[0])):
        return True
    return len(fields) < len(header) and any(v.strip() for v in header[len(fields):])


def is_note(fields: list[str], width: int, full: bool = True) -> bool:
    """A note line under a table: it starts like a note, and (unless ``full``) does not
    fill the table's shape (one filled cell, or another number of fields)."""
    filled = [v for v in fields if v.strip()]
    if not filled or not NOTE_START.match(filled[0]) or fields[0].strip() != filled[0]:
        return False
    return full or len(filled) <= 1 or len(fields) != width


def _notes(records: list[list[str]], width: int, full: bool) -> int:
    k, found = 0, 0
    for fields in reversed(records):
        if is_note(fields, width, full):
            k += 1
            found = k
        elif _filled(fields) <= 1 and len(fields) <= width:
            k += 1  # a continuation line (or a blank-cell line) inside the notes
        else:
            break
    return found


def trailing_notes(records: list[list[str]], width: int) -> int:
    """How many records at the end of ``records`` are notes, not rows.

    The notes block is a run of note lines (:func:`is_note`) and the one-cell lines that
    continue them ("1. 不含港澳台"), whose first line is a note line. A note line that
    fills every field of the table counts only while no row above starts like a note
    (then the first column holds such texts, and it is a row).

    >>> trailing_notes([["a", "1"], ["注：初步数据"], ["1. 不含港澳台"]], 2)
    2
    """
    if width < 2:
        return 0  # in a one-column file every line is a row, whatever it says
    k = _notes(records, width, full=True)
    if k and any(is_note(f, width) for f in records[: len(records) - k]):
        k = _notes(records, width, full=False)
    return k


def _consistent(counts: list[int], width: int) -> float:
    body = counts[:-1] if len(counts) > 2 else counts  # the sample may cut the last one
    return sum(1 for c in body if c == width) / len(body) if body else 0.0


def locate_header(text: str, delimiter: str) -> Header | None:
    """The header of the table in ``text`` (the decoded start of a file), or None.

    The header is the first record of at least two filled fields that the records
    below share the number of fields with (90%, notes at the end left out), and above
    which every record is title-like: fewer fields, or one filled text cell. None when
    no record fits (a one-column or ragged text): the caller keeps the first record.
    """
    records = parse_records(text, delimiter)
    for pos, (index, line, fields) in enumerate(records[: MAX_ABOVE + 1]):
        width = len(fields)
        if width < 2 or _filled(fields) < 2:
            continue
        if not all(_titleish(f, fields) for _i, _l, f in records[:pos]):
            continue  # a record above is no title for this one: not its preamble
        rest = [f for _i, _l, f in records[pos + 1:]]
        rest = rest[: len(rest) - trailing_notes(rest, width)]
        if rest and _consistent([len(f) for f in rest], width) >= _MIN_CONSISTENCY:
            above = [delimiter.join(f).rstrip(delimiter).strip() for _i, _l, f in records[:pos]]
            return Header(index, line, fields, above)
    return None


def header_at_line(text: str, delimiter: str, line: int) -> Header | None:
    """The first non-blank record starting at ``line`` (1-based) or below, or None."""
    records = parse_records(text, delimiter, limit=100_000)
    for pos, (index, start, fields) in enumerate(records):
        if start >= line:
            above = [delimiter.join(f).rstrip(delimiter).strip() for _i, _l, f in records[:pos]]
            return Header(index, start, fields, above)
    return None
