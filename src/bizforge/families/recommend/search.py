"""Choosing and blending recommenders by validation NDCG under a time budget.

Every candidate (a scorer and its settings, cheapest first) is fitted on the
validation-training pairs and scored on the held-out pairs of each user. The
best setting of each scorer joins a greedy blend: members are added, in order
of their own NDCG, with the weight that raises the blend's validation NDCG
most (or not at all). Scores are standardised per user before blending so
that no scorer dominates by scale. A candidate whose scorer's previous setting
took longer than the time left is skipped and listed as such; the last
:data:`BLEND_SHARE` of the time is kept for the blend.

>>> [name for name, _ in default_grid(1000)][:5]
['popularity', 'ease', 'als', 'als', 'userknn']
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from bizforge.families.recommend.metrics import evaluate_scores
from bizforge.families.recommend.scorers import EASE_MAX_ITEMS, Scorer, make_scorer
from bizforge.families.recommend.sequence import SequenceScorer  # noqa: F401  (registers it)
from bizforge.families.recommend.userease import MAX_USERS as USEREASE_MAX

__all__ = ["Member", "SearchResult", "blend", "default_grid", "fit_scorer", "graded",
           "inversion_speed", "label", "probe", "search"]

WEIGHTS = (0.15, 0.3, 0.6, 1.0)
MIN_GAIN = 0.001
EVAL_CELLS = 1e7  # validation users x items kept in memory per candidate
BLEND_SHARE = 0.2  # of the search's time, kept for choosing the blend's weights
EASE_SHARE = 0.25  # of the search's time that one EASE fit may take
EASE_SECONDS_3000 = 15.0  # seconds of one EASE fit at 3,000 items (see ease_seconds)
CALIBRATION_SIZE = 600  # the inversion timed when the fixed guess would leave EASE out


def ease_seconds(n_items: int, n_users: int | None = None,
                 per_cube: float | None = None) -> float:
    """A pessimistic guess of one EASE fit's seconds (it inverts a square matrix of the
    fewer of items and users): ``per_cube`` seconds per n**3 (see :func:`inversion_speed`),
    else a fixed guess (measured ~2.5 s at 1,500 and ~15 s at 3,000 on one busy core)."""
    n = n_items if n_users is None else min(n_items, n_users)
    return (EASE_SECONDS_3000 / 3000.0 ** 3 if per_cube is None else per_cube) * n ** 3


_SPEED: list[float] = []  # (seconds per n**3, when measured)


def inversion_speed() -> float:
    """Seconds per n**3 of a float32 inversion on one thread, measured now (the median of
    three at n = :data:`CALIBRATION_SIZE`; reused for half a minute). Extrapolated to
    3,000-3,400 it came out ~1.8x above the EASE fits measured on the same machine (small
    matrices use the cache less well), which leaves room for the rest of the fit."""
    if _SPEED and time.monotonic() - _SPEED[1] < 30.0:
        return _SPEED[0]
    n = CALIBRATION_SIZE
    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    a = a @ a.T + np.float32(n) * np.eye(n, dtype=np.float32)
    times = []
    with threadpool_limits(1, "blas"):
        for _ in range(3):
            t0 = time.perf_counter()
            np.linalg.inv(a)
            times.append(time.perf_counter() - t0)
    _SPEED[:] = [sorted(times)[1] / n ** 3, time.monotonic()]
    return _SPEED[0]


def graded(train: sp.csr_matrix) -> bool:
    """Whether the weights say more than liked / less liked (counts, hours, amounts)."""
    return np.unique(train.data[:100000]).size > 2


def default_grid(n_items: int, time_limit: float | None = None, n_users: int | None = None,
                 counts: bool = False, per_cube: float | None = None, sequence: bool = False
                 ) -> list[tuple[str, dict[str, Any]]]:
    """The candidates tried, cheapest first; EASE only where one fit should take at most
    :data:`EASE_SHARE` of ``time_limit`` (the search's seconds). With ``counts`` (graded
    weights such as play counts) EASE and RP3beta are also tried on bare occurrences; with
    ``sequence`` (the interactions have times) the transitions from each user's latest
    items (:mod:`.sequence`) are tried too."""
    # one setting of every scorer first (the likeliest best), then the alternatives
    fewer = n_items if n_users is None else min(n_items, n_users)
    ease = fewer <= EASE_MAX_ITEMS and (
        time_limit is None or ease_seconds(n_items, n_users, per_cube) <= EASE_SHARE * time_limit)
    binary = {"binary": True} if counts else None
    # users x users EASE: a few thousand users at most, and its inversion within the share
    users_ease = n_users is not None and n_users <= USEREASE_MAX and (
        time_limit is None or ease_seconds(n_users, n_users, per_cube) <= EASE_SHARE * time_limit)
    grid: list[tuple[str, dict[str, Any]]] = [
        ("popularity", {}),
        # on counts, bare occurrences first: they did better on every count set we measured
        *([("ease", {"l2": 100.0, "dropout": 0.5, **binary})] if ease and binary else []),
        *([("ease", {"l2": 300.0, "dropout": 0.25})] if ease else []),
        # cheap, and on the time-ordered sets we measured the best single candidate
        *([("sequence", {"window": 30, "decay": 0.95, "recent": 30, "recency": 0.8}),
           ("sequence", {"window": 30, "decay": 0.95, "recent": 30, "recency": 0.9,
                         "target": 0.3})] if sequence else []),
        # the setting the tuned ALS anchor chose on most of the sets we measured
        ("als", {"factors": 32, "regularization": 0.1, "alpha": 5.0, "iterations": 15}),
        # BM25-weighted confidences (rare items count more, long histories less): on Last.fm
        # play counts the best single model on validation among the ALS settings we tried
        ("als", {"factors": 64, "regularization": 0.1, "alpha": 1.0, "iterations": 15,
                 "bm25": 1.0}),
        ("userknn", {"neighbours": 100, "shrink": 10.0}),
        ("als", {"factors": 32, "regularization": 0.01, "alpha": 1.0, "iterations": 15}),
        *([("rp3beta", {"alpha": 1.0, "beta": 0.0, "neighbours": 200, **binary})]
          if binary else []),
        ("rp3beta", {"alpha": 1.0, "beta": 0.3, "neighbours": 200}),
        ("itemknn", {"neighbours": 200}),
        # weak alone, but unlike every item model: on play counts it added to their blend
        *([("userease", {"l2": 10.0}), ("userease", {"l2": 50.0})] if users_ease else []),
        *([("ease", {"l2": l2, "dropout": p}) for l2, p in ((1000.0, 0.25), (100.0, 0.5))]
          if ease else []),
        *([("ease", {"l2": 300.0, "dropout": 0.5, **binary})] if ease and binary else []),
        ("rp3beta", {"alpha": 1.0, "beta": 0.0, "neighbours": 200}),
        *([("rp3beta", {"alpha": 1.0, "beta": 0.3, "neighbours": 200, **binary})]
          if binary else []),
        ("userknn", {"neighbours": 30, "shrink": 10.0}),
        ("als", {"factors": 64, "regularization": 0.05, "alpha": 5.0, "iterations": 15}),
    ]
    # BPR stays available by name (``grid=``) but is not tried by default: on every set we
    # measured it ranked last of the personal models and cost the most seconds
    return grid


def label(name: str, params: dict[str, Any]) -> str:
    """``ease(l2=300)``: how a candidate is shown in the leaderboard."""
    inside = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                       for k, v in params.items())
    return f"{name}({inside})" if inside else name


def fit_scorer(name: str, params: dict[str, Any], train: sp.csr_matrix,
               order: sp.csr_matrix | None, seed: int = 0) -> Scorer:
    """``name`` fitted on the weights ``train``, or on ``order`` for a scorer that reads the
    order of each user's interactions (:mod:`.sequence`)."""
    scorer = make_scorer(name, **params)
    if scorer.uses_order:
        if order is None:
            raise ValueError(f"'{name}' needs the interactions' times (an order matrix)")
        return scorer.fit(order, seed=seed)
    return scorer.fit(train, seed=seed)


