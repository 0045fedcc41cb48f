"""JSON lines (.jsonl/.ndjson), and .json holding either lines or a list of records."""

from __future__ import annotations

import json
import math
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


def _frame(records: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records)
    out = {}
    for col in frame.columns:
        values = frame[col].tolist()
        # Nested objects become JSON text: a table cell holds one value.
        values = [
            json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v for v in values
        ]
        out[str(col)] = typed_column([None if _is_nan(v) else v for v in values])
    return pd.DataFrame(out, index=range(len(frame)))


def _is_nan(v) -> bool:
    return isinstance(v, float) and math.isnan(v)


def _batches(path: Path, encoding: str) -> Iterator[pd.DataFrame]:
    records = _records(path, encoding)
    while batch := [r for _n, r in islice(records, CHUNK_ROWS)]:
        yield _frame(batch)


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


def _read_list(path: Path, encoding: str) -> pd.DataFrame:
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
    return _frame(data)


def read_jsonl(
    path: Path,
    *,
    encoding: str | None = None,
    stream: bool = False,
    sample_rows: int = 200_000,
    seed: int = 0,
) -> tuple[pd.DataFrame, dict]:
    """Read JSON lines (or a JSON list of records); returns ``(frame, meta)``.

    >>> frame, meta = read_jsonl(Path("tickets.jsonl"))  # doctest: +SKIP
    """
    if path.stat().st_size == 0:
        raise DataError(f"{path} is empty (0 bytes).", path=str(path), fix=_FIX)
    enc = normalise_encoding(encoding) if encoding else detect_encoding(path).encoding
    stats = None
    lines = path.suffix.lower() != ".json" or _is_lines(path, enc)
    try:
        if not lines:
            frame = _read_list(path, enc)
        elif stream:
            frame, stats = stream_frames(_batches(path, enc), sample_rows, seed)
            frame = pd.DataFrame({c: typed_column(frame[c].tolist()) for c in frame.columns})
        else:
            frame = _frame([r for _n, r in _records(path, enc)])
    except UnicodeDecodeError as exc:
        raise DataError(
            f"cannot decode {path} as {enc} ({exc.reason} at byte {exc.start} of a block).",
            path=str(path),
            fix="JSON should be UTF-8; re-save it as UTF-8 or pass encoding= / --encoding.",
        ) from None
    return frame, reader_meta("jsonl", frame, stats, encoding=enc)
