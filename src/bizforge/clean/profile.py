"""Profile a dataset: per-column summaries, the target's balance and the findings.

>>> import pandas as pd
>>> from bizforge.frame import ColumnInfo, Dataset, Role, Schema
>>> frame = pd.DataFrame({"x": [1, 2, 3, 4], "y": ["a", "b", "a", "b"]})
>>> schema = Schema([ColumnInfo("x", Role.NUMERIC, "int64"), ColumnInfo("y", Role.CATEGORICAL, "str")])
>>> p = profile(Dataset(frame, schema), target="y")
>>> p.target["classes"][0]["share"]
0.5
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bizforge.clean.findings import Context, Finding, run_findings
from bizforge.clean.pii import scan_frame
from bizforge.errors import DataError
from bizforge.frame import ColumnInfo, Dataset, Role
from bizforge.i18n import check_lang

__all__ = ["Profile", "column_hint", "profile"]

TOP_VALUES = 5
HIST_BINS = 20
# A numeric target with at most this many integer values is treated as classes.
MAX_INT_CLASSES = 20
# What a reader learned, kept in Profile.meta and written by save_json as "reader".
READER_KEYS = ("source", "format", "encoding", "encoding_confidence", "delimiter", "sheet",
               "header_row", "skipped_above", "notes_below", "decimal", "units")
_DROP_ORDER = ("pii", "leakage", "id", "constant", "empty")


@dataclass
class Profile:
    """The result of :func:`profile`: plain data plus report writers.

    ``meta`` says where the data came from (source, format, encoding, delimiter,
    sheet, rows_total, rows_profiled, sampled); it is shown in the reports but is
    not part of :meth:`to_dict`, whose shape is fixed by the contract.
    """

    rows: int
    columns: list[dict[str, Any]]
    findings: list[Finding]
    target: dict[str, Any] | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    lang: str = "en"

    def to_dict(self) -> dict[str, Any]:
        """``{"rows", "columns", "findings", "target"}`` — JSON-ready."""
        return {
            "rows": self.rows,
            "columns": [dict(c) for c in self.columns],
            "findings": [f.to_dict() for f in self.findings],
            "target": self.target,
        }

    def reader(self) -> dict[str, Any]:
        """What reading the file learned: ``{source, format, encoding, encoding_confidence,
        delimiter, sheet, header_row, skipped_above, notes_below, decimal, units,
        warnings}`` (None or empty where it does not apply), so a pipeline can see that a
        file was decoded as Big5 or that title lines were skipped."""
        m = self.meta
        facts = {key: m.get(key) for key in READER_KEYS}
        facts["warnings"] = [dict(w) for w in m.get("warnings") or []]
        return facts

    def save_json(self, path: str | Path) -> Path:
        """Write :meth:`to_dict` plus ``"reader"`` (:meth:`reader`) as UTF-8 JSON (Chinese kept
        readable)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = {**self.to_dict(), "reader": self.reader()}
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=2, default=str),
                        encoding="utf-8")
        return path

    def to_html(self, lang: str | None = None) -> str:
        """One self-contained HTML page (no external URL), in ``lang`` or the profile's."""
        from bizforge.clean.report_html import render

        return render(self, check_lang(lang or self.lang))

    def save_html(self, path: str | Path, lang: str | None = None) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_html(lang), encoding="utf-8")
        return path

    def findings_of(self, kind: str) -> list[Finding]:
        return [f for f in self.findings if f.kind == kind]

    def leakage_columns(self) -> list[str]:
        """Columns flagged as target leakage, in column order."""
        return [f.column for f in self.findings_of("leakage") if f.column]

    def drop_suggestions(self) -> dict[str, str]:
        """``{column: reason}`` for columns to drop before training.

        Reasons: ``pii`` (the values are personal data), ``leakage``, ``id``,
        ``constant``, ``empty``; the first that applies, in that order. The
        target is never suggested.
        """
        leaks = set(self.leakage_columns())
        out = {}
        for col in self.columns:
            name = col["name"]
            if self.target is not None and name == self.target["name"]:
                continue
            reasons = {
                "pii": bool(col.get("pii") and col["pii"]["whole"]),
                "leakage": name in leaks,
                "id": col["role"] == Role.ID.value,
                "constant": col["role"] == Role.CONSTANT.value,
                "empty": col["role"] == Role.EMPTY.value,
            }
            reason = next((r for r in _DROP_ORDER if reasons[r]), None)
            if reason:
                out[name] = reason
        return out


