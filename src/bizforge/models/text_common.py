"""What every text backend shares: the text column, clean-up, language, tokenisers, arrays.

A text backend receives a MODEL FRAME (the recipe's output) with one or more
``str`` columns. :class:`TextModel` (the base of ``tfidf_linear`` and
``embed_linear``) picks the text column (parameter ``text_column``, else the
text column with the longest texts at fit), cleans every value with
:func:`clean_texts` (missing -> "", control characters and broken surrogates
-> spaces, cut to ``max_chars`` characters with a counted :class:`TextWarning`)
and hands the backend a :class:`TextBatch`: the texts plus the other columns
as the usual float64 matrix (numeric values, category codes). Other numeric and
categorical columns become extra features of the linear head.

>>> clean_texts(["ok\\x00", None, "abcdef"], max_chars=3)
(['ok ', '', 'abc'], 1)
>>> char_ngrams("Ab  c", (1, 2))
['a', 'b', ' ', 'c', 'ab', 'b ', ' c']
"""

from __future__ import annotations

import logging
import math
import re
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from bizforge.errors import DataError, ModelError, UsageError
from bizforge.ingest.language import CJK_CHARS, detect_language
from bizforge.models.base import Model, Tags
from bizforge.models.columns import TEXT, ColumnSpec
from bizforge.models.preprocess import NumericPrep, one_hot

__all__ = [
    "ANALYZERS",
    "JIEBA_MARK",
    "LANGUAGES",
    "MAX_CHARS",
    "SideFeatures",
    "TextBatch",
    "TextModel",
    "TextWarning",
    "build_analyzer",
    "char_ngrams",
    "check_language",
    "chinese_words",
    "clean_texts",
    "display_token",
    "jieba_words",
    "language_of",
    "load_arrays",
    "pick_text_column",
    "read_texts",
    "save_arrays",
    "term_counts",
    "truncation_message",
    "word_ngrams",
    "word_spans",
]

# Control characters (tab, newline and carriage return kept) and lone surrogates: the
# C engines behind the embedders stop at NUL, and surrogates cannot be UTF-8 encoded.
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_WHITE_SPACES = re.compile(r"\s\s+")
# scikit-learn's default token pattern: words of two or more word characters.
_TOKEN = re.compile(r"(?u)\b\w\w+\b")
# Words for occlusion: letters/digits with inner apostrophes or hyphens ("don't", "e-mail").
_WORD = re.compile(r"(?u)\w+(?:['’-]\w+)*")
# Marks jieba words in a vocabulary shared with character n-grams, so that the word
# "好" and the character "好" stay separate features. Cleaning removes it from texts.
JIEBA_MARK = "\x1f"
ANALYZERS = ("word", "char", "jieba", "char+jieba")
# Hard cap on one text: bounds memory and time for a pasted book; backends may cut shorter.
MAX_CHARS = 20_000
ARRAYS = "text_model.safetensors"


class TextWarning(UserWarning):
    """Texts were changed to be usable (cut to a maximum length); the message counts them."""


@dataclass
class TextBatch:
    """What a text backend's hooks receive instead of a bare matrix."""

    texts: list[str]
    matrix: np.ndarray  # every fitted column, encoded as in ColumnSpec.encode

    def __len__(self) -> int:
        return len(self.texts)


# -- column and values ------------------------------------------------------------------


def pick_text_column(X: pd.DataFrame, spec: ColumnSpec, requested: str | None,
                     model: str) -> str:
    """The column to read texts from: ``requested``, else the text column with the longest texts.

    >>> X = pd.DataFrame({"title": ["a", "b"], "body": ["long text", "more text"]})
    >>> pick_text_column(X, ColumnSpec.from_frame(X, text=True), None, "m")
    'body'
    """
    if requested is not None:
        if requested not in spec.names:
            raise DataError(
                f"text column '{requested}' is not among the columns of X.", column=requested,
                fix=f"pass one of: {', '.join(spec.names[:10])}.",
            )
        return requested
    text_cols = [n for n, k in zip(spec.names, spec.kinds) if k == TEXT]
    if not text_cols:
        raise DataError(
            f"model '{model}' needs a text column, and X has none "
            f"(columns: {', '.join(spec.names[:10])}).",
            fix="pass the texts as a str column (e.g. 'review'), or choose a tabular backend.",
        )
    if len(text_cols) == 1:
        return text_cols[0]
    lengths = {c: X[c].fillna("").astype(str).str.len().mean() for c in text_cols}
    return max(text_cols, key=lambda c: (lengths[c], -text_cols.index(c)))


