"""TF-IDF + logistic regression: the fast, strong text baseline ("tfidf_linear").

Word 1-2 grams for space-delimited languages, character 1-3 grams for Chinese and
mixed text (the language is detected from the training texts; parameter
``analyzer`` overrides: "word", "char", "jieba" words, "char+jieba"). Other numeric
and categorical columns of the frame join as extra features. Saved without pickle:
``vocabulary.json`` (terms in column order) and ``text_model.safetensors`` (idf,
coefficients); prediction runs on our own sparse code (``vectorizer.py``).

>>> m = TfidfLinearModel("binary").fit(frame[["review"]], y)          # doctest: +SKIP
>>> m.explain_text(["the room was dirty"], k=2)                        # doctest: +SKIP
[[('dirty', 0.41), ('room', 0.05)]]
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from bizforge.errors import ModelError
from bizforge.models.catalog import register_model
from bizforge.models.text_common import ANALYZERS, TextBatch, TextModel, display_token
from bizforge.models.text_tfidf.vectorizer import TfidfFeatures

__all__ = ["TfidfLinearModel"]

VOCABULARY = "vocabulary.json"
# Rows from which rare terms (seen in one training text) are dropped: they rarely help
# and would triple the vocabulary of character n-grams.
MIN_DF_ROWS = 2000


@register_model("tfidf_linear")
class TfidfLinearModel(TextModel):
    """TF-IDF features + logistic regression (C tuned on a holdout unless given).

    Parameters: ``analyzer`` ("auto" | "word" | "char" | "jieba" | "char+jieba"),
    ``word_ngrams`` [1, 2], ``char_ngrams`` [1, 3], ``min_df`` ("auto": 2 from 2,000
    rows, else 1), ``max_features`` (200,000), ``sublinear_tf`` (True), ``C`` (None =
    tuned), ``text_column`` (None = the text column with the longest texts),
    ``max_chars`` (20,000; longer texts are cut, with a counted warning),
    ``other_columns`` (True: numeric/categorical columns join the features).
    """

    defaults: ClassVar[dict[str, Any]] = {
        **TextModel.shared_defaults,
        "analyzer": "auto",
        "word_ngrams": [1, 2],
        "char_ngrams": [1, 3],
        "min_df": "auto",
        "max_features": 200_000,
        "sublinear_tf": True,
    }

    def _analyzer_kind(self) -> str:
        kind = self.params_["analyzer"]
        if kind == "auto":
            return "word" if self.language_ == "en" else "char"
        if kind not in ANALYZERS:
            from bizforge.errors import UsageError

            raise UsageError(f"analyzer '{kind}' is not known.",
                             fix=f"use 'auto' or one of: {', '.join(ANALYZERS)}.")
        return kind

    def _fit_text(self, X: TextBatch, y: np.ndarray, valid: tuple | None):
        p = self.params_
        min_df = p["min_df"]
        if min_df == "auto":
            min_df = 2 if len(X) >= MIN_DF_ROWS else 1
        self.features_, T = TfidfFeatures.fit(
            X.texts, self._analyzer_kind(), word_range=p["word_ngrams"],
            char_range=p["char_ngrams"], min_df=int(min_df), max_features=p["max_features"],
            sublinear=bool(p["sublinear_tf"]), column=self.text_column_)
        self.rows_ = np.arange(len(y))
        return T, y, self._sample_weight(y)

    def _text_features(self, texts: list[str]):
        return self.features_.transform(texts)

    # -- explanations --------------------------------------------------------------------

    def explain_text(self, texts: Any, k: int = 5) -> list[list[tuple[str, float]]]:
        """The ``k`` terms that most raised the predicted class, per text, strongest first.

        ``texts``: a list of strings (other columns then sit at their training means)
        or a frame with the training columns. Weight = tf-idf value x coefficient for the
        predicted class (binary: signed towards the prediction; multiclass: minus the
        mean over classes), in log-odds units; only terms with a positive weight.

        >>> model.explain_text(["great staff, dirty room"], k=2)    # doctest: +SKIP
        [[('great', 0.93), ('staff', 0.12)]]
        """
        batch = self._texts_of(texts)
        T = self._text_features(batch.texts)
        z = self.head_.scores(T, self._side(batch))
        coef = self.head_.coef[:, :self.head_.text_width]
        out: list[list[tuple[str, float]]] = []
        for i in range(T.shape[0]):
            cols = T.indices[T.indptr[i]:T.indptr[i + 1]]
            vals = T.data[T.indptr[i]:T.indptr[i + 1]]
            if coef.shape[0] == 1:
                w = vals * coef[0, cols] * (1.0 if z[i, 0] > 0 else -1.0)
            else:
                c = int(z[i].argmax())
                w = vals * (coef[c, cols] - coef[:, cols].mean(axis=0))
            top = np.argsort(-w, kind="stable")[:k]
            out.append([(display_token(self.features_.terms[cols[j]]), float(w[j]))
                        for j in top if w[j] > 0])
        return out

    # -- persistence ---------------------------------------------------------------------

    def _text_state(self) -> dict[str, Any]:
        return {"tfidf": self.features_.to_state(), "vocabulary": VOCABULARY}

    def _text_arrays(self) -> dict[str, np.ndarray]:
        return {"idf": self.features_.idf}

    def _save_files(self, directory: Path) -> None:
        super()._save_files(directory)
        text = json.dumps(self.features_.terms, ensure_ascii=False)
        (Path(directory) / VOCABULARY).write_text(text, encoding="utf-8")

    def _restore_text(self, state: dict[str, Any], arrays: dict[str, np.ndarray],
                      directory: Path) -> None:
        path = Path(directory) / state["vocabulary"]
        try:
            terms = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise ModelError(f"'{path}' is missing or damaged.",
                             fix="save the model again.") from None
        if len(terms) != state["tfidf"]["width"] or len(arrays["idf"]) != len(terms):
            raise ModelError(f"'{path}' does not match the saved idf weights.",
                             fix="save the model again.")
        self.features_ = TfidfFeatures.from_state(state["tfidf"], terms, arrays["idf"])
