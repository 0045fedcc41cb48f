"""Token batching for the transformer: truncation count, dynamic padding, length buckets."""

from __future__ import annotations

import numpy as np
import pytest

from bizforge.models.text_hf.data import bucket_batches, pad_batch, sorted_batches, tokenize
from bizforge.models.text_hf.tiny import make_tiny_backbone


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    from transformers import AutoTokenizer

    folder = make_tiny_backbone(tmp_path_factory.mktemp("tiny_bert"))
    return AutoTokenizer.from_pretrained(str(folder))


def test_long_texts_are_cut_keeping_the_final_sep_and_counted(tokenizer):
    texts = ["good film", "the movie was very good and the plot was quite nice", ""]
    tok = tokenize(tokenizer, texts, max_length=6)
    assert tok.n_truncated == 1 and tok.truncated_rows == [1]
    assert tok.lengths.tolist() == [4, 6, 2]
    assert tok.ids[1][0] == tokenizer.cls_token_id and tok.ids[1][-1] == tokenizer.sep_token_id


def test_text_of_exactly_max_length_is_not_counted_as_truncated(tokenizer):
    tok = tokenize(tokenizer, ["good film nice dull"], max_length=6)
    assert tok.n_truncated == 0 and tok.lengths.tolist() == [6]


def test_a_100000_character_text_is_clipped_before_tokenising(tokenizer):
    tok = tokenize(tokenizer, ["good " * 20000], max_length=8)
    assert tok.n_truncated == 1 and tok.lengths.tolist() == [8]


def test_bucket_batches_cover_every_row_once_with_similar_lengths():
    rng = np.random.default_rng(0)
    lengths = rng.integers(2, 100, 1000)
    batches = bucket_batches(lengths, 10, np.random.default_rng(1), chunk_batches=20)
    rows = np.concatenate(batches)
    assert sorted(rows.tolist()) == list(range(1000))
    spread = np.mean([lengths[b].max() - lengths[b].min() for b in batches])
    random_spread = np.mean([np.ptp(lengths[rng.choice(1000, 10)]) for _ in range(100)])
    assert spread < random_spread / 4


def test_bucket_batches_depend_only_on_the_seed():
    lengths = np.arange(50) % 7
    a = bucket_batches(lengths, 8, np.random.default_rng(3))
    b = bucket_batches(lengths, 8, np.random.default_rng(3))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


def test_sorted_batches_are_stable_length_order():
    out = sorted_batches(np.array([3, 1, 3, 2]), 2)
    assert [b.tolist() for b in out] == [[1, 3], [0, 2]]


def test_pad_batch_pads_to_the_longest_row_only():
    ids = [np.array([2, 7, 3]), np.array([2, 3]), np.array([2, 5, 6, 9, 3])]
    input_ids, mask = pad_batch(ids, np.array([0, 1]), pad_id=0)
    assert input_ids.tolist() == [[2, 7, 3], [2, 3, 0]]
    assert mask.tolist() == [[1, 1, 1], [1, 1, 0]]
    assert input_ids.dtype == np.int64 and mask.dtype == np.int64
