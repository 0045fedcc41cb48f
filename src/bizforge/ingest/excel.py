"""Excel .xlsx/.xlsm through openpyxl: pick a sheet, find the table on it.

Business workbooks carry a report title, a unit row ("单位：万元") and notes around
the table, and header bands of several rows with merged group titles ("2023" merged
over "销售额" and "利润"). :mod:`bizforge.ingest.excel_header` finds those parts:
title and unit rows are skipped (the unit is kept in ``meta["units"]``, per
column), notes below are left out, and the band gives the column names (the lowest
name, prefixed by its group titles where names repeat). All of it is reported in
``meta["warnings"]``.
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import pandas as pd

from bizforge.errors import DataError
from bizforge.ingest.excel_header import cell_text, is_blank, sheet_layout

__all__ = ["FULL_LOAD_BYTES", "read_excel", "typed_column"]

# Above this size the workbook is opened read-only (streamed); merged-cell
# information is then unavailable, but memory stays small.
FULL_LOAD_BYTES = 30 * 1024 * 1024


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
    return s.map(lambda v: None if v is None else cell_text(v)).astype("str")


def _names(rows: list[list], merged, depth: int, skip: list[int]) -> list[str]:
    """Column names from the band ``rows[:depth]`` (``skip``: its rows of units)."""
    grid = [list(r) for r in rows[:depth]]
    for r0, c0, r1, c1 in merged:  # a merged cell's value belongs to every cell it covers
        if r0 < depth:
            for r in range(r0, min(r1, depth - 1) + 1):
                for c in range(c0, c1 + 1):
                    grid[r][c] = grid[r0][c0]
    grid = [row for r, row in enumerate(grid) if r not in skip]
    depth = len(grid)
    names = []
    for j in range(len(rows[0])):
        parts = [str(grid[i][j]).strip() for i in range(depth) if not is_blank(grid[i][j])]
        names.append(parts[-1] if parts else f"column_{j + 1}")
    counts = pd.Series(names).value_counts()
    for j, name in enumerate(names):
        if counts[name] > 1:
            parts = [str(grid[i][j]).strip() for i in range(depth) if not is_blank(grid[i][j])]
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

    ``skip_rows=N``: the header starts at the first non-blank row after sheet row N
    (default: found under any title and unit rows).

    >>> frame, meta = read_excel(Path("sales.xlsx"), sheet="2023")  # doctest: +SKIP
    >>> meta["sheet"], [w["kind"] for w in meta["warnings"]]        # doctest: +SKIP
    ('2023', ['merged_header', 'multirow_header'])
    """
    title, sheets, rows, merged = _load_cells(path, sheet)
    first = skip_rows or 0
    keep_rows = [i for i, r in enumerate(rows) if i >= first and not all(is_blank(v) for v in r)]
    if not keep_rows:
        where = f" below row {first}" if first else ""
        raise DataError(
            f"sheet {title!r} of {path} is empty{where}.",
            path=str(path),
            fix=f"pick the sheet that holds the table (sheets: {', '.join(map(repr, sheets))})"
            + (", or a smaller --header-row / --skip-rows." if first else "."),
        )
    start, end = keep_rows[0], keep_rows[-1]
    width = max(j + 1 for r in rows[start:] for j, v in enumerate(r) if not is_blank(v))
    rows = [(list(r) + [None] * width)[:width] for r in rows[start : end + 1]]
    merged = [
        (r0 - start, c0, r1 - start, min(c1, width - 1), coord)
        for r0, c0, r1, c1, coord in merged
        if r0 >= start and c0 < width
    ]
    found = sheet_layout(rows, [m[:4] for m in merged], skip=skip_rows is None)
    top, depth = found.top, found.depth
    band = [(r0 - top, c0, r1 - top, c1, coord) for r0, c0, r1, c1, coord in merged if r0 >= top]
    names = _names(rows[top:], [m[:4] for m in band], depth,
                   [r - top for r in found.unit_rows])
    body = rows[top + depth : found.bottom]
    if not body:
        raise DataError(
            f"sheet {title!r} of {path} has a header ({width} columns) but no data rows.",
            path=str(path),
            fix="check that the right sheet was picked, or add the rows.",
        )
    frame = pd.DataFrame({name: typed_column([r[j] for r in body]) for j, name in enumerate(names)})
    header_row = start + top + 1  # as Excel numbers the rows
    units = _units(frame, found)
    meta = {
        "format": "excel",
        "sheet": title,
        "sheets": sheets,
        "encoding": None,
        "delimiter": None,
        "rows_total": len(frame),
        "sampled": False,
        "header_row": header_row,
        "skipped_above": found.above,
        "notes_below": found.notes,
        "units": units or None,
        "warnings": _notes(title, found, band, header_row, units),
    }
    return frame, meta


def _units(frame: pd.DataFrame, found) -> dict[str, str]:
    """Column -> unit: from a unit row in the band, else the table's unit for every number
    column (a unit above the table is about its numbers, not its names or dates)."""
    units = {str(frame.columns[j]): u for j, u in found.units.items() if j < frame.shape[1]}
    if found.unit and not units:
        units = {str(c): found.unit for c in frame.columns
                 if pd.api.types.is_numeric_dtype(frame[c]) and not
                 pd.api.types.is_bool_dtype(frame[c])}
    return units


def _notes(title: str, found, band, header_row: int, units: dict[str, str]) -> list[dict]:
    """The reader's warnings about the sheet's layout."""
    notes = []
    depth = found.depth
    if found.above:
        shown = "; ".join(repr(t[:60]) for t in found.above[:3])
        notes.append({"kind": "lines_above_header", "message": (
            f"sheet {title!r}: the header is row {header_row}; the {len(found.above)} row(s) "
            f"above it ({shown}) are titles, units or notes, not rows, and were skipped. "
            "Fix: if the header is another row, pass --header-row N (header_row=N).")})
    in_header = [coord for r0, c0, r1, c1, coord in band if r0 < depth and (c1 > c0 or r1 > r0)]
    if in_header:
        notes.append({"kind": "merged_header", "message": (
            f"sheet {title!r}: header cells {', '.join(in_header[:10])} are merged. "
            "Fix: unmerge them so each column has its own name in a single header row.")})
    if depth > 1:
        notes.append({"kind": "multirow_header", "message": (
            f"sheet {title!r}: the header spans rows {header_row}-{header_row + depth - 1}; "
            "they were joined into one name per column (the lowest name, with its group "
            "titles where names repeat). Fix: keep one header row with one name per column.")})
    if units:
        listed = ", ".join(f"{c} {u}" for c, u in list(units.items())[:8])
        notes.append({"kind": "units", "message": (
            f"sheet {title!r}: the numbers are in units ({listed}); the values were kept as "
            "written and the units are in meta['units'] / the inspect JSON.")})
    if found.notes:
        shown = "; ".join(repr(t[:60]) for t in found.notes[:3])
        notes.append({"kind": "notes_below_table", "message": (
            f"sheet {title!r}: the last {len(found.notes)} row(s) ({shown}) are notes under "
            "the table, not rows, and were left out.")})
    return notes
