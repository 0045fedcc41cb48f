"""Excel .xlsx/.xlsm through openpyxl: pick a sheet, find the real header row.

Business workbooks often carry a report title or merged group titles above
the real column names ("2023" merged over "销售额" and "利润"). Those are
flagged in ``meta["warnings"]`` and, as a best effort, the lowest header row
gives the column names (prefixed by its group title where names repeat).
"""

from __future__ import annotations

import datetime as dt
import math
import zipfile
from pathlib import Path

import pandas as pd

from bizforge.errors import DataError

__all__ = ["FULL_LOAD_BYTES", "read_excel", "typed_column"]

# Above this size the workbook is opened read-only (streamed); merged-cell
# information is then unavailable, but memory stays small.
FULL_LOAD_BYTES = 30 * 1024 * 1024
_MAX_HEADER_ROWS = 3


def _pick_sheet(wb, sheet, path: Path):
    names = [ws.title for ws in wb.worksheets]
    if sheet is None:
        return wb.worksheets[0]
    if isinstance(sheet, str) and sheet in names:
        return wb[sheet]
    index = sheet if isinstance(sheet, int) else int(sheet) if str(sheet).isdigit() else None
    if index is not None and 0 <= index < len(names):
        return wb.worksheets[index]
    listed = ", ".join(repr(n) for n in names)
    raise DataError(
        f"{path} has no sheet {sheet!r}; its sheets are: {listed}.",
        path=str(path),
        fix=f"pass one of those names, e.g. sheet={names[0]!r} (or --sheet), or a 0-based index.",
    )


def _is_blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _header_like(row: list) -> bool:
    filled = [v for v in row if not _is_blank(v)]
    return bool(filled) and all(isinstance(v, str) for v in filled)


