"""Out-of-scope rejection: a confidence threshold below which a prediction becomes "unknown".

Intent routing must hand a message to a person when it fits none of the intents.
:class:`RejectCalibrator` learns, on validation probabilities (out-of-fold
predictions of the search), a threshold on a confidence: the top class
probability, or, when a ``distance`` per row is given (how far the text lies from
the training texts, :class:`bizforge.models.text_embed.novelty.Novelty`), both
together: ``confidence = sigmoid(-(z(1 - top probability) + z(distance)))``, each
``z`` centred on the median and scaled by the standard deviation of the in-scope
validation rows. The distance catches queries of kinds never seen in training
that the classifier still assigns to one class with a high probability.

- with an ``unknown_label`` (the class meaning "none of these", e.g. ``oos``): a
  row is unknown when it is predicted as that class or its top probability is
  below the threshold. The threshold maximises out-of-scope recall while in-scope
  accuracy stays at or above a floor: ``target_in_scope_accuracy`` when given,
  else the best in-scope accuracy on the validation rows minus
  ``max_accuracy_drop`` (0.03). When the floor cannot be reached, it maximises
  in-scope accuracy + out-of-scope recall instead (strategy "best_sum").
- without one: it keeps ``coverage`` (95%) of the validation rows, or, when
  ``target_in_scope_accuracy`` is given, the largest coverage whose accepted rows
  are at least that accurate.

In-scope accuracy counts rejected in-scope rows as wrong; out-of-scope recall is
the share of out-of-scope rows rejected (or predicted as the unknown label).

Out-of-scope rows in the data are of the kinds someone thought to label; new
kinds come later. :meth:`RejectCalibrator.unseen_recall` estimates how often a
query of a kind never seen in training is handed over: each in-scope row is
scored as if its own class did not exist (that probability removed and the rest
renormalised, :func:`without_own_class`; its distance measured to the other
classes' texts), which needs at least three in-scope classes.

>>> import numpy as np
>>> proba = np.array([[0.9, 0.1], [0.55, 0.45], [0.2, 0.8]])
>>> cal = RejectCalibrator(coverage=0.6).fit(proba, np.array([0, 1, 1]))
>>> cal.apply(proba)[0].tolist()
[0, -1, 1]
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import expit

from bizforge.errors import DataError, UsageError

__all__ = ["UNKNOWN", "RejectCalibrator", "reject_metrics", "without_own_class"]

#: Index given to rejected rows by :meth:`RejectCalibrator.apply`.
UNKNOWN = -1


def _check(proba: Any, y: Any | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    p = np.asarray(proba, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] == 0 or p.shape[1] < 2:
        raise DataError(f"probabilities must be an (n, k) array with n >= 1, k >= 2; got shape "
                        f"{p.shape}.", fix="pass predict_proba output.")
    if not np.isfinite(p).all():
        raise DataError("the probabilities hold NaN or infinite values.",
                        fix="pass predict_proba output.")
    if y is None:
        return p, None
    t = np.asarray(y)
    if t.shape != (p.shape[0],) or t.dtype.kind not in "iu" or t.min() < 0 or t.max() >= p.shape[1]:
        raise DataError("labels must be class indices 0..k-1, one per probability row.",
                        column="target", fix="encode the labels with the task's TaskSpec.")
    return p, t.astype(np.int64)


def _confidence(p: np.ndarray, distance: np.ndarray | None,
                scale: list[float] | None) -> tuple[np.ndarray, np.ndarray]:
    """(predicted class, confidence) per row; ``scale``: [median, sd] of 1 - top, of distance."""
    pred = p.argmax(axis=1)
    conf = p[np.arange(len(p)), pred]
    if scale is None:
        return pred, conf
    risk = (1.0 - conf - scale[0]) / scale[1] + (distance - scale[2]) / scale[3]
    return pred, expit(-risk)


def _decide(p: np.ndarray, threshold: float, unknown: int | None,
            distance: np.ndarray | None = None,
            scale: list[float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    pred, conf = _confidence(p, distance, scale)
    reject = conf < threshold
    if unknown is not None:
        reject |= pred == unknown
    return np.where(reject, UNKNOWN, pred), conf


def _check_distance(distance: Any | None, n: int) -> np.ndarray | None:
    if distance is None:
        return None
    d = np.asarray(distance, dtype=np.float64)
    if d.shape != (n,) or not np.isfinite(d).all():
        raise DataError(f"distance must be {n} finite numbers, one per probability row; got "
                        f"shape {d.shape}.", fix="pass Novelty.distance of the same rows.")
    return d


def _scale(p: np.ndarray, d: np.ndarray, t: np.ndarray, unknown: int | None) -> list[float]:
    """[median, sd] of ``1 - top probability`` and of ``d`` over the in-scope rows."""
    rows = t != unknown if unknown is not None and (t != unknown).any() else slice(None)
    risk = 1.0 - p.max(axis=1)
    out = []
    for v in (risk[rows], d[rows]):
        out += [float(np.median(v)), max(float(np.std(v)), 1e-6)]
    return out


def without_own_class(proba: Any, y: Any) -> np.ndarray:
    """Each row's probabilities with its own class ``y`` removed, the rest renormalised.

    >>> without_own_class(np.array([[0.6, 0.3, 0.1]]), np.array([0])).round(2).tolist()
    [[0.0, 0.75, 0.25]]
    """
    p, t = _check(proba, y)
    p = p.copy()
    rows = np.arange(len(p))
    p[rows, t] = 0.0
    total = p.sum(axis=1)
    sure = total <= 0  # all mass on its own class: the others are equally likely
    p[sure] = 1.0 / (p.shape[1] - 1)
    p[rows[sure], t[sure]] = 0.0
    total[sure] = 1.0
    return p / total[:, None]


def reject_metrics(labels: Any, y: Any, unknown_label: int | None = None) -> dict[str, Any]:
    """in_scope_accuracy, oos_recall (None without an unknown label), coverage, accepted_accuracy.

    ``labels``: output of :meth:`RejectCalibrator.apply` (``UNKNOWN`` = rejected).

    >>> reject_metrics([0, -1, 2, -1], [0, 1, 2, 2], unknown_label=2)
    {'in_scope_accuracy': 0.5, 'oos_recall': 1.0, 'coverage': 0.25, 'accepted_accuracy': 1.0}
    """
    pred, t = np.asarray(labels, dtype=np.int64), np.asarray(y, dtype=np.int64)
    if pred.shape != t.shape or pred.size == 0:
        raise DataError("labels and targets must be non-empty and of the same length.",
                        fix="pass one prediction per target.")
    accepted = pred != UNKNOWN
    if unknown_label is not None:
        accepted &= pred != unknown_label
    inscope = t != unknown_label if unknown_label is not None else np.ones_like(accepted)
    correct = accepted & (pred == t)
    oos = ~inscope
    return {
        "in_scope_accuracy": float(correct[inscope].mean()) if inscope.any() else None,
        "oos_recall": float((~accepted[oos]).mean()) if oos.any() else None,
        "coverage": float(accepted.mean()),
        "accepted_accuracy": float(correct[accepted].mean()) if accepted.any() else None,
    }


class RejectCalibrator:
    """Learns the confidence threshold below which a prediction is "unknown" (hand to a person).

    ``target_in_scope_accuracy``: floor on in-scope accuracy (None: best - ``max_accuracy_drop``
    with an unknown label; the ``coverage`` rule without one).
    """

    def __init__(self, target_in_scope_accuracy: float | None = None, *,
                 max_accuracy_drop: float = 0.03, coverage: float = 0.95):
        self.target_in_scope_accuracy = target_in_scope_accuracy
        self.max_accuracy_drop = max_accuracy_drop
        self.coverage = coverage

    def fit(self, proba: Any, y: Any, unknown_label: int | None = None,
            distance: Any | None = None) -> RejectCalibrator:
        """Choose ``threshold_`` on validation probabilities ``proba`` (n, k) and labels ``y``.

        ``distance``: each row's distance from the training texts (None: the top
        probability alone).
        """
        p, t = _check(proba, y)
        d = _check_distance(distance, len(p))
        if unknown_label is not None and not 0 <= int(unknown_label) < p.shape[1]:
            raise UsageError(f"unknown_label {unknown_label} is not a class index of the "
                             f"{p.shape[1]} classes.", fix="pass the index of the 'none of "
                             "these' class (TaskSpec.encode), or None.")
        target = self.target_in_scope_accuracy
        if target is not None and not 0.0 < float(target) <= 1.0:
            raise UsageError(f"target_in_scope_accuracy={target} is not in (0, 1].",
                             fix="pass e.g. 0.93, or None.")
        self.unknown_label_ = None if unknown_label is None else int(unknown_label)
        self.novelty_scale_ = None if d is None else _scale(p, d, t, self.unknown_label_)
        pred, conf = _confidence(p, d, self.novelty_scale_)
        values = np.unique(conf)
        # Between consecutive confidences: robust on new rows; 0 rejects nothing.
        candidates = np.concatenate([[0.0], (values[:-1] + values[1:]) / 2.0])
        if self.unknown_label_ is not None and (t == self.unknown_label_).any() \
                and (t != self.unknown_label_).any():
            self.threshold_, self.strategy_ = self._with_unknown(conf, pred, t, candidates, target)
        else:
            self.threshold_, self.strategy_ = self._coverage(conf, pred, t, candidates, target)
        labels, _ = _decide(p, self.threshold_, self.unknown_label_, d, self.novelty_scale_)
        self.valid_metrics_ = reject_metrics(labels, t, self.unknown_label_)
        return self

    @property
    def uses_distance(self) -> bool:
        return self.novelty_scale_ is not None

    def _with_unknown(self, conf, pred, t, candidates, target) -> tuple[float, str]:
        u = self.unknown_label_
        inscope, oos = t != u, t == u
        # Sorted confidences of the rows that a threshold can still change.
        right = np.sort(conf[inscope & (pred == t)])
        leak = np.sort(conf[oos & (pred != u)])
        acc = (len(right) - np.searchsorted(right, candidates, "left")) / inscope.sum()
        recall = 1.0 - (len(leak) - np.searchsorted(leak, candidates, "left")) / oos.sum()
        floor = float(target) if target is not None else acc[0] - self.max_accuracy_drop
        ok = acc >= floor - 1e-12
        if ok.any():
            best = np.flatnonzero(ok)[np.argmax(recall[ok])]  # first max: the higher accuracy
            return float(candidates[best]), "target" if target is not None else "auto"
        return float(candidates[np.argmax(acc + recall)]), "best_sum"

    def _coverage(self, conf, pred, t, candidates, target) -> tuple[float, str]:
        if target is not None:
            order = np.argsort(-conf, kind="stable")
            right = np.cumsum(pred[order] == t[order]) / np.arange(1, len(t) + 1)
            # Accepting the top-m rows; the largest m whose accuracy meets the target.
            good = np.flatnonzero(right >= float(target) - 1e-12)
            if good.size:
                m = good[-1] + 1
                if m == len(t):
                    return 0.0, "target"
                return float((conf[order][m - 1] + conf[order][m]) / 2.0), "target"
        k = int(np.floor((1.0 - float(self.coverage)) * len(conf)))
        if k <= 0:
            return 0.0, "coverage"
        low = np.sort(conf)
        return float((low[k - 1] + low[k]) / 2.0), "coverage"

    def apply(self, proba: Any, distance: Any | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(class index, or ``UNKNOWN`` (-1) when rejected; confidence) per row.

        ``distance`` is required when the calibrator was fitted with one.
        """
        if not hasattr(self, "threshold_"):
            from bizforge.errors import NotFittedError

            raise NotFittedError("this RejectCalibrator is not fitted yet.",
                                 fix="call fit(valid_proba, valid_y) first, or from_dict().")
        p, _ = _check(proba)
        d = _check_distance(distance, len(p))
        if self.uses_distance and d is None:
            raise UsageError("this calibrator was fitted with text distances; none were given.",
                             fix="pass distance= (Novelty.distance of the same rows).")
        return _decide(p, self.threshold_, self.unknown_label_, d, self.novelty_scale_)

    def unseen_recall(self, proba: Any, y: Any, distance_without: Any | None = None
                      ) -> float | None:
        """Estimated share of queries of a never-seen kind that are handed over.

        ``proba``, ``y``: held-out rows and their classes; ``distance_without``: each
        row's distance to the other classes' training texts
        (:meth:`Novelty.distance_without`), needed when the calibrator uses distances.
        None with fewer than three in-scope classes among the rows (hiding one class of
        two leaves a single answer, which says nothing).
        """
        p, t = _check(proba, y)
        rows = t != self.unknown_label_ if self.unknown_label_ is not None else np.ones(
            len(t), dtype=bool)
        if len(np.unique(t[rows])) < 3:
            return None
        d = None
        if distance_without is not None:
            d = _check_distance(distance_without, len(p))[rows]
        labels, _ = self.apply(without_own_class(p[rows], t[rows]), d)
        handed = labels == UNKNOWN
        if self.unknown_label_ is not None:
            handed |= labels == self.unknown_label_
        return float(handed.mean())

    def to_dict(self) -> dict[str, Any]:
        return {"threshold": self.threshold_, "unknown_label": self.unknown_label_,
                "strategy": self.strategy_, "valid": self.valid_metrics_,
                "novelty_scale": self.novelty_scale_,
                "target_in_scope_accuracy": self.target_in_scope_accuracy,
                "max_accuracy_drop": self.max_accuracy_drop, "coverage": self.coverage}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RejectCalibrator:
        cal = cls(d.get("target_in_scope_accuracy"), max_accuracy_drop=d.get(
            "max_accuracy_drop", 0.03), coverage=d.get("coverage", 0.95))
        cal.threshold_ = float(d["threshold"])
        cal.unknown_label_ = None if d.get("unknown_label") is None else int(d["unknown_label"])
        cal.strategy_ = d.get("strategy", "loaded")
        scale = d.get("novelty_scale")
        cal.novelty_scale_ = None if scale is None else [float(v) for v in scale]
        cal.valid_metrics_ = d.get("valid", {})
        return cal
