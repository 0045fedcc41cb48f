"""Caruana greedy ensemble selection with replacement, on out-of-fold predictions.

Caruana et al., "Ensemble Selection from Libraries of Models" (ICML 2004):
start from the best single candidate, then repeatedly add (with replacement)
the candidate whose addition to the running average scores best. The weights
are how often each candidate was picked, divided by the number of picks. The
prefix with the best score is kept, so the ensemble's out-of-fold score is
never worse than the best single candidate's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bizforge.train.scoring import Scorer

__all__ = ["EnsembleSelection", "caruana"]

DEFAULT_ROUNDS = 40
DEFAULT_MAX_MEMBERS = 3


@dataclass
class EnsembleSelection:
    """Result of :func:`caruana`: ``weights`` (sum 1) per candidate and the OOF ``score``."""

    weights: np.ndarray
    score: float
    history: list[float]

    def blend(self, preds: list[np.ndarray]) -> np.ndarray:
        return _weighted(preds, self.weights)


def _weighted(preds: list[np.ndarray], weights: np.ndarray) -> np.ndarray:
    out = np.zeros_like(preds[0], dtype="float64")
    for p, w in zip(preds, weights):
        if w:
            out += w * p
    return out


def caruana(
    preds: list[np.ndarray],
    y: np.ndarray,
    scorer: Scorer,
    *,
    rounds: int = DEFAULT_ROUNDS,
    max_members: int | None = DEFAULT_MAX_MEMBERS,
    costs: Sequence[float] | None = None,
    max_cost: float | None = None,
) -> EnsembleSelection:
    """Greedy forward selection with replacement; returns weights summing to 1.

    ``preds[i]`` is candidate i's out-of-fold prediction (same shape for all).
    Once ``max_members`` distinct candidates are in, only they can be picked
    again: every member costs prediction time, and on churn and equipment-failure
    tables the best 3 members scored within 0.0001 ROC-AUC of 6. With ``costs``
    (candidate i's prediction time per row) and ``max_cost``, a new member joins
    only while the members' summed cost stays within ``max_cost``; the best
    single candidate is always kept, whatever it costs.

    >>> from bizforge.train.scoring import get_scorer
    >>> y = np.array([0.0, 1.0, 2.0, 3.0])
    >>> a, b = y + 1.0, y - 1.0          # each off by one, in opposite directions
    >>> sel = caruana([a, b], y, get_scorer("rmse", "regression"))
    >>> sel.weights.tolist(), sel.score
    ([0.5, 0.5], 0.0)
    """
    if not preds:
        raise ValueError("caruana() needs at least one candidate")
    m = len(preds)
    gains = [scorer.gain(scorer(y, p)) for p in preds]
    first = int(np.nanargmax(gains))
    counts = np.zeros(m, dtype="int64")
    counts[first] = 1
    total = preds[first].astype("float64").copy()
    history = [gains[first]]
    best_gain, best_counts = gains[first], counts.copy()
    cost = np.zeros(m) if costs is None else np.asarray(costs, dtype="float64")
    limit = np.inf if max_cost is None else float(max_cost)
    for step in range(2, max(rounds, 1) + 1):
        full = max_members is not None and np.count_nonzero(counts) >= max_members
        spent = float(cost[counts > 0].sum())
        allowed = [bool(counts[i]) or (not full and spent + cost[i] <= limit) for i in range(m)]
        trial = [
            scorer.gain(scorer(y, (total + p) / step)) if allowed[i] else -np.inf
            for i, p in enumerate(preds)
        ]
        pick = int(np.nanargmax(trial))
        counts[pick] += 1
        total += preds[pick]
        history.append(trial[pick])
        # Strictly better only: ties keep the smaller (cheaper) ensemble.
        if trial[pick] > best_gain + 1e-12:
            best_gain, best_counts = trial[pick], counts.copy()
    weights = best_counts / best_counts.sum()
    score = best_gain if scorer.greater_is_better else -best_gain
    return EnsembleSelection(
        weights, float(score), [h if scorer.greater_is_better else -h for h in history]
    )
