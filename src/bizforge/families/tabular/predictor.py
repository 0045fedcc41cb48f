"""The loaded pipeline: raw rows in, predictions (and reasons) out.

A :class:`Predictor` is everything a trained model needs at prediction time —
the cleaning recipe, the task (labels), the ensemble and the business
threshold — so batch scoring, the Python API and the server cannot drift from
what was trained. It is built in memory by :func:`bizforge.pipeline.train` and
read back from disk by :func:`bizforge.families.load_model`, which verifies
every file's sha256 against the manifest first. It serves both the tabular and the
text family (a text model is a table whose one feature is free text).

Artifact layout (all JSON, LightGBM text or safetensors; no pickle)::

    manifest.json    sha256 + size of every other file
    model.json       task, input schema, threshold, versions, data fingerprint
    recipe.json      the cleaning recipe
    ensemble/        ensemble.json + members/<i>_<name>/ (each backend's own files)
    novelty/         (--reject with text) reference embeddings: distance to training texts
    metrics.json     held-out metrics and leaderboard
    report.html      the report for people
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from bizforge.clean.recipe import Recipe
from bizforge.errors import DataError, ModelError, ModelNotFound
from bizforge.families.base import Action, FamilyPredictor
from bizforge.manifest import MANIFEST, verify_manifest
from bizforge.tasks.spec import TaskSpec
from bizforge.train.result import SearchResult

__all__ = ["ARTIFACT_FORMAT", "ENSEMBLE_DIR", "MODEL_FILE", "RECIPE_FILE", "Predictor", "RowsRequest",
           "ScoredResponse"]

MODEL_FILE = "model.json"
RECIPE_FILE = "recipe.json"
ENSEMBLE_DIR = "ensemble"
NOVELTY_DIR = "novelty"
ARTIFACT_FORMAT = 1
UNKNOWN = "unknown"  # the label of a rejected (out-of-scope, low-confidence) prediction
EXPLAIN_TEXT_ROWS = 64  # texts explained at a time (about 4-6 a second for a transformer)


class RowsRequest(BaseModel):
    """``predict`` request of the Python-side action: rows as column -> value objects."""

    rows: list[dict[str, Any]] = Field(min_length=1)


class ScoredResponse(BaseModel):
    """``predict`` response: one prediction (and probability for classification) per row."""

    predictions: list[Any]
    probabilities: list[float] | None = None


class Predictor(FamilyPredictor):
    """Applies the recipe itself: give it rows as they come from the business.

    >>> predictor = load_model("models/churn")             # doctest: +SKIP
    >>> predictor.predict(pd.DataFrame([{"tenure": 2, "Contract": "Month-to-month"}]))  # doctest: +SKIP
    array(['Yes'], dtype=object)
    """

    def __init__(
        self,
        recipe: Recipe,
        result: SearchResult,
        *,
        threshold: float | None = None,
        info: dict[str, Any] | None = None,
        path: Path | None = None,
        novelty: Any | None = None,
    ):
        self.recipe = recipe
        self.result = result
        self.spec: TaskSpec = result.spec
        self.threshold = threshold
        self.info = info or {}
        self.path = path
        self.sensitive = [c for c, why in recipe.dropped.items() if why == "pii"]
        self.reject = None
        self.novelty = novelty
        # One class serves two families: a text model is a table of one free-text column.
        self.family = "text" if self.spec.kind == "text-classification" else "tabular"
        if self.info.get("reject"):
            from bizforge.train.reject import RejectCalibrator

            self.reject = RejectCalibrator.from_dict(self.info["reject"])
            if self.reject.uses_distance and novelty is None:
                raise ModelError("this model rejects by text distance but has no reference "
                                 f"texts ({NOVELTY_DIR}/ is missing).",
                                 fix="retrain the model (bizforge train ... --reject auto).")

    def __repr__(self) -> str:
        where = f" at {self.path}" if self.path else ""
        return f"Predictor({self.spec.kind}, target={self.spec.target!r}{where})"

    # -- prediction ----------------------------------------------------------------
    def features(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The model frame for raw ``frame`` (DataError naming an absent required column)."""
        if not isinstance(frame, pd.DataFrame):
            frame = pd.DataFrame(frame)
        if len(frame) == 0:
            raise DataError("no rows to predict.", fix="pass at least one row.")
        return self.recipe.transform(frame)

    def predict_proba(self, frame: pd.DataFrame) -> pd.DataFrame:
        """One column per class (named by the original label), rows summing to 1."""
        if not self.spec.is_classification:
            raise ModelError(
                "predict_proba is for classification models.", fix="use predict for regression."
            )
        proba = self.result.predict_proba(self.features(frame))
        return pd.DataFrame(proba, columns=[str(c) for c in self.spec.classes], index=frame.index)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Labels (binary: at the business threshold) or regression values."""
        return self.value_and_labels(self.features(frame))[1]

    def value_and_labels(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(ensemble value, labels) of model frame ``X``; with a distance-based rejection,
        each text is embedded once for both (the member and the distance)."""
        if self.novelty is None:
            value = self.result.predict_value(X)
            return value, self._labels(value, X)
        from bizforge.models.text_embed.backbones import shared_embeddings

        with shared_embeddings():
            value = self.result.predict_value(X)
            return value, self._labels(value, X)

    def distance(self, X: pd.DataFrame) -> np.ndarray | None:
        """Each row's distance from the training texts (model frame ``X``), when rejection uses it."""
        if self.reject is None or not self.reject.uses_distance:
            return None
        return self.novelty.distance(X)

    def _labels(self, value: np.ndarray, X: pd.DataFrame) -> np.ndarray:
        if not self.spec.is_classification:
            return value
        if self.reject is not None:  # below the calibrated confidence: hand to a person
            idx, _ = self.reject.apply(value, self.distance(X))
            labels = self.spec.decode(np.maximum(idx, 0)).astype(object)
            labels[idx < 0] = UNKNOWN
            return labels
        if self.spec.problem == "binary" and self.threshold is not None:
            pos = self.spec.positive_index
            idx = np.where(value[:, pos] >= self.threshold, pos, 1 - pos)
        else:
            idx = np.argmax(value, axis=1)
        return self.spec.decode(idx)

    def explain(self, frame: pd.DataFrame, k: int = 3,
                progress: Callable[[int], None] | None = None) -> list[list[dict[str, Any]]]:
        """Top ``k`` reasons per row in the original columns, through the dominant member.

        The ensemble is explained through its largest-weight member (its
        attributions are exact for that member; the others agree in direction
        but not always in size) — reports say so. Texts are explained
        :data:`EXPLAIN_TEXT_ROWS` at a time (a transformer takes tens of passes over
        each), and ``progress(rows)`` is called after each part.
        """
        from bizforge.evaluate.explain import sources_from_features, top_reasons

        X = self.features(frame)
        member = self.result.dominant
        model = member.models[0]
        if hasattr(model, "explain_text"):  # text: the words that drove the prediction
            column = getattr(model, "text_column_", None) or member.columns[0]
            words: list = []
            for start in range(0, len(X), EXPLAIN_TEXT_ROWS):
                part = X[member.columns].iloc[start:start + EXPLAIN_TEXT_ROWS]
                words += model.explain_text(part, k=k)
                if progress is not None:
                    progress(len(part))
            return [[{"column": column, "value": w, "contribution": float(c)} for w, c in row]
                    for row in words]
        contrib = member.contributions(X)
        class_index = None
        if contrib.ndim == 3:
            class_index = np.argmax(self.result.predict_value(X), axis=1)
        return top_reasons(
            contrib,
            member.columns,
            sources_from_features(self.recipe.features),
            frame.reset_index(drop=True),
            k=k,
            sensitive=self.sensitive,
            class_index=class_index,
        )

    def score(self, frame: pd.DataFrame, *, explain: bool = False, k: int = 3,
              progress: Callable[[int], None] | None = None) -> pd.DataFrame:
        """The input rows plus ``prediction``, ``probability`` and optionally ``reasons``
        (``progress(rows)``: called as parts of a text file are explained)."""
        from bizforge.evaluate.explain import format_reasons

        X = self.features(frame)
        value = self.result.predict_value(X)
        out = frame.copy()
        out["prediction"] = self._labels(value, X)
        if self.spec.problem == "binary":
            out["probability"] = value[:, self.spec.positive_index]
        elif self.spec.is_classification:
            out["probability"] = value.max(axis=1)
        if explain:
            reasons = self.explain(frame, k=k, progress=progress)
            out["reasons"] = [format_reasons(r) for r in reasons]
        return out

    # -- persistence ---------------------------------------------------------------
    def save(self, directory: str | Path) -> Path:
        """Write recipe, ensemble and model.json (the manifest is written by the caller)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.recipe.save(directory / RECIPE_FILE)
        self.result.save(directory / ENSEMBLE_DIR)
        if self.novelty is not None:
            self.novelty.save(directory / NOVELTY_DIR)
        info = {"format": ARTIFACT_FORMAT, **self.info, "threshold": self.threshold}
        text = json.dumps(info, ensure_ascii=False, indent=1, allow_nan=False, default=str)
        (directory / MODEL_FILE).write_text(text, encoding="utf-8")
        self.path = directory
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> Predictor:  # type: ignore[override]
        """Verify the manifest, then read the pipeline. IntegrityError on any mismatch."""
        directory = Path(directory)
        if not (directory / MANIFEST).exists():
            raise ModelNotFound(
                f"'{directory}' is not a bizforge model folder (no {MANIFEST}).",
                fix="pass the folder written by `bizforge train --out DIR`.",
            )
        verify_manifest(directory)
        return cls.from_folder(directory)

    @classmethod
    def from_folder(cls, directory: Path) -> Predictor:
        """Read a folder whose manifest was already verified (by ``load_model``)."""
        info = json.loads((directory / MODEL_FILE).read_text(encoding="utf-8"))
        if info.get("format") != ARTIFACT_FORMAT:
            raise ModelError(
                f"'{directory}' has artifact format {info.get('format')!r}; "
                f"this bizforge reads format {ARTIFACT_FORMAT}.",
                fix="retrain the model with this version of bizforge.",
            )
        recipe = Recipe.load(directory / RECIPE_FILE)
        result = SearchResult.load(directory / ENSEMBLE_DIR)
        novelty = None
        if (directory / NOVELTY_DIR).is_dir():
            from bizforge.models.text_embed.novelty import Novelty

            novelty = Novelty.load(directory / NOVELTY_DIR)
        return cls(recipe, result, threshold=info.get("threshold"), info=info, path=directory,
                   novelty=novelty)

    # -- the family contract ---------------------------------------------------------
    def actions(self) -> list[Action]:
        """``predict``: rows in, predictions (and probabilities) out.

        ``table_rows``: the server answers it on its hot path (typed row model and
        batcher, ``bizforge.serve.api``); ``handle`` is the generic form of the same verb.
        """
        def handle(request: RowsRequest) -> dict[str, Any]:
            scored = self.score(pd.DataFrame(request.rows))
            probability = scored.get("probability")
            return {"predictions": scored["prediction"].tolist(),
                    "probabilities": None if probability is None else probability.tolist()}

        return [Action("predict", RowsRequest, ScoredResponse, handle,
                       summary=f"Predict {self.spec.target!r} for rows", table_rows=True)]
