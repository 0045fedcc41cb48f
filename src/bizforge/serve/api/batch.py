"""Score an uploaded CSV or Parquet file chunk by chunk into a CSV file.

Memory stays bounded by one chunk whatever the file size. CSV cells are read
as text (only empty cells are missing), as the ingest readers do, and the
model's recipe reads numbers, dates and categories from that text exactly as
it did at training time. The encoding (UTF-8, GBK/GB18030, ...) and the
delimiter are detected as for ``bizforge predict``.

>>> chunks = iter_chunks(upload, "csv", chunk_rows=10_000)             # doctest: +SKIP
>>> scorer = BatchScorer(model, chunks, out_path)                       # doctest: +SKIP
>>> while scorer.step(): pass                                            # doctest: +SKIP
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from bizforge.errors import BizforgeError, DataError

__all__ = ["BatchScorer", "iter_chunks"]


def iter_chunks(path: Path, fmt: str, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """DataFrames of at most ``chunk_rows`` rows from a CSV or Parquet file."""
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            handle = pq.ParquetFile(path)
        except (pa.ArrowException, OSError) as exc:
            raise DataError(f"the uploaded Parquet file cannot be read ({type(exc).__name__}).",
                            fix="upload a complete .parquet file.") from None
        for batch in handle.iter_batches(batch_size=chunk_rows):
            yield batch.to_pandas()
        return
    yield from _csv_chunks(path, chunk_rows)


def _csv_chunks(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    from bizforge.ingest.delimited import ONE_COLUMN, sniff_delimiter
    from bizforge.ingest.encoding import detect_encoding, read_sample

    sample = read_sample(path)
    encoding = detect_encoding(path, sample).encoding
    text = sample.decode(encoding, errors="ignore").lstrip("\ufeff")
    delimiter = sniff_delimiter(text, final=path.stat().st_size <= len(sample))
    if delimiter == ONE_COLUMN:
        delimiter = ","
    try:
        reader = pd.read_csv(path, sep=delimiter, encoding=encoding, dtype=str,
                             keep_default_na=False, na_values=[""], chunksize=chunk_rows,
                             engine="c")
        with reader:
            yield from reader
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"the uploaded CSV file cannot be read ({type(exc).__name__}).",
                        fix="upload a CSV file with a header row and the same number of "
                            "fields on every row.") from None


class BatchScorer:
    """Scores one chunk per :meth:`step` (so online requests can run in between)."""

    def __init__(self, predictor: Any, chunks: Iterator[Any], out: Path, *,
                 explain: bool = False, classification: bool = False,
                 observe: Callable[[Any, Any], None] | None = None):
        self.predictor = predictor
        self.classification = classification  # count predicted labels for the metrics
        self.observe = observe  # (chunk, predicted labels or None): the drift monitor
        self.out = out
        self.explain = explain
        self.rows = 0
        self.label_counts: Counter[str] = Counter()  # for the metrics, not the rows
        self._chunks = iter(chunks)  # iter_chunks(...) or the family's batches(...)
        self._handle = None

    def step(self) -> bool:
        """Score the next chunk; False when the file is done (the output is then closed)."""
        chunk = next(self._chunks, None)
        if chunk is None:
            self.close()
            if self.rows == 0:
                raise DataError("the uploaded file has a header but no rows.",
                                fix="upload at least one data row.")
            return False
        if isinstance(chunk, pd.DataFrame):
            chunk = chunk.reset_index(drop=True)
        try:
            scored = self.predictor.score(chunk, explain=self.explain)
        except DataError as exc:
            raise _shifted(exc, self.rows) from None
        first = self._handle is None
        if first:
            self._handle = open(self.out, "w", encoding="utf-8", newline="")  # noqa: SIM115
        scored.to_csv(self._handle, header=first, index=False)
        labels = None
        if self.classification:
            labels = scored["prediction"].astype(str).tolist()
            self.label_counts.update(labels)
        if self.observe is not None:
            self.observe(chunk, labels)
        self.rows += len(scored)
        return True

    def close(self) -> None:
        if self._handle is not None and not self._handle.closed:
            self._handle.close()


def _shifted(exc: DataError, offset: int) -> BizforgeError:
    """The chunk's DataError with row numbers counted from the start of the file."""
    if not offset:
        return exc
    rows = [r + offset for r in exc.rows] if exc.rows else None
    return DataError(f"{exc.message} (rows counted from data row {offset + 1} of the file)",
                     column=exc.column, rows=rows, fix=exc.fix)
