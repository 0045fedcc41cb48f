"""TF-IDF features: learned with scikit-learn, applied with our own sparse code.

scikit-learn's ``TfidfVectorizer`` (given our analyzer from ``text_common``) learns
the vocabulary and the idf weights. They are kept as a term list (JSON) and an idf
array (safetensors), and :meth:`TfidfFeatures.transform` recomputes what
``TfidfVectorizer.transform`` does — counts, optional ``1 + log(tf)``, times idf,
rows scaled to unit L2 norm, summed in the same order — so a loaded model needs no
pickled vectorizer and gives the same numbers (tested against scikit-learn).

>>> feats, X = TfidfFeatures.fit(["good hotel", "bad hotel"], "word", min_df=1)  # doctest: +SKIP
>>> feats.terms                                                                 # doctest: +SKIP
['bad', 'bad hotel', 'good', 'good hotel', 'hotel']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from bizforge.errors import DataError
from bizforge.models.text_common import build_analyzer, term_counts

__all__ = ["TfidfFeatures"]


class TfidfFeatures:
    """A fitted TF-IDF featuriser: ``terms`` (column order), ``idf`` and the analyzer settings."""

    def __init__(self, terms: list[str], idf: np.ndarray, analyzer: str,
                 word_range: Sequence[int], char_range: Sequence[int], sublinear: bool):
        self.terms = list(terms)
        self.idf = np.asarray(idf, dtype=np.float64)
        self.analyzer = analyzer
        self.word_range = [int(v) for v in word_range]
        self.char_range = [int(v) for v in char_range]
        self.sublinear = bool(sublinear)
        self.vocabulary = {t: i for i, t in enumerate(self.terms)}
        self.analyze = build_analyzer(analyzer, self.word_range, self.char_range)

    @classmethod
    def fit(cls, texts: list[str], analyzer: str, *, word_range: Sequence[int] = (1, 2),
            char_range: Sequence[int] = (1, 3), min_df: int = 1, max_features: int | None = None,
            sublinear: bool = True, column: str = "text") -> tuple[TfidfFeatures, sp.csr_matrix]:
        """Learn vocabulary and idf from ``texts``; also return their TF-IDF matrix."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        analyze = build_analyzer(analyzer, word_range, char_range)
        for df in dict.fromkeys([min_df, 1]):  # too few rows for min_df: keep every term
            vec = TfidfVectorizer(analyzer=analyze, min_df=df, max_features=max_features,
                                  sublinear_tf=sublinear, dtype=np.float64)
            try:
                X = vec.fit_transform(texts)
                break
            except ValueError:  # empty vocabulary
                continue
        else:
            raise DataError(
                f"column '{column}' has no words or characters to learn from in "
                f"{len(texts)} training rows.",
                column=column, fix="check that the text column holds the texts (not ids or blanks).")
        terms = [""] * len(vec.vocabulary_)
        for term, j in vec.vocabulary_.items():
            terms[j] = term
        feats = cls(terms, vec.idf_, analyzer, word_range, char_range, sublinear)
        return feats, X.tocsr()

    @property
    def width(self) -> int:
        return len(self.terms)

    def counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Term counts (float64), columns sorted within each row, as CountVectorizer gives."""
        indptr, indices, values = [0], [], []
        for text in texts:
            c = term_counts(self.analyze(text), self.vocabulary)
            indices.extend(c.keys())
            values.extend(c.values())
            indptr.append(len(indices))
        X = sp.csr_matrix(
            (np.asarray(values, dtype=np.float64), np.asarray(indices, dtype=np.int64),
             np.asarray(indptr, dtype=np.int64)),
            shape=(len(texts), self.width))
        X.sort_indices()
        return X

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """TF-IDF rows of unit L2 norm (all-zero rows for texts without known terms)."""
        X = self.counts(texts)
        data = X.data
        if self.sublinear:
            np.log(data, out=data)
            data += 1.0
        data *= self.idf[X.indices]
        rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
        # bincount adds in storage order, like scikit-learn's row loop: same rounding.
        norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=X.shape[0]))
        data /= norms[rows]
        return X

    def to_state(self) -> dict[str, Any]:
        return {"analyzer": self.analyzer, "word_range": self.word_range,
                "char_range": self.char_range, "sublinear": self.sublinear,
                "width": self.width}

    @classmethod
    def from_state(cls, state: dict[str, Any], terms: list[str], idf: np.ndarray) -> TfidfFeatures:
        return cls(terms, idf, state["analyzer"], state["word_range"], state["char_range"],
                   state["sublinear"])
