"""What comes next: item-to-item transitions scored from each user's latest items.

When the interactions carry times, each user's history is a sequence. The
``sequence`` scorer counts, over all users, how often item ``j`` came within
``window`` interactions after item ``i`` (a step ``d`` later counts ``decay**(d-1)``),
and scores a user's candidates from their ``recent`` latest items, the latest
counting most (``recency**age``). Static models (EASE, ALS, kNN) see a history as a
set; this one sees what the user did last and what people did next, which is what
a test of each user's latest interactions asks about. Measured on the validation
split like every candidate, so on data whose test is not about time it is simply
not chosen.

Its input is the *order* matrix (:func:`order_matrix`): users x items, the value 1
for each user's latest item, 2 for the one before, and so on. The users' latest
items are kept with the model; a user unseen at training time is scored from the
items sent, all counted as recent.

>>> import pandas as pd
>>> pairs = pd.DataFrame({"user": ["a", "a", "a", "b", "b"], "item": list("xyzxy"),
...                       "weight": 1.0, "time": [1, 2, 3, 5, 6]})
>>> from bizforge.families.recommend.scorers import make_scorer
>>> from bizforge.families.recommend.split import Index
>>> index = Index.of(pairs)
>>> order = order_matrix(index, pairs)
>>> order.toarray().tolist()
[[3.0, 2.0, 1.0], [2.0, 1.0, 0.0]]
>>> s = make_scorer("sequence", window=2).fit(order).score(np.array([1]), order[[1]])
>>> int(s.argmax())  # after x then y, user a went on to z
2
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from bizforge.families.recommend.scorers import (
    Scorer,
    _register,
    _sparse_arrays,
    _sparse_from,
    occurrences,
)
from bizforge.families.recommend.split import Index

__all__ = ["SequenceScorer", "order_matrix"]


def order_matrix(index: Index, pairs: pd.DataFrame) -> sp.csr_matrix | None:
    """users x items: 1 for each user's latest item, 2 for the one before, ... (None when
    the pairs have no times). Equal times keep the pairs' order."""
    if "time" not in pairs or not pairs["time"].notna().any():
        return None
    timed = pairs[pairs["time"].notna()].sort_values("time", kind="stable")
    rank = timed.groupby("user", sort=False).cumcount(ascending=False) + 1
    rows = timed["user"].map(index.user_pos)
    cols = timed["item"].map(index.item_pos)
    keep = (rows.notna() & cols.notna()).to_numpy()
    return sp.csr_matrix((rank.to_numpy(np.float32)[keep],
                          (rows[keep].astype(int), cols[keep].astype(int))),
                         shape=(len(index.users), len(index.items)))


@_register
class SequenceScorer(Scorer):
    """Transitions from each user's latest items (see the module)."""

    name = "sequence"
    uses_order = True

    def _setting(self, key: str, default: float) -> float:
        return float(self.params.get(key, default))

    def _fit(self, X, seed):
        window = int(self._setting("window", 30))
        decay, recent = self._setting("decay", 0.95), int(self._setting("recent", 30))
        coo = X.tocoo()
        # each user's items oldest first: by user, then by rank from the latest, descending
        order = np.lexsort((-coo.data, coo.row))
        user, item = coo.row[order], coo.col[order]
        n = X.shape[1]
        T = sp.csr_matrix((n, n), dtype=np.float32)
        for d in range(1, window + 1):
            a = np.flatnonzero(user[:-d] == user[d:])
            if not len(a):
                break
            T = T + sp.csr_matrix((np.full(len(a), decay ** (d - 1), np.float32),
                                   (item[a], item[a + d])), shape=(n, n))
        # a common item follows everything: each row is damped by its own total, each
        # column (the item followed to) by ``target`` of its total
        out = np.asarray(T.sum(axis=1)).ravel() + 1.0
        into = np.asarray(T.sum(axis=0)).ravel() + 1.0
        T = sp.diags(out ** -0.5) @ T @ sp.diags(into ** -self._setting("target", 0.0))
        latest = X.copy().tocsr()
        latest.data = np.where(latest.data <= recent,
                               self._setting("recency", 0.8) ** (latest.data - 1.0), 0.0)
        latest.eliminate_zeros()
        return {**_sparse_arrays("t", T.astype(np.float32)),
                **_sparse_arrays("latest", latest.astype(np.float32))}

    def _parts(self) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        if not hasattr(self, "_t"):
            self._t = _sparse_from("t", self.arrays_)
            self._latest = _sparse_from("latest", self.arrays_)
        return self._t, self._latest

    def score(self, rows, history):
        T, latest = self._parts()
        rows = np.asarray(rows)
        known = rows >= 0
        if known.all():
            recent = latest[rows]
        else:  # users unseen at training time: the items sent, every one as recent
            sent = occurrences(history)
            recent = sp.vstack([latest[[r]] if r >= 0 else sent[[j]]
                                for j, r in enumerate(rows)]).tocsr()
        return np.asarray((recent @ T).todense(), dtype=np.float32)

    def neighbours(self, item):
        T, _ = self._parts()
        return np.asarray(T[item].todense()).ravel()

