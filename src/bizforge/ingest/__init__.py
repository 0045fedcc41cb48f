"""Readers: any supported source -> :class:`bizforge.frame.Dataset`.

``read`` dispatches on what it is given: a pandas DataFrame, a database URL
(anything with ``://``), or a file path by suffix (.csv .tsv .txt .xlsx .xlsm
.parquet .jsonl .ndjson .json .db .sqlite). A file with another suffix is
sniffed: if it is text it is read as a delimited table.

Large files (above ``settings.large_file_bytes``), and any read with
``sample_rows=``, are streamed: the frame is a uniform sample and
``meta["stats"]`` has exact whole-file row and missing counts.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from urllib.parse import unquote, urlparse

import pandas as pd

from bizforge.config import Settings, get_settings
from bizforge.errors import DataError, UsageError
from bizforge.frame import Dataset
from bizforge.ingest.stream import stream_frames
from bizforge.ingest.write import write_table

__all__ = ["SUFFIXES", "header_skip", "read", "write_table"]

SUFFIXES = {
    ".csv": "csv",
    ".tsv": "csv",
    ".tab": "csv",
    ".txt": "csv",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".db": "sqlite",
    ".sqlite": "sqlite",
    ".sqlite3": "sqlite",
}
SUPPORTED = (
    "delimited text (.csv .tsv .txt), Excel (.xlsx .xlsm), Parquet (.parquet), "
    "JSON lines (.jsonl .ndjson .json), "
    "SQLite files (.db .sqlite) and database URLs (sqlite:///x.db, postgresql://...)"
)
_SHOWN = {"skip_rows": "header_row= / skip_rows="}
_WEB = ("http", "https", "ftp", "s3", "gs", "az", "abfs")


def _missing_file(path: Path) -> DataError:
    folder = path.parent if str(path.parent) else Path(".")
    try:
        near = difflib.get_close_matches(path.name, os.listdir(folder), n=3, cutoff=0.6)
    except OSError:
        near = []
    hint = f" Similar names in {folder}: {', '.join(near)}." if near else ""
    return DataError(
        f"{path} does not exist.{hint}",
        path=str(path),
        fix=f"check the path and the spelling (relative paths start from {Path.cwd()}).",
    )


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise DataError(
            f"{path} is an old binary Excel .xls workbook, which bizforge does not read.",
            path=str(path),
            fix="open it in Excel or LibreOffice and save it as .xlsx (or export CSV).",
        )
    if suffix in SUFFIXES:
        return SUFFIXES[suffix]
    from bizforge.ingest.encoding import binary_kind, read_sample

    found = binary_kind(read_sample(path, 65536))
    if found:
        raise DataError(
            f"{path} has an unknown suffix {suffix or '(none)'!r} and is not a text table: "
            f"{found[0]}. bizforge reads {SUPPORTED}.",
            path=str(path),
            fix=found[1],
        )
    return "csv"  # text with an unknown suffix: try it as a delimited table


def _check_options(kind: str, **given) -> None:
    allowed = {
        "csv": {"encoding", "delimiter", "skip_rows"},
        "excel": {"sheet", "skip_rows"},
        "jsonl": {"encoding"},
        "parquet": set(),
        "sql": {"table", "query"},
        "sqlite": {"table", "query"},
        "frame": set(),
    }[kind]
    wrong = [k for k, v in given.items() if v is not None and k not in allowed]
    if wrong:
        raise UsageError(
            f"{', '.join(_SHOWN.get(w, w + '=') for w in wrong)} does not apply to a {kind} "
            "source.",
            fix=f"for {kind} sources use only: {', '.join(sorted(allowed)) or 'no options'}.",
        )


def header_skip(header_row: int | None, skip_rows: int | None) -> int | None:
    """Lines above the header from ``header_row=N`` (1-based) or ``skip_rows=N``; None: find it.

    >>> header_skip(3, None), header_skip(None, 2), header_skip(None, None)
    (2, 2, None)
    """
    for name, value, least in (("header_row", header_row, 1), ("skip_rows", skip_rows, 0)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < least):
            raise UsageError(
                f"{name} must be a whole number of at least {least}, not {value!r}.",
                fix="header_row / --header-row is the header's line (or sheet row) number as "
                "an editor shows it, from 1; skip_rows / --skip-rows the number of lines above it.",
            )
    if header_row is not None and skip_rows is not None and header_row != skip_rows + 1:
        raise UsageError(
            f"header_row={header_row} and skip_rows={skip_rows} disagree.",
            fix="give only one of them: --header-row N is the same as --skip-rows N-1.",
        )
    return header_row - 1 if header_row is not None else skip_rows


def _finish(
    frame: pd.DataFrame,
    meta: dict,
    settings: Settings,
    sample_rows: int | None,
    coerce: bool = True,
) -> Dataset:
    from bizforge.ingest.infer import coerce_types, infer_schema

    if meta.get("rows_total", len(frame)) == 0:
        where = meta.get("source") or "the data"
        raise DataError(
            f"{where} has no data rows ({len(frame.columns)} columns).",
            path=meta.get("source"),
            fix="check that the right file, sheet, table or query was given.",
        )
    if sample_rows is not None and "stats" not in meta and len(frame) > sample_rows:
        frame, meta["stats"] = stream_frames([frame], sample_rows, settings.seed)
        meta["sampled"] = True
    # Row numbers of the sample, for findings that cite rows; not whole-file stats.
    positions = (meta.get("stats") or {}).pop("sample_positions", None)
    if meta.get("sampled") and positions is not None:
        meta["sample_positions"] = positions
    frame.columns = [str(c) for c in frame.columns]
    if coerce:
        frame = coerce_types(frame)
    meta.setdefault("rows_total", len(frame))
    meta.setdefault("sampled", False)
    meta.setdefault("warnings", [])
    for key in ("encoding", "encoding_confidence", "delimiter", "sheet", "header_row"):
        meta.setdefault(key, None)
    for key in ("skipped_above", "notes_below"):
        meta.setdefault(key, [])
    return Dataset(frame, infer_schema(frame), meta)


def read(
    source,
    *,
    sheet: str | int | None = None,
    table: str | None = None,
    query: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    header_row: int | None = None,
    skip_rows: int | None = None,
    sample_rows: int | None = None,
    settings: Settings | None = None,
    coerce: bool = True,
) -> Dataset:
    """Read a table from a file, a database or a DataFrame into a Dataset.

    ``coerce=False`` keeps text columns exactly as written (no conversion of
    plain-number columns), for tools that write the table back, like ``mask``.

    Title, unit and source lines above the header (text files and Excel sheets)
    and note lines below the table are found, skipped and reported in
    ``meta["warnings"]``, ``meta["skipped_above"]`` and ``meta["notes_below"]``;
    ``header_row=N`` (the header's 1-based line or sheet row) or ``skip_rows=N``
    (lines above it) says where the header is instead.

    Every error is a DataError (bad data) or UsageError (bad call) that names
    the file and the fix. The input is never modified.

    >>> ds = read("customers.csv")                                # doctest: +SKIP
    >>> ds = read("客户.xlsx", sheet="2024")                        # doctest: +SKIP
    >>> ds = read("sqlite:///shop.db", query="select * from orders")  # doctest: +SKIP
    >>> ds.meta["encoding"], ds.meta["rows_total"]                # doctest: +SKIP
    ('gb18030', 7043)
    >>> read("统计.csv", header_row=3).meta["skipped_above"]          # doctest: +SKIP
    ['数据库：年度数据', '时间：最近3年']
    """
    settings = settings or get_settings()
    if sample_rows is not None and sample_rows < 1:
        raise UsageError(
            f"sample_rows must be at least 1, not {sample_rows}.",
            fix="pass a positive number of rows, e.g. sample_rows=100000.",
        )
    options = {
        "sheet": sheet,
        "table": table,
        "query": query,
        "encoding": encoding,
        "delimiter": delimiter,
        "skip_rows": header_skip(header_row, skip_rows),
    }
    n, seed = sample_rows or settings.sample_rows, settings.seed
    if isinstance(source, Dataset):
        source = source.frame
    if isinstance(source, pd.DataFrame):
        _check_options("frame", **options)
        meta = {"source": None, "format": "frame", "rows_total": len(source)}
        return _finish(source.copy(deep=False), meta, settings, sample_rows, coerce)
    if isinstance(source, str) and "://" in source:
        scheme = source.split("://", 1)[0].lower()
        if scheme in _WEB:
            raise UsageError(
                f"bizforge reads local files and databases, not web addresses ({scheme}://).",
                fix="download the file first, then read the local copy.",
            )
        if scheme == "file":
            source = unquote(urlparse(source).path)
        else:
            from bizforge.ingest.sql import read_sql

            _check_options("sql", **options)
            frame, meta = read_sql(
                source,
                table=table,
                query=query,
                stream=sample_rows is not None,
                sample_rows=n,
                seed=seed,
            )
            return _finish(frame, meta, settings, sample_rows, coerce)
    if not isinstance(source, (str, os.PathLike)):
        raise UsageError(
            f"cannot read a {type(source).__name__}.",
            fix="pass a file path, a database URL or a pandas DataFrame.",
        )
    path = Path(source).expanduser()
    if not path.exists():
        raise _missing_file(path)
    if path.is_dir():
        raise DataError(
            f"{path} is a folder, not a file.", path=str(path), fix="name one file inside it."
        )
    kind = _kind(path)
    _check_options(kind, **options)
    stream = sample_rows is not None or path.stat().st_size > settings.large_file_bytes
    if kind == "csv":
        from bizforge.ingest.delimited import read_delimited

        frame, meta = read_delimited(
            path, encoding=encoding, delimiter=delimiter, skip_rows=options["skip_rows"],
            stream=stream, sample_rows=n, seed=seed,
        )
    elif kind == "excel":
        from bizforge.ingest.excel import read_excel

        frame, meta = read_excel(path, sheet=sheet, skip_rows=options["skip_rows"])
        if stream:
            sample_rows = n
    elif kind == "parquet":
        from bizforge.ingest.parquet import read_parquet

        frame, meta = read_parquet(path, stream=stream, sample_rows=n, seed=seed)
    elif kind == "jsonl":
        from bizforge.ingest.jsonl import read_jsonl

        frame, meta = read_jsonl(path, encoding=encoding, stream=stream, sample_rows=n, seed=seed)
    else:
        from bizforge.ingest.sql import read_sql

        frame, meta = read_sql(
            f"sqlite:///{path}", table=table, query=query, stream=stream, sample_rows=n, seed=seed
        )
    meta["source"] = str(path)
    return _finish(frame, meta, settings, sample_rows, coerce)