def probe(train: sp.csr_matrix, relevant: list[set[int]], *, k: int, seed: int = 0,
          time_limit: float | None = None) -> float:
    """Validation NDCG of the grid's first personal candidate: a quick look at a choice
    that concerns every candidate (how the interactions are weighted)."""
    name, params = next(c for c in _grid_for(train, time_limit) if c[0] != "popularity")
    users = np.flatnonzero([bool(r) for r in relevant])
    cap = max(200, int(EVAL_CELLS // max(1, train.shape[1])))
    if len(users) > cap:
        users = np.sort(np.random.default_rng(seed).choice(users, cap, replace=False))
    scores = make_scorer(name, **params).fit(train, seed=seed).score(users, train[users])
    metrics, _ = evaluate_scores(lambda rows: scores[np.searchsorted(users, rows)], users,
                                 train, relevant, k)
    return metrics["ndcg"]


def _grid_for(train: sp.csr_matrix, time_limit: float | None, sequence: bool = False):
    """The default grid for ``train``; where the fixed guess of EASE's seconds would leave it
    out, the machine's speed now is measured instead."""
    n_users, n_items = train.shape
    per_cube = None
    if (time_limit is not None and min(n_users, n_items) <= EASE_MAX_ITEMS
            and ease_seconds(n_items, n_users) > EASE_SHARE * time_limit):
        per_cube = inversion_speed()
    return default_grid(n_items, time_limit, n_users=n_users, counts=graded(train),
                        per_cube=per_cube, sequence=sequence)


@dataclass
class Member:
    """One scorer of the blend and its weight."""

    scorer: Scorer
    weight: float


def _standardise(scores: np.ndarray) -> np.ndarray:
    mean = scores.mean(axis=1, keepdims=True)
    std = scores.std(axis=1, keepdims=True)
    return (scores - mean) / np.where(std > 0, std, 1.0)


def blend(members: list[Member], rows: np.ndarray, history: sp.csr_matrix,
          parts: list[np.ndarray] | None = None) -> np.ndarray:
    """The weighted sum of the members' per-user standardised scores (each appended to
    ``parts`` when given: the re-ranker's features)."""
    total = np.zeros((history.shape[0], history.shape[1]), dtype=np.float32)
    for member in members:
        z = _standardise(member.scorer.score(rows, history))
        total += member.weight * z
        if parts is not None:
            parts.append(z)
    return total


@dataclass
class SearchResult:
    leaderboard: list[dict[str, Any]]
    chosen: list[tuple[str, dict[str, Any], float]]  # (scorer, params, weight)
    validation: dict[str, float]
    skipped: list[str] = field(default_factory=list)
    users: np.ndarray | None = None  # the validation users scored
    member_scores: list[np.ndarray] = field(default_factory=list)  # chosen members', standardised


def search(train: sp.csr_matrix, relevant: list[set[int]], *, k: int, time_limit: float,
           seed: int = 0, grid: list[tuple[str, dict[str, Any]]] | None = None,
           progress: Callable[[dict[str, Any]], None] | None = None,
           order: sp.csr_matrix | None = None) -> SearchResult:
    """Fit the grid on ``train``, score the users with ``relevant`` items, blend the best.
    ``order`` (see :func:`.sequence.order_matrix`) adds the candidates that read the
    order of each user's interactions."""
    start = time.perf_counter()
    emit = progress or (lambda event: None)
    users = np.flatnonzero([bool(r) for r in relevant])
    cap = max(200, int(EVAL_CELLS // max(1, train.shape[1])))
    if len(users) > cap:
        users = np.sort(np.random.default_rng(seed).choice(users, cap, replace=False))
    history = train[users]
    board: list[dict[str, Any]] = []
    best: dict[str, tuple[float, dict[str, Any], np.ndarray]] = {}
    took: dict[str, float] = {}
    skipped = []
    for name, params in grid or _grid_for(train, time_limit, sequence=order is not None):
        # the blend's evaluations come after the candidates: they get the last share
        left = time_limit * (1.0 - BLEND_SHARE) - (time.perf_counter() - start)
        if took.get(name, 0.0) * 1.2 > left or left <= 0:
            skipped.append(label(name, params))
            continue
        emit({"event": "candidate_start", "name": label(name, params)})
        t0 = time.perf_counter()
        scorer = fit_scorer(name, params, train, order, seed)
        fit_s = time.perf_counter() - t0
        scores = _standardise(scorer.score(users, history))
        metrics, _ = evaluate_scores(lambda rows, s=scores: s[np.searchsorted(users, rows)],
                                     users, train, relevant, k)
        took[name] = time.perf_counter() - t0
        board.append({"name": label(name, params), "score": metrics["ndcg"],
                      "ndcg": metrics["ndcg"], "recall": metrics["recall"],
                      "map": metrics["map"], "fit_seconds": round(fit_s, 3)})
        emit({"event": "candidate_end", "name": label(name, params),
              "elapsed": time.perf_counter() - start, "score": metrics["ndcg"]})
        if name not in best or metrics["ndcg"] > best[name][0]:
            best[name] = (metrics["ndcg"], params, scores)
    chosen, validation, late = _greedy_blend(best, users, train, relevant, k,
                                             deadline=start + time_limit)
    skipped += [f"blending {name}" for name in late]
    weights = {label(n, p): w for n, p, w in chosen}
    for row in board:
        row["chosen"] = row["name"] in weights
        row["weight"] = weights.get(row["name"], 0.0)
    board.sort(key=lambda row: -row["ndcg"])
    return SearchResult(board, chosen, validation, skipped, users,
                        [best[name][2] for name, _, _ in chosen])


def _greedy_blend(best, users, train, relevant, k, deadline=float("inf")):
    """Members added best first, each at the weight that helps most (or left out); the
    ones not tried by ``deadline`` are returned as the third value."""
    order = sorted(best, key=lambda name: -best[name][0])
    first = order[0]
    total = best[first][2].copy()
    chosen = [(first, best[first][1], 1.0)]

    def score_of(candidate):
        m, _ = evaluate_scores(lambda rows: candidate[np.searchsorted(users, rows)], users,
                               train, relevant, k)
        return m

    current = score_of(total)
    late = []
    for name in order[1:]:
        if time.perf_counter() > deadline:
            late.append(name)
            continue
        trial = [(w, score_of(total + w * best[name][2])) for w in WEIGHTS]
        weight, metrics = max(trial, key=lambda wm: wm[1]["ndcg"])
        if metrics["ndcg"] >= current["ndcg"] + MIN_GAIN:
            total += weight * best[name][2]
            chosen.append((name, best[name][1], weight))
            current = metrics
    return chosen, current, late
