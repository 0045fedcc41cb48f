"""A LightGBM lambdarank re-ranker over the blend's candidates.

For each user the blend proposes its top :data:`CANDIDATES` items; the
re-ranker orders them again from features: each blend member's standardised
score, the blend score and rank, the item's popularity, the user's history
length, with item categories how much of the user's history shares the
item's categories, and the numeric/coded attributes of the item and the user
from the side files (:mod:`.side`). It is trained on the validation holdout of half the
validation users and kept only if it beats the blend's NDCG on the other half
by :data:`MIN_GAIN`; then it is refitted on all validation users. It is saved
as LightGBM's text model.

>>> features_names(2, with_categories=False)[:3]
['m0', 'm1', 'blend']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from bizforge.families.recommend.metrics import ranking_metrics

__all__ = ["CANDIDATES", "Reranker", "category_matrix", "features_names", "fit_reranker"]

CANDIDATES = 50
MIN_GAIN = 0.003
ROUNDS = 300


def features_names(n_members: int, with_categories: bool, item_side: list[str] = (),
                   user_side: list[str] = ()) -> list[str]:
    names = [f"m{j}" for j in range(n_members)] + ["blend", "blend_rank", "item_pop",
                                                   "user_len"]
    return (names + (["category_affinity"] if with_categories else [])
            + [f"item.{n}" for n in item_side] + [f"user.{n}" for n in user_side])


def category_matrix(item_categories: list[list[str]]) -> sp.csr_matrix | None:
    """items x categories, 1 where the item is in the category (None without categories)."""
    names = sorted({c for cats in item_categories for c in cats})
    if not names:
        return None
    pos = {c: j for j, c in enumerate(names)}
    rows = [i for i, cats in enumerate(item_categories) for _ in cats]
    cols = [pos[c] for cats in item_categories for c in cats]
    return sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)),
                         shape=(len(item_categories), len(names)))


def candidate_features(member_scores: list[np.ndarray], blend_scores: np.ndarray,
                       history: sp.csr_matrix, item_counts: np.ndarray,
                       categories: sp.csr_matrix | None, allowed: np.ndarray | None = None,
                       n: int = CANDIDATES, item_side: np.ndarray | None = None,
                       user_side: np.ndarray | None = None
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """From the blend's top n: candidates (users x n item indices), their features
    ((users*n) x f) and which candidates are real (False: fewer allowed items than n)."""
    scores = blend_scores.copy()
    if allowed is not None:
        scores[~allowed] = -np.inf
    rows, cols = history.nonzero()
    scores[rows, cols] = -np.inf
    n = min(n, scores.shape[1])
    cand = np.argpartition(-scores, n - 1, axis=1)[:, :n]
    cand = np.take_along_axis(cand, np.argsort(-np.take_along_axis(scores, cand, 1), 1), 1)
    take = lambda a: np.take_along_axis(a, cand, 1).ravel()
    cols_out = [take(s) for s in member_scores] + [take(blend_scores)]
    cols_out.append(np.tile(np.arange(n, dtype=np.float32), len(cand)))
    cols_out.append(np.log1p(item_counts[cand]).ravel())
    cols_out.append(np.repeat(np.log1p(np.diff(history.indptr)).astype(np.float32), n))
    if categories is not None:
        profile = np.asarray((history @ categories).todense(), dtype=np.float32)
        profile /= np.maximum(profile.sum(axis=1, keepdims=True), 1.0)
        per_item = np.maximum(np.asarray(categories.sum(axis=1)).ravel(), 1.0)
        shared = np.asarray((categories @ profile.T).T)  # users x items
        aff = np.take_along_axis(shared, cand, 1) / per_item[cand]
        cols_out.append(aff.ravel())
    if item_side is not None:  # items x g attributes (price, brand code, ...)
        cols_out.extend(item_side[cand.ravel(), j] for j in range(item_side.shape[1]))
    if user_side is not None:  # rows x h attributes of these users (age, tier, ...)
        cols_out.extend(np.repeat(user_side[:, j], n) for j in range(user_side.shape[1]))
    valid = np.isfinite(np.take_along_axis(scores, cand, 1))
    return cand, np.column_stack(cols_out).astype(np.float32), valid


@dataclass
class Reranker:
    """A fitted LightGBM ranker (its text model) and the feature names it expects."""

    model_text: str
    names: list[str]

    def __post_init__(self):
        import lightgbm as lgb

        self.booster = lgb.Booster(model_str=self.model_text)

    def rescore(self, features: np.ndarray) -> np.ndarray:
        return self.booster.predict(features, num_threads=1)


def _train(features, labels, n, rounds, seed):
    import lightgbm as lgb

    groups = np.full(len(labels) // n, n)
    params = {"objective": "lambdarank", "metric": "ndcg", "ndcg_eval_at": [10],
              "learning_rate": 0.02, "num_leaves": 7, "min_data_in_leaf": 50,
              "feature_fraction": 0.9, "verbose": -1, "seed": seed, "num_threads": 1,
              "lambdarank_truncation_level": 20}
    return lgb.train(params, lgb.Dataset(features, labels, group=groups), num_boost_round=rounds)


def fit_reranker(cand: np.ndarray, features: np.ndarray, relevant: list[set[int]], k: int,
                 names: list[str], seed: int = 0) -> tuple[Reranker | None, dict[str, float]]:
    """Fit on half the users, compare with the blend on the other half, refit on all if better."""
    n = cand.shape[1]
    labels = np.array([[int(i in rel) for i in row] for row, rel in zip(cand, relevant)],
                      dtype=np.float32).ravel()
    users = np.random.default_rng(seed).permutation(len(cand))
    half_a, half_b = np.sort(users[: len(users) // 2]), np.sort(users[len(users) // 2:])
    rows = lambda us: (us[:, None] * n + np.arange(n)).ravel()
    model = _train(features[rows(half_a)], labels[rows(half_a)], n, ROUNDS, seed)
    scores_b = model.predict(features[rows(half_b)], num_threads=1).reshape(len(half_b), n)
    order = np.take_along_axis(cand[half_b], np.argsort(-scores_b, axis=1, kind="stable"), 1)
    rel_b = [relevant[u] for u in half_b]
    ranked = ranking_metrics(order, rel_b, k)["ndcg"]
    blended = ranking_metrics(cand[half_b], rel_b, k)["ndcg"]
    result = {"ndcg_reranked": ranked, "ndcg_blend": blended}
    if ranked < blended + MIN_GAIN:
        return None, result
    full = _train(features, labels, n, ROUNDS, seed)
    return Reranker(full.model_to_string(), names), result
