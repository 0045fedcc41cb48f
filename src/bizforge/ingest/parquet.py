"""Parquet through pyarrow; large files are streamed batch by batch."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from bizforge.errors import DataError
from bizforge.ingest.stream import CHUNK_ROWS, reader_meta, stream_frames

__all__ = ["read_parquet"]


def _open(path: Path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(
            f"{path} cannot be read as Parquet ({exc}).",
            path=str(path),
            fix="check that the file is complete (not cut off while copying) and really "
            "Parquet; re-export it, or save the table as CSV.",
        ) from None


def read_parquet(
    path: Path, *, stream: bool = False, sample_rows: int = 200_000, seed: int = 0
) -> tuple[pd.DataFrame, dict]:
    """Read a Parquet file; returns ``(frame, meta)``.

    With ``stream=True`` only one record batch is in memory at a time: the
    frame is a uniform sample and ``meta["stats"]`` holds whole-file counts.

    >>> frame, meta = read_parquet(Path("orders.parquet"))  # doctest: +SKIP
    """
    pf = _open(path)
    stats = None
    if stream:
        batches = (b.to_pandas() for b in pf.iter_batches(batch_size=CHUNK_ROWS))
        frame, stats = stream_frames(batches, sample_rows, seed)
        if len(pf.schema_arrow.names) != len(frame.columns):
            frame = pd.DataFrame(columns=pf.schema_arrow.names)
    else:
        frame = pf.read().to_pandas()
        if not isinstance(frame.index, pd.RangeIndex):
            frame = frame.reset_index()  # an index saved by pandas is data too
    return frame, reader_meta("parquet", frame, stats)
