"""Fusion weights and the hand-over confidence, both learned on example questions.

- :func:`tune_weights`: coordinate ascent over a grid of channel weights, from the
  best single channel (so the fusion is never worse than it on validation),
  maximising hit@1 + MRR@10.
- :class:`Calibrator`: a logistic regression that turns the fused top score,
  its margin over the second and the channels' scores of the top entry into the
  probability that the top entry is right. It learns from each validation
  question twice: as asked, and with its right entries removed from the
  knowledge base (then any answer is wrong), so it also learns what "not in the
  knowledge base" looks like. :func:`choose_threshold` picks the lowest
  confidence at which the questions answered as asked are right at least
  ``min_precision`` of the time (read as a lower bound: the Wilson bound at
  :data:`Z_PRECISION`, so a handful of lucky answers does not set it) and at
  least ``min_handover`` of the questions with their entries removed are
  handed over. (Until 2026-12-07 it asked for ``min_precision`` over the mix of
  both, as if half the questions had no entry: on passages whose neighbours
  share their words that answered only the top 8% of questions, at a precision
  of 0.895 on the test questions; this rule answered 31% of them at 0.928 with
  93% of the removed-entry questions handed over.)

>>> ranks(np.array([[3, 5]]), np.array([[0.2, 0.9]]), [{3}]).tolist()
[2.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["Calibrator", "calibration_features", "choose_threshold", "fuse", "rank_metrics",
           "ranks", "tune_weights", "wilson_lower"]

Z_PRECISION = 1.0  # one-sided ~84% lower bound on the answered precision
GRID = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0)
PASSES = 2


def fuse(feats: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(q, c) fused scores; padding (NaN features) is -inf."""
    pad = np.isnan(feats[..., 0])
    out = np.nan_to_num(feats, nan=0.0) @ weights
    out[pad] = -np.inf
    return out


def gold_mask(ids: np.ndarray, gold: Sequence[set[int]]) -> np.ndarray:
    mask = np.zeros(ids.shape, dtype=bool)
    for i, g in enumerate(gold):
        if g:
            mask[i] = np.isin(ids[i], list(g))
    return mask


def ranks(ids: np.ndarray, fused: np.ndarray, gold: Sequence[set[int]]) -> np.ndarray:
    """1-based rank of each query's best right entry (inf when none is a candidate)."""
    mask = gold_mask(ids, gold)
    best = np.where(mask, fused, -np.inf).max(axis=1)
    above = ((fused > best[:, None]) & ~mask).sum(axis=1)
    return np.where(np.isfinite(best), above + 1.0, np.inf)


def rank_metrics(r: np.ndarray) -> dict[str, float]:
    if len(r) == 0:
        return {"hit_1": None, "hit_5": None, "mrr_10": None, "queries": 0}
    return {"hit_1": float(np.mean(r <= 1)), "hit_5": float(np.mean(r <= 5)),
            "mrr_10": float(np.mean(np.where(r <= 10, 1.0 / r, 0.0))), "queries": len(r)}


def _objective(r: np.ndarray) -> float:
    m = rank_metrics(r)
    return m["hit_1"] + m["mrr_10"]


def tune_weights(ids: np.ndarray, feats: np.ndarray, gold: Sequence[set[int]],
                 channels: Sequence[str]) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Weights (one per channel) and a leaderboard: each channel alone, equal weights, tuned."""
    board = []
    n = len(channels)
    singles = []
    for j, name in enumerate(channels):
        w = np.eye(n)[j]
        r = ranks(ids, fuse(feats, w), gold)
        singles.append(_objective(r))
        board.append({"name": name, **rank_metrics(r)})
    eq = np.ones(n) / n
    board.append({"name": "equal weights", **rank_metrics(ranks(ids, fuse(feats, eq), gold))})
    best_w = np.eye(n)[int(np.argmax(singles))]
    best = max(singles)
    for _ in range(PASSES):
        improved = False
        for j in range(n):
            for g in GRID:
                if g == best_w[j]:
                    continue
                w = best_w.copy()
                w[j] = g
                if not w.any():
                    continue
                score = _objective(ranks(ids, fuse(feats, w), gold))
                if score > best + 1e-9:
                    best, best_w, improved = score, w, True
        if not improved:
            break
    best_w = best_w / best_w.max()
    board.append({"name": "tuned fusion", **rank_metrics(ranks(ids, fuse(feats, best_w), gold)),
                  "weights": {c: round(float(w), 3) for c, w in zip(channels, best_w)}})
    return best_w, board


def calibration_features(ids: np.ndarray, fused: np.ndarray, feats: np.ndarray,
                         removed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(X, top entry) per query; ``removed`` (q, c) masks candidates out of the KB."""
    f = fused if removed is None else np.where(removed, -np.inf, fused)
    order = np.argsort(-f, axis=1)[:, :2]
    rows = np.arange(len(f))
    top1 = f[rows, order[:, 0]]
    top2 = f[rows, order[:, 1]] if f.shape[1] > 1 else np.full(len(f), -np.inf)
    top1 = np.where(np.isfinite(top1), top1, 0.0)
    top2 = np.where(np.isfinite(top2), top2, top1 - 1.0)
    at_top = np.nan_to_num(feats[rows, order[:, 0]], nan=0.0)
    X = np.column_stack([top1, top1 - top2, at_top]).astype(np.float64)
    return X, ids[rows, order[:, 0]]


