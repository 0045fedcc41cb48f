"""Dense retrieval: a bundled sentence encoder (shared with the text family) + a faiss index.

The encoders are the text family's (:mod:`bizforge.models.text_embed.backbones`):
``minilm`` (English all-MiniLM-L6-v2) and ``e5-fp32`` (multilingual-e5-small, good
for Chinese and mixed text), here pooled from the last layer only, as they were
trained for retrieval; or any Hugging Face folder. e5 reads ``query: `` before
questions and ``passage: `` before answers and passages (as it was trained);
MiniLM reads texts as they are. Long texts are cut into windows of whole
sentences (:func:`windows`) and an entry scores as its best window.

Vectors are L2-normalised; the index is a faiss inner-product index over the
texts of one field, saved as the vectors (safetensors) and rebuilt on load.

>>> windows("One. Two. Three.", max_chars=9)
['One. Two.', 'Three.']
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["Dense", "Encoder", "windows"]

WINDOW_CHARS = 300
TOP_TEXTS = 256  # texts read from the index per query; other entries score as the last one
CHUNK = 256  # texts embedded between two progress events
_SENTENCE = re.compile(r"(?<=[。！？!?；;\n])|(?<=[.!?])\s+")


def windows(text: str, max_chars: int = WINDOW_CHARS) -> list[str]:
    """``text`` cut into pieces of whole sentences, each at most ``max_chars`` (where it can)."""
    if len(text) <= max_chars:
        return [text]
    out: list[str] = []
    cur = ""
    for sentence in (s.strip() for s in _SENTENCE.split(text)):
        if not sentence:
            continue
        while len(sentence) > max_chars:  # a sentence longer than a window: hard cuts
            if cur:
                out.append(cur)
                cur = ""
            out.append(sentence[:max_chars])
            sentence = sentence[max_chars:]
        joined = f"{cur} {sentence}".strip() if cur and not _ends_cjk(cur) else cur + sentence
        if cur and len(joined) > max_chars:
            out.append(cur)
            cur = sentence
        else:
            cur = joined
    if cur:
        out.append(cur)
    return out or [text[:max_chars]]


def _ends_cjk(s: str) -> bool:
    return bool(s) and ("\u3000" <= s[-1] <= "\u9fff" or s[-1] in "。！？；")


class Encoder:
    """One sentence encoder with its query/passage prefixes; ``name`` as in the options."""

    def __init__(self, name: str, identity: dict[str, Any] | None = None):
        self.name = name
        self.identity = identity if identity is not None else self.resolve(name)
        # a fine-tuned copy (a folder) reads as its base was trained to (:mod:`.finetune`)
        e5 = self.identity.get("base", self.identity["kind"]) in ("e5-fp32", "e5")
        self.query_prefix = "query: " if e5 else ""
        self.passage_prefix = "passage: " if e5 else ""
        self._embedder = None

    @staticmethod
    def resolve(name: str) -> dict[str, Any]:
        """The backbone identity: the text family's, pooled from the last layer, no prefix
        (ours are added per side), 256 tokens."""
        from bizforge.models.text_embed.backbones import resolve_backbone

        identity = dict(resolve_backbone(name, None, 256))
        identity.pop("layers", None)
        identity["prefix"] = ""
        return identity

    def check(self) -> None:
        """ModelError when the encoder a saved model needs is not here as it was."""
        from bizforge.models.text_embed.backbones import check_backbone

        check_backbone(self.identity)

    @property
    def embedder(self):
        if self._embedder is None:
            from bizforge.config import get_settings
            from bizforge.models.text_embed.backbones import open_backbone

            # Sleeping (not spinning) onnxruntime threads: a served question is a small
            # batch, and the server shares its cores with its clients and other requests.
            embedder = open_backbone(self.identity, get_settings().threads, spinning=False)
            # Loaded with its onnxruntime session at once (a second or two, once per
            # process): otherwise a served question, one text, would run in PyTorch,
            # about 11 ms slower for e5 on a CPU.
            embedder.load()
            self._embedder = embedder
        return self._embedder

    def encode(self, texts: Sequence[str], side: str, store: bool = True,
               progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """(n, d) float32 unit rows; ``side`` "query" or "passage" picks the prefix."""
        prefix = self.query_prefix if side == "query" else self.passage_prefix
        texts = [prefix + t for t in texts]
        parts = []
        for start in range(0, len(texts), CHUNK):
            parts.append(self.embedder.embed(texts[start:start + CHUNK], store=store))
            if progress is not None:
                progress(min(start + CHUNK, len(texts)), len(texts))
        if not parts:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        return np.ascontiguousarray(np.concatenate(parts), dtype=np.float32)


class Dense:
    """Cosine scores of queries against the texts of one field, reduced to entries (max)."""

    def __init__(self, owners: Sequence[int], n_entries: int, vectors: np.ndarray):
        import faiss

        self.owners = np.asarray(owners, dtype=np.int64)
        self.n_entries = int(n_entries)
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.index = faiss.IndexFlatIP(self.vectors.shape[1])
        if len(self.vectors):
            self.index.add(self.vectors)

    def scores(self, queries: np.ndarray) -> np.ndarray:
        """(q, n_entries): each entry's best cosine among the top texts; the others get the
        lowest cosine read for that query (they are no nearer than it)."""
        q = np.ascontiguousarray(queries, dtype=np.float32)
        k = min(TOP_TEXTS, self.index.ntotal)
        if k == 0:
            return np.zeros((len(q), self.n_entries), dtype=np.float32)
        sims, ids = self.index.search(q, k)
        floor = sims[:, -1] if k < self.index.ntotal else np.full(len(q), -1.0, np.float32)
        out = np.repeat(floor[:, None], self.n_entries, axis=1).astype(np.float32)
        rows = np.repeat(np.arange(len(q)), k)
        valid = ids.ravel() >= 0
        np.maximum.at(out, (rows[valid], self.owners[ids.ravel()[valid]]),
                      sims.ravel()[valid])
        return out
