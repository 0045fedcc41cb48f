"""The text-classification parts of :func:`bizforge.pipeline.train`.

Kept apart so pipeline.py stays readable: which column is the text, which
candidates to try for its language, the out-of-scope ("unknown") calibration,
and the text-only parts of the evaluation (per-class scores, top confusions,
misclassified examples with personal data masked).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from bizforge.errors import DataError, UsageError
from bizforge.frame import Dataset, Role, Schema

__all__ = [
    "UNKNOWN",
    "check_reject",
    "finetune_record",
    "fit_reject",
    "force_text",
    "misclassified",
    "pick_text_column",
    "text_features",
    "text_metrics",
    "value_and_distance",
]

UNKNOWN = "unknown"
_NOT_FEATURES = (Role.ID, Role.CONSTANT, Role.EMPTY)


def force_text(ds: Dataset, column: str) -> Dataset:
    """``ds`` with ``column``'s role set to text (``--text-column`` overrides inference)."""
    if column not in ds.schema:
        import difflib

        close = difflib.get_close_matches(column, ds.schema.names, n=3)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise DataError(f"--text-column '{column}' is not a column of the data.{hint}",
                        column=column, fix=f"use one of: {', '.join(ds.schema.names[:20])}.")
    cols = [replace(c, role=Role.TEXT) if c.name == column else c for c in ds.schema]
    return Dataset(ds.frame, Schema(cols, ds.schema.target_suggestions), ds.meta)


def text_features(schema: Schema, target: str) -> tuple[list[str], list[str]]:
    """(feature columns, the text ones among them); ids, constants and empties excluded."""
    features = [c.name for c in schema if c.name != target and c.role not in _NOT_FEATURES]
    return features, [n for n in features if schema[n].role is Role.TEXT]


def pick_text_column(frame: pd.DataFrame, texts: list[str], given: str | None) -> str:
    """The column to classify: the one given, else the text column with the longest texts."""
    if given:
        return given
    if not texts:
        raise DataError("text classification needs a column of free text, and none was found.",
                        fix="name it with --text-column COL.")
    lengths = {c: frame[c].astype("string").str.len().mean() for c in texts}
    return max(texts, key=lambda c: (lengths[c] or 0.0))


def check_reject(reject: str | None, unknown_label: str | None,
                 drop: float | None) -> None:
    """UsageError for rejection options that cannot work together (before any training)."""
    if reject is None:
        for flag, value in (("--unknown-label", unknown_label), ("--reject-drop", drop)):
            if value is not None:
                raise UsageError(f"{flag} goes with --reject auto.",
                                 fix=f"add --reject auto, or drop {flag}.")
        return
    if reject != "auto":
        raise UsageError(f"--reject '{reject}' is not understood.", fix="use --reject auto.")
    if drop is not None:
        if unknown_label is None:
            raise UsageError("--reject-drop needs --unknown-label: without out-of-scope "
                             "examples the threshold keeps 95% of validation rows answered.",
                             fix="name the 'none of these' class with --unknown-label, or "
                                 "drop --reject-drop.")
        if not 0.0 <= float(drop) < 1.0:
            raise UsageError(f"--reject-drop {drop} is not a share of accuracy in [0, 1).",
                             fix="pass e.g. 0.01 (give up at most 1 point of in-scope "
                                 "accuracy).")


def fit_reject(result, spec, reject: str | None, unknown_label: str | None,
               X: pd.DataFrame, y: np.ndarray, drop: float | None = None):
    """``(RejectCalibrator fitted on the search's validation rows, Novelty or None)``, or
    ``(None, None)`` without ``reject``. ``X``, ``y``: training features, encoded labels;
    ``drop``: in-scope accuracy the threshold may give up (None: the calibrator's 0.03).
    The options were checked by :func:`check_reject` before training."""
    if reject is None:
        return None, None
    if not spec.is_classification:
        raise UsageError("--reject applies to classification.", fix="drop --reject.")
    from bizforge.train.reject import RejectCalibrator

    unknown = None
    if unknown_label is not None:
        names = [str(c) for c in spec.classes]
        if str(unknown_label) not in names:
            raise DataError(f"--unknown-label '{unknown_label}' is not a class of "
                            f"'{spec.target}'.", column=spec.target,
                            fix=f"use one of: {', '.join(names[:20])}.")
        unknown = names.index(str(unknown_label))
    novelty = _novelty(result, X, y, unknown)
    distance = None if novelty is None else novelty.distance(X.iloc[result.oof_index])
    options = {} if drop is None else {"max_accuracy_drop": float(drop)}
    calibrator = RejectCalibrator(**options).fit(result.oof, result.oof_y,
                                                 unknown_label=unknown, distance=distance)
    return calibrator, novelty


