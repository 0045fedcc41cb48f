"""A tiny randomly initialised BERT and word lists for fast tests of text backends.

Tests must not download and must run in seconds: this builds a 2-layer, 32-wide
BERT with a ~40-word WordPiece vocabulary in a folder, loadable by
``from_pretrained`` exactly like a real backbone, plus a learnable toy data set.

>>> folder = make_tiny_backbone(tmp_path)                    # doctest: +SKIP
>>> X, y = make_tiny_texts(60, n_classes=2)                   # doctest: +SKIP
>>> FinetuneModel("binary", backbone=str(folder)).fit(X, y)   # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["WORDS", "make_tiny_backbone", "make_tiny_texts"]

# One word list per class; FILLER words carry no label information.
WORDS = {
    0: ["good", "great", "fine", "nice", "superb", "lovely"],
    1: ["bad", "awful", "poor", "dull", "boring", "terrible"],
    2: ["card", "refund", "transfer", "account", "balance", "pin"],
}
FILLER = ["the", "a", "movie", "film", "plot", "was", "is", "very", "quite", "and", "but", "it"]
_SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def make_tiny_backbone(directory: str | Path, *, hidden: int = 32, layers: int = 2,
                       max_positions: int = 64, seed: int = 0) -> Path:
    """Write a random tiny BERT (config, safetensors weights, WordPiece tokenizer) and return it."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizer

    from bizforge.models.text_hf.net import quiet_transformers

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    vocab = _SPECIAL + [w for ws in WORDS.values() for w in ws] + FILLER + [
        "##s", "##ly", "##ing", ".", ",", "!", "?"]
    tokenizer = BertTokenizer(vocab={w: i for i, w in enumerate(vocab)})
    config = BertConfig(vocab_size=len(vocab), hidden_size=hidden, num_hidden_layers=layers,
                        num_attention_heads=2, intermediate_size=2 * hidden,
                        max_position_embeddings=max_positions)
    torch.manual_seed(seed)
    with quiet_transformers():
        BertModel(config).save_pretrained(str(directory))
        tokenizer.save_pretrained(str(directory))
    return directory


def make_tiny_texts(n: int, n_classes: int = 2, *, seed: int = 0, column: str = "review",
                    noise: float = 0.0) -> tuple[pd.DataFrame, np.ndarray]:
    """``(frame with one str column, labels)``: filler words plus two words of the class.

    ``noise`` is the share of labels replaced by random ones (to make early stopping
    and validation scores matter).
    """
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n)
    texts = [" ".join([*rng.choice(FILLER, 3), *rng.choice(WORDS[int(c)], 2)]) for c in y]
    flip = rng.random(n) < noise
    y = np.where(flip, rng.integers(0, n_classes, n), y).astype(np.int64)
    return pd.DataFrame({column: pd.array(texts, dtype="str")}), y
