"""Total rows: a ``合计`` / ``Total`` / ``Summe`` row whose numbers are the sum of others.

Spreadsheet exports often end with a grand total and break blocks with
subtotals. Left in, they count every number twice (a model learns that some
"customers" are twelve times larger; a sum doubles). A row is a total row when

1. one of its text cells is a total label: a total word alone, or a short
   cell that starts or ends with one (``华东小计``, ``Summe Bayern``,
   ``合计：``) — Chinese (simplified and traditional), English, German,
   French and Spanish words, see :data:`TOTAL_WORDS`; and
2. at least one of its numbers (non-zero) equals, within 0.1%, the sum of the
   rows it closes: every other row that is not a total (a grand total,
   wherever it stands), else the rows between it and the total above it (a
   subtotal under its block), else the rows down to the next total (a
   subtotal over its block). The rows summed must be at least two.

The label alone is never enough (``Total Wipeout`` may be a product), and the
numbers alone never are (no label, no claim).

>>> frame = pd.DataFrame({"地区": ["华东", "华北", "合计"], "销售额": [1.0, 2.0, 3.0]})
>>> [(t.position, t.label, t.columns) for t in find_total_rows(frame, ["销售额"])]
[(2, '合计', ['销售额'])]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bizforge.frame import Role, Schema
from bizforge.ingest.numbers import parse_numbers

__all__ = [
    "TOTAL_WORDS",
    "TotalRow",
    "find_total_rows",
    "summed_columns",
    "total_label",
    "without_total_rows",
]

TOTAL_WORDS = (
    "总计", "合计", "小计", "共计", "总和", "总数", "總計", "合計", "小計", "總和",
    "grand total", "subtotal", "sub-total", "sub total", "totals", "total", "sum",
    "gesamtsumme", "zwischensumme", "insgesamt", "gesamt", "summe",
    "sous-total", "total général", "suma total",
)  # fmt: skip
_SUB_WORDS = ("小计", "小計", "subtotal", "sub-total", "sub total", "zwischensumme", "sous-total")
_WORDS = "|".join(re.escape(w) for w in sorted(TOTAL_WORDS, key=len, reverse=True))
# Latin words must stand alone ("Summer", "totally" are not totals); CJK ones need no gap.
_EDGE = r"(?<![A-Za-zÀ-ɏ])(?:{w})(?![A-Za-zÀ-ɏ])"
_LEAD_OR_TAIL = re.compile(rf"(?i)^{_EDGE.format(w=_WORDS)}|{_EDGE.format(w=_WORDS)}$")
_MAX_LABEL = 24
_RTOL = 1e-3  # exports round: 12 amounts rounded to 0.01 and their rounded sum may differ


@dataclass(frozen=True)
class TotalRow:
    """One total row: its 0-based ``position``, the total word, the rows it sums
    (``first``..``last`` of a block, or ``None`` for every other row) and the
    numeric ``columns`` where its number equals the sum."""

    position: int
    label: str
    columns: list[str]
    first: int | None = None
    last: int | None = None

    @property
    def subtotal(self) -> bool:
        return self.first is not None


def total_label(cell) -> str | None:
    """The total word a cell is labelled with, or None.

    >>> total_label("华东小计"), total_label("Total:"), total_label("Summer sale")
    ('小计', 'Total', None)
    """
    if not isinstance(cell, str):
        return None
    text = cell.strip().rstrip(":：")
    if not text or len(text) > _MAX_LABEL:
        return None
    inner = text.strip("()（）[]【】 ")
    m = _LEAD_OR_TAIL.search(inner)
    if m is None:
        return None
    return m.group().strip()


def _labels(frame: pd.DataFrame, numeric: list[str]) -> dict[int, str]:
    """Row position -> total word, from the first text cell of each row that has one."""
    found: dict[int, str] = {}
    for col in frame.columns:
        if col in numeric or pd.api.types.is_numeric_dtype(frame[col].dtype):
            continue
        values = frame[col].to_numpy(dtype=object)
        for i, cell in enumerate(values):
            if i not in found and (word := total_label(cell)) is not None:
                found[i] = word
    return found


def _numbers(frame: pd.DataFrame, numeric: list[str]) -> np.ndarray:
    columns = []
    for col in numeric:
        s = frame[col]
        if pd.api.types.is_bool_dtype(s.dtype):
            continue
        if pd.api.types.is_numeric_dtype(s.dtype):
            columns.append(s.astype("float64").to_numpy())
        else:
            columns.append(parse_numbers(s).values.astype("float64").to_numpy())
    return np.column_stack(columns) if columns else np.zeros((len(frame), 0))


def _equal_columns(row: np.ndarray, block: np.ndarray) -> np.ndarray:
    """Columns where ``row`` holds the (non-zero) sum of ``block``'s rows."""
    sums = np.nansum(block, axis=0)
    filled = np.isfinite(row) & (np.isfinite(block).sum(axis=0) >= 1) & (sums != 0)
    return filled & (np.abs(row - sums) <= _RTOL * np.abs(sums))