class Calibrator:
    """Logistic regression on :func:`calibration_features`, kept as plain numbers (JSON)."""

    def __init__(self, mean=None, scale=None, coef=None, intercept: float = 0.0):
        self.mean = None if mean is None else np.asarray(mean, dtype=np.float64)
        self.scale = None if scale is None else np.asarray(scale, dtype=np.float64)
        self.coef = None if coef is None else np.asarray(coef, dtype=np.float64)
        self.intercept = float(intercept)

    def fit(self, X: np.ndarray, y: np.ndarray) -> Calibrator:
        from sklearn.linear_model import LogisticRegression

        self.mean = X.mean(axis=0)
        self.scale = X.std(axis=0) + 1e-9
        if len(set(y.tolist())) < 2:  # all right or all wrong: a constant probability
            self.coef = np.zeros(X.shape[1])
            p = min(max(float(np.mean(y)), 1e-3), 1 - 1e-3)
            self.intercept = float(np.log(p / (1 - p)))
            return self
        lr = LogisticRegression(C=1.0, max_iter=1000).fit((X - self.mean) / self.scale, y)
        self.coef, self.intercept = lr.coef_[0], float(lr.intercept_[0])
        return self

    def confidence(self, X: np.ndarray) -> np.ndarray:
        z = ((X - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def to_json(self) -> dict[str, Any]:
        return {"mean": self.mean.tolist(), "scale": self.scale.tolist(),
                "coef": self.coef.tolist(), "intercept": self.intercept}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Calibrator:
        return cls(doc["mean"], doc["scale"], doc["coef"], doc["intercept"])


def wilson_lower(hits: np.ndarray, n: np.ndarray, z: float = Z_PRECISION) -> np.ndarray:
    """Lower Wilson bound of a share of ``hits`` in ``n``.

    >>> round(float(wilson_lower(np.array(9), np.array(10))), 3)
    0.766
    """
    n = np.maximum(np.asarray(n, dtype=np.float64), 1.0)
    p = np.asarray(hits, dtype=np.float64) / n
    centre = p + z * z / (2 * n)
    spread = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n)


def choose_threshold(conf: np.ndarray, correct: np.ndarray, min_precision: float,
                     removed: np.ndarray | None = None, min_handover: float = 0.0
                     ) -> dict[str, Any]:
    """The lowest confidence at which the questions answered (``conf`` >= it) are right
    (``correct``) ``min_precision`` of the time, by its lower bound (:func:`wilson_lower`),
    and at least ``min_handover`` of ``removed`` (the confidences of questions whose
    right entries were taken out) fall below it; above 1 (hand over everything) when
    no threshold reaches the precision."""
    order = np.argsort(-conf, kind="stable")
    hits = np.cumsum(correct[order])
    answered = np.arange(1, len(order) + 1)
    ok = np.flatnonzero(wilson_lower(hits, answered) >= min_precision)
    if len(ok) == 0:
        return {"threshold": 1.01, "precision": None, "answered": 0.0, "recall": 0.0,
                "handover": 1.0}
    threshold = float(conf[order][int(ok[-1])])
    if removed is not None and len(removed) and min_handover > 0:
        ranked = np.sort(removed)
        # the lowest threshold with >= min_handover of them below it: just above this one
        at = min(len(ranked) - 1, int(np.ceil(min_handover * len(ranked))) - 1)
        threshold = max(threshold, float(np.nextafter(ranked[at], np.inf)))
    asked = conf >= threshold
    n_right = int((asked & (correct > 0)).sum())
    return {"threshold": threshold,
            "precision": n_right / int(asked.sum()) if asked.any() else None,
            "answered": float(asked.mean()),
            "recall": float(n_right / max(1, correct.sum())),
            "handover": None if removed is None or not len(removed)
            else float((removed < threshold).mean())}