def _novelty(result, X: pd.DataFrame, y: np.ndarray, unknown: int | None):
    """Distances to the in-scope training texts, in the embed_linear member's space, or None.

    The reference rows are the training rows outside the validation rows, so the
    validation distances that set the threshold are measured as a new query's are.
    """
    from bizforge.models.text_embed.novelty import Novelty

    member = result.models.get("embed_linear")
    if member is None or result.oof_index is None or len(member.models) != 1:
        return None
    rows = np.ones(len(X), dtype=bool)
    rows[result.oof_index] = False
    if unknown is not None:
        rows &= np.asarray(y) != unknown
    if not rows.any():
        return None
    return Novelty.from_member(member.models[0], X.loc[rows], np.asarray(y)[rows])


def value_and_distance(result, calibrator, novelty, X: pd.DataFrame, y: np.ndarray):
    """(ensemble value, distances, distances to the other classes' texts) of the test
    frame ``X`` with classes ``y``; the distances are None without a distance-based
    rejection. Each text is embedded once for all three."""
    if calibrator is None or not calibrator.uses_distance:
        return result.predict_value(X), None, None
    from bizforge.models.text_embed.backbones import shared_embeddings

    with shared_embeddings():
        return (result.predict_value(X), novelty.distance(X),
                novelty.distance_without(X, y))


def text_metrics(spec, y_test: np.ndarray, value: np.ndarray, calibrator,
                 distance: np.ndarray | None = None,
                 distance_without: np.ndarray | None = None) -> dict[str, Any]:
    """Per-class scores, top confusions and (with rejection) in-scope / out-of-scope figures,
    with the estimated hand-over rate of never-seen kinds (``unseen_kind_recall_estimate``)."""
    from sklearn.metrics import precision_recall_fscore_support

    names = [str(c) for c in spec.classes]
    pred = value.argmax(axis=1)
    p, r, f, n = precision_recall_fscore_support(y_test, pred, labels=range(len(names)),
                                                 zero_division=0)
    out: dict[str, Any] = {
        "per_class": {names[i]: {"precision": float(p[i]), "recall": float(r[i]),
                                 "f1": float(f[i]), "support": int(n[i])}
                      for i in range(len(names))},
        "top_confusions": _top_confusions(y_test, pred, names),
    }
    if calibrator is not None:
        from bizforge.train.reject import reject_metrics

        labels, _ = calibrator.apply(value, distance)
        out.update(reject_metrics(labels, y_test, calibrator.unknown_label_))
        out["reject_threshold"] = calibrator.threshold_
        out["unseen_kind_recall_estimate"] = calibrator.unseen_recall(value, y_test,
                                                                      distance_without)
    return out


def finetune_record(result) -> dict[str, Any] | None:
    """How the ensemble's fine-tuned transformer was trained and is served, or None when the
    ensemble has none: backbone, examples seen, epochs, why it stopped, best validation
    scores, the training curve points and the quantisation check (accuracy and texts/s of
    eager PyTorch, ONNX fp32 and ONNX int8 on validation rows, None when the budget left
    no time for it)."""
    for member in result.members:
        model = member.models[0]
        curve = getattr(model, "curve_", None)
        if curve is None:
            continue
        info = model.info_
        return {"member": member.name, "backbone": model.backbone_,
                "examples_seen": int(model.examples_seen_), "epochs": float(model.epochs_),
                "stopped_by": model.stopped_by_, "best_step": info.get("best_step"),
                "best_valid": info.get("best_valid"),
                "train_seconds": (info.get("seconds") or {}).get("train"),
                "runtime": model.params_["runtime"], "quantization": info.get("quantization"),
                "curve": list(curve)}
    return None


def _top_confusions(y: np.ndarray, pred: np.ndarray, names: list[str], k: int = 10) -> list:
    wrong = y != pred
    if not wrong.any():
        return []
    pairs = pd.Series(list(zip(y[wrong], pred[wrong]))).value_counts().head(k)
    return [{"true": names[a], "predicted": names[b], "count": int(c)}
            for (a, b), c in pairs.items()]


def misclassified(predictor, frame: pd.DataFrame, column: str, y_test: np.ndarray,
                  value: np.ndarray, k: int = 8) -> list[dict[str, Any]]:
    """A few wrong predictions with their driving words; personal data masked."""
    from bizforge.clean.pii import mask_text

    wrong = np.flatnonzero(value.argmax(axis=1) != y_test)[:k]
    if len(wrong) == 0:
        return []
    rows = frame.iloc[wrong]
    try:
        reasons = predictor.explain(rows, k=4)
    except Exception:  # noqa: BLE001 - an explanation is a nicety; the sample is not
        reasons = [[] for _ in wrong]
    names = [str(c) for c in predictor.spec.classes]
    out = []
    for i, pos in enumerate(wrong):
        text = mask_text(str(frame.iloc[pos][column]), mode="mask")
        text = text if len(text) <= 160 else text[:157] + "..."
        out.append({"row": int(pos) + 1,
                    "prediction": f"{names[value[pos].argmax()]} (true: {names[y_test[pos]]}) "
                                  f"— {text}",
                    "reasons": reasons[i]})
    return out