def find_total_rows(frame: pd.DataFrame, numeric: list[str]) -> list[TotalRow]:
    """Total and subtotal rows of ``frame`` (see the module docstring).

    ``numeric`` names the columns whose numbers are summed (numbers stored as
    text are parsed); every other text column may hold the labels.
    """
    numeric = [c for c in numeric if c in frame.columns]
    labels = _labels(frame, numeric)
    if not labels or not numeric or len(labels) * 2 > len(frame):
        return []
    values = _numbers(frame, numeric)
    if not values.shape[1]:
        return []
    names = [c for c in numeric if not pd.api.types.is_bool_dtype(frame[c].dtype)]
    candidates = sorted(labels)
    found: dict[int, TotalRow] = {}
    excluded = set(candidates)
    for _ in range(2):  # again with unconfirmed labels counted as rows (a product "Total X")
        others = np.array([i for i in range(len(frame)) if i not in excluded], dtype=int)
        for k, pos in enumerate(candidates):
            if pos in found:
                continue
            prev = candidates[k - 1] if k else -1
            nxt = candidates[k + 1] if k + 1 < len(candidates) else len(frame)
            above, below = np.arange(prev + 1, pos), np.arange(pos + 1, nxt)
            blocks = [(others, False), (above, True), (below, True)]
            if labels[pos].lower() in _SUB_WORDS:
                blocks = blocks[1:] + blocks[:1]  # a subtotal closes a block first
            for rows, block in blocks:
                if len(rows) < 2:
                    continue
                equal = _equal_columns(values[pos], values[rows])
                if equal.any():
                    first, last = (int(rows[0]), int(rows[-1])) if block else (None, None)
                    cols = [n for n, e in zip(names, equal, strict=True) if e]
                    found[pos] = TotalRow(pos, labels[pos], cols, first, last)
                    break
        if len(found) == len(candidates):
            break
        excluded = set(found)
    return [found[p] for p in sorted(found)]


def summed_columns(frame: pd.DataFrame, schema: Schema) -> list[str]:
    """The columns a total row sums: numbers, and numbers stored as text.

    >>> summed_columns(frame, ds.schema)  # doctest: +SKIP
    ['销售额', '利润']
    """
    return [
        c
        for c in schema.names
        if schema[c].role == Role.NUMERIC or pd.api.types.is_numeric_dtype(frame[c].dtype)
    ]


def without_total_rows(frame: pd.DataFrame, schema: Schema) -> tuple[pd.DataFrame, int]:
    """``frame`` less its total rows, and how many went: what training uses.

    A model must not learn from a row that is the sum of others, nor be scored
    on one. Prediction never drops rows (it scores what it is given).

    >>> rows, dropped = without_total_rows(ds.frame, ds.schema)  # doctest: +SKIP
    """
    found = find_total_rows(frame, summed_columns(frame, schema))
    if not found:
        return frame, 0
    keep = np.ones(len(frame), dtype=bool)
    keep[[t.position for t in found]] = False
    return frame[keep], len(found)
