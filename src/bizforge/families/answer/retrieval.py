"""The retriever: BM25 and dense indexes over each field of the entries, and their fusion.

Channels: ``bm25`` (words), ``bm25c`` (Chinese characters and their pairs, for a
Chinese knowledge base) and one per encoder. Fields: ``question`` (an FAQ entry's question and its alternative phrasings) and
``answer``; for a knowledge base of passages, ``passage`` (heading + text). Each
(retriever, field) pair is a *channel* (``bm25:question``, ``e5-fp32:answer``,
...) giving every entry a score: its best text's. BM25 scores are divided by the
sum of the query words' idf (about the share of the question a text matches),
cosines are kept as they are. The fused score
is a weighted sum of the channels (weights tuned on example questions:
:mod:`.tuning`); a channel of weight 0 is not built when the model is saved.

>>> r = Retriever(read_kb(pd.DataFrame({"entry_id": ["a", "b"],
...                                     "text": ["pay by card", "reset password"]})),
...               "faq", []).build()
>>> r.channels
['bm25:question']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd  # noqa: F401  (doctest)

from bizforge.families.answer.dense import Dense, Encoder, windows
from bizforge.families.answer.kb import KnowledgeBase, read_kb  # noqa: F401  (doctest)
from bizforge.families.answer.lexical import Lexical, has_cjk

__all__ = ["PER_CHANNEL", "Retriever", "field_texts", "gather", "kb_kind"]

PER_CHANNEL = 30  # candidates each channel brings to the fused ranking
PASSAGE_CHARS = 100  # median text length from which "auto" reads entries as passages


def kb_kind(kb: KnowledgeBase, given: str = "auto") -> str:
    """"faq" (entries are questions) or "passages" (text to find answers in)."""
    if given != "auto":
        return given
    if kb.has_answers:
        return "faq"
    return "passages" if kb.frame["text"].str.len().median() >= PASSAGE_CHARS else "faq"


def field_texts(kb: KnowledgeBase, kind: str, extra: dict[int, list[str]] | None = None,
                dense: bool = False) -> dict[str, tuple[list[str], list[int]]]:
    """For each field, its texts and the entry position of each (several per entry)."""
    frame = kb.frame
    extra = extra or {}
    fields: dict[str, tuple[list[str], list[int]]] = {}
    if kind == "passages":
        texts, owners = [], []
        for i, (head, text) in enumerate(zip(frame["heading"], frame["text"])):
            pieces = windows(text) if dense else [text]
            for piece in pieces:
                texts.append(f"{head}{'：' if has_cjk(head) else ': '}{piece}" if head
                             else piece)
                owners.append(i)
            for alt in extra.get(i, []):  # example questions join the passage as phrasings
                texts.append(alt)
                owners.append(i)
        fields["passage"] = (texts, owners)
        return fields
    texts, owners = [], []
    for i, (text, alts) in enumerate(zip(frame["text"], frame["alternatives"])):
        for phrasing in dict.fromkeys([text, *alts, *extra.get(i, [])]):
            if phrasing:
                texts.append(phrasing)
                owners.append(i)
    fields["question"] = (texts, owners)
    if kb.has_answers:
        texts, owners = [], []
        for i, answer in enumerate(frame["answer"]):
            if answer:
                for piece in (windows(answer) if dense else [answer]):
                    texts.append(piece)
                    owners.append(i)
        fields["answer"] = (texts, owners)
    return fields


class Retriever:
    """The channels over one knowledge base; ``weights`` (channel -> weight) fuse them."""

    def __init__(self, kb: KnowledgeBase, kind: str, encoders: Sequence[Encoder],
                 extra: dict[int, list[str]] | None = None, skip: Sequence[str] = ()):
        self.kb = kb
        self.kind = kind
        self.encoders = list(encoders)
        self.extra = extra or {}
        self.skip = set(skip)  # channels not to build (weight 0)
        self.lexical: dict[str, Lexical] = {}
        self.dense: dict[str, Dense] = {}
        self.weights: dict[str, float] = {}

    @property
    def channels(self) -> list[str]:
        return [*self.lexical, *self.dense]

    def build(self, progress: Callable[[str, int, int], None] | None = None) -> Retriever:
        """Index every field; ``progress(stage, done, total)`` while embedding."""
        n = len(self.kb)
        chinese = has_cjk(" ".join(self.kb.frame["text"].head(50)))
        for name, (texts, owners) in field_texts(self.kb, self.kind, self.extra).items():
            for kind in ("bm25", "bm25c") if chinese else ("bm25",):
                channel = f"{kind}:{name}"
                if channel not in self.skip:
                    self.lexical[channel] = Lexical(owners, n, stop=not chinese,
                                                    grams=kind == "bm25c").fit(texts)
        for enc in self.encoders:
            for name, (texts, owners) in field_texts(self.kb, self.kind, self.extra,
                                                     dense=True).items():
                channel = f"{enc.name}:{name}"
                if channel in self.skip:
                    continue
                side = "query" if name == "question" else "passage"
                step = None if progress is None else (
                    lambda done, total, c=channel: progress(f"embedding {c}", done, total))
                self.dense[channel] = Dense(owners, n, enc.encode(texts, side, progress=step))
        return self

    def channel_scores(self, queries: Sequence[str], store: bool = True
                       ) -> dict[str, np.ndarray]:
        """channel -> (len(queries), entries) scores (BM25 divided by the query's best)."""
        out: dict[str, np.ndarray] = {}
        for channel, lex in self.lexical.items():
            rows = np.zeros((len(queries), len(self.kb)), np.float32)
            for i, q in enumerate(queries):
                weight = lex.query_weight(q)
                if weight > 0:
                    rows[i] = lex.scores(q) / weight
            out[channel] = rows
        vectors: dict[str, np.ndarray] = {}
        for channel, index in self.dense.items():
            enc_name = channel.split(":")[0]
            if enc_name not in vectors:
                enc = next(e for e in self.encoders if e.name == enc_name)
                vectors[enc_name] = enc.encode(list(queries), "query", store=store)
            out[channel] = index.scores(vectors[enc_name])
        return out

    def save_parts(self, folder) -> dict[str, Any]:
        """Write the BM25 indexes and the dense vectors into ``folder``; their description."""
        from safetensors.numpy import save_file

        doc: dict[str, Any] = {"lexical": {}, "dense": {}}
        arrays: dict[str, np.ndarray] = {}
        for channel, lex in self.lexical.items():
            doc["lexical"][channel] = lex.save(folder / channel.replace(":", "_"))
            arrays[f"{channel}:owners"] = lex.owners
        for channel, index in self.dense.items():
            arrays[f"{channel}:vectors"] = index.vectors
            arrays[f"{channel}:owners"] = index.owners
            doc["dense"][channel] = {"encoder": channel.split(":")[0]}
        if arrays:
            save_file(arrays, str(folder / "vectors.safetensors"))
        doc["encoders"] = [{"name": e.name, "identity": _bundle(e, folder)} for e in self.encoders
                           if any(c.startswith(e.name + ":") for c in self.dense)]
        return doc

    @classmethod
    def load_parts(cls, folder, kb: KnowledgeBase, kind: str, doc: dict[str, Any]
                   ) -> Retriever:
        from safetensors.numpy import load_file

        encoders = [Encoder(e["name"], _unbundle(e["identity"], folder))
                    for e in doc["encoders"]]
        for enc in encoders:
            enc.check()
        obj = cls(kb, kind, encoders)
        path = folder / "vectors.safetensors"
        arrays = load_file(str(path)) if path.exists() else {}
        for channel, meta in doc["lexical"].items():
            obj.lexical[channel] = Lexical.load(folder / channel.replace(":", "_"),
                                                arrays[f"{channel}:owners"], meta)
        for channel in doc["dense"]:
            obj.dense[channel] = Dense(arrays[f"{channel}:owners"], len(kb),
                                       arrays[f"{channel}:vectors"])
        return obj


def _bundle(encoder: Encoder, folder) -> dict[str, Any]:
    """The encoder's identity as saved; a fine-tuned encoder (a folder of ours) is copied
    into the model's folder and named relative to it."""
    import shutil

    identity = encoder.identity
    if "base" not in identity:
        return identity
    name = "encoder_" + "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in encoder.name)
    if (folder / name).exists():
        shutil.rmtree(folder / name)
    shutil.copytree(identity["path"], folder / name)
    return {**identity, "path": name, "bundled": True}


def _unbundle(identity: dict[str, Any], folder) -> dict[str, Any]:
    if not identity.get("bundled"):
        return identity
    out = {k: v for k, v in identity.items() if k != "bundled"}
    out["path"] = str((folder / identity["path"]).resolve())
    return out


def gather(scores: dict[str, np.ndarray], channels: Sequence[str],
           per_channel: int = PER_CHANNEL) -> tuple[np.ndarray, np.ndarray]:
    """The candidates of each query (the union of each channel's top ``per_channel``) and
    their channel scores: ids (q, c) padded with -1, features (q, c, channels) padded NaN."""
    mats = [scores[c] for c in channels]
    q, n = mats[0].shape
    top = min(per_channel, n)
    picks = [np.argpartition(-m, top - 1, axis=1)[:, :top] if top < n else
             np.tile(np.arange(n), (q, 1)) for m in mats]
    rows = []
    for i in range(q):
        rows.append(np.unique(np.concatenate([p[i] for p in picks])))
    width = max(len(r) for r in rows)
    ids = np.full((q, width), -1, dtype=np.int64)
    feats = np.full((q, width, len(mats)), np.nan, dtype=np.float32)
    for i, r in enumerate(rows):
        ids[i, :len(r)] = r
        for j, m in enumerate(mats):
            feats[i, :len(r), j] = m[i, r]
    return ids, feats
