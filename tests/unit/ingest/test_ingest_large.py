"""Large files: streamed counts plus a uniform sample, in bounded memory."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bizforge.config import Settings
from bizforge.ingest import delimited, read, write_table
from bizforge.ingest.stream import DuplicateCounter, Reservoir, stream_frames


def _table() -> pd.DataFrame:
    """210 rows: 31 notes blank, the last 10 rows repeat the first 10."""
    n = 200
    frame = pd.DataFrame(
        {
            "id": [f"C{i:04d}" for i in range(n)],
            "grp": [str(i % 5) for i in range(n)],
            "note": ["" if i % 7 == 0 else f"备注{i}" for i in range(n)],
        }
    )
    return pd.concat([frame, frame.iloc[:10]], ignore_index=True)


@pytest.fixture
def big_csv(tmp_path, monkeypatch):
    monkeypatch.setattr(delimited, "CHUNK_ROWS", 32)  # many chunks on a tiny file
    path = tmp_path / "big.csv"
    _table().to_csv(path, index=False)
    return path


SMALL = Settings(large_file_bytes=1000, sample_rows=50)


def test_large_file_is_sampled_with_exact_counts(big_csv):
    ds = read(big_csv, settings=SMALL)
    assert ds.meta["sampled"] is True
    assert ds.meta["rows_total"] == 210
    assert ds.rows == 210
    assert len(ds.frame) == 50
    stats = ds.meta["stats"]
    assert stats["rows"] == 210
    assert stats["missing"] == {"id": 0, "grp": 0, "note": 31}
    assert stats["duplicate_rows"] == 10
    assert stats["duplicate_rows_approx"] is False


def test_sample_rows_are_the_file_rows_at_sample_positions(big_csv):
    ds = read(big_csv, settings=SMALL)
    positions = ds.meta["sample_positions"]
    assert list(positions) == sorted(positions) and len(positions) == 50
    whole = read(big_csv).frame
    expected = whole.iloc[positions].reset_index(drop=True)
    pd.testing.assert_frame_equal(ds.frame, expected)


def test_sample_is_reproducible_for_a_seed(big_csv):
    a = read(big_csv, settings=SMALL).frame
    b = read(big_csv, settings=SMALL).frame
    c = read(big_csv, settings=Settings(large_file_bytes=1000, sample_rows=50, seed=1)).frame
    pd.testing.assert_frame_equal(a, b)
    assert a["id"].tolist() != c["id"].tolist()


def test_large_file_with_fewer_rows_than_sample_is_whole(big_csv):
    ds = read(big_csv, settings=Settings(large_file_bytes=1000))
    assert ds.meta["sampled"] is False
    pd.testing.assert_frame_equal(ds.frame, read(big_csv).frame)


def test_sample_rows_argument_streams_a_small_file(big_csv):
    ds = read(big_csv, sample_rows=20)
    assert ds.meta["sampled"] is True and len(ds.frame) == 20
    assert ds.meta["stats"]["missing"]["note"] == 31


def test_ragged_row_in_a_later_chunk_is_still_found(big_csv):
    text = big_csv.read_text(encoding="utf-8").splitlines()
    text[150] += ",extra"
    big_csv.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(Exception, match="line 151 has 4"):
        read(big_csv, settings=SMALL)


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
def test_other_formats_stream_too(tmp_path, suffix):
    path = write_table(_table(), tmp_path / f"big{suffix}")
    ds = read(path, sample_rows=50)
    assert ds.meta["sampled"] is True
    assert ds.meta["rows_total"] == 210
    assert ds.meta["stats"]["duplicate_rows"] == 10


def test_reservoir_never_holds_more_than_k_rows():
    res = Reservoir(5, seed=0)
    for start in range(0, 1000, 10):
        res.add(pd.DataFrame({"x": range(start, start + 10)}))
        assert len(res.frame()) <= 5
    assert res.seen == 1000


def test_reservoir_sample_is_uniform():
    counts = np.zeros(20)
    for seed in range(400):
        res = Reservoir(5, seed=seed)
        for start in range(0, 20, 3):
            res.add(pd.DataFrame({"x": range(start, min(start + 3, 20))}))
        counts[res.frame()["x"].to_numpy()] += 1
    # each row is in the sample with probability 5/20: expected 100 of 400
    assert counts.min() > 65 and counts.max() < 135


def test_duplicate_counter_is_exact_below_cap():
    counter = DuplicateCounter(cap=100)
    for _ in range(3):
        counter.add(np.arange(50, dtype=np.uint64))
    assert counter.result() == (100, False)


def test_duplicate_counter_estimates_in_bounded_memory_above_cap():
    rng = np.random.default_rng(0)
    hashes = rng.integers(0, 2**63, 20_000, dtype=np.uint64) * np.uint64(2)
    counter = DuplicateCounter(cap=1_000)
    for part in np.array_split(np.concatenate([hashes, hashes[:4_000]]), 24):
        counter.add(part)
    estimate, approx = counter.result()
    assert approx is True
    assert len(counter._hashes) <= 1_000
    assert 3_000 < estimate < 5_000


def test_stream_frames_counts_missing_across_chunks_with_new_columns():
    parts = [pd.DataFrame({"a": [1, None]}), pd.DataFrame({"a": [None], "b": ["x"]})]
    _, stats = stream_frames(parts, sample_rows=10)
    assert stats["missing"] == {"a": 2, "b": 0}