def profile(ds: Dataset | pd.DataFrame, target: str | None = None, *, lang: str = "en") -> Profile:
    """Summarise every column, the target's balance, and list the findings.

    Raises DataError when ``target`` is not a column (with close matches) or
    has a single class. When the dataset is a sample of a large file, missing
    and duplicate counts come from the streamed whole-file stats.

    >>> p = profile(ds, target="Churn", lang="zh")      # doctest: +SKIP
    >>> p.save_html("profile.html")                     # doctest: +SKIP
    """
    check_lang(lang)
    if isinstance(ds, pd.DataFrame):
        from bizforge.ingest import read

        ds = read(ds)
    frame = ds.frame.reset_index(drop=True)
    meta = ds.meta or {}
    sampled = bool(meta.get("sampled"))
    stats = meta.get("stats") or {}
    rows_total = int(stats.get("rows") or meta.get("rows_total") or len(frame))
    if target is not None:
        _check_target_exists(frame, target, meta.get("source"))
    positions = meta.get("sample_positions")
    ctx = Context(
        frame=frame,
        schema=ds.schema,
        target=target,
        lang=lang,
        rows_total=rows_total,
        stats=stats,
        pii=scan_frame(frame),
        sampled=sampled,
        positions=None if positions is None else np.asarray(positions, dtype=np.int64),
    )
    if target is not None:
        ctx.classes = _target_classes(frame[target], ctx.numbers(target))
    columns = [_column_summary(ctx, info) for info in ds.schema]
    return Profile(
        rows=rows_total,
        columns=columns,
        findings=run_findings(ctx),
        target=_target_summary(ctx) if target is not None else None,
        meta={
            **{key: meta.get(key) for key in READER_KEYS},
            "rows_total": rows_total,
            "rows_profiled": len(frame),
            "sampled": sampled,
            "warnings": list(meta.get("warnings") or []),
        },
        lang=lang,
    )


def _check_target_exists(frame: pd.DataFrame, target: str, source: str | None) -> None:
    names = [str(c) for c in frame.columns]
    if target in names:
        return
    raise DataError(
        f"target column '{target}' is not in the data{f' ({source})' if source else ''}.",
        column=target,
        path=source,
        fix=f"pass --target with an existing column name; {column_hint(target, names)}",
    )


def column_hint(name: str, names: list[str]) -> str:
    """The closest column names to a misspelt ``name``, or the first columns.

    >>> column_hint("tenur", ["tenure", "Churn"])
    "did you mean 'tenure'?"
    """
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    close += [n for n in names if n.lower() == name.lower() and n not in close]
    if close:
        return f"did you mean {', '.join(repr(c) for c in close)}?"
    return f"columns are: {', '.join(names[:15])}{' ...' if len(names) > 15 else ''}."


def _target_classes(series: pd.Series, numbers: pd.Series | None) -> pd.Series | None:
    """Class counts for a classification target, None for a numeric one.

    Raises DataError for an empty target or one with a single class/value.
    """
    filled = series.dropna()
    name = str(series.name)
    if filled.empty:
        raise DataError(
            f"target '{name}' is empty: every value is missing.",
            column=name,
            fix="pick a target column that has values, or fill it in.",
        )
    unique = filled.nunique()
    if unique < 2:
        raise DataError(
            f"target '{name}' has one class: all {len(filled)} filled rows have the same value, "
            "so there is nothing to learn.",
            column=name,
            fix="pick another target column, or add rows of the other class(es).",
        )
    if numbers is not None:
        values = numbers.dropna().to_numpy()
        if values.size and (unique > MAX_INT_CLASSES or not np.all(values == np.round(values))):
            return None
    counts = filled.value_counts()
    counts.index = counts.index.map(_label)
    return counts