def read_texts(X: pd.DataFrame, column: str) -> list[Any]:
    """Raw values of ``column`` (any dtype; Categorical values are read as their labels)."""
    values = X[column]
    if isinstance(values, pd.DataFrame):  # duplicate names are refused at fit; be safe
        values = values.iloc[:, 0]
    return values.tolist()


def clean_texts(values: Iterable[Any], max_chars: int | None) -> tuple[list[str], int]:
    """``(texts, how many were cut)``: missing -> "", bad characters -> " ", cut at ``max_chars``.

    Emoji and every other printable character are kept as they are.
    """
    out: list[str] = []
    cut = 0
    for v in values:
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            out.append("")
            continue
        s = v if isinstance(v, str) else str(v)
        if max_chars is not None and len(s) > max_chars:
            s = s[:max_chars]
            cut += 1
        if _BAD_CHARS.search(s):
            s = _BAD_CHARS.sub(" ", s)
        out.append(s)
    return out, cut


def truncation_message(column: str, cut: int, total: int, max_chars: int,
                       reason: str = "") -> str:
    """``"3 of 120 texts in column 'review' were longer than 256 characters and were cut ..."``."""
    return (f"{cut} of {total} texts in column '{column}' were longer than {max_chars} "
            f"characters and were cut to their first {max_chars}{reason}.")


#: Text languages a user may name instead of detection (--text-language).
LANGUAGES = ("zh", "en", "mixed")


def check_language(language: str | None) -> str | None:
    """``language`` if it is None (detect) or one of :data:`LANGUAGES`, else UsageError."""
    if language is None or language in LANGUAGES:
        return language
    raise UsageError(f"text language '{language}' is not one of {', '.join(LANGUAGES)}.",
                     fix="pass zh (Chinese), en (English) or mixed (Chinese with English, or any "
                     "other language: multilingual encoder, character n-grams); leave it out "
                     "to detect it.")


def language_of(texts: Sequence[str]) -> str | None:
    """``"zh"``, ``"en"``, ``"mixed"`` or None, from :func:`bizforge.ingest.language.detect_language`."""
    return detect_language(pd.Series(list(texts), dtype="str"))


# -- tokenisers --------------------------------------------------------------------------


