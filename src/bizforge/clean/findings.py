"""Data-quality findings: one small function per kind, registered in :data:`FINDERS`.

Every finding names its column, counts what it saw, gives up to five 1-based
example row numbers and says the fix, in the report language. A finding never
carries a cell value that could be personal data.

Severity: ``error`` the data would mislead training (leakage); ``warning`` it
probably hurts the model or needs a decision; ``info`` handled automatically,
reported so nothing happens silently.

Thresholds (documented here because users see their effects):

- ``missing``: any missing value; warning from 30% missing, and for empty columns.
- ``high_cardinality``: a categorical column with at least 50 levels (warning above 500).
- ``imbalance``: classification targets only. With ``k`` classes, the smallest
  class share times ``k`` is compared with a balanced 1.0: below 0.7 is info
  (binary: minority under 35%, e.g. churn at 26.5%), below 0.2 a warning
  (binary: minority under 10%).
- ``mixed_types``: a text/categorical column where at least 10% of the filled
  values are numbers and at least 10% are not (3 of each at least); warning when
  numbers are the majority (then the words are probably placeholders).
- ``outliers``: beyond ``Q1 - 3*IQR`` or ``Q3 + 3*IQR`` in numeric columns with
  more than 10 distinct values.
- ``leakage``: see :mod:`bizforge.clean.leakage`.
- ``total_rows``: rows labelled ``合计``/``Total``/``Summe``... whose numbers equal
  the sum of the other rows (or of their block); see :mod:`bizforge.clean.totals`.
  Not looked for in a sample. ``bizforge train`` leaves these rows out.

>>> sorted(FINDERS)[:3]
['constant', 'duplicate_rows', 'high_cardinality']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bizforge.frame import Role, Schema
from bizforge.i18n import pct, rows_phrase, t
from bizforge.ingest.numbers import parse_numbers

__all__ = ["FINDERS", "SEVERITIES", "Context", "Finding", "finder", "run_findings"]

SEVERITIES = ("error", "warning", "info")
EXAMPLE_ROWS = 5
MISSING_WARN = 0.30
HIGH_CARD_LEVELS = 50
HIGH_CARD_WARN = 500
RARE_COUNT = 10
IMBALANCE_INFO = 0.7
IMBALANCE_WARN = 0.2
MIXED_SHARE = 0.10
OUTLIER_IQR = 3.0


@dataclass
class Finding:
    """One problem in the data, ready for a report (``to_dict`` is the JSON shape)."""

    column: str | None
    kind: str
    severity: str
    message: str
    fix: str
    count: int = 0
    rows: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Context:
    """What every finder may look at; built once by :func:`bizforge.clean.profile`.

    ``positions`` maps frame positions to 0-based source rows when the frame is
    a sample (None: the frame is the whole source, positions are the rows).
    ``classes`` is the target's class counts (None for a numeric target).
    ``reader`` is what reading learned (the Dataset's ``meta``: ``excel_errors``...).
    """

    frame: pd.DataFrame
    schema: Schema
    target: str | None
    lang: str
    rows_total: int
    stats: dict[str, Any]
    pii: dict[str, Any]
    classes: pd.Series | None = None
    sampled: bool = False
    positions: np.ndarray | None = None
    reader: dict[str, Any] = field(default_factory=dict)
    _numbers: dict[str, pd.Series | None] = field(default_factory=dict, repr=False)

    def t(self, key: str, **kw) -> str:
        return t(key, self.lang, **kw)

    def role(self, column: str) -> Role:
        return self.schema[column].role

    def rows(self, positions) -> list[int]:
        """First example rows as 1-based source row numbers.

        For a sample without known source positions there is nothing honest to
        show, so the list is empty.
        """
        positions = np.asarray(list(positions)[:EXAMPLE_ROWS], dtype=np.int64)
        if self.sampled:
            if self.positions is None:
                return []
            positions = self.positions[positions]
        return [int(p) + 1 for p in positions]

    def rows_text(self, rows: list[int], count: int) -> str:
        return rows_phrase(rows, count, self.lang) or self.t("rows.sampled")

    def numbers(self, column: str) -> pd.Series | None:
        """The column as float64 (numbers stored as text parsed), or None if not numeric."""
        if column not in self._numbers:
            self._numbers[column] = _as_numbers(self.frame[column], self.schema[column])
        return self._numbers[column]

    def is_pii(self, column: str) -> bool:
        return column in self.pii


def _as_numbers(series: pd.Series, info) -> pd.Series | None:
    if pd.api.types.is_bool_dtype(series.dtype) or info.role == Role.DATETIME:
        return None  # a Unix time is a date, not a quantity to summarise
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.astype("float64")
    if info.role == Role.NUMERIC:
        return parse_numbers(series, decimal=info.decimal or ".").values
    return None


Finder = Callable[[Context], list[Finding]]
FINDERS: dict[str, Finder] = {}


def finder(kind: str) -> Callable[[Finder], Finder]:
    """Register a function as the finder of ``kind`` (one per kind)."""

    def register(fn: Finder) -> Finder:
        FINDERS[kind] = fn
        return fn

    return register


def run_findings(ctx: Context) -> list[Finding]:
    """Every registered finder, most severe first (stable within a severity)."""
    found = [f for fn in FINDERS.values() for f in fn(ctx)]
    return sorted(found, key=lambda f: SEVERITIES.index(f.severity))


def _features(ctx: Context, *roles: Role) -> list[str]:
    names = ctx.schema.with_role(*roles) if roles else ctx.schema.names
    return [c for c in names if c != ctx.target]


@finder("missing")
def _missing(ctx: Context) -> list[Finding]:
    out = []
    whole = ctx.stats.get("missing", {}) if ctx.sampled else {}
    total = ctx.rows_total or 1
    for col in ctx.schema.names:
        isna = ctx.frame[col].isna().to_numpy()
        count = int(whole.get(col, isna.sum()))
        if count == 0:
            continue
        rows = ctx.rows(np.flatnonzero(isna))
        if ctx.role(col) == Role.EMPTY:
            out.append(
                Finding(
                    col,
                    "missing",
                    "warning",
                    ctx.t("missing.empty", column=col, count=count),
                    ctx.t("missing.empty_fix"),
                    count,
                    rows,
                )
            )
            continue
        share = count / total
        message = ctx.t(
            "missing.message",
            column=col,
            count=count,
            pct=pct(share),
            rows=ctx.rows_text(rows, count),
        )
        severity = "warning" if share >= MISSING_WARN else "info"
        out.append(Finding(col, "missing", severity, message, ctx.t("missing.fix"), count, rows))
    return out


@finder("numeric_as_text")
def _numeric_as_text(ctx: Context) -> list[Finding]:
    out = []
    for info in ctx.schema:
        nt = info.numeric_text
        if not nt:
            continue
        blank, bad = int(nt.get("blank", 0)), int(nt.get("bad", 0))
        parts = []
        if blank:
            rows = ctx.rows(nt.get("blank_rows", []))
            parts.append(ctx.t("numeric_as_text.blank", n=blank, rows=ctx.rows_text(rows, blank)))
        if bad:
            rows = ctx.rows(nt.get("bad_rows", []))
            parts.append(ctx.t("numeric_as_text.bad", n=bad, rows=ctx.rows_text(rows, bad)))
        if not parts:
            parts.append(ctx.t("numeric_as_text.clean", n=int(nt.get("parsed", 0))))
        shown = [f for f in nt.get("formats", []) if f not in ("blank", "unit")]
        if not shown and not blank and not bad and nt.get("units"):
            continue  # only a unit: the "unit" finding says it
        formats = [ctx.t(f"format.{f}", default=f) for f in shown]
        fmt_text = ctx.t("numeric_as_text.formats", formats=", ".join(formats)) if formats else ""
        all_rows = sorted(list(nt.get("blank_rows", [])) + list(nt.get("bad_rows", [])))
        message = ctx.t(
            "numeric_as_text.message", column=info.name, formats=fmt_text, detail="; ".join(parts)
        )
        out.append(
            Finding(
                info.name,
                "numeric_as_text",
                "warning" if blank or bad else "info",
                message,
                ctx.t("numeric_as_text.fix"),
                blank + bad,
                ctx.rows(all_rows),
            )
        )
    return out


@finder("id_like")
def _id_like(ctx: Context) -> list[Finding]:
    out = []
    for col in _features(ctx, Role.ID):
        unique = int(ctx.frame[col].nunique(dropna=True))
        message = ctx.t("id_like.message", column=col, unique=unique, n=len(ctx.frame))
        out.append(Finding(col, "id_like", "info", message, ctx.t("id_like.fix"), unique, []))
    return out


@finder("constant")
def _constant(ctx: Context) -> list[Finding]:
    return [
        Finding(
            col,
            "constant",
            "info",
            ctx.t("constant.message", column=col),
            ctx.t("constant.fix"),
            ctx.rows_total,
            [],
        )
        for col in _features(ctx, Role.CONSTANT)
    ]


@finder("duplicate_rows")
def _duplicate_rows(ctx: Context) -> list[Finding]:
    if ctx.sampled and "duplicate_rows" in ctx.stats:
        count, rows = int(ctx.stats["duplicate_rows"]), []
    else:
        dup = ctx.frame.duplicated(keep="first").to_numpy()
        count, rows = int(dup.sum()), ctx.rows(np.flatnonzero(dup))
    if count == 0:
        return []
    message = ctx.t("duplicate_rows.message", count=count, rows=ctx.rows_text(rows, count))
    return [
        Finding(
            None, "duplicate_rows", "warning", message, ctx.t("duplicate_rows.fix"), count, rows
        )
    ]


@finder("high_cardinality")
def _high_cardinality(ctx: Context) -> list[Finding]:
    out = []
    for col in _features(ctx, Role.CATEGORICAL):
        counts = ctx.frame[col].value_counts(dropna=True)
        if len(counts) < HIGH_CARD_LEVELS:
            continue
        rare = int((counts < RARE_COUNT).sum())
        message = ctx.t(
            "high_cardinality.message",
            column=col,
            unique=len(counts),
            rare=rare,
            min_count=RARE_COUNT,
        )
        severity = "warning" if len(counts) > HIGH_CARD_WARN else "info"
        out.append(
            Finding(
                col,
                "high_cardinality",
                severity,
                message,
                ctx.t("high_cardinality.fix"),
                len(counts),
                [],
            )
        )
    return out


@finder("leakage")
def _leakage(ctx: Context) -> list[Finding]:
    from bizforge.clean.leakage import find_leakage  # the heaviest finder lives apart

    return find_leakage(ctx)


@finder("imbalance")
def _imbalance(ctx: Context) -> list[Finding]:
    if ctx.classes is None or len(ctx.classes) < 2:
        return []
    n = int(ctx.classes.sum())
    smallest = ctx.classes.idxmin()
    count = int(ctx.classes.min())
    balance = count / n * len(ctx.classes)
    if balance >= IMBALANCE_INFO:
        return []
    severity = "warning" if balance < IMBALANCE_WARN else "info"
    message = ctx.t(
        "imbalance.message", column=ctx.target, cls=smallest, share=pct(count / n), count=count, n=n
    )
    return [Finding(ctx.target, "imbalance", severity, message, ctx.t("imbalance.fix"), count, [])]


@finder("mixed_types")
def _mixed_types(ctx: Context) -> list[Finding]:
    out = []
    for col in _features(ctx, Role.CATEGORICAL, Role.TEXT):
        series = ctx.frame[col]
        if ctx.is_pii(col) or pd.api.types.is_numeric_dtype(series.dtype):
            continue
        parsed = parse_numbers(series)
        filled = parsed.parsed + parsed.bad
        if filled == 0:
            continue
        if min(parsed.parsed, parsed.bad) < max(3, MIXED_SHARE * filled):
            continue
        rows = ctx.rows(parsed.bad_rows)
        message = ctx.t(
            "mixed_types.message",
            column=col,
            numbers=parsed.parsed,
            words=parsed.bad,
            rows=ctx.rows_text(rows, parsed.bad),
        )
        severity = "warning" if parsed.parsed > parsed.bad else "info"
        out.append(
            Finding(
                col, "mixed_types", severity, message, ctx.t("mixed_types.fix"), parsed.bad, rows
            )
        )
    return out


@finder("outliers")
def _outliers(ctx: Context) -> list[Finding]:
    out = []
    for col in ctx.schema.with_role(Role.NUMERIC):
        values = ctx.numbers(col)
        if values is None or ctx.is_pii(col) or values.nunique() <= 10:
            continue
        arr = values.to_numpy(dtype="float64")
        finite = arr[np.isfinite(arr)]
        q1, q3 = np.percentile(finite, [25, 75])
        iqr = q3 - q1
        if iqr <= 0:
            continue
        low, high = q1 - OUTLIER_IQR * iqr, q3 + OUTLIER_IQR * iqr
        with np.errstate(invalid="ignore"):
            hit = (arr < low) | (arr > high)
        count = int(hit.sum())
        if count == 0:
            continue
        rows = ctx.rows(np.flatnonzero(hit))
        message = ctx.t(
            "outliers.message",
            column=col,
            count=count,
            low=f"{low:.4g}",
            high=f"{high:.4g}",
            rows=ctx.rows_text(rows, count),
        )
        out.append(Finding(col, "outliers", "info", message, ctx.t("outliers.fix"), count, rows))
    return out


@finder("total_rows")
def _total_rows(ctx: Context) -> list[Finding]:
    from bizforge.clean.totals import find_total_rows, summed_columns

    if ctx.sampled:  # sums over a sample say nothing about the file's totals
        return []
    totals = find_total_rows(ctx.frame, summed_columns(ctx.frame, ctx.schema))
    if not totals:
        return []
    count = len(totals)
    rows = ctx.rows([t.position for t in totals])
    columns = list(dict.fromkeys(c for t in totals for c in t.columns))
    message = ctx.t(
        "total_rows.message",
        count=count,
        rows=ctx.rows_text(rows, count),
        labels=", ".join(dict.fromkeys(t.label for t in totals)),
        columns=", ".join(columns),
    )
    if any(t.subtotal for t in totals):
        message += " " + ctx.t("total_rows.blocks", n=sum(t.subtotal for t in totals))
    return [Finding(None, "total_rows", "warning", message, ctx.t("total_rows.fix"), count, rows)]


@finder("pii")
def _pii(ctx: Context) -> list[Finding]:
    out = []
    for col, found in ctx.pii.items():
        kinds = ", ".join(f"{ctx.t('pii.' + k, default=k)} ({n})" for k, n in found.kinds.items())
        rows = ctx.rows(found.rows)
        message = ctx.t(
            "pii.message",
            column=col,
            kinds=kinds,
            count=found.count,
            scanned=found.scanned,
            rows=ctx.rows_text(rows, found.count),
        )
        fix = ctx.t("pii.fix_whole" if found.whole else "pii.fix_inside")
        out.append(Finding(col, "pii", "warning", message, fix, found.count, rows))
    return out
