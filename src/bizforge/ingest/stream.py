"""Bounded-memory passes over tables too large to load: counts plus a uniform sample.

A large file is read chunk by chunk. Each chunk updates exact row and
missing-value counts, a duplicate-row counter working on 64-bit row hashes,
and a uniform random sample of ``sample_rows`` rows. Memory is the sample, one
chunk, and at most ``cap`` hashes, whatever the size of the file.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = ["CHUNK_ROWS", "DuplicateCounter", "Reservoir", "stream_frames"]

CHUNK_ROWS = 50_000


class DuplicateCounter:
    """Count rows equal to an earlier row, from 64-bit row hashes, in bounded memory.

    Exact while at most ``cap`` distinct rows are seen. Beyond that it keeps only
    hashes whose top ``level`` bits are zero (a 1/2**level slice of the hash
    space) and scales up. Equal rows share a hash, so a duplicate group is
    either entirely in the slice or entirely out of it: the estimate stays
    unbiased, and ``approximate`` says it is one.

    >>> c = DuplicateCounter()
    >>> c.add(np.array([1, 2, 2, 3, 3, 3], dtype=np.uint64))
    >>> c.result()
    (3, False)
    """

    def __init__(self, cap: int = 1_000_000):
        self.cap = cap
        self.level = 0
        self._hashes = np.empty(0, np.uint64)
        self._counts = np.empty(0, np.int64)
        self._pending: list[np.ndarray] = []
        self._pending_n = 0

    def _in_slice(self, hashes: np.ndarray) -> np.ndarray:
        return (hashes >> np.uint64(64 - self.level)) == 0

    def add(self, hashes: np.ndarray) -> None:
        hashes = np.asarray(hashes, dtype=np.uint64)
        if self.level:
            hashes = hashes[self._in_slice(hashes)]
        self._pending.append(hashes)
        self._pending_n += len(hashes)
        if self._pending_n >= self.cap:
            self._merge()

    def _merge(self) -> None:
        if not self._pending:
            return
        hashes = np.concatenate([self._hashes, *self._pending])
        weights = np.concatenate([self._counts, np.ones(self._pending_n, dtype=np.int64)])
        self._pending, self._pending_n = [], 0
        uniq, inverse = np.unique(hashes, return_inverse=True)
        counts = np.bincount(inverse, weights=weights, minlength=len(uniq)).astype(np.int64)
        while len(uniq) > self.cap:
            self.level += 1
            keep = self._in_slice(uniq)
            uniq, counts = uniq[keep], counts[keep]
        self._hashes, self._counts = uniq, counts

    def result(self) -> tuple[int, bool]:
        """``(duplicate_rows, approximate)``."""
        self._merge()
        in_slice = int(self._counts.sum()) - len(self._hashes)
        return in_slice * (1 << self.level), self.level > 0


class Reservoir:
    """A uniform random sample of ``k`` rows from a stream of frames, in stream order.

    Every row gets a random key and the ``k`` smallest keys are kept (bottom-k
    sampling, equivalent to reservoir sampling but vectorised per chunk).
    Once full, a chunk row can only enter if its key beats the current largest,
    so later chunks cost almost nothing.
    """

    def __init__(self, k: int, seed: int = 0):
        self.k = k
        self._rng = np.random.default_rng(seed)
        self._frame: pd.DataFrame | None = None
        self._keys = np.empty(0)
        self._pos = np.empty(0, np.int64)
        self.seen = 0

    def add(self, chunk: pd.DataFrame) -> None:
        n = len(chunk)
        keys = self._rng.random(n)
        pos = np.arange(self.seen, self.seen + n, dtype=np.int64)
        self.seen += n
        if len(self._keys) >= self.k:
            take = keys < self._keys.max()
            if not take.any():
                return
            chunk, keys, pos = chunk.iloc[np.flatnonzero(take)], keys[take], pos[take]
        frame = chunk if self._frame is None else pd.concat([self._frame, chunk])
        keys = np.concatenate([self._keys, keys])
        pos = np.concatenate([self._pos, pos])
        if len(keys) > self.k:
            best = np.argpartition(keys, self.k - 1)[: self.k]
            frame, keys, pos = frame.iloc[best], keys[best], pos[best]
        self._frame, self._keys, self._pos = frame, keys, pos

    def positions(self) -> np.ndarray:
        """0-based positions in the stream of the sampled rows, ascending."""
        return np.sort(self._pos)

    def frame(self, columns: list[str] | None = None) -> pd.DataFrame:
        """The sample in the order the rows had in the source, index 0..k-1."""
        if self._frame is None:
            return pd.DataFrame(columns=columns or [])
        order = np.argsort(self._pos, kind="stable")
        return self._frame.iloc[order].reset_index(drop=True)


def stream_frames(
    chunks: Iterable[pd.DataFrame], sample_rows: int, seed: int = 0, cap: int = 1_000_000
) -> tuple[pd.DataFrame, dict]:
    """One pass over ``chunks``: returns ``(sample, stats)``.

    ``stats`` = ``{"rows", "missing": {col: n}, "duplicate_rows",
    "duplicate_rows_approx", "duplicate_sample_fraction", "sample_positions"}``;
    rows and missing counts are exact; ``sample_positions`` (a numpy array) are
    the 0-based data-row numbers of the sampled rows.

    >>> parts = [pd.DataFrame({"a": ["x", None]}), pd.DataFrame({"a": ["x", "y"]})]
    >>> sample, stats = stream_frames(parts, sample_rows=10)
    >>> stats["rows"], stats["missing"], stats["duplicate_rows"]
    (4, {'a': 1}, 1)
    """
    reservoir = Reservoir(sample_rows, seed)
    dupes = DuplicateCounter(cap)
    missing: pd.Series | None = None
    columns: list[str] | None = None
    for chunk in chunks:
        if columns is None:
            columns = [str(c) for c in chunk.columns]
        counts = chunk.isna().sum()
        missing = counts if missing is None else missing.add(counts, fill_value=0)
        if len(chunk):
            dupes.add(pd.util.hash_pandas_object(chunk, index=False).to_numpy())
        reservoir.add(chunk)
    duplicate_rows, approx = dupes.result()
    stats = {
        "rows": reservoir.seen,
        "missing": {str(k): int(v) for k, v in (missing.items() if missing is not None else [])},
        "duplicate_rows": int(duplicate_rows),
        "duplicate_rows_approx": approx,
        "duplicate_sample_fraction": 1.0 / (1 << dupes.level),
        "sample_positions": reservoir.positions(),
    }
    return reservoir.frame(columns), stats


def reader_meta(fmt: str, frame, stats: dict | None, **extra) -> dict:
    """The ``Dataset.meta`` a reader returns: format, row counts, sampling and stats.

    ``stats`` are the streamed whole-source counts (None when read whole).
    """
    rows = stats["rows"] if stats else len(frame)
    meta = {"format": fmt, "encoding": None, "delimiter": None, **extra, "rows_total": rows,
            "sampled": bool(stats) and rows > len(frame), "warnings": []}
    if stats:
        meta["stats"] = stats
    return meta
