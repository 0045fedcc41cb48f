"""Top-k ranking metrics, computed the way the published anchors are.

For a user with held-out set R and top-k list L: ``recall@k = |L ∩ R| / min(k, |R|)``,
``ndcg@k`` = DCG of L over the ideal DCG of ``min(k, |R|)`` hits,
``map@k`` = the mean over hits of the precision at that hit, divided by
``min(k, |R|)``; ``hit@k`` = 1 when any held-out item is in L. Users without
held-out items are not counted. Items the user already had in training are
never recommended (they are excluded before the top-k is taken).

>>> m = ranking_metrics(np.array([[0, 1, 2]]), [{1}], k=3)
>>> round(m["recall"], 3), round(m["ndcg"], 3), round(m["map"], 3)
(1.0, 0.631, 0.5)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import scipy.sparse as sp

__all__ = ["beyond_accuracy", "evaluate_scores", "ranking_metrics", "top_k"]


def top_k(scores: np.ndarray, exclude: sp.csr_matrix | None, k: int) -> np.ndarray:
    """The k best item indices per row, best first, never an item in ``exclude``'s row."""
    scores = np.array(scores, dtype=np.float32, copy=True)
    if exclude is not None and exclude.nnz:
        rows, cols = exclude.nonzero()
        scores[rows, cols] = -np.inf
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.take_along_axis(scores, part, axis=1)
    return np.take_along_axis(part, np.argsort(-order, axis=1, kind="stable"), axis=1)


def ranking_metrics(top: np.ndarray, relevant: Sequence[set[int]], k: int) -> dict[str, float]:
    """recall, ndcg, map, hit and precision at k, averaged over users with held-out items."""
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    sums = dict.fromkeys(("recall", "ndcg", "map", "hit", "precision"), 0.0)
    n = 0
    for row, rel in zip(top, relevant):
        if not rel:
            continue
        n += 1
        hits = np.fromiter((i in rel for i in row[:k]), dtype=bool, count=min(k, len(row)))
        ideal = min(k, len(rel))
        found = hits.sum()
        sums["recall"] += found / ideal
        sums["ndcg"] += (hits * discount[:len(hits)]).sum() / discount[:ideal].sum()
        ranks = np.flatnonzero(hits)
        sums["map"] += (np.arange(1, len(ranks) + 1) / (ranks + 1)).sum() / ideal
        sums["hit"] += float(found > 0)
        sums["precision"] += found / k
    return {key: float(value / n if n else 0.0) for key, value in sums.items()} | {"users": n}


def evaluate_scores(score: Callable[[np.ndarray], np.ndarray], users: np.ndarray,
                    train: sp.csr_matrix, relevant: Sequence[set[int]], k: int,
                    batch: int = 1024) -> tuple[dict[str, float], np.ndarray]:
    """Metrics of ``score(user_rows) -> scores`` for ``users``, and their top-k lists."""
    tops = []
    for start in range(0, len(users), batch):
        rows = users[start:start + batch]
        tops.append(top_k(score(rows), train[rows], k))
    top = np.vstack(tops) if tops else np.zeros((0, k), dtype=np.int64)
    return ranking_metrics(top, [relevant[u] for u in users], k), top


def beyond_accuracy(top: np.ndarray, item_counts: np.ndarray) -> dict[str, float]:
    """Catalogue coverage of the lists (-1: no item), and how popular a recommended item is on average
    compared with an average item of the catalogue (1 = no popularity bias)."""
    top = top[top >= 0]  # -1 marks an empty place in a list shorter than k
    if top.size == 0:
        return {"coverage": 0.0, "popularity_bias": 0.0}
    coverage = len(np.unique(top)) / len(item_counts)
    mean_count = float(item_counts.mean()) or 1.0
    return {"coverage": float(coverage),
            "popularity_bias": float(item_counts[top].mean() / mean_count)}
