"""CSV / TSV / TXT: every cell read as text, after the layout is sniffed.

Cells are read as strings with only empty cells missing, so nothing is lost
before schema inference: ``"007"`` keeps its zeros, an 18-digit ID keeps its
digits, ``"NA"`` and ``" "`` stay what they are. Type conversion happens later,
in :func:`bizforge.ingest.infer.coerce_types`. How the file is laid out
(encoding, delimiter, title lines above the header, notes below the table) is
learned first, by :func:`bizforge.ingest.layout.sniff_layout`.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from bizforge.errors import DataError
from bizforge.ingest.encoding import find_decode_error, undecodable_error
from bizforge.ingest.layout import (
    DELIMITER_NAMES,
    NAME_NOTES,
    ONE_COLUMN,
    TextLayout,
    header_names,
    normalise_delimiter,
    sniff_delimiter,
    sniff_layout,
)
from bizforge.ingest.mixed import MIXED, count_mixed_lines, mixed_note
from bizforge.ingest.stream import CHUNK_ROWS, stream_frames

__all__ = ["ONE_COLUMN", "TextLayout", "iter_delimited", "normalise_delimiter", "read_delimited",
           "sniff_delimiter"]


def _csv_kwargs(layout: TextLayout) -> dict:
    # header=None: the header row is read as data and dropped afterwards. Given a
    # header, pandas would silently turn extra fields of the first row into an
    # index (or drop them); this way any row longer than the first is an error.
    kwargs = {
        "sep": layout.delimiter,
        "encoding": layout.encoding,
        "dtype": str,
        "keep_default_na": False,
        "na_values": [""],
        "header": None,
        "skip_blank_lines": True,
        "engine": "c",
    }
    if layout.skip:  # title lines above the header
        kwargs["skiprows"] = layout.skip
    if layout.rows is not None:  # note lines below the table
        kwargs["nrows"] = layout.rows
    return kwargs


def _named(frame: pd.DataFrame, layout: TextLayout, first: bool) -> pd.DataFrame:
    """Drop the header row (from the first chunk only) and put the names on."""
    stale = layout.names is None or len(layout.names) != frame.shape[1]
    if first and stale and not layout.header:
        layout.names = [f"column_{i + 1}" for i in range(frame.shape[1])]
    if first and layout.header:
        if stale:  # header longer than the sniffed sample, or parsed differently
            layout.warnings = [w for w in layout.warnings if w["kind"] not in NAME_NOTES]
            names, notes = header_names(["" if pd.isna(v) else v for v in frame.iloc[0]])
            layout.names = names
            layout.warnings.extend(notes)
        frame = frame.iloc[1:]
    frame.columns = layout.names[: frame.shape[1]]
    return frame


def _chunks(reader, layout: TextLayout):
    for i, chunk in enumerate(reader):
        yield _named(chunk, layout, i == 0)


def scan_ragged(path: Path, layout: TextLayout, limit: int = 5):
    """Records with more fields than the header: ``(first [(line, found)], count, extras_blank)``.

    Streams the file with the csv module, from the header to the last row (lines
    above the header and notes below the table are not rows); ``line`` is the
    1-based line where the record starts, as an editor shows it.
    """
    bad: list[tuple[int, int]] = []
    n_bad, blank_extras = 0, True
    expected, seen = None, 0
    with open(path, encoding=layout.encoding, newline="") as fh:
        reader = csv.reader(fh, delimiter=layout.delimiter)
        start = 1
        for index, record in enumerate(reader):
            if record and index >= layout.skip:
                seen += 1
                if layout.rows is not None and seen > layout.rows:
                    break
                if expected is None:
                    expected = len(record)
                elif len(record) > expected:
                    n_bad += 1
                    blank_extras = blank_extras and not any(v.strip() for v in record[expected:])
                    if len(bad) < limit:
                        bad.append((start, len(record)))
            start = reader.line_num + 1
    return bad, n_bad, blank_extras, expected or 0


def _rows(n: int, plural: str = "have", singular: str = "has") -> str:
    return f"{n} rows {plural}" if n != 1 else f"1 row {singular}"


def _ragged_error(path: Path, layout: TextLayout, bad, n_bad: int, expected: int) -> DataError:
    where = ", ".join(f"line {line} has {found}" for line, found in bad)
    more = f" (and {n_bad - len(bad)} more rows)" if n_bad > len(bad) else ""
    name = DELIMITER_NAMES.get(layout.delimiter, repr(layout.delimiter))
    return DataError(
        f"{path} is ragged: {_rows(n_bad)} more fields than the header, which has "
        f"{expected} (line {layout.header_line}): {where}{more}. The delimiter used was {name}.",
        path=str(path),
        rows=[line for line, _ in bad],
        fix=f'quote text fields that contain the {name} ("like, this"), or remove the extra '
        "fields; if the delimiter is wrong, pass delimiter= / --delimiter; if the header "
        f"(line {layout.header_line}) is not the table's, pass --header-row N (header_row=N) "
        "or --skip-rows N (skip_rows=N).",
    )


def _read(path: Path, layout: TextLayout, chunked: bool, usecols=None):
    kwargs = _csv_kwargs(layout)
    if usecols is not None:
        kwargs["usecols"] = usecols
    if chunked:
        kwargs["chunksize"] = CHUNK_ROWS
    return pd.read_csv(path, **kwargs)


def _load(path: Path, layout: TextLayout, consume, chunked: bool):
    """Run ``consume(read result)`` and turn parser trouble into precise DataErrors."""
    usecols = None
    for _attempt in range(2):
        try:
            return consume(_read(path, layout, chunked, usecols))
        except pd.errors.ParserError as exc:
            parser_error = exc
        except UnicodeDecodeError as exc:
            raise _decode_error(path, layout, exc) from None
        bad, n_bad, blank_extras, expected = scan_ragged(path, layout)
        if n_bad and blank_extras and usecols is None:
            # A trailing delimiter on some lines: the extra fields are empty, nothing is lost.
            layout.warnings.append(
                {
                    "kind": "trailing_delimiter",
                    "message": (
                        f"{_rows(n_bad, 'end', 'ends')} with an extra empty field "
                        "(a trailing delimiter); it was ignored."
                    ),
                }
            )
            usecols = list(range(expected))
            continue
        if n_bad:
            raise _ragged_error(path, layout, bad, n_bad, expected)
        raise DataError(
            f"cannot parse {path}: {parser_error}.",
            path=str(path),
            fix='check the quoting of text fields (an unclosed " swallows the rest of the '
            "file) or pass delimiter= / --delimiter.",
        )
    raise AssertionError("unreachable")  # pragma: no cover


def _decode_error(path: Path, layout: TextLayout, exc: UnicodeDecodeError) -> DataError:
    offset = find_decode_error(path, layout.encoding)
    where = f" at byte {offset}" if offset is not None else ""
    return undecodable_error(
        path,
        layout.tried or [layout.encoding],
        f"; {layout.encoding} fails{where}, past the first MiB that was checked",
    )


def _retry_encoding(path: Path, layout: TextLayout) -> bool:
    """After a late decode error on a guessed encoding, find one that decodes the whole file
    (or, for UTF-8 with some GBK lines past the first MiB, read it line by line)."""
    for enc in ("utf-8", "gb18030"):
        if enc != layout.encoding and find_decode_error(path, enc) is None:
            layout.warnings.append(
                {
                    "kind": "encoding_fallback",
                    "message": (
                        f"{layout.encoding} failed past the first MiB; the whole file "
                        f"decodes as {enc}."
                    ),
                }
            )
            layout.tried.append(enc)
            layout.encoding = enc
            return True
        layout.tried.append(enc)
    if layout.encoding != "utf-8":
        return False
    counts = count_mixed_lines(path)
    gb, replaced, _ = counts
    if gb and not replaced:  # UTF-8 with some GBK lines
        layout.warnings.append(mixed_note(path, counts))
        layout.tried.append("utf-8 + gb18030 by line")
        layout.encoding = MIXED
        return True
    return False


def read_delimited(
    path: Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    skip_rows: int | None = None,
    stream: bool = False,
    sample_rows: int = 200_000,
    seed: int = 0,
) -> tuple[pd.DataFrame, dict]:
    """Read a delimited text file; returns ``(frame of str columns, meta)``.

    With ``stream=True`` the file is read in chunks: ``frame`` is a uniform
    sample of ``sample_rows`` rows and ``meta["stats"]`` holds whole-file counts.
    ``skip_rows=N``: the header is the first non-blank line after line N (default:
    found under any title lines). ``meta`` also says what reading learned:
    ``header_row`` (1-based line), ``skipped_above`` and ``notes_below`` (the lines
    left out), ``encoding_confidence``.

    >>> frame, meta = read_delimited(Path("customers.csv"))  # doctest: +SKIP
    >>> meta["encoding"], meta["delimiter"]                   # doctest: +SKIP
    ('utf-8', ',')
    """
    if path.stat().st_size == 0:
        raise DataError(
            f"{path} is empty (0 bytes).",
            path=str(path),
            fix="export the table again, with a header row and at least one data row.",
        )
    layout = sniff_layout(path, encoding=encoding, delimiter=delimiter, skip_rows=skip_rows)

    def consume(result):
        if stream:
            with result as reader:
                return stream_frames(_chunks(reader, layout), sample_rows, seed)
        return _named(result, layout, True).reset_index(drop=True), None

    try:
        frame, stats = _load(path, layout, consume, stream)
    except DataError as exc:
        if encoding or "cannot decode" not in exc.message or not _retry_encoding(path, layout):
            raise
        frame, stats = _load(path, layout, consume, stream)
    rows = stats["rows"] if stats else len(frame)
    if rows == 0:
        raise DataError(
            f"{path} has a header ({len(frame.columns)} columns) but no data rows.",
            path=str(path),
            fix="export the table again including its rows, or check that the right file "
            "was given.",
        )
    meta = {
        "format": "csv",
        "encoding": layout.encoding,
        "delimiter": None if layout.delimiter == ONE_COLUMN else layout.delimiter,
        "rows_total": rows,
        "sampled": bool(stats) and rows > len(frame),
        "warnings": layout.warnings,
        "encoding_confidence": layout.confidence,
        "header_row": layout.header_line if layout.header else None,
        "skipped_above": layout.above,
        "notes_below": layout.notes,
    }
    if stats:
        meta["stats"] = stats
    return frame, meta


def iter_delimited(
    path: str | Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    chunk_rows: int = CHUNK_ROWS,
    notes: list[dict] | None = None,
    skip_rows: int | None = None,
):
    """Yield a delimited file as DataFrames of ``chunk_rows`` rows (every column str).

    For batch scoring of files larger than memory: the encoding and delimiter are
    detected as in :func:`read_delimited`, only one chunk is held at a time, and
    types are left to the model's recipe. ``notes``, when given, receives what
    reading noticed (``{"kind", "message"}`` dicts, as ``meta["warnings"]``).

    >>> for chunk in iter_delimited("big.csv", chunk_rows=50_000):   # doctest: +SKIP
    ...     score(chunk)
    """
    path = Path(path)
    layout = sniff_layout(path, encoding=encoding, delimiter=delimiter, skip_rows=skip_rows)
    if notes is not None:
        notes.extend(layout.warnings)
    kwargs = {**_csv_kwargs(layout), "chunksize": chunk_rows}
    with pd.read_csv(path, **kwargs) as reader:
        try:
            yield from _chunks(reader, layout)
        except pd.errors.ParserError:
            bad, n_bad, _, expected = scan_ragged(path, layout)
            raise _ragged_error(path, layout, bad, n_bad, expected) from None
