"""Parquet through pyarrow; large files are streamed batch by batch.

Empty strings are missing values, as they are in a CSV file (where an empty
cell is the only way to write one), so the same table reads the same from both.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from bizforge.errors import DataError
from bizforge.ingest.stream import CHUNK_ROWS, reader_meta, stream_frames

__all__ = ["empty_strings_to_missing", "read_parquet"]


def empty_strings_to_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """``""`` -> missing in the text columns of ``frame`` (other columns untouched).

    >>> empty_strings_to_missing(pd.DataFrame({"a": ["x", ""]}))["a"].isna().tolist()
    [False, True]
    """
    out = frame
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        if not (pd.api.types.is_string_dtype(column.dtype) or column.dtype == object):
            continue
        try:
            empty = (column == "").to_numpy(dtype=bool, na_value=False)
        except (TypeError, ValueError):  # lists or arrays in the cells: not text
            continue
        if empty.any():
            if out is frame:
                out = frame.copy()
            out.isetitem(position, column.where(~empty, None))
    return out


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
        batches = (
            empty_strings_to_missing(b.to_pandas())
            for b in pf.iter_batches(batch_size=CHUNK_ROWS)
        )
        frame, stats = stream_frames(batches, sample_rows, seed)
        if len(pf.schema_arrow.names) != len(frame.columns):
            frame = pd.DataFrame(columns=pf.schema_arrow.names)
    else:
        frame = pf.read().to_pandas()
        if not isinstance(frame.index, pd.RangeIndex):
            frame = frame.reset_index()  # an index saved by pandas is data too
        frame = empty_strings_to_missing(frame)
    return frame, reader_meta("parquet", frame, stats)
