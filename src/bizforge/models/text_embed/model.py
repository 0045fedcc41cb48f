"""Frozen sentence embeddings + logistic regression ("embed_linear").

Texts are embedded by a frozen encoder (``backbone``: "auto" = MiniLM for English,
multilingual-e5 (layers 8 and 12, float32) for Chinese and mixed text; or a local
Hugging Face folder), the embeddings standardised, and a logistic regression fitted
on them (plus the other numeric/categorical columns). Only the head is saved (``text_model.safetensors``);
the backbone is recorded by identity (package + version, or folder + config hash)
and must be present to load the model.

Embedding is the cost, so under a time ``budget`` the throughput is measured on a
first batch and only as many training rows are embedded as fit (a stratified
subsample; ``n_train_used_`` of ``n_train_total_``). The validation rows passed to
``fit`` are embedded too (memoised), so predicting them afterwards is instant.

>>> m = EmbedLinearModel("multiclass").fit(frame[["text"]], y, budget=60)   # doctest: +SKIP
>>> m.n_train_used_, m.backbone_["kind"]                                    # doctest: +SKIP
(10003, 'minilm')
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from bizforge.errors import ModelError, UsageError
from bizforge.models.catalog import register_model
from bizforge.models.text_common import TextBatch, TextModel, truncation_message, word_spans
from bizforge.models.text_embed.backbones import (
    Embedder,
    check_backbone,
    open_backbone,
    resolve_backbone,
)

__all__ = ["EmbedLinearModel", "stratified_order"]

# Characters kept per text when max_chars is "auto": e5 is slow on long texts (and the
# start of a review carries most of its sentiment); HF encoders read max_length tokens,
# which never span more than ~16 characters each.
E5_CHARS = 256
CHARS_PER_TOKEN = 16
# Rows in the first timed batch of the cost model (Embedder.cost_units).
PROBE_ROWS = 32
# Share of the fit budget planned for embedding (the rest: head, margins).
EMBED_SHARE = 0.75
OCCLUDE_MAX_WORDS = 32


def stratified_order(y: np.ndarray, seed: int) -> np.ndarray:
    """Row order whose every prefix is roughly stratified; each class's first row comes first.

    >>> y = np.array([0, 0, 0, 0, 0, 0, 1, 1])
    >>> sorted(y[stratified_order(y, 0)[:2]].tolist())
    [0, 1]
    """
    rng = np.random.default_rng(seed)
    key = np.empty(len(y))
    for c in np.unique(y):
        rows = np.flatnonzero(y == c)
        rank = rng.permutation(len(rows))
        key[rows] = np.where(rank == 0, -1.0, (rank + rng.random(len(rows))) / len(rows))
    return np.argsort(key, kind="stable")


@register_model("embed_linear")
class EmbedLinearModel(TextModel):
    """Frozen encoder embeddings + logistic regression (C tuned on a holdout unless given).

    Parameters: ``backbone`` ("auto" | "minilm" | "e5-fp32" | "e5" | folder),
    ``max_length`` ("auto": 256 tokens for e5-fp32, 128 for other HF encoders),
    ``max_chars`` ("auto": 256 for e5, 16 x max_length else; longer texts are cut with a
    counted warning), ``max_train_rows`` (None: all that fit the budget), ``C``,
    ``text_column``, ``other_columns``. The backbone runs on the threads of the settings (``BIZFORGE_THREADS``), the head on ``n_threads``.
    """

    # Standardised embeddings want stronger regularisation than sparse TF-IDF.
    c_start = 1.0 / 16.0
    defaults: ClassVar[dict[str, Any]] = {
        **TextModel.shared_defaults,
        "max_chars": "auto",
        "backbone": "auto",
        "max_length": "auto",
        "max_train_rows": None,
    }

    # -- the backbone --------------------------------------------------------------------

    def _embedder(self) -> Embedder:
        from bizforge.config import get_settings

        return open_backbone(self.backbone_, get_settings().threads)

    def _cut_chars(self) -> int:
        cap = self.params_["max_chars"]
        if isinstance(cap, int):
            return cap
        if self.backbone_["kind"] == "e5":
            return E5_CHARS
        return CHARS_PER_TOKEN * int(self.backbone_["max_length"])

    def _cut(self, texts: list[str], warn: bool = True) -> list[str]:
        cap = self._cut_chars()
        out = [t[:cap] for t in texts]
        cut = sum(1 for t in texts if len(t) > cap)
        if cut and warn:
            why = (" (e5 is slow on long texts; set max_chars to read more)"
                   if self.backbone_["kind"] == "e5" else " (the backbone reads no more)")
            self._warn("truncated", truncation_message(self.text_column_, cut, len(texts), cap,
                                                       why), cut)
        return out

    def _embed(self, texts: list[str], warn: bool = True) -> np.ndarray:
        """Standardised embeddings for prediction (read the memo, never grow it)."""
        try:
            E = self._embedder().embed(self._cut(texts, warn), store=False)
        except UsageError as exc:
            if not getattr(self, "is_fitted_", False):
                raise
            raise ModelError(exc.message, fix=exc.fix) from None
        return (E.astype(np.float64) - self.emb_mean_) / self.emb_scale_

    # -- training ------------------------------------------------------------------------

    def _fit_text(self, X: TextBatch, y: np.ndarray, valid: tuple | None):
        p = self.params_
        self.backbone_ = resolve_backbone(p["backbone"], self.language_, p["max_length"])
        emb = self._embedder()
        emb.load()
        emb.embed(["warm up"], store=False)  # first-call costs would skew the timed probe
        texts = self._cut(X.texts)
        valid_texts = self._cut(valid[0].texts, warn=False) if valid is not None else []
        rows = self._affordable_rows(emb, texts, y, valid_texts)
        E = emb.embed([texts[i] for i in rows]).astype(np.float64)
        if valid_texts:
            emb.embed(valid_texts)  # memoised: the caller predicts these rows next
        self.rows_ = rows
        self.n_train_total_, self.n_train_used_ = len(texts), len(rows)
        self._warn_token_limit(emb, [texts[i] for i in rows])
        if len(rows) < len(texts):
            cap = self.params_["max_train_rows"]
            why = (f"as max_train_rows={cap} asks" if cap is not None and len(rows) >= int(cap)
                   else "to stay within the time budget")
            self._warn("subsampled", f"embedded {len(rows)} of {len(texts)} training texts "
                       f"(a stratified sample) {why}.", len(texts) - len(rows))
        self.emb_mean_ = E.mean(axis=0)
        scale = E.std(axis=0)
        self.emb_scale_ = np.where(scale > 1e-12, scale, 1.0)
        weight = self._sample_weight(y)
        return ((E - self.emb_mean_) / self.emb_scale_, y[rows],
                None if weight is None else weight[rows])

    def _warn_token_limit(self, emb: Embedder, texts: list[str]) -> None:
        """Warn, with the count, when texts reach the encoder's token limit (read cut)."""
        full, limit = emb.at_limit(texts)
        if full:
            self._warn("truncated", f"{full} of {len(texts)} embedded training texts in column "
                       f"'{self.text_column_}' reach the encoder's limit of {limit} tokens: "
                       f"it reads only their first {limit} (set max_length to read more).",
                       full)

    def _affordable_rows(self, emb: Embedder, texts: list[str], y: np.ndarray,
                         valid_texts: list[str]) -> np.ndarray:
        """Training rows to embed: all of them, or a stratified prefix that fits the budget."""
        order = stratified_order(y, self.seed_)
        cap = self.params_["max_train_rows"]
        if cap is not None:
            order = order[:max(int(cap), 1)]
        if self.deadline_ is None:
            return np.sort(order)
        # Time the first rows (kept: they are memoised) to learn seconds per cost unit
        # (a character, or a token read for encoders that truncate).
        per_unit = None
        for part in (order[:PROBE_ROWS], order[PROBE_ROWS:PROBE_ROWS * 2]):
            todo = emb.missing([texts[i] for i in part])
            if todo:  # else everything cached so far: time a few later rows
                start = time.monotonic()
                emb.embed(todo)
                # A probe is one or two padded batches; a whole run pads little.
                per_unit = (time.monotonic() - start) / max(emb.padded_units(todo), 1.0)
                break
        per_unit = per_unit or 0.0
        missing = emb.missing(texts + valid_texts)
        units = dict(zip(missing, emb.cost_units(missing) * per_unit)) if missing else {}
        cost = np.array([units.get(t, 0.0) for t in texts])
        valid_cost = sum(units.get(t, 0.0) for t in dict.fromkeys(valid_texts))
        allowed = self._time_left() * EMBED_SHARE - valid_cost
        within = np.cumsum(cost[order]) <= allowed
        floor = min(len(order), max(2 * self.n_classes_, PROBE_ROWS))
        n = max(int(within.sum()) if within.all() else int(np.argmin(within)), floor)
        return np.sort(order[:n])

    def _refit_feature_seconds(self, seconds: float) -> float:
        return 0.1 * seconds  # its training and validation rows are memoised: read, not embedded

    def _text_features(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts)

    def _valid_features(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts, warn=False)  # their truncation is not news about training

    # -- explanations --------------------------------------------------------------------

    def explain_text(self, texts: Any, k: int = 5,
                     max_words: int = OCCLUDE_MAX_WORDS) -> list[list[tuple[str, float]]]:
        """Leave-one-word-out occlusion: the ``k`` words whose removal most lowers the prediction.

        Words are ``\\w+`` runs, inner apostrophes and hyphens kept (jieba words for
        Chinese and mixed text). Only the first
        ``max_words`` words of a text are tried (each costs one embedding), so this is
        meant for short texts and a handful of rows. Weight = drop of the predicted
        class's score (log-odds; multiclass: minus the mean over classes).

        >>> model.explain_text(["my card was declined"], k=2)    # doctest: +SKIP
        [[('declined', 1.8), ('card', 0.6)]]
        """
        batch = self._texts_of(texts)
        S = self._side(batch)
        base = self.head_.scores(self._embed(batch.texts), S)
        variants, owner, words = [], [], []
        for i, text in enumerate(self._cut(batch.texts, warn=False)):
            for s, e in word_spans(text, self.language_)[:max_words]:
                variants.append((text[:s] + text[e:]).strip())
                owner.append(i)
                words.append(text[s:e])
        out: list[list[tuple[str, float]]] = [[] for _ in range(len(batch))]
        if not variants:
            return out
        owner_arr = np.asarray(owner)
        z = self.head_.scores(self._embed(variants, warn=False),
                              None if S is None else S[owner_arr])
        for i in range(len(batch)):
            idx = np.flatnonzero(owner_arr == i)
            if not len(idx):
                continue
            full, less = base[i], z[idx]
            if base.shape[1] == 1:
                sign = 1.0 if full[0] > 0 else -1.0
                drop = sign * (full[0] - less[:, 0])
            else:
                c = int(full.argmax())
                drop = (full[c] - full.mean()) - (less[:, c] - less.mean(axis=1))
            top = np.argsort(-drop, kind="stable")[:k]
            out[i] = [(words[idx[j]], float(drop[j])) for j in top if drop[j] > 0]
        return out

    # -- persistence ---------------------------------------------------------------------

    def _text_state(self) -> dict[str, Any]:
        return {"backbone": self.backbone_, "n_train_used": self.n_train_used_,
                "n_train_total": self.n_train_total_}

    def _text_arrays(self) -> dict[str, np.ndarray]:
        return {"emb_mean": self.emb_mean_, "emb_scale": self.emb_scale_}

    def _restore_text(self, state: dict[str, Any], arrays: dict[str, np.ndarray],
                      directory: Path) -> None:
        check_backbone(state["backbone"])
        self.backbone_ = state["backbone"]
        self.n_train_used_ = state["n_train_used"]
        self.n_train_total_ = state["n_train_total"]
        self.emb_mean_ = arrays["emb_mean"].astype(np.float64)
        self.emb_scale_ = arrays["emb_scale"].astype(np.float64)
