"""JSON lines (.jsonl/.ndjson), and .json holding either lines or a list of records."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import pandas as pd

from bizforge.errors import DataError
from bizforge.ingest.encoding import detect_encoding, normalise_encoding
from bizforge.ingest.excel import typed_column
from bizforge.ingest.stream import CHUNK_ROWS, reader_meta, stream_frames

__all__ = ["read_jsonl"]

_WHOLE_JSON_BYTES = 64 * 1024 * 1024
_FIX = 'write one JSON object per line, e.g. {"age": 31, "city": "上海"}.'
_LEVELS = 2  # {"a": {"b": {"c": 1}}} gives a.b.c; anything deeper stays JSON text
_MS_DATE = re.compile(r"/Date\((-?[0-9]{1,15})(?:[+-][0-9]{4})?\)/")


def _records(path: Path, encoding: str) -> Iterator[tuple[int, dict]]:
    with open(path, encoding=encoding) as fh:
        for number, line in enumerate(fh, start=1):
            line = line.strip().lstrip("\ufeff")
            if not line:
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(
                    f"{path} line {number} is not valid JSON ({exc.msg} at column {exc.colno}).",
                    path=str(path),
                    rows=[number],
                    fix=_FIX,
                ) from None
            if not isinstance(record, dict):
                raise DataError(
                    f"{path} line {number} holds a JSON {type(record).__name__}, not an object "
                    "(a record with named fields).",
                    path=str(path),
                    rows=[number],
                    fix=_FIX,
                )
            yield number, record


def _flatten(records: list[dict], levels: int = _LEVELS) -> list[dict]:
    """Objects nested ``levels`` deep become columns named ``parent.child``.

    A key is opened only when every value it has is an object, so nothing is
    lost: a key that holds an object in one record and a number or a list in
    another stays one column of JSON text, and so do lists. Children go where
    their parent was; a child whose dotted name is already a key stays inside.

    >>> _flatten([{"id": 1, "ts": {"value": "/Date(0)/", "tz": "UTC"}}])
    [{'id': 1, 'ts.value': '/Date(0)/', 'ts.tz': 'UTC'}]
    """
    for _ in range(levels):
        kinds: dict[str, bool] = {}
        for record in records:
            for key, value in record.items():
                if value is not None and not _is_nan(value):
                    kinds[key] = kinds.get(key, True) and isinstance(value, dict)
        names = {k for r in records for k in r}
        opened = {k for k, objects in kinds.items() if objects and not _clash(records, k, names)}
        if not opened:
            return records
        flat = []
        for record in records:
            row = {}
            for key, value in record.items():
                if key not in opened:
                    row[key] = value
                elif isinstance(value, dict):
                    row.update({f"{key}.{child}": v for child, v in value.items()})
            flat.append(row)
        records = flat
    return records


def _clash(records: list[dict], key: str, names: set[str]) -> bool:
    """True when opening ``key`` would give a name that is already a key."""
    children = {c for r in records if isinstance(r.get(key), dict) for c in r[key]}
    return any(f"{key}.{c}" in names for c in children)


def _ms_dates(values: list, column: str, notes: list[str] | None) -> list:
    """A column of ``/Date(1609459200000)/`` (.NET JSON) values as UTC date-times."""
    present = [v for v in values if v is not None and not _is_nan(v)]
    if not present or not all(isinstance(v, str) and _MS_DATE.fullmatch(v) for v in present):
        return values
    if notes is not None:
        notes.append(column)
    # The milliseconds count from 1970 in UTC; a +hhmm suffix only names the writer's zone.
    return [
        pd.Timestamp(int(_MS_DATE.fullmatch(v).group(1)), unit="ms") if isinstance(v, str) else None
        for v in values
    ]


def _frame(records: list[dict], notes: list[str] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(_flatten(records))
    out = {}
    for col in frame.columns:
        values = frame[col].tolist()
        # Objects deeper than _LEVELS, lists and mixed keys become JSON text: a cell holds one value.
        values = [
            json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v for v in values
        ]
        values = _ms_dates(values, str(col), notes)
        out[str(col)] = typed_column([None if _is_nan(v) else v for v in values])
    return pd.DataFrame(out, index=range(len(frame)))


def _is_nan(v) -> bool:
    return isinstance(v, float) and math.isnan(v)


def _batches(path: Path, encoding: str, notes: list[str]) -> Iterator[pd.DataFrame]:
    records = _records(path, encoding)
    while batch := [r for _n, r in islice(records, CHUNK_ROWS)]:
        yield _frame(batch, notes)


def _is_lines(path: Path, encoding: str) -> bool:
    """A .json file holds lines unless it starts with '[' or is one (pretty-printed) object."""
    with open(path, encoding=encoding) as fh:
        head = fh.read(4096).lstrip("\ufeff \t\r\n")
    if head.startswith("["):
        return False
    if path.stat().st_size > _WHOLE_JSON_BYTES:
        return True
    text = path.read_text(encoding=encoding).lstrip("\ufeff").strip()
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        return True  # several objects: JSON lines (or broken JSON, reported line by line)
    if isinstance(whole, dict) and "\n" in text:
        raise DataError(
            f"{path} holds a single JSON object, not a table of records.",
            path=str(path),
            fix="save the records as a JSON list [{...}, {...}] or as JSON lines "
            "(one object per line).",
        )
    return True


def _read_list(path: Path, encoding: str, notes: list[str]) -> pd.DataFrame:
    try:
        with open(path, encoding=encoding) as fh:
            data = json.load(fh)
    except json.JSONDecodeError as exc:
        raise DataError(
            f"{path} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}).",
            path=str(path),
            rows=[exc.lineno],
            fix="fix the JSON, or write it as JSON lines (one object per line).",
        ) from None
    bad = next((i for i, r in enumerate(data) if not isinstance(r, dict)), None)
    if bad is not None:
        raise DataError(
            f"{path} is a JSON list, but item {bad + 1} is not an object (a record with "
            "named fields).",
            path=str(path),
            rows=[bad + 1],
            fix='make it a list of objects: [{"age": 31}, {"age": 45}].',
        )
    return _frame(data, notes)


def read_jsonl(
    path: Path,
    *,
    encoding: str | None = None,
    stream: bool = False,
    sample_rows: int = 200_000,
    seed: int = 0,
) -> tuple[pd.DataFrame, dict]:
    """Read JSON lines (or a JSON list of records); returns ``(frame, meta)``.

    Nested objects are opened two levels deep into ``parent.child`` columns
    (see :func:`_flatten`); a column of ``/Date(ms)/`` values is read as UTC
    date-times, with a note in ``meta["warnings"]``.

    >>> frame, meta = read_jsonl(Path("tickets.jsonl"))  # doctest: +SKIP
    """
    if path.stat().st_size == 0:
        raise DataError(f"{path} is empty (0 bytes).", path=str(path), fix=_FIX)
    enc = normalise_encoding(encoding) if encoding else detect_encoding(path).encoding
    stats = None
    notes: list[str] = []
    lines = path.suffix.lower() != ".json" or _is_lines(path, enc)
    try:
        if not lines:
            frame = _read_list(path, enc, notes)
        elif stream:
            frame, stats = stream_frames(_batches(path, enc, notes), sample_rows, seed)
            frame = pd.DataFrame({c: typed_column(frame[c].tolist()) for c in frame.columns})
        else:
            frame = _frame([r for _n, r in _records(path, enc)], notes)
    except UnicodeDecodeError as exc:
        raise DataError(
            f"cannot decode {path} as {enc} ({exc.reason} at byte {exc.start} of a block).",
            path=str(path),
            fix="JSON should be UTF-8; re-save it as UTF-8 or pass encoding= / --encoding.",
        ) from None
    meta = reader_meta("jsonl", frame, stats, encoding=enc)
    for column in dict.fromkeys(notes):
        message = (
            f"{path.name}: column '{column}' holds /Date(milliseconds)/ values; they were "
            "read as UTC date-times."
        )
        meta["warnings"].append({"kind": "ms_dates", "message": message})
    return frame, meta
