"""The trained recommender as loaded for prediction: recommend, similar, batch top-k.

Three paths answer ``recommend`` (the response names the one used):

- ``history``: a user seen at training time, scored from their own history;
- ``fold-in``: a user unseen at training time who sends a few items: the
  blend scores them from those items (factor models fold the user in by one
  least-squares step);
- ``popular``: nobody to personalise for (an unknown user without items, or no
  user at all): the most popular items, with a note saying so.

A known user's request without rules (or with only ``exclude``) is answered
from the user's shortlist, their best unseen items kept with the model (the
same items full scoring would give), so it costs a lookup rather than a scoring.
Items never chosen at training time but described in the items file are
reached through their attributes (``via: "attributes"``). Saved as
``model.json`` (ids, settings, attributes) + ``arrays.safetensors`` (every
learned array); no pickle.

>>> RecommendPredictor.family
'recommend'
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from bizforge.errors import DataError, UsageError
from bizforge.families.base import Action, FamilyPredictor
from bizforge.families.recommend.data import normalise_id
from bizforge.families.recommend.items import ItemAttributes
from bizforge.families.recommend.rerank import (
    CANDIDATES,
    Reranker,
    candidate_features,
    category_matrix,
)
from bizforge.families.recommend.rules import allowed_mask, pick
from bizforge.families.recommend.scorers import SCORERS, _sparse_arrays, _sparse_from
from bizforge.families.recommend.search import Member, blend
from bizforge.families.recommend.split import Index

__all__ = ["RecommendPredictor"]

DENSE_REASONS_MAX = 5000  # items: below this the reasons matrix is kept dense (fast lookups)
SHORTLIST = 100  # best unseen items kept per known user, so a plain request is a lookup
SHORTLIST_CELLS = 2e7  # users x SHORTLIST above which no shortlists are kept (memory)
SHORTLIST_SCORED = 3e8  # users x items above which scoring everyone costs too long to do it
ARRAYS = "arrays.safetensors"
MODEL = "model.json"
RANKER = "ranker.txt"


class RecommendPredictor(FamilyPredictor):
    """A blend of scorers over a known catalogue, with rules, reasons and cold start."""

    family = "recommend"

    def __init__(self, *, info: dict[str, Any], index: Index, history: sp.csr_matrix,
                 members: list[Member], specs: list[tuple[str, dict, float]],
                 reasons: sp.csr_matrix, attributes: ItemAttributes | None = None,
                 content: sp.csr_matrix | None = None, reranker: Reranker | None = None,
                 item_side: np.ndarray | None = None, user_side: np.ndarray | None = None,
                 shortlist: tuple[np.ndarray, np.ndarray] | bool | None = None):
        self.info = info
        self.reranker = reranker
        self.item_side = item_side  # items x g side-file attributes (re-ranker features)
        self.user_side = user_side  # users x h
        self.index = index
        self.history = history.tocsr()
        self.members = members
        self.specs = specs
        self.reasons = reasons.tocsr()
        self._dense_reasons = (self.reasons.toarray() if self.reasons.shape[0] <= DENSE_REASONS_MAX
                               else None)
        self.attributes = attributes
        self.content = content
        self.counts = np.asarray((self.history > 0).sum(axis=0), dtype=np.float32).ravel()
        self.warm = self.counts > 0
        self._cold_links()
        cats = attributes.categories if attributes else {}
        self.item_categories = [cats.get(i, []) for i in index.items]
        self.category_matrix = category_matrix(self.item_categories)
        self._parts: dict[int, tuple[str, str | None, list[str], str]] = {}  # _item_parts
        # None: compute the shortlists now; False: not now (no time left in training; the
        # saved model then computes them when it is loaded)
        self.shortlist = (self._shortlists() if shortlist is None
                          else None if shortlist is False else shortlist)

    def _shortlists(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Each known user's best :data:`SHORTLIST` unseen items (-1: none) and their final
        scores, best first: what a request without rules answers from, with no scoring."""
        n_users, n_items = self.history.shape
        n = min(SHORTLIST, n_items)
        if n_users * n > SHORTLIST_CELLS or n_users * n_items > SHORTLIST_SCORED or n_users == 0:
            return None  # requests are scored in full
        items = np.full((n_users, n), -1, dtype=np.int32)
        values = np.full((n_users, n), -np.inf, dtype=np.float32)
        batch = max(16, int(1e7 // max(1, n_items)))
        for start in range(0, n_users, batch):
            rows = np.arange(start, min(n_users, start + batch))
            hist = self.history[rows]
            scores = self.final_scores(rows, hist)
            scores[hist.nonzero()] = -np.inf
            part = np.argpartition(-scores, n - 1, axis=1)[:, :n]
            got = np.take_along_axis(scores, part, axis=1)
            # best first; equal scores in item order, as the full path's stable sort has them
            order = np.lexsort((part, -got), axis=1)
            part, got = np.take_along_axis(part, order, 1), np.take_along_axis(got, order, 1)
            items[rows] = np.where(np.isfinite(got), part, -1)
            values[rows] = got
        return items, values

    def _seen(self, row: int) -> np.ndarray:
        return self.history.indices[self.history.indptr[row]:self.history.indptr[row + 1]]

    # --- cold items --------------------------------------------------------------
    def _cold_links(self) -> None:
        """For each item never chosen, its most similar chosen item by attributes."""
        n = len(self.index.items)
        self.cold_link = np.full(n, -1, dtype=np.int64)
        self.cold_sim = np.zeros(n, dtype=np.float32)
        cold = np.flatnonzero(~self.warm)
        if self.content is None or len(cold) == 0 or not self.warm.any():
            return
        sims = (self.content[cold] @ self.content[np.flatnonzero(self.warm)].T).toarray()
        best = sims.argmax(axis=1)
        self.cold_link[cold] = np.flatnonzero(self.warm)[best]
        self.cold_sim[cold] = sims[np.arange(len(cold)), best]

    def final_scores(self, rows: np.ndarray, history: sp.csr_matrix,
                     allowed: np.ndarray | None = None, n: int = CANDIDATES) -> np.ndarray:
        """Scores to rank by: the blend's, or with a re-ranker the re-ranker's over the
        blend's top ``n`` allowed, not-yet-chosen items (every other item is -inf)."""
        parts: list[np.ndarray] = []
        scores = self._scores(rows, history, parts)
        if self.reranker is None:
            return scores
        users = None
        if self.user_side is not None:  # users unseen at training time have no attributes
            users = np.full((len(rows), self.user_side.shape[1]), np.nan, dtype=np.float32)
            users[rows >= 0] = self.user_side[rows[rows >= 0]]
        cand, features, valid = candidate_features(parts, scores, history, self.counts,
                                                   self.category_matrix, allowed, n,
                                                   self.item_side, users)
        ranked = self.reranker.rescore(features).reshape(cand.shape).astype(np.float32)
        ranked[~valid] = -np.inf  # fewer allowed items than candidates
        out = np.full_like(scores, -np.inf)
        np.put_along_axis(out, cand, ranked, axis=1)
        return out

    def _scores(self, rows: np.ndarray, history: sp.csr_matrix,
                parts: list[np.ndarray] | None = None) -> np.ndarray:
        scores = blend(self.members, rows, history, parts)
        linked = np.flatnonzero(self.cold_link >= 0)
        if len(linked):
            spread = scores.std(axis=1, keepdims=True)
            scores[:, linked] = (scores[:, self.cold_link[linked]]
                                 - (1.0 - self.cold_sim[linked]) * 3.0 * spread)
        unreachable = ~self.warm & (self.cold_link < 0)
        scores[:, unreachable] = -np.inf  # nothing is known about them
        return scores

    # --- requests ------------------------------------------------------------------
    def _item_positions(self, ids: Sequence[Any], field: str, notes: list[str]) -> list[int]:
        out, unknown = [], []
        for value in ids:
            pos = self.index.item_pos.get(normalise_id(value))
            (unknown.append(normalise_id(value)) if pos is None else out.append(pos))
        if unknown:
            notes.append(f"{len(unknown)} item(s) in '{field}' are not in the catalogue and were "
                         f"ignored: {', '.join(unknown[:5])}.")
        return out

    def _category_mask(self, categories: Sequence[str] | None, field: str) -> np.ndarray | None:
        if not categories:
            return None
        if not any(self.item_categories):
            raise UsageError(f"'{field}' needs item categories, and this model was trained "
                             "without them.", fix="retrain with --items-file holding a category "
                                                  "column, or leave out the field.")
        wanted = set(categories)
        return np.array([bool(wanted.intersection(c)) for c in self.item_categories])

    def recommend(self, user: Any = None, items: Sequence[Any] | None = None, k: int | None = None,
                  *, exclude: Sequence[Any] = (), include: Sequence[Any] | None = None,
                  categories: Sequence[str] | None = None,
                  exclude_categories: Sequence[str] | None = None, exclude_seen: bool = True,
                  diversity: int | None = None) -> dict[str, Any]:
        """Top-k items for a user (known, or described by ``items``), with reasons.

        >>> # predictor.recommend("u1", k=5)["path"]  -> 'history'
        """
        found = self.remembered(user, items, k, exclude=exclude, include=include,
                                categories=categories, exclude_categories=exclude_categories,
                                exclude_seen=exclude_seen, diversity=diversity)
        if found is not None:
            return found
        k = int(k or self.info.get("k", 10))
        notes: list[str] = []
        user_id = None if user is None else normalise_id(user)
        row = self.index.user_pos.get(user_id, -1) if user_id is not None else -1
        if row >= 0:
            path, hist = "history", self.history[row]
            if items:
                extra = self._item_positions(items, "items", notes)
                hist = hist + sp.csr_matrix((np.ones(len(extra), np.float32),
                                             (np.zeros(len(extra), int), extra)),
                                            shape=hist.shape)
                hist.data[:] = np.minimum(hist.data, 1.0)
        else:
            known = self._item_positions(items or [], "items", notes)
            hist = sp.csr_matrix((np.ones(len(known), np.float32), (np.zeros(len(known), int),
                                  known)), shape=(1, len(self.index.items)))
            hist.sum_duplicates()
            hist.data[:] = 1.0
            if user_id is not None:
                notes.append(f"user '{user_id}' was not seen at training time.")
            path = "fold-in" if hist.nnz else "popular"
        if path == "popular":
            notes.append("no history to personalise from: the most popular items are returned.")
            scores = self.counts.astype(np.float32).copy()
            scores[~self.warm] = -np.inf
        mask = allowed_mask(
            len(self.index.items), seen=hist.indices, exclude_seen=exclude_seen,
            exclude=self._item_positions(exclude, "exclude", notes),
            include=None if include is None else self._item_positions(include, "include", notes),
            in_categories=self._category_mask(categories, "categories"),
            out_categories=self._category_mask(exclude_categories, "exclude_categories"))
        if path != "popular":
            scores = self.final_scores(np.array([row]), hist, mask[None, :],
                                       max(CANDIDATES, k * (3 if diversity else 1)))[0]
        mask &= np.isfinite(scores)
        chosen = pick(scores, mask, k, diversity, self.item_categories)
        if len(chosen) < k:
            notes.append(f"only {len(chosen)} items could be recommended (k={k}) after the "
                         "rules and the items already chosen.")
        return {"user": user_id, "path": path,
                "items": self._describe(chosen, scores[chosen], hist.indices, path),
                "notes": notes}

    def remembered(self, user: Any = None, items: Sequence[Any] | None = None,
                   k: int | None = None, *, exclude: Sequence[Any] = (),
                   include: Sequence[Any] | None = None, categories: Sequence[str] | None = None,
                   exclude_categories: Sequence[str] | None = None, exclude_seen: bool = True,
                   diversity: int | None = None) -> dict[str, Any] | None:
        """:meth:`recommend`'s answer when it is a lookup in the known user's kept
        shortlist (no rules but ``exclude``); None when it needs scoring. Only reads the
        model, so the server may call it outside the model's thread.
        """
        if (user is None or self.shortlist is None or items or include is not None
                or categories or exclude_categories or not exclude_seen or diversity
                # the re-ranker's features (blend rank) depend on which items are allowed
                or (exclude and self.reranker is not None)):
            return None
        user_id = normalise_id(user)
        row = self.index.user_pos.get(user_id, -1)
        if row < 0:
            return None
        notes: list[str] = []
        found = self._from_shortlist(row, int(k or self.info.get("k", 10)), exclude, notes)
        if found is None:
            return None
        return {"user": user_id, "path": "history", "items": found, "notes": notes}

    def _from_shortlist(self, row: int, k: int, exclude: Sequence[Any],
                        notes: list[str]) -> list[dict[str, Any]] | None:
        """The answer from the user's shortlist; None when it runs out before k items and
        the full scoring could find more."""
        items, values = self.shortlist[0][row], self.shortlist[1][row]
        if len(exclude):
            keep = ~np.isin(items, self._item_positions(exclude, "exclude", notes))
            items, values = items[keep], values[keep]
        # best first, -1 (none) only at the end: the first k are the answer
        chosen, scores = items[:k], values[:k]
        if len(chosen) < k or chosen[-1] < 0:
            kept = self.shortlist[0]
            if kept[row, -1] >= 0 and kept.shape[1] < len(self.index.items):
                return None
            real = chosen >= 0
            chosen, scores = chosen[real], scores[real]
            notes.append(f"only {len(chosen)} items could be recommended (k={k}) after the "
                         "rules and the items already chosen.")
        return self._describe(chosen.tolist(), scores, self._seen(row), "history")

    def _describe(self, chosen: list[int], scores: np.ndarray, seen: np.ndarray,
                  path: str) -> list[dict[str, Any]]:
        """``chosen`` items with their ``scores``, each with the ``seen`` item behind it.
        A request served from the shortlist spends most of its time here: one pass over
        the similarity block, plain Python values and each item's fixed parts kept."""
        items = self.index.items
        if not (len(seen) and chosen):
            best: list[int | None] = [None] * len(chosen)
        else:
            if self._dense_reasons is not None:
                sims = self._dense_reasons[seen[:, None], np.asarray(chosen)]
            else:
                sims = self.reasons[seen][:, chosen].toarray()
            at = sims.argmax(axis=0)
            strongest = sims[at, np.arange(len(chosen))] > 0
            best = [int(seen[a]) if s else None for a, s in zip(at.tolist(), strongest.tolist())]
        warm, values = self.warm[chosen].tolist(), np.asarray(scores, dtype=float).tolist()
        out = []
        for j, item in enumerate(chosen):
            item_id, title, categories, _ = self._item_parts(item)
            via = "popular" if path == "popular" else ("attributes" if not warm[j]
                                                      else "collaborative")
            because = int(self.cold_link[item]) if via == "attributes" else best[j]
            if because is not None:
                liked = self._item_parts(because)[3]
                reason = (f"similar to {liked}, which you liked" if via == "attributes"
                          else f"because you liked {liked}")
            else:
                reason = "popular with everyone" if via == "popular" else None
            out.append({"item": item_id, "score": round(values[j], 6), "title": title,
                        "reason": reason, "because": None if because is None else items[because],
                        "via": via, "categories": list(categories)})
        return out

    def _item_parts(self, item: int) -> tuple[str, str | None, list[str], str]:
        """(id, title or None, categories, title or id) of item ``item``, kept once made."""
        parts = self._parts.get(item)
        if parts is None:
            item_id = self.index.items[item]
            title = self.title(item_id, default=None)
            parts = self._parts[item] = (item_id, title, self.item_categories[item],
                                         item_id if title is None else title)
        return parts

    def title(self, item: str, default: str | None = "") -> str | None:
        titles = self.attributes.titles if self.attributes else {}
        if item in titles:
            return titles[item]
        return item if default == "" else default

    def similar(self, item: Any, k: int | None = None, *, exclude: Sequence[Any] = ()
                ) -> dict[str, Any]:
        """Items like ``item``: by who chose them (collaborative) or, for a new item, attributes."""
        k = int(k or self.info.get("k", 10))
        item_id = normalise_id(item)
        pos = self.index.item_pos.get(item_id)
        if pos is None:
            raise DataError(f"item '{item_id}' is not in the model's catalogue.", column="item",
                            fix="send an item id from the training data or the items file.")
        notes: list[str] = []
        if self.warm[pos]:
            # the item's stored neighbours (sparse), and cold items only by attributes
            path = "collaborative"
            lo, hi = self.reasons.indptr[pos], self.reasons.indptr[pos + 1]
            cols, sims = self.reasons.indices[lo:hi], self.reasons.data[lo:hi]
            keep = self.warm[cols]
            cols, sims = cols[keep], sims[keep]
            cold = np.flatnonzero(~self.warm)
            if self.content is not None and len(cold):
                attr = 0.5 * (self.content[pos] @ self.content[cold].T).toarray().ravel()
                cols, sims = np.concatenate([cols, cold]), np.concatenate([sims, attr])
        elif self.content is not None:
            path = "attributes"
            sims = (self.content[pos] @ self.content.T).toarray().ravel()
            cols = np.arange(len(sims))
        else:
            raise DataError(f"item '{item_id}' was never chosen and has no attributes, so "
                            "nothing is known about it.", column="item",
                            fix="retrain with --items-file describing it.")
        keep = (sims > 0) & (cols != pos)
        if len(exclude):
            keep &= ~np.isin(cols, self._item_positions(exclude, "exclude", notes))
        cols, sims = cols[keep], sims[keep]
        order = np.lexsort((cols, -sims))[:k]  # best first; equal scores in item order
        if len(order) < k:
            notes.append(f"only {len(order)} similar items were found (k={k}).")
        return {"item": item_id, "path": path, "notes": notes,
                "items": [{"item": self.index.items[cols[j]], "score": round(float(sims[j]), 6),
                           "title": self.title(self.index.items[cols[j]], default=None)}
                          for j in order]}

    # --- contract ------------------------------------------------------------------
    def predict(self, data: Any) -> list[dict[str, Any]]:
        """``recommend`` for each user id in ``data`` (a list, or a table's user column)."""
        users = self._users_of(data) if isinstance(data, pd.DataFrame) else list(data)
        return [self.recommend(u) for u in users]

    def _users_of(self, frame: pd.DataFrame) -> list[Any]:
        column = self.info["columns"]["user"]
        if column not in frame.columns:
            raise DataError(f"the table to score has no user column '{column}'.", column=column,
                            fix=f"add a column '{column}' of user ids.")
        return list(pd.unique(frame[column].dropna()))

    def score(self, data: Any, *, explain: bool = False,
              progress: Callable[[int], None] | None = None) -> pd.DataFrame:
        """Top k per user of ``data``, one row per (user, rank). When the table also has the
        item column, users unseen at training time are folded in from their rows' items."""
        frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(
            {self.info["columns"]["user"]: list(data)})
        user_col, item_col = self.info["columns"]["user"], self.info["columns"]["item"]
        users = self._users_of(frame)
        basket: dict[str, list[str]] = {}
        if item_col in frame.columns:
            for u, i in zip(frame[user_col].map(normalise_id), frame[item_col]):
                if pd.notna(i):
                    basket.setdefault(u, []).append(normalise_id(i))
        rows = []
        for n, user in enumerate(users):
            uid = normalise_id(user)
            known = uid in self.index.user_pos
            answer = self.recommend(uid, None if known else basket.get(uid))
            for rank, rec in enumerate(answer["items"], start=1):
                rows.append({user_col: uid, "rank": rank, "item": rec["item"],
                             "score": rec["score"], "reason": rec["reason"] or "",
                             "path": answer["path"]})
            if progress is not None:
                progress(n + 1)
        return pd.DataFrame(rows, columns=[user_col, "rank", "item", "score", "reason", "path"])

    def actions(self) -> list[Action]:
        from bizforge.families.recommend.api import actions

        return actions(self)

    def example(self, action: str) -> dict[str, Any] | None:
        """A known user for ``recommend``, the most chosen item for ``similar``."""
        if action == "recommend" and self.index.users:
            return {"user": self.index.users[0]}
        if action == "similar" and self.index.items:
            return {"item": self.index.items[int(np.argmax(self.counts))]}
        return None

    # --- files -----------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        from safetensors.numpy import save_file

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        arrays = {**_sparse_arrays("history", self.history), **_sparse_arrays("reasons", self.reasons)}
        if self.content is not None:
            arrays.update(_sparse_arrays("content", self.content))
        for name in ("item_side", "user_side"):
            if getattr(self, name) is not None:
                arrays[name] = np.ascontiguousarray(getattr(self, name), dtype=np.float32)
        if self.shortlist is not None:
            arrays["shortlist_items"], arrays["shortlist_scores"] = self.shortlist
        for j, member in enumerate(self.members):
            arrays.update({f"m{j}.{key}": np.ascontiguousarray(value)
                           for key, value in member.scorer.arrays_.items()})
        save_file(arrays, str(folder / ARRAYS))
        doc = {"info": self.info, "users": self.index.users, "items": self.index.items,
               "members": [{"scorer": n, "params": p, "weight": w} for n, p, w in self.specs],
               "attributes": self.attributes.to_json() if self.attributes else None}
        if self.reranker is not None:
            doc["reranker_features"] = self.reranker.names
            (folder / RANKER).write_text(self.reranker.model_text, encoding="utf-8")
        (folder / MODEL).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> RecommendPredictor:
        from safetensors.numpy import load_file

        folder = Path(folder)
        doc = json.loads((folder / MODEL).read_text(encoding="utf-8"))
        arrays = load_file(str(folder / ARRAYS))
        members, specs = [], []
        for j, m in enumerate(doc["members"]):
            prefix = f"m{j}."
            own = {key[len(prefix):]: value for key, value in arrays.items()
                   if key.startswith(prefix)}
            members.append(Member(SCORERS[m["scorer"]].from_arrays(m["params"], own), m["weight"]))
            specs.append((m["scorer"], m["params"], m["weight"]))
        attrs = doc.get("attributes")
        obj = cls(info=doc["info"], index=Index(doc["users"], doc["items"]),
                  history=_sparse_from("history", arrays), members=members, specs=specs,
                  reasons=_sparse_from("reasons", arrays),
                  attributes=ItemAttributes.from_json(attrs) if attrs else None,
                  content=_sparse_from("content", arrays) if "content_data" in arrays else None,
                  reranker=Reranker((folder / RANKER).read_text(encoding="utf-8"),
                                    doc["reranker_features"]) if "reranker_features" in doc
                  else None, item_side=arrays.get("item_side"), user_side=arrays.get("user_side"),
                  shortlist=(arrays["shortlist_items"], arrays["shortlist_scores"])
                  if "shortlist_items" in arrays else None)
        obj.path = folder
        return obj
