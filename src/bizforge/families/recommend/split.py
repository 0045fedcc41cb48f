"""Ids to matrix rows/columns, and the per-user holdout that mirrors the test rule.

Validation holds out interactions of each user (at most half of a user's
history; users with a single interaction stay whole in training): the latest
ones when the data has timestamps and the test set is later than training
(leave-last-out), otherwise a seeded random choice.

>>> import pandas as pd
>>> pairs = pd.DataFrame({"user": list("aaaabb"), "item": list("wxyzwx"),
...                       "weight": 1.0, "time": [1, 2, 3, 4, 1, 2]})
>>> train, held = holdout(pairs, 1, by_time=True)
>>> sorted(held["item"])
['x', 'z']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = ["Index", "holdout", "holdout_size", "later_than_training", "recency_weighted",
           "relevant_sets"]


@dataclass
class Index:
    """The users and items a model knows, in matrix order."""

    users: list[str]
    items: list[str]

    def __post_init__(self):
        self.user_pos = {u: j for j, u in enumerate(self.users)}
        self.item_pos = {i: j for j, i in enumerate(self.items)}

    @classmethod
    def of(cls, pairs: pd.DataFrame, extra_items: list[str] = ()) -> Index:
        items = list(pd.unique(pairs["item"]))
        seen = set(items)
        items += [i for i in extra_items if i not in seen]
        return cls(list(pd.unique(pairs["user"])), items)

    def matrix(self, pairs: pd.DataFrame) -> sp.csr_matrix:
        """users x items weights of the pairs whose user and item are known."""
        rows = pairs["user"].map(self.user_pos)
        cols = pairs["item"].map(self.item_pos)
        keep = rows.notna() & cols.notna()
        return sp.csr_matrix((pairs.loc[keep, "weight"].to_numpy(np.float32),
                              (rows[keep].astype(int), cols[keep].astype(int))),
                             shape=(len(self.users), len(self.items)))


def relevant_sets(index: Index, pairs: pd.DataFrame, min_strength: float | None = None
                  ) -> list[set[int]]:
    """For every known user, the held-out items (strength >= ``min_strength`` when given)."""
    out: list[set[int]] = [set() for _ in index.users]
    if min_strength is not None:
        pairs = pairs[pairs["strength"] >= min_strength]
    for user, item in zip(pairs["user"], pairs["item"]):
        u, i = index.user_pos.get(user), index.item_pos.get(item)
        if u is not None and i is not None:
            out[u].add(i)
    return out


def holdout_size(test: pd.DataFrame | None, default: float = 0.2) -> float | int:
    """Items to hold out per user: the test set's median per user, else a share."""
    if test is None or test.empty:
        return default
    return max(1, int(test.groupby("user").size().median()))


def later_than_training(train: pd.DataFrame, test: pd.DataFrame) -> bool:
    """Whether the test set is each user's latest interactions (so validate by time too)."""
    if train["time"].isna().all() or test["time"].isna().all():
        return False
    last = train.groupby("user")["time"].max()
    first = test.groupby("user")["time"].min()
    both = first.index.intersection(last.index)
    return len(both) > 0 and float((first[both] >= last[both]).mean()) >= 0.9


def holdout(pairs: pd.DataFrame, per_user: float, *, by_time: bool, seed: int = 0
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, held): ``per_user`` items (an int) or share (a float) of each user's pairs."""
    rng = np.random.default_rng(seed)
    order = (pairs.sort_values("time", kind="stable") if by_time
             else pairs.iloc[rng.permutation(len(pairs))])
    rank = order.groupby("user", sort=False).cumcount(ascending=False)  # 0 = latest / first drawn
    size = order.groupby("user", sort=False)["item"].transform("size")
    want = (np.full(len(order), per_user) if isinstance(per_user, int)
            else np.maximum(1, np.round(size * per_user)))
    held = (rank < np.minimum(want, size // 2)).to_numpy()
    return order[~held].sort_index(), order[held].sort_index()


def recency_weighted(pairs: pd.DataFrame, half_life: float | None) -> pd.DataFrame:
    """The pairs with each weight halved for every ``half_life`` later interactions of the
    same user (the latest keeps its weight): when the test is each user's latest
    interactions, what they did last says most about what comes next.

    >>> pairs = pd.DataFrame({"user": ["a", "a", "a"], "item": list("xyz"),
    ...                       "weight": 1.0, "time": [1, 2, 3]})
    >>> recency_weighted(pairs, 1)["weight"].tolist()
    [0.25, 0.5, 1.0]
    """
    if half_life is None:
        return pairs
    later = pairs.sort_values("time", kind="stable").groupby("user", sort=False).cumcount(
        ascending=False)
    return pairs.assign(weight=pairs["weight"] * 0.5 ** (later.reindex(pairs.index) / half_life))
