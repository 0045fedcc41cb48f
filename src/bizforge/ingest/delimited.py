"""CSV / TSV / TXT: encoding and delimiter sniffing, every cell read as text.

Cells are read as strings with only empty cells missing, so nothing is lost
before schema inference: ``"007"`` keeps its zeros, an 18-digit ID keeps its
digits, ``"NA"`` and ``" "`` stay what they are. Type conversion happens later,
in :func:`bizforge.ingest.infer.coerce_types`.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from bizforge.errors import DataError, UsageError
from bizforge.ingest.encoding import (
    check_text,
    detect_encoding,
    find_decode_error,
    normalise_encoding,
    read_sample,
    undecodable_error,
)
from bizforge.ingest.mixed import MIXED, count_mixed_lines, mixed_note
from bizforge.ingest.stream import CHUNK_ROWS, stream_frames

__all__ = ["ONE_COLUMN", "TextLayout", "iter_delimited", "read_delimited", "sniff_delimiter"]

DELIMITERS = (",", "\t", ";", "|")
_DELIMITER_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}
_ALIASES = {"\\t": "\t", "tab": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_SNIFF_CHARS = 64 * 1024
# The ASCII unit separator: never found in text, so a one-column file is never split.
ONE_COLUMN = "\x1f"
_NAME_NOTES = ("blank_header", "duplicate_columns")


@dataclass
class TextLayout:
    """What was learned from the first MiB: how to parse the rest."""

    encoding: str
    delimiter: str
    names: list[str] | None  # None: let pandas take the header as it is
    header: bool = True
    warnings: list[dict] = field(default_factory=list)
    tried: list[str] = field(default_factory=list)


def _complete_lines(text: str, final: bool) -> list[str]:
    lines = text.splitlines(keepends=True)
    if not final and len(lines) > 1:
        lines = lines[:-1]  # the sample may end mid-line
    return [ln for ln in lines if ln.strip()]


def _field_counts(lines: list[str], delimiter: str) -> list[int]:
    try:
        return [len(r) for r in csv.reader(lines, delimiter=delimiter) if r]
    except csv.Error:
        return []


def _consistency(counts: list[int]) -> float:
    """Share of records with as many fields as the header (0 when one field)."""
    if not counts or counts[0] < 2:
        return 0.0
    body = counts[1:-1] or counts[1:] or counts  # the last record may be cut off
    return sum(1 for c in body if c == counts[0]) / len(body)


def sniff_delimiter(text: str, final: bool = True) -> str:
    """The delimiter among comma, tab, semicolon and pipe that splits ``text`` consistently.

    csv.Sniffer is asked first; its answer is kept only if it splits the rows
    into a consistent number of fields (>1), otherwise every candidate is scored
    on that consistency. When the header is one field whatever the delimiter,
    the table has one column and ``ONE_COLUMN`` is returned: commas in its
    values are then text, not separators.

    >>> sniff_delimiter("a;b;c\\n1;2;3\\n4;5;6\\n")
    ';'
    """
    lines = _complete_lines(text[:_SNIFF_CHARS], final)[:200]
    if not lines:
        return ","
    sample = "".join(lines)
    try:
        guess = csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        guess = None
    if guess in DELIMITERS and _consistency(_field_counts(lines, guess)) >= 0.9:
        return guess
    scored = []
    for d in DELIMITERS:
        counts = _field_counts(lines, d)
        scored.append((_consistency(counts), counts[0] if counts else 0, d))
    if all(header <= 1 for _c, header, _d in scored):
        return ONE_COLUMN
    best = max(scored, key=lambda s: (s[0], s[1]))
    return best[2] if best[0] > 0 else ","


def normalise_delimiter(delimiter: str) -> str:
    d = _ALIASES.get(delimiter.lower(), delimiter) if delimiter else delimiter
    if not d or len(d) != 1 or d in '"\r\n':
        raise UsageError(
            f"delimiter {delimiter!r} is not a single character.",
            fix="pass one character, e.g. delimiter=',' or --delimiter tab.",
        )
    return d


def _header_names(first: list[str]) -> tuple[list[str], list[dict]]:
    """Usable column names from the header record: blanks named, duplicates numbered."""
    notes: list[dict] = []
    names, seen = [], set()
    blanks, dupes = [], []
    for i, raw in enumerate(first):
        name = raw.lstrip("\ufeff")
        if not name.strip():
            blanks.append(i + 1)
            name = f"column_{i + 1}"
        base, k = name, 2
        while name in seen:
            name = f"{base}_{k}"
            k += 1
        if name != base and base not in {f"column_{j}" for j in blanks}:
            dupes.append(base)
        seen.add(name)
        names.append(name)
    if blanks:
        notes.append(
            {
                "kind": "blank_header",
                "message": (
                    f"header cells {', '.join(map(str, blanks[:10]))} are empty; they were named "
                    "column_N."
                ),
            }
        )
    if dupes:
        notes.append(
            {
                "kind": "duplicate_columns",
                "message": (
                    f"column names repeat ({', '.join(sorted(set(dupes))[:10])}); repeats were "
                    "numbered name_2, name_3, ..."
                ),
            }
        )
    return names, notes


def sniff_layout(
    path: Path, *, encoding: str | None = None, delimiter: str | None = None
) -> TextLayout:
    """Encoding, delimiter and header of a text table, from its first MiB."""
    sample = read_sample(path)
    final = path.stat().st_size <= len(sample)
    if encoding:
        enc, tried = normalise_encoding(encoding), [normalise_encoding(encoding)]
        if not enc.startswith(("utf_16", "utf_32", "utf-16", "utf-32")):
            check_text(sample, path)
    else:
        guess = detect_encoding(path, sample)
        enc, tried = guess.encoding, guess.tried
    notes = [mixed_note(path)] if enc == MIXED else []
    try:
        text = codecs.getincrementaldecoder(enc)("strict").decode(sample, final=final)
    except UnicodeDecodeError as exc:
        raise undecodable_error(path, tried, f" (byte {exc.start} is invalid in {enc})") from None
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise DataError(
            f"{path} is empty: it has no header and no rows.",
            path=str(path),
            fix="export the table again, with a header row and at least one data row.",
        )
    if delimiter:
        delim = normalise_delimiter(delimiter)
    elif path.suffix.lower() in (".tsv", ".tab"):
        delim = "\t"
    else:
        delim = sniff_delimiter(text, final)
    layout = TextLayout(enc, delim, None, tried=tried, warnings=notes)
    try:
        first = next(csv.reader(io.StringIO(text[: _SNIFF_CHARS * 4]), delimiter=delim))
    except (csv.Error, StopIteration):
        return layout  # header longer than the sample: pandas will name the columns
    if all(_PLAIN_NUMBER.match(v.strip()) for v in first):
        # Column names are never all numbers: the first row is data.
        layout.header = False
        layout.names = [f"column_{i + 1}" for i in range(len(first))]
        layout.warnings.append(
            {
                "kind": "no_header",
                "message": (
                    f"{path.name}: the first row holds only numbers, so it was read as "
                    "data, not as column names; the columns are named column_1, column_2, "
                    "... Fix: add a header row naming the columns."
                ),
            }
        )
    else:
        layout.names, header_notes = _header_names(first)
        layout.warnings.extend(header_notes)
    if delim == ONE_COLUMN:
        layout.warnings.extend(_blank_lines_note(path, enc))
    return layout


def _blank_lines_note(path: Path, encoding: str, show: int = 5) -> list[dict]:
    """A note on the blank lines inside a one-column file, which the reader skips.

    In a one-column text file a line is a row, so a skipped line is a row the output
    will not have; blank lines at the end of the file are not counted, nor are those
    inside a quoted text (an odd number of ``"`` so far), which stay part of it.
    """
    found: list[int] = []
    pending: list[int] = []  # blank lines not yet followed by a non-blank one
    quoted = False
    # errors="replace": a bad byte past the first MiB is the reader's to report, not ours.
    with open(path, encoding=encoding, errors="replace", newline=None) as fh:
        for number, line in enumerate(fh, start=1):
            if line.strip():
                found += pending
                pending = []
                quoted ^= line.count('"') % 2 == 1
            elif not quoted:
                pending.append(number)
    if not found:
        return []
    where = ", ".join(map(str, found[:show])) + (", ..." if len(found) > show else "")
    return [{"kind": "blank_lines", "message": (
        f"{path.name}: {len(found)} blank line(s) (line {where}) were skipped, so they are "
        "not rows: the results have that many fewer rows than the file has lines.")}]


def _csv_kwargs(layout: TextLayout) -> dict:
    # header=None: the header row is read as data and dropped afterwards. Given a
    # header, pandas would silently turn extra fields of the first row into an
    # index (or drop them); this way any row longer than the first is an error.
    return {
        "sep": layout.delimiter,
        "encoding": layout.encoding,
        "dtype": str,
        "keep_default_na": False,
        "na_values": [""],
        "header": None,
        "skip_blank_lines": True,
        "engine": "c",
    }


def _named(frame: pd.DataFrame, layout: TextLayout, first: bool) -> pd.DataFrame:
    """Drop the header row (from the first chunk only) and put the names on."""
    stale = layout.names is None or len(layout.names) != frame.shape[1]
    if first and stale and not layout.header:
        layout.names = [f"column_{i + 1}" for i in range(frame.shape[1])]
    if first and layout.header:
        if stale:  # header longer than the sniffed sample, or parsed differently
            layout.warnings = [w for w in layout.warnings if w["kind"] not in _NAME_NOTES]
            names, notes = _header_names(["" if pd.isna(v) else v for v in frame.iloc[0]])
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

    Streams the file with the csv module; ``line`` is the 1-based line where the
    record starts, as an editor shows it.
    """
    bad: list[tuple[int, int]] = []
    n_bad, blank_extras = 0, True
    expected = None
    with open(path, encoding=layout.encoding, newline="") as fh:
        reader = csv.reader(fh, delimiter=layout.delimiter)
        start = 1
        for record in reader:
            if record:
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
    name = _DELIMITER_NAMES.get(layout.delimiter, repr(layout.delimiter))
    return DataError(
        f"{path} is ragged: {_rows(n_bad)} more fields than the header, which has "
        f"{expected}: {where}{more}. The delimiter used was {name}.",
        path=str(path),
        rows=[line for line, _ in bad],
        fix=f'quote text fields that contain the {name} ("like, this"), or remove the extra '
        "fields; if the delimiter is wrong, pass delimiter= / --delimiter.",
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
    stream: bool = False,
    sample_rows: int = 200_000,
    seed: int = 0,
) -> tuple[pd.DataFrame, dict]:
    """Read a delimited text file; returns ``(frame of str columns, meta)``.

    With ``stream=True`` the file is read in chunks: ``frame`` is a uniform
    sample of ``sample_rows`` rows and ``meta["stats"]`` holds whole-file counts.

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
    layout = sniff_layout(path, encoding=encoding, delimiter=delimiter)

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
    layout = sniff_layout(path, encoding=encoding, delimiter=delimiter)
    if notes is not None:
        notes.extend(layout.warnings)
    kwargs = {**_csv_kwargs(layout), "chunksize": chunk_rows}
    with pd.read_csv(path, **kwargs) as reader:
        try:
            yield from _chunks(reader, layout)
        except pd.errors.ParserError:
            bad, n_bad, _, expected = scan_ragged(path, layout)
            raise _ragged_error(path, layout, bad, n_bad, expected) from None
