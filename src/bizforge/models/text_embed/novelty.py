"""How far a text lies from the training texts: the out-of-scope signal beside the top probability.

A query of a kind never seen in training often still gets one class with a high
probability: the classifier only learned to tell the known intents apart. Its
distance to the nearest training text of a known intent, in a frozen encoder's
space, is a second opinion: a new kind of query sits far from all of them.
:class:`Novelty` keeps the unit-length embeddings of the in-scope training texts
(float16, in safetensors) and the encoder's identity, and gives
``1 - max cosine similarity`` for new texts. The encoder is the embed_linear
member's, so training adds no embedding work: only texts already embedded (and
memoised) during the search become reference rows.

>>> nov = Novelty.from_member(embed_linear_model, X_train_in_scope)   # doctest: +SKIP
>>> nov.distance(pd.DataFrame({"text": ["how do I bake bread?"]}))     # doctest: +SKIP
array([0.52])
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from bizforge.errors import ModelError
from bizforge.models.text_common import clean_texts, read_texts
from bizforge.models.text_embed.backbones import check_backbone, open_backbone

__all__ = ["Novelty"]

STATE_FILE = "novelty.json"
ARRAY_FILE = "novelty.safetensors"
CHUNK = 1024  # query rows per similarity block (bounds memory for big batches)


def _read(frame, column: str, hard_cap: int, max_chars: int) -> list[str]:
    """The texts as the embed_linear model reads them: cleaned, then cut."""
    if column not in frame.columns:
        raise ModelError(f"the out-of-scope check needs the text column '{column}'.",
                         fix=f"pass rows with a '{column}' column.")
    texts, _ = clean_texts(read_texts(frame, column), hard_cap)
    return [t[:max_chars] for t in texts]


class Novelty:
    """Cosine distance to the nearest reference (in-scope training) text."""

    def __init__(self, identity: dict[str, Any], reference: np.ndarray, column: str,
                 hard_cap: int, max_chars: int, labels: np.ndarray | None = None):
        self.identity = identity
        # Class of each reference row: known while training (distance_without), not saved.
        self.labels = None if labels is None else np.asarray(labels, dtype=np.int64)
        # Embedder rows are unit length; rows read back from float16 are renormalised.
        reference = np.asarray(reference, dtype=np.float32)
        norms = np.linalg.norm(reference, axis=1, keepdims=True)
        self.reference = reference / np.maximum(norms, 1e-12)
        self.column = column
        self.hard_cap, self.max_chars = int(hard_cap), int(max_chars)

    @classmethod
    def from_member(cls, model, frame, labels=None) -> Novelty | None:
        """Reference rows: the texts of ``frame`` that ``model`` (a fitted embed_linear)
        embedded while training; None when it embedded none of them. ``labels``: the
        class index of each row of ``frame`` (a text given twice keeps its first)."""
        from bizforge.config import get_settings

        column, hard_cap, max_chars = model.text_column_, model._hard_cap(), model._cut_chars()
        read = _read(frame, column, hard_cap, max_chars)
        texts = dict.fromkeys(read)
        emb = open_backbone(model.backbone_, get_settings().threads)
        missing = set(emb.missing(texts))
        known = [t for t in texts if t not in missing]
        if not known:
            return None
        label_of = None
        if labels is not None:
            label_of = {}
            for text, label in zip(read, np.asarray(labels)):
                label_of.setdefault(text, int(label))
        return cls(model.backbone_, emb.embed(known, store=False), column, hard_cap, max_chars,
                   None if label_of is None else [label_of[t] for t in known])

    def __len__(self) -> int:
        return len(self.reference)

    def distance(self, frame) -> np.ndarray:
        """``1 - cosine similarity`` to the nearest reference text, one per row (0 to 2)."""
        return self._nearest(frame, None)

    def distance_without(self, frame, classes) -> np.ndarray:
        """Distance to the nearest reference text of another class than the row's own
        (``classes``: a class index per row): how far the text would lie if its class had
        never been seen in training. 2.0 where no other class is in the reference."""
        if self.labels is None:
            raise ModelError("this reference does not know its rows' classes (they are kept "
                             "only while training).", fix="call it on Novelty.from_member(..., "
                             "labels=) of the training run.")
        classes = np.asarray(classes, dtype=np.int64)
        if classes.shape != (len(frame),):
            raise ModelError(f"distance_without needs one class per row: {len(frame)} rows, "
                             f"{classes.shape} classes.", fix="pass the rows' class indices.")
        return self._nearest(frame, classes)

    def _nearest(self, frame, skip: np.ndarray | None) -> np.ndarray:
        from bizforge.config import get_settings

        emb = open_backbone(self.identity, get_settings().threads)
        E = emb.embed(_read(frame, self.column, self.hard_cap, self.max_chars), store=False)
        out = np.empty(len(E))
        for s in range(0, len(E), CHUNK):
            sim = E[s:s + CHUNK] @ self.reference.T
            if skip is not None:  # the row's own class is hidden: as if never trained on
                sim[self.labels[None, :] == skip[s:s + CHUNK, None]] = -1.0
            out[s:s + CHUNK] = 1.0 - sim.max(axis=1)
        return np.clip(out, 0.0, 2.0)

    # -- persistence ---------------------------------------------------------------
    def save(self, directory: str | Path) -> None:
        from safetensors.numpy import save_file

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        state = {"backbone": self.identity, "column": self.column, "hard_cap": self.hard_cap,
                 "max_chars": self.max_chars, "rows": len(self.reference)}
        (directory / STATE_FILE).write_text(json.dumps(state, ensure_ascii=False, indent=1),
                                            encoding="utf-8")
        save_file({"reference": self.reference.astype(np.float16)}, str(directory / ARRAY_FILE))

    @classmethod
    def load(cls, directory: str | Path) -> Novelty:
        from safetensors.numpy import load_file

        directory = Path(directory)
        try:
            state = json.loads((directory / STATE_FILE).read_text(encoding="utf-8"))
            reference = load_file(str(directory / ARRAY_FILE))["reference"]
        except (OSError, KeyError, ValueError) as exc:
            raise ModelError(f"the out-of-scope reference in '{directory}' cannot be read: {exc}.",
                             fix="retrain the model (bizforge train ... --reject auto).") from None
        if reference.shape[0] != state.get("rows"):
            raise ModelError(f"'{directory / ARRAY_FILE}' holds {reference.shape[0]} rows, "
                             f"{STATE_FILE} says {state.get('rows')}.",
                             fix="retrain the model (bizforge train ... --reject auto).")
        check_backbone(state["backbone"])
        return cls(state["backbone"], reference.astype(np.float32), state["column"],
                   state["hard_cap"], state["max_chars"])