def _ngrams(tokens: list[str], lo: int, hi: int) -> list[str]:
    """Word n-grams joined by one space, in scikit-learn's order (unigrams first)."""
    if hi == 1 and lo == 1:
        return tokens
    out = list(tokens) if lo == 1 else []
    for n in range(max(lo, 2), min(hi, len(tokens)) + 1):
        out.extend(" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
    return out


def word_ngrams(text: str, ngram_range: Sequence[int] = (1, 2)) -> list[str]:
    """Lower-cased words of 2+ word characters and their n-grams (scikit-learn's "word").

    >>> word_ngrams("Not good, at all", (1, 2))
    ['not', 'good', 'at', 'all', 'not good', 'good at', 'at all']
    """
    lo, hi = ngram_range
    return _ngrams(_TOKEN.findall(text.lower()), lo, hi)


def char_ngrams(text: str, ngram_range: Sequence[int] = (1, 3)) -> list[str]:
    """Lower-cased character n-grams, white-space runs collapsed (scikit-learn's "char")."""
    text = _WHITE_SPACES.sub(" ", text.lower())
    lo, hi = ngram_range
    out = list(text) if lo == 1 else []
    for n in range(max(lo, 2), min(hi, len(text)) + 1):
        out.extend(text[i:i + n] for i in range(len(text) - n + 1))
    return out


_jieba = None


def _load_jieba():
    global _jieba
    if _jieba is None:
        import jieba

        jieba.setLogLevel(logging.WARNING)  # it announces its dictionary on stderr otherwise
        _jieba = jieba
    return _jieba


def jieba_words(text: str, ngram_range: Sequence[int] = (1, 1)) -> list[str]:
    """Lower-cased jieba words (white space and punctuation-only tokens dropped) and n-grams.

    >>> jieba_words("质量很好")
    ['质量', '很', '好']
    """
    words = [w for w in _load_jieba().lcut(text.lower()) if _TOKEN_CHAR.search(w)]
    lo, hi = ngram_range
    return _ngrams(words, lo, hi)


_TOKEN_CHAR = re.compile(r"(?u)\w")
_CJK = re.compile(CJK_CHARS)


def build_analyzer(kind: str, word_range: Sequence[int] = (1, 2),
                   char_range: Sequence[int] = (1, 3)) -> Callable[[str], list[str]]:
    """text -> list of terms for analyzer ``kind`` (one of :data:`ANALYZERS`).

    "char+jieba" adds jieba words, marked with :data:`JIEBA_MARK`, to the character n-grams.
    """
    word_range, char_range = tuple(word_range), tuple(char_range)
    if kind == "word":
        return lambda text: word_ngrams(text, word_range)
    if kind == "char":
        return lambda text: char_ngrams(text, char_range)
    if kind == "jieba":
        return lambda text: jieba_words(text, word_range)
    if kind == "char+jieba":
        return lambda text: char_ngrams(text, char_range) + [
            JIEBA_MARK + w for w in jieba_words(text, (1, 1))]
    raise UsageError(f"analyzer '{kind}' is not known.",
                     fix=f"use 'auto' or one of: {', '.join(ANALYZERS)}.")


def display_token(term: str) -> str:
    """A vocabulary term as shown to people (the jieba mark removed)."""
    return term[1:] if term.startswith(JIEBA_MARK) else term


def word_spans(text: str, language: str | None) -> list[tuple[int, int]]:
    """(start, end) of the words of ``text``: ``\\w+`` words, and for Chinese or mixed
    text, jieba words inside the runs that hold Chinese characters (jieba would cut
    other scripts, Cyrillic or Hangul, into single letters).

    >>> word_spans("don't  go!", "en")
    [(0, 5), (7, 9)]
    """
    words = [m.span() for m in _WORD.finditer(text)]
    if language not in ("zh", "mixed"):
        return words
    return [span for start, end in words for span in chinese_words(text, start, end)]


def chinese_words(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """``[(start, end)]``, or the jieba words of ``text[start:end]`` when it holds Chinese
    characters (pieces without a letter or digit, such as punctuation, left out)."""
    if _CJK.search(text, start, end) is None:
        return [(start, end)]
    return [(start + s, start + e) for w, s, e in _load_jieba().tokenize(text[start:end])
            if _TOKEN_CHAR.search(w)]


def term_counts(terms: list[str], vocabulary: dict[str, int]) -> Counter:
    """Counts of the terms found in ``vocabulary``, keyed by column index."""
    counts: Counter = Counter()
    for t in terms:
        j = vocabulary.get(t)
        if j is not None:
            counts[j] += 1
    return counts


# -- arrays on disk ----------------------------------------------------------------------


def save_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write numpy arrays as safetensors (no pickle), contiguous, dtypes kept."""
    from safetensors.numpy import save_file

    tensors = {k: np.ascontiguousarray(v) for k, v in arrays.items()}
    meta = {"format": "bizforge"}
    save_file(tensors, str(path), metadata=meta)
    head = Path(path).read_bytes()[:2]
    # A header length of 0x?0?80 starts like a pickle stream; pad it so no checker is fooled.
    if head[:1] == b"\x80" and head[1:2] in b"\x02\x03\x04\x05":
        save_file(tensors, str(path), metadata={**meta, "pad": "0" * 8})


def load_arrays(path: Path) -> dict[str, np.ndarray]:
    """Arrays written by :func:`save_arrays`; a missing file is a ModelError."""
    from safetensors.numpy import load_file

    if not Path(path).is_file():
        raise ModelError(f"'{path}' is missing.", fix="save the model again.")
    try:
        return load_file(str(path))
    except Exception as exc:  # noqa: BLE001 - any decoding problem means a damaged file
        raise ModelError(f"'{path}' cannot be read ({type(exc).__name__}).",
                         fix="save the model again.") from None


# -- other columns as extra features ------------------------------------------------------


@dataclass
class SideFeatures:
    """Numeric (standardised, + missing flags) and categorical (one-hot) columns beside the text."""

    num_pos: list[int]
    cat_pos: list[int]
    n_cats: list[int]
    prep: NumericPrep | None

    @classmethod
    def fit(cls, matrix: np.ndarray, spec: ColumnSpec, skip: set[int], use: bool) -> SideFeatures:
        num = [i for i in spec.num_idx if i not in skip] if use else []
        cat = [i for i in spec.cat_idx if i not in skip] if use else []
        n_cats = [spec.n_cats[spec.cat_idx.index(i)] for i in cat]
        prep = NumericPrep.fit(matrix[:, num]) if num else None
        return cls(num, cat, n_cats, prep)

    @property
    def width(self) -> int:
        return (self.prep.width if self.prep else 0) + sum(k + 1 for k in self.n_cats)

    def transform(self, matrix: np.ndarray) -> np.ndarray:
        parts = [np.zeros((len(matrix), 0))]
        if self.prep is not None:
            parts.append(self.prep.transform(matrix[:, self.num_pos]))
        if self.cat_pos:
            parts.append(one_hot(matrix[:, self.cat_pos], self.n_cats))
        return np.hstack(parts)

    def groups(self) -> list[int]:
        """Input column position of every side feature."""
        out = list(self.num_pos)
        if self.prep is not None:
            out += [self.num_pos[i] for i in self.prep.indicators]
        for pos, k in zip(self.cat_pos, self.n_cats):
            out += [pos] * (k + 1)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"num_pos": self.num_pos, "cat_pos": self.cat_pos, "n_cats": self.n_cats,
                "numeric": self.prep.to_dict() if self.prep else None}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SideFeatures:
        prep = NumericPrep.from_dict(d["numeric"]) if d["numeric"] else None
        return cls(list(d["num_pos"]), list(d["cat_pos"]), list(d["n_cats"]), prep)


# -- the base of the text backends ---------------------------------------------------------


class TextModel(Model):
    """A linear head over text features (``_text_features``) plus the other columns.

    The hooks receive a :class:`TextBatch` instead of a matrix. Backends implement
    ``_fit_text(batch, y, valid)`` (learn the text featuriser; return the training text
    features, the targets and sample weights of the rows used, ``self.rows_``),
    ``_text_features(texts)`` (an (n, t) matrix, dense or scipy sparse) and
    ``_text_state``/``_text_arrays``/``_restore_text``. The head (``self.head_``, a
    :class:`bizforge.models.text_tfidf.head.LinearHead`) and its C search are shared.
    """

    tags = Tags(problems=("binary", "multiclass"), handles_text=True, explains=True)
    c_start = 16.0  # first C of the head's search
    shared_defaults: ClassVar[dict[str, Any]] = {
        "text_column": None, "max_chars": MAX_CHARS, "other_columns": True, "C": None,
        "language": None}

    def fit(self, X: pd.DataFrame, y: Any, **kwargs: Any) -> TextModel:
        # The text column is chosen while the training frame is encoded (in super().fit).
        self.text_column_ = None
        self.warnings_: list[dict[str, Any]] = []
        return super().fit(X, y, **kwargs)

    # -- encoding ------------------------------------------------------------------------

    def _encode(self, X: pd.DataFrame, warn: bool = True) -> TextBatch:  # type: ignore[override]
        matrix = super()._encode(X)
        if getattr(self, "text_column_", None) is None:
            self.text_column_ = pick_text_column(X, self.spec_, self.params_["text_column"],
                                                 self.name)
        cap = self._hard_cap()
        texts, cut = clean_texts(read_texts(X, self.text_column_), cap)
        if cut and warn:
            self._warn("truncated", truncation_message(self.text_column_, cut, len(texts), cap),
                       cut)
        return TextBatch(texts, matrix)

    def _encode_valid(self, X: pd.DataFrame) -> TextBatch:
        """Validation rows are cut like any, without a notice: it would count them as if they
        were training texts (training gives its own)."""
        return self._encode(X, warn=False)

    def _hard_cap(self) -> int:
        cap = self.params_["max_chars"]
        return MAX_CHARS if not isinstance(cap, int) else cap

    def _warn(self, kind: str, message: str, count: int) -> None:
        """Warn now; while fitting, also keep it in ``warnings_`` (saved, shown in reports)."""
        warnings.warn(message, TextWarning, stacklevel=5)
        if not getattr(self, "is_fitted_", False):
            self.warnings_.append({"kind": kind, "message": message, "count": int(count)})

    def _texts_of(self, data: Any) -> TextBatch:
        """A TextBatch from a frame (every column) or from bare texts (other columns at mean)."""
        self._require_fitted()
        if isinstance(data, pd.DataFrame):
            return self._check_X(data)
        values = [data] if isinstance(data, str) else list(data)
        texts, cut = clean_texts(values, self._hard_cap())
        if cut:
            self._warn("truncated", truncation_message(self.text_column_, cut, len(texts),
                                                       self._hard_cap()), cut)
        return TextBatch(texts, None)  # type: ignore[arg-type]

    # -- training ------------------------------------------------------------------------

    def _fit(self, X: TextBatch, y: np.ndarray, valid: tuple | None) -> None:
        from bizforge.models.text_tfidf.head import fit_head

        self.language_ = check_language(self.params_["language"]) or language_of(X.texts)
        empty = sum(1 for t in X.texts if not t.strip())
        if empty:
            self._warn("empty", f"{empty} of {len(X)} training texts in column "
                       f"'{self.text_column_}' are empty; the model learns nothing from them.",
                       empty)
        text_pos = {self.spec_.names.index(self.text_column_)}
        text_pos |= {i for i, k in enumerate(self.spec_.kinds) if k == TEXT}
        self.side_ = SideFeatures.fit(X.matrix, self.spec_, text_pos,
                                      bool(self.params_["other_columns"]))
        started = time.monotonic()
        T, y, weight = self._fit_text(X, y, valid)
        S = self.side_.transform(X.matrix[self.rows_]) if self.side_.width else None
        featurised = time.monotonic()
        tune_on = None
        if valid is not None and self.params_["C"] is None:
            vb, vy = valid
            tune_on = (self._valid_features(vb.texts), self._side(vb), vy)
        self.head_, self.head_info_ = fit_head(
            T, S, y, self.n_classes_, C=self.params_["C"], weight=weight, seed=self.seed_,
            deadline=self.deadline_, threads=self.threads_, c_start=self.c_start,
            valid=tune_on)
        # One head fit at the chosen C (the search fitted several): what a refit costs.
        tried = max(1, len(self.head_info_.get("tried") or {}))
        self.cost_seconds_ = {"features": featurised - started,
                             "head": (time.monotonic() - featurised) / tried}
        self.means_ = self.head_.design_means(T, S)
        contrib = np.abs(self._contrib(T, S))
        imp = contrib.reshape(-1, contrib.shape[-1]).mean(axis=0)[:-1]
        self.feature_importances_ = imp / imp.sum() if imp.sum() > 0 else imp

    def holdout_refit(self, n_rows: int) -> tuple[dict[str, Any], float] | None:
        """(params, estimated seconds) to refit on ``n_rows`` (training + validation), or None.

        The refit keeps the C chosen on the validation rows; None when this model
        saw only part of its training rows (a budget cut it short).
        """
        if getattr(self, "n_train_used_", 0) < getattr(self, "n_train_total_", 0):
            return None
        grow = n_rows / max(1, len(self.rows_))
        seconds = self.cost_seconds_
        return ({"C": self.head_info_["C"]},
                (self._refit_feature_seconds(seconds["features"]) + seconds["head"]) * grow)

    def _refit_feature_seconds(self, seconds: float) -> float:
        return seconds  # the featuriser is learnt again

    def _fit_text(self, X: TextBatch, y: np.ndarray, valid: tuple | None):
        """Learn the text features; ``(T, y, sample weight)`` of the rows used (``self.rows_``)."""
        raise NotImplementedError

    def _text_features(self, texts: list[str]):
        raise NotImplementedError

    def _valid_features(self, texts: list[str]):
        """Text features of validation rows while fitting (the head's C is chosen on them)."""
        return self._text_features(texts)

    # -- prediction ----------------------------------------------------------------------

    def _side(self, batch: TextBatch) -> np.ndarray | None:
        if not self.side_.width:
            return None
        if batch.matrix is None:  # bare texts: the other columns at their training means
            return np.broadcast_to(self.means_[-self.side_.width:], (len(batch), self.side_.width))
        return self.side_.transform(batch.matrix)

    def _predict_proba(self, X: TextBatch) -> np.ndarray:
        return self.head_.proba(self._text_features(X.texts), self._side(X))

    def _contributions(self, X: TextBatch) -> np.ndarray:
        return self._contrib(self._text_features(X.texts), self._side(X))

    def _contrib(self, T, S) -> np.ndarray:
        """Centred attributions per input column (+ bias): text, other columns, 0 for unused."""
        head, t = self.head_, self.head_.text_width
        n, r, p = T.shape[0], head.coef.shape[0], self.n_features_in_
        out = np.zeros((n, r, p + 1))
        ct = head.coef[:, :t]
        out[:, :, self.spec_.names.index(self.text_column_)] = (
            np.asarray(T @ ct.T) - self.means_[:t] @ ct.T)
        if S is not None:
            centred = S - self.means_[t:]
            for j, col in enumerate(self.side_.groups()):
                out[:, :, col] += centred[:, j:j + 1] * head.coef[:, t + j]
        out[:, :, p] = head.intercept + head.coef @ self.means_
        return out[:, 0, :] if r == 1 else out

    # -- persistence ---------------------------------------------------------------------

    def _state(self) -> dict[str, Any]:
        return {
            "file": ARRAYS,
            "text_column": self.text_column_,
            "language": self.language_,
            "warnings": self.warnings_,
            "side": self.side_.to_dict(),
            "head": self.head_info_,
            "text_width": self.head_.text_width,
            **self._text_state(),
        }

    def _save_files(self, directory: Path) -> None:
        arrays = {"head_coef": self.head_.coef.astype(np.float32),
                  "head_intercept": self.head_.intercept, "design_means": self.means_,
                  **self._text_arrays()}
        save_arrays(Path(directory) / ARRAYS, arrays)

    def _restore(self, state: dict[str, Any], directory: Path) -> None:
        from bizforge.models.text_tfidf.head import LinearHead

        arrays = load_arrays(Path(directory) / state["file"])
        self.text_column_ = state["text_column"]
        self.language_ = state["language"]
        self.warnings_ = list(state["warnings"])
        self.side_ = SideFeatures.from_dict(state["side"])
        self.head_info_ = state["head"]
        self.head_ = LinearHead(arrays["head_coef"].astype(np.float64),
                                arrays["head_intercept"].astype(np.float64),
                                int(state["text_width"]), self.n_classes_)
        self.means_ = arrays["design_means"].astype(np.float64)
        self._restore_text(state, arrays, directory)

    def _text_state(self) -> dict[str, Any]:
        return {}

    def _text_arrays(self) -> dict[str, np.ndarray]:
        return {}

    def _restore_text(self, state: dict[str, Any], arrays: dict[str, np.ndarray],
                      directory: Path) -> None:
        pass
