"""BM25 over words (bm25s): jieba words for Chinese, lower-cased stemmed words elsewhere.

English words are reduced to their Snowball stems (snowballstemmer), so "orders" and
"order", "cancelled" and "cancel" match.

One :class:`Lexical` index holds the texts of one field (questions and their
alternative phrasings, or answers, or passages); an entry's score is the
highest of its texts'. Saved with bm25s's own ``save`` (JSON + ``.npy`` arrays,
loaded with ``allow_pickle=False``).

>>> words("How do I reset my passwords?")
['how', 'do', 'i', 'reset', 'my', 'password']
>>> words("怎么修改密码")[:2]
['怎么', '修改']
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ["Lexical", "has_cjk", "words"]

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"\w+", re.UNICODE)
# Words so common in questions that they only add noise to English BM25.
_STOP_EN = frozenset(
    "a an the is are was were be been am do does did of to in on at for with by from and or "
    "i me my we our you your it its this that these those can could should would will how "
    "what".split())
_jieba_ready = False
_stemmer = None


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def _jieba():
    global _jieba_ready
    import jieba

    if not _jieba_ready:
        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        _jieba_ready = True
    return jieba


def _stem(tokens: list[str]) -> list[str]:
    global _stemmer
    if _stemmer is None:
        import snowballstemmer

        _stemmer = snowballstemmer.stemmer("english")
    return [_stemmer.stemWord(w) if w.isascii() and w.isalpha() else w for w in tokens]


def char_grams(text: str, stop: bool = False) -> list[str]:
    """Chinese characters and pairs of neighbouring characters, other words as :func:`words`
    (robust where jieba cuts a question and its paraphrase differently).

    >>> char_grams("改密码")
    ['改', '密', '码', '改密', '密码']
    """
    out: list[str] = []
    for run in re.findall(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[^\u3400-\u9fff]+",
                          text.lower()):
        if has_cjk(run):
            out += list(run) + [run[i:i + 2] for i in range(len(run) - 1)]
        else:
            out += words(run, stop)
    return out


def words(text: str, stop: bool = False) -> list[str]:
    """The BM25 terms of ``text``: jieba words where it has Chinese, else ``\\w+`` words;
    English words stemmed; ``stop``: common English question words left out."""
    text = text.lower()
    if has_cjk(text):
        out = [w.strip() for w in _jieba().lcut(text) if _WORD.search(w)]
        return _stem([w for w in out if w])
    out = _WORD.findall(text)
    if stop:
        out = [w for w in out if w not in _STOP_EN] or out
    return _stem(out)


class Lexical:
    """BM25 scores of a query against the texts of one field, reduced to entries (max)."""

    def __init__(self, owners: Sequence[int], n_entries: int, stop: bool = False,
                 grams: bool = False):
        self.owners = np.asarray(owners, dtype=np.int64)  # entry position of each text
        self.n_entries = int(n_entries)
        self.stop = stop
        self.grams = grams  # Chinese characters and their pairs instead of jieba words
        self.terms = char_grams if grams else words
        self.bm25 = None
        self.df: dict[str, int] = {}
        self.n_texts = len(self.owners)

    def fit(self, texts: Sequence[str]) -> Lexical:
        import bm25s

        tokens = [self.terms(t, self.stop) or [""] for t in texts]
        self.bm25 = bm25s.BM25()
        self.bm25.index(tokens, show_progress=False)
        self.df = dict(Counter(w for doc in tokens for w in set(doc) if w))
        return self

    def scores(self, query: str) -> np.ndarray:
        """(n_entries,) BM25 score of each entry (its best text); 0 for no shared word."""
        out = np.zeros(self.n_entries, dtype=np.float32)
        terms = [w for w in self.terms(query, self.stop) if w in self.bm25.vocab_dict]
        if not terms or self.n_texts == 0:
            return out
        per_text = self.bm25.get_scores(terms).astype(np.float32)
        np.maximum.at(out, self.owners, per_text)
        return out

    def idf(self, term: str) -> float:
        """Inverse document frequency of ``term`` among the field's texts (0 if unseen)."""
        df = self.df.get(term)
        return 0.0 if not df else math.log(1.0 + (self.n_texts - df + 0.5) / (df + 0.5))

    def query_weight(self, query: str) -> float:
        """What a text holding each of the query's words once would score, about: the sum of
        their idf (a word the field never uses counts as the rarest). Scores divided by it
        say which share of the question a text matches, comparable across questions."""
        unseen = math.log(1.0 + (self.n_texts + 0.5) / 0.5)
        return sum(self.idf(w) or unseen for w in set(self.terms(query, self.stop)))

    # --- files ---------------------------------------------------------------------
    def save(self, folder: Path) -> dict:
        import json

        folder.mkdir(parents=True, exist_ok=True)
        self.bm25.save(str(folder))
        (folder / "df.json").write_text(json.dumps(self.df, ensure_ascii=False),
                                        encoding="utf-8")
        return {"n_entries": self.n_entries, "stop": self.stop, "grams": self.grams}

    @classmethod
    def load(cls, folder: Path, owners: np.ndarray, meta: dict) -> Lexical:
        import json

        import bm25s

        obj = cls(owners, meta["n_entries"], meta.get("stop", False), meta.get("grams", False))
        obj.bm25 = bm25s.BM25.load(str(folder), allow_pickle=False)
        obj.df = json.loads((folder / "df.json").read_text(encoding="utf-8"))
        return obj