def _label(value: Any) -> str:
    if isinstance(value, float) and value == round(value):
        return str(int(value))
    return str(value)


def _numeric_summary(values: np.ndarray) -> dict[str, float] | None:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    p25, median, p75 = np.percentile(finite, [25, 50, 75])
    return {
        "min": float(finite.min()),
        "p25": float(p25),
        "median": float(median),
        "p75": float(p75),
        "max": float(finite.max()),
        "mean": float(finite.mean()),
    }


def _histogram(values: np.ndarray) -> dict[str, list] | None:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    bins = int(min(HIST_BINS, max(1, np.unique(finite).size)))
    counts, edges = np.histogram(finite, bins=bins)
    return {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]}


def _column_summary(ctx: Context, info: ColumnInfo) -> dict[str, Any]:
    name = info.name
    series = ctx.frame[name]
    missing = int(
        ctx.stats.get("missing", {}).get(name, series.isna().sum())
        if ctx.sampled
        else series.isna().sum()
    )
    found = ctx.pii.get(name)
    out: dict[str, Any] = {
        "name": name,
        "role": info.role.value,
        "dtype": str(series.dtype),
        "missing": missing,
        "missing_pct": round(100 * missing / ctx.rows_total, 2) if ctx.rows_total else 0.0,
        "unique": int(series.nunique(dropna=True)),
        "language": info.language,
        "pii": None
        if found is None
        else {"kinds": dict(found.kinds), "count": found.count, "whole": bool(found.whole)},
        "numeric_text": None,
        "top": None,
        "numeric": None,
        "histogram": None,
    }
    if info.numeric_text:
        out["numeric_text"] = {
            k: info.numeric_text.get(k) for k in ("parsed", "blank", "bad", "formats")
        }
    if found is not None or info.role == Role.ID:
        return out  # never summarise values of personal data or identifiers
    if info.role in (Role.CATEGORICAL, Role.BOOLEAN, Role.CONSTANT):
        counts = series.value_counts(dropna=True).head(TOP_VALUES)
        out["top"] = [
            {"value": _label(v), "count": int(c), "share": round(float(c) / len(series), 4)}
            for v, c in counts.items()
        ]
    values = ctx.numbers(name)
    if values is not None:
        arr = values.to_numpy(dtype="float64")
        out["numeric"] = _numeric_summary(arr)
        out["histogram"] = _histogram(arr)
    elif info.role == Role.DATETIME and pd.api.types.is_datetime64_any_dtype(series.dtype):
        filled = series.dropna()
        if len(filled):
            out["numeric"] = {"min": filled.min().isoformat(), "max": filled.max().isoformat()}
    return out


def _target_summary(ctx: Context) -> dict[str, Any]:
    name = ctx.target
    series = ctx.frame[name]
    out: dict[str, Any] = {"name": name, "missing": int(series.isna().sum())}
    if ctx.classes is not None:
        total = int(ctx.classes.sum())
        out["kind"] = "classes"
        out["classes"] = [
            {"value": str(v), "count": int(c), "share": round(float(c) / total, 4)}
            for v, c in ctx.classes.items()
        ]
        return out
    out["kind"] = "numeric"
    values = ctx.numbers(name)
    arr = (values if values is not None else pd.to_numeric(series, errors="coerce")).to_numpy(
        dtype="float64"
    )
    out["numeric"] = _numeric_summary(arr)
    out["histogram"] = _histogram(arr)
    return out
