"""Where the table sits on an Excel sheet: title, unit and note rows around it, and a
header band of several rows with merged group titles.

Report sheets look like this::

    2024年各地区销售额 (merged A1:E1)        <- title: one filled text cell, from column A
    单位：万元                              <- unit: kept, it belongs to the numbers
    地区 (A3:A5) | 2024年 (B3:E3)           <- header band: rows joined by merged cells
                 | 上半年 (B4:C4) | 下半年
                 | 销售额 | 利润 | 销售额 | 利润
    北京         | 100    | 20   | 120    | 25
    注：不含港澳台                            <- notes: left out of the rows

:func:`sheet_layout` finds the parts; the reader names the columns from the band
(the lowest name, prefixed by its group titles where names repeat).

>>> rows = [["标题", None], ["单位：万元", None], ["地区", "销售额"], ["北京", 1]]
>>> found = sheet_layout(rows, [])
>>> found.top, found.depth, found.above, found.unit
(2, 1, ['标题', '单位：万元'], '万元')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bizforge.ingest.header import MAX_ABOVE, trailing_notes

__all__ = ["MAX_BAND", "SheetLayout", "cell_text", "is_blank", "sheet_layout", "unit_of"]

MAX_BAND = 6  # header rows joined at most
_UNIT_WORDS = (r"万元|亿元|千元|百万元|元|美元|港元|万美元|亿美元|万人|人|户|个|件|台|辆|吨|万吨|千克|公斤|"
               r"kg|t|km|m|m²|㎡|平方米|平米|%|‰|百分比|USD|EUR|CNY|RMB|€|\$|千|万|亿|"
               r"thousands?|millions?|billions?|Tsd\.?|Mio\.?|Mrd\.?")
# "单位：万元", "Unit: USD thousand", "(in millions)", "Einheit: Tsd. EUR", or a bare unit.
_UNIT = re.compile(
    rf"^\s*[（(]?\s*(?:(?:计量)?单位|單位|units?|einheit|in)\s*[:：]?\s*(?P<u>.{{1,20}}?)\s*[)）]?\s*$"
    rf"|^\s*[（(]?\s*(?P<bare>(?:{_UNIT_WORDS})(?:\s*(?:{_UNIT_WORDS}))?)\s*[)）]?\s*$",
    re.IGNORECASE,
)


@dataclass
class SheetLayout:
    """Row positions (0-based, in the rows given) of the table's parts."""

    top: int  # first row of the header band
    depth: int  # rows in the band
    above: list[str] = field(default_factory=list)  # texts of the rows skipped above
    unit: str | None = None  # a unit for the whole table, from a row above it
    units: dict[int, str] = field(default_factory=dict)  # column -> unit, from a band row
    unit_rows: list[int] = field(default_factory=list)  # band rows that hold units, not names
    notes: list[str] = field(default_factory=list)  # texts of the note rows below
    bottom: int = 0  # end (exclusive) of the body


def is_blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def cell_text(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return "" if v is None else str(v)


def unit_of(text: str) -> str | None:
    """The unit a cell states ("单位：万元" -> "万元"), or None.

    >>> unit_of("单位：万元"), unit_of("(in millions)"), unit_of("销售额")
    ('万元', 'millions', None)
    """
    found = _UNIT.match(text) if isinstance(text, str) and len(text) <= 30 else None
    if not found:
        return None
    unit = (found.group("u") or found.group("bare") or "").strip()
    return unit or None


def _filled(row: list) -> list[int]:
    return [j for j, v in enumerate(row) if not is_blank(v)]


def _texty(row: list) -> bool:
    filled = [v for v in row if not is_blank(v)]
    return bool(filled) and all(isinstance(v, str) for v in filled)


def _title_row(row: list, merged, r: int) -> bool:
    """One filled text cell, in the first column or merged from it (a group title merged
    over later columns belongs to the header band instead)."""
    filled = _filled(row)
    if len(filled) != 1 or not isinstance(row[filled[0]], str):
        return filled == []
    j = filled[0]
    spans = [(c0, c1) for r0, c0, _r1, c1 in merged if r0 == r and c0 == j and c1 > c0]
    return j == 0 or not spans


def _band_depth(rows: list[list], merged, top: int) -> int:
    """Rows in the header band starting at ``top``: as deep as the merged cells that start
    in it reach, plus the row of names under a group title merged across columns."""
    end = top
    while True:
        new = end
        for r0, c0, r1, c1 in merged:
            if top <= r0 <= end and (c1 > c0 or r1 > r0):
                new = max(new, r1)
                if c1 > c0 and r1 == new and new + 1 < len(rows) and _texty(rows[new + 1]):
                    new += 1  # names under a group title
        new = min(new, top + MAX_BAND - 1, len(rows) - 2)
        if new == end:
            return end - top + 1
        end = new


def _two_row_band(rows: list[list], top: int, merged) -> int:
    """Without merged cells: a gappy text row over a full text row over typed data is a
    two-row band (group titles over names); anything else is one row."""
    if len(rows) < top + 3 or not _texty(rows[top + 1]) or any(is_blank(v) for v in rows[top + 1]):
        return 1
    gaps = any(is_blank(v) for v in rows[top])
    typed_below = any(
        isinstance(a, str) and not is_blank(b) and not isinstance(b, str)
        for a, b in zip(rows[top + 1], rows[top + 2])
    )
    return 2 if gaps and typed_below else 1


def sheet_layout(rows: list[list], merged, skip: bool = True) -> SheetLayout:
    """Find the title/unit rows above, the header band and the notes below in ``rows``
    (non-blank first row, equal widths); ``merged``: 0-based ``(r0, c0, r1, c1)``.

    ``skip=False``: the header band starts at the first row (the caller was told where).
    """
    top, above, unit = 0, [], None
    if skip:
        while top < min(MAX_ABOVE, len(rows) - 2) and _title_row(rows[top], merged, top):
            text = " ".join(cell_text(v).strip() for v in rows[top] if not is_blank(v))
            if text:
                above.append(text)
                unit = unit or unit_of(text)
            top += 1
        if top and not _texty(rows[top]):
            top, above, unit = 0, [], None  # no header under them: they were no titles
    in_band = [m for m in merged if m[0] >= top]
    starts = any(r0 == top and (c1 > c0 or r1 > r0) for r0, c0, r1, c1 in in_band)
    depth = _band_depth(rows, in_band, top) if starts else _two_row_band(rows, top, in_band)
    layout = SheetLayout(top, depth, above, unit)
    for r in range(top + 1, top + depth):
        found = {j: unit_of(rows[r][j]) for j in _filled(rows[r])}
        if found and all(found.values()):
            layout.units.update(found)
            layout.unit_rows.append(r)
    body = [[cell_text(v) for v in row] for row in rows[top + depth:]]
    k = trailing_notes(body, len(rows[0]))
    layout.notes = [" ".join(v.strip() for v in row if v.strip()) for row in body[len(body) - k:]]
    layout.bottom = len(rows) - k
    return layout
