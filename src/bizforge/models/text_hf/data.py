"""Token ids for the transformer: tokenise once, pad per batch, batch texts of similar length.

Padding every text to ``max_length`` wastes most of the compute on short texts (SST-2
phrases average ~13 tokens). Here each batch is padded only to its own longest text
(dynamic padding), and training batches are drawn from length-sorted chunks so a
batch holds texts of similar length; the chunks and batches are shuffled so the model
still sees a random order.

>>> lengths = np.array([5, 1, 9, 2, 7, 3])
>>> [b.tolist() for b in sorted_batches(lengths, 2)]
[[1, 3], [5, 0], [4, 2]]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "CHARS_PER_TOKEN_CAP",
    "Tokenized",
    "bucket_batches",
    "pad_batch",
    "sorted_batches",
    "tokenize",
]

# Texts are clipped to this many characters per allowed token before tokenising, so a
# 100,000-character text costs no more than a long one. Text averages 4-6 characters
# per token (1 for Chinese), so a clipped text would not have fitted anyway; it is
# counted as truncated.
CHARS_PER_TOKEN_CAP = 16


@dataclass
class Tokenized:
    """Token ids of each text (special tokens included) and how many were truncated."""

    ids: list[np.ndarray]
    n_truncated: int
    truncated_rows: list[int]

    @property
    def lengths(self) -> np.ndarray:
        return np.fromiter((len(a) for a in self.ids), dtype=np.int64, count=len(self.ids))

    def __len__(self) -> int:
        return len(self.ids)


def tokenize(tokenizer, texts, max_length: int, chunk: int = 2048) -> Tokenized:
    """Tokenise ``texts`` (with [CLS]/[SEP]) to at most ``max_length`` tokens each.

    Asking the tokeniser for ``max_length + 1`` tokens tells which texts were longer
    than allowed without tokenising them in full; those are then cut to
    ``max_length`` keeping their final special token.
    """
    cap = max_length * CHARS_PER_TOKEN_CAP
    ids: list[np.ndarray] = []
    truncated: list[int] = []
    texts = list(texts)
    for start in range(0, len(texts), chunk):
        part = [t[:cap] for t in texts[start:start + chunk]]
        enc = tokenizer(part, truncation=True, max_length=max_length + 1,
                        add_special_tokens=True)["input_ids"]
        for i, seq in enumerate(enc):
            arr = np.asarray(seq, dtype=np.int64)
            if len(arr) > max_length or len(texts[start + i]) > cap:
                truncated.append(start + i)
                if len(arr) > max_length:
                    arr = np.concatenate([arr[:max_length - 1], arr[-1:]])
            ids.append(arr)
    return Tokenized(ids, len(truncated), truncated)


def bucket_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator,
                   chunk_batches: int = 50) -> list[np.ndarray]:
    """Row indices per training batch: shuffle, sort within chunks by length, shuffle batches.

    A chunk holds ``chunk_batches`` batches, so randomness across the epoch is kept
    while each batch holds texts of similar length.
    """
    order = rng.permutation(len(lengths))
    size = batch_size * chunk_batches
    batches: list[np.ndarray] = []
    for start in range(0, len(order), size):
        chunk = order[start:start + size]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches.extend(chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


def sorted_batches(lengths: np.ndarray, batch_size: int) -> list[np.ndarray]:
    """Deterministic batches for inference: rows sorted by length (stable), in order."""
    order = np.argsort(lengths, kind="stable")
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def pad_batch(ids: list[np.ndarray], rows: np.ndarray, pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """``(input_ids, attention_mask)`` int64 arrays, padded to the longest row of the batch."""
    width = max(1, max(len(ids[r]) for r in rows))
    input_ids = np.full((len(rows), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for i, r in enumerate(rows):
        seq = ids[r]
        input_ids[i, :len(seq)] = seq
        mask[i, :len(seq)] = 1
    return input_ids, mask