def _cell_text(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    return str(v)


def _missing(v) -> bool:
    return (
        v is None
        or v is pd.NA
        or v is pd.NaT
        or (isinstance(v, str) and v == "")
        or (isinstance(v, float) and math.isnan(v))
    )


def typed_column(values) -> pd.Series:
    """One column with the type its cells agree on; mixed cells become text.

    >>> typed_column([1, None, 3]).dtype
    Int64Dtype()
    >>> typed_column([1, "N/A"]).tolist()
    ['1', 'N/A']
    """
    values = [None if _missing(v) else v for v in values]
    present = [v for v in values if v is not None]
    kind = pd.api.types.infer_dtype(present, skipna=False) if present else "empty"
    s = pd.Series(values, dtype=object)
    try:
        if kind in ("string", "empty"):
            return s.astype("str")
        if kind == "integer":
            return s.astype("Int64")
        if kind in ("floating", "mixed-integer-float", "decimal"):
            return s.astype("float64")
        if kind == "boolean":
            return s.astype("boolean")
        if kind in ("datetime", "date"):
            return pd.to_datetime(s)
    except (OverflowError, TypeError, ValueError):
        pass  # e.g. an integer beyond 64 bits, or mixed time zones: keep it as text
    return s.map(lambda v: None if v is None else _cell_text(v)).astype("str")


def _header_rows(rows: list[list], merged: list[tuple[int, int, int, int]]) -> int:
    """How many rows (1..3) the header spans; ``merged`` is 0-based (r0, c0, r1, c1)."""
    vertical = [r1 for r0, _c0, r1, _c1 in merged if r0 == 0 and r1 > r0]
    if vertical:
        return min(max(vertical) + 1, _MAX_HEADER_ROWS)
    if len(rows) < 2 or not _header_like(rows[1]) or any(_is_blank(v) for v in rows[1]):
        return 1
    across = any(r0 == 0 and c1 > c0 for r0, c0, _r1, c1 in merged)
    gaps = any(_is_blank(v) for v in rows[0])
    # A full row of text under a gappy first row, above typed data: names under group titles.
    typed_below = len(rows) > 2 and any(
        isinstance(a, str) and not _is_blank(b) and not isinstance(b, str)
        for a, b in zip(rows[1], rows[2])
    )
    return 2 if across or (gaps and typed_below) else 1


def _names(rows: list[list], merged, depth: int) -> list[str]:
    grid = [list(r) for r in rows[:depth]]
    for r0, c0, r1, c1 in merged:  # a merged cell's value belongs to every cell it covers
        if r0 < depth:
            for r in range(r0, min(r1, depth - 1) + 1):
                for c in range(c0, c1 + 1):
                    grid[r][c] = grid[r0][c0]
    names = []
    for j in range(len(rows[0])):
        parts = [str(grid[i][j]).strip() for i in range(depth) if not _is_blank(grid[i][j])]
        names.append(parts[-1] if parts else f"column_{j + 1}")
    counts = pd.Series(names).value_counts()
    for j, name in enumerate(names):
        if counts[name] > 1:
            parts = [str(grid[i][j]).strip() for i in range(depth) if not _is_blank(grid[i][j])]
            names[j] = "_".join(dict.fromkeys(parts)) or name
    seen: dict[str, int] = {}
    for j, name in enumerate(names):  # still repeated: number them
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            names[j] = f"{name}_{seen[name]}"
    return names


def _load_cells(path: Path, sheet):
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    read_only = path.stat().st_size > FULL_LOAD_BYTES
    try:
        wb = load_workbook(path, read_only=read_only, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise DataError(
            f"{path} cannot be opened as an Excel workbook ({type(exc).__name__}: {exc}).",
            path=str(path),
            fix="open it in Excel or LibreOffice and save it again as .xlsx, or export it as CSV.",
        ) from None
    try:
        ws = _pick_sheet(wb, sheet, path)
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        merged = (
            []
            if read_only
            else [
                (m.min_row - 1, m.min_col - 1, m.max_row - 1, m.max_col - 1, m.coord)
                for m in ws.merged_cells.ranges
            ]
        )
        return ws.title, [ws.title for ws in wb.worksheets], rows, merged
    finally:
        wb.close()


def read_excel(
    path: Path, *, sheet: str | int | None = None, skip_rows: int | None = None
) -> tuple[pd.DataFrame, dict]:
    """Read one sheet of a workbook; returns ``(frame, meta)``.

    >>> frame, meta = read_excel(Path("sales.xlsx"), sheet="2023")  # doctest: +SKIP
    >>> meta["sheet"], [w["kind"] for w in meta["warnings"]]        # doctest: +SKIP
    ('2023', ['merged_header', 'multirow_header'])
    """
    title, sheets, rows, merged = _load_cells(path, sheet)
    keep_rows = [i for i, r in enumerate(rows) if not all(_is_blank(v) for v in r)]
    if not keep_rows:
        raise DataError(
            f"sheet {title!r} of {path} is empty.",
            path=str(path),
            fix=f"pick the sheet that holds the table (sheets: {', '.join(map(repr, sheets))}).",
        )
    top, bottom = keep_rows[0], keep_rows[-1]
    width = max(j + 1 for r in rows for j, v in enumerate(r) if not _is_blank(v))
    rows = [(list(r) + [None] * width)[:width] for r in rows[top : bottom + 1]]
    merged = [
        (r0 - top, c0, r1 - top, min(c1, width - 1), coord)
        for r0, c0, r1, c1, coord in merged
        if r0 >= top and c0 < width
    ]
    spans = [m[:4] for m in merged]
    depth = _header_rows(rows, spans)
    warnings = []
    in_header = [coord for r0, c0, r1, c1, coord in merged if r0 < depth and (c1 > c0 or r1 > r0)]
    if in_header:
        warnings.append(
            {
                "kind": "merged_header",
                "message": (
                    f"sheet {title!r}: header cells {', '.join(in_header[:10])} are merged. "
                    "Fix: unmerge them so each column has its own name in a single header row."
                ),
            }
        )
    if depth > 1:
        groups = [str(v).strip() for v in rows[0] if not _is_blank(v)]
        warnings.append(
            {
                "kind": "multirow_header",
                "message": (
                    f"sheet {title!r}: the header spans rows {top + 1}-{top + depth}; "
                    f"row {top + depth} was used for the column names "
                    f"(row {top + 1} holds {', '.join(groups[:8])}). "
                    "Fix: keep one header row with one name per column."
                ),
            }
        )
    names = _names(rows, spans, depth)
    body = rows[depth:]
    if not body:
        raise DataError(
            f"sheet {title!r} of {path} has a header ({width} columns) but no data rows.",
            path=str(path),
            fix="check that the right sheet was picked, or add the rows.",
        )
    frame = pd.DataFrame({name: typed_column([r[j] for r in body]) for j, name in enumerate(names)})
    meta = {
        "format": "excel",
        "sheet": title,
        "sheets": sheets,
        "encoding": None,
        "delimiter": None,
        "rows_total": len(frame),
        "sampled": False,
        "warnings": warnings,
    }
    return frame, meta
