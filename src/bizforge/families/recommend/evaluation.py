"""Held-out evaluation of a trained recommender: metrics, segments, examples.

Test users are those with held-out items who were seen at training time;
held-out items unknown to the model still count as relevant (the model
could not find them, and the figure says so). Keys are suffixed with k:
``recall_10``, ``ndcg_10``, ``map_10``, ``hit_10``, ``precision_10``,
``coverage_10``, ``popularity_bias_10``; with a rating threshold also
``ndcg_10_ge4`` and so on.

>>> _suffix({"ndcg": 0.3}, 10, "_ge4")
{'ndcg_10_ge4': 0.3}
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from bizforge.families.recommend.metrics import beyond_accuracy, ranking_metrics
from bizforge.families.recommend.predictor import RecommendPredictor
from bizforge.families.recommend.split import relevant_sets

__all__ = ["evaluate"]

EVAL_CELLS = 1e7  # users x items scored at once
RANK_KEYS = ("recall", "ndcg", "map", "hit", "precision")
EXAMPLES = 3


def _suffix(values: dict[str, float], k: int, tail: str = "") -> dict[str, float]:
    return {f"{key}_{k}{tail}": float(value) for key, value in values.items()}


def _relevant_all(predictor: RecommendPredictor, test: pd.DataFrame,
                  min_strength: float | None) -> list[set]:
    """Held-out items per known user; items the model does not know count as misses."""
    rel = relevant_sets(predictor.index, test, min_strength)
    sub = test if min_strength is None else test[test["strength"] >= min_strength]
    unknown = sub[~sub["item"].isin(predictor.index.item_pos)]
    for user, item in zip(unknown["user"], unknown["item"]):
        u = predictor.index.user_pos.get(user)
        if u is not None:
            rel[u].add(f"unknown:{item}")
    return rel


def evaluate(predictor: RecommendPredictor, test: pd.DataFrame, *, k: int,
             relevant_min: float | None = None) -> dict[str, Any]:
    """``test`` / ``baseline`` / ``segments`` / ``examples`` of the held-out pairs."""
    batch = max(16, int(EVAL_CELLS // max(1, len(predictor.index.items))))  # bounded memory
    rel = _relevant_all(predictor, test, None)
    users = np.array([u for u, r in enumerate(rel) if r], dtype=np.int64)
    ks = sorted({k, 10})
    top = np.full((len(users), max(ks)), -1, dtype=np.int64)
    for start in range(0, len(users), batch):
        rows = users[start:start + batch]
        scores = predictor.final_scores(rows, predictor.history[rows], n=max(50, max(ks)))
        seen = predictor.history[rows].nonzero()
        scores[seen] = -np.inf
        part = np.argsort(-scores, axis=1, kind="stable")[:, :max(ks)]
        # a small catalogue leaves fewer than k items to offer: the rest of the list is empty
        part = np.where(np.isfinite(np.take_along_axis(scores, part, 1)), part, -1)
        top[start:start + len(rows), :part.shape[1]] = part
    rel_users = [rel[u] for u in users]
    test_doc: dict[str, float] = {"users": len(users)}
    popular = np.argsort(-predictor.counts, kind="stable")
    baseline: dict[str, float] = {}
    for kk in ks:
        test_doc |= _suffix({key: v for key, v in ranking_metrics(top, rel_users, kk).items()
                             if key in RANK_KEYS}, kk)
        test_doc |= _suffix(beyond_accuracy(top[:, :kk], predictor.counts), kk)
        pop_top = np.full((min(len(users), 2000), kk), -1, dtype=np.int64)
        for j, u in enumerate(users[:2000]):
            left = popular[~np.isin(popular, predictor.history[u].indices)][:kk]
            pop_top[j, :len(left)] = left
        baseline |= _suffix({key: v for key, v in ranking_metrics(
            pop_top, rel_users[:2000], kk).items() if key in RANK_KEYS}, kk)
    if relevant_min is not None:
        liked = _relevant_all(predictor, test, relevant_min)
        tail = f"_ge{relevant_min:g}"
        liked_users = [liked[u] for u in users]
        for kk in ks:
            test_doc |= _suffix({key: v for key, v in ranking_metrics(top, liked_users, kk).items()
                                 if key in RANK_KEYS}, kk, tail)
        test_doc[f"users{tail}"] = sum(1 for r in liked_users if r)
    return {"test": test_doc, "baseline": baseline,
            "segments": _segments(predictor, users, top, rel_users, k),
            "examples": _examples(predictor, users, top[:, :k], rel_users)}


def _segments(predictor, users, top, rel_users, k) -> list[dict[str, Any]]:
    sizes = np.diff(predictor.history.indptr)[users]
    if len(users) < 4:
        return []
    cut = float(np.median(sizes))
    out = []
    for kind, name, mask in (("light", f"light (<= {cut:g} items)", sizes <= cut),
                             ("heavy", f"heavy (> {cut:g} items)", sizes > cut)):
        if mask.any():
            m = ranking_metrics(top[mask], [r for r, keep in zip(rel_users, mask) if keep], k)
            out.append({"segment": name, "kind": kind, "cut": cut, "users": int(mask.sum()),
                        "recall": m["recall"], "ndcg": m["ndcg"]})
    return out


def _examples(predictor, users, top, rel_users) -> list[dict[str, Any]]:
    out = []
    rng = np.random.default_rng(0)
    for j in rng.permutation(len(users))[:EXAMPLES]:
        u = int(users[j])
        user = predictor.index.users[u]
        hist = predictor.history[u].indices
        answer = predictor.recommend(user, k=top.shape[1])
        out.append({
            "user": user,
            "history": [predictor.title(predictor.index.items[i]) for i in hist[-8:]],
            "recommended": [{"title": predictor.title(r["item"]), "reason": r["reason"],
                             "via": r["via"], "because": None if r["because"] is None
                             else predictor.title(r["because"]),
                             "hit": predictor.index.item_pos[r["item"]] in rel_users[j]}
                            for r in answer["items"]],
        })
    return out
