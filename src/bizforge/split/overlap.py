"""Group texts that overlap: duplicates, and short texts that are pieces of longer ones.

Some labelled text sets hold a sentence together with phrases cut from it (the
Stanford Sentiment Treebank labels every sub-phrase of every sentence), or the
same message many times. A random validation split then puts "the acting is
superb" in validation and "the acting is superb , the plot thin ." in training:
validation scores come out far higher than on new texts, and model choice and
ensemble weights follow the inflated scores. Grouping each text with the
longest text that contains it, and keeping a group on one side of the split,
removes that leak.

A text is contained in another when its tokens (lower-cased, split on white
space; characters for Chinese, Japanese and Korean) are a contiguous run of the other's
tokens. Runs of :data:`MIN_SPAN` to :data:`MAX_SPAN` tokens are indexed, at most
:data:`MAX_SPANS` in all, so the cost stays bounded on long texts (where such
overlap is rare and a longer run is not looked for).

>>> groups, overlapping = overlap_groups(["a fine film .", "fine film", "dull", "dull"])
>>> groups.tolist(), overlapping
([0, 0, 1, 1], 4)
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

__all__ = ["MAX_SPAN", "MAX_SPANS", "MIN_SPAN", "overlap_groups"]

MIN_SPAN = 2
MAX_SPAN = 40
MAX_SPANS = 4_000_000
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def _tokens(text: str) -> tuple[str, ...]:
    text = text.lower()
    if _CJK.search(text):  # written without spaces between words: characters
        return tuple(ch for ch in text if not ch.isspace())
    return tuple(text.split())


def overlap_groups(texts: Sequence[str]) -> tuple[np.ndarray, int]:
    """``(group code per text, number of texts in groups of two or more)``.

    Longest texts first: a text found among the runs of an earlier (longer) one
    joins its group, otherwise it starts a group and its runs are indexed.
    """
    toks = [_tokens("" if t is None else str(t)) for t in texts]
    order = sorted(range(len(toks)), key=lambda i: -len(toks[i]))
    index: dict[int, int] = {}
    groups = np.empty(len(toks), dtype=np.int64)
    n_groups = 0
    spans = 0
    for i in order:
        tok = toks[i]
        key = hash(tok)
        g = index.get(key)
        if g is None:
            g, n_groups = n_groups, n_groups + 1
            index[key] = g
            n = len(tok)
            if spans < MAX_SPANS:
                for size in range(MIN_SPAN, min(n, MAX_SPAN + 1)):
                    for start in range(n - size + 1):
                        index.setdefault(hash(tok[start:start + size]), g)
                spans += max(0, n - MIN_SPAN) * min(n, MAX_SPAN)
        groups[i] = g
    sizes = np.bincount(groups, minlength=n_groups)
    return groups, int((sizes[groups] > 1).sum())
