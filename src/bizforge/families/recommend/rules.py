"""Business rules applied at request time, after scoring and before the top k.

- ``exclude_seen`` (default on): items the user already has are not offered again;
- ``exclude``: items never to offer (out of stock, already in the basket);
- ``include``: offer only these items (a promotion);
- ``categories`` / ``exclude_categories``: offer only / never items of these categories;
- ``diversity``: at most this many items of one (main, first-listed) category in the list.

>>> import numpy as np
>>> pick(np.array([3.0, 2.0, 1.0]), np.ones(3, bool), 2, None, [["a"], ["a"], ["b"]])
[0, 1]
>>> pick(np.array([3.0, 2.0, 1.0]), np.ones(3, bool), 2, 1, [["a"], ["a"], ["b"]])
[0, 2]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

__all__ = ["allowed_mask", "pick"]


def allowed_mask(n_items: int, *, seen: np.ndarray, exclude_seen: bool,
                 exclude: Sequence[int] = (), include: Sequence[int] | None = None,
                 in_categories: np.ndarray | None = None,
                 out_categories: np.ndarray | None = None) -> np.ndarray:
    """Boolean mask of the items that may be recommended."""
    mask = np.ones(n_items, dtype=bool)
    if include is not None:
        mask[:] = False
        mask[list(include)] = True
    if exclude_seen and len(seen):
        mask[seen] = False
    if len(exclude):
        mask[list(exclude)] = False
    if in_categories is not None:
        mask &= in_categories
    if out_categories is not None:
        mask &= ~out_categories
    return mask


def pick(scores: np.ndarray, mask: np.ndarray, k: int, diversity: int | None,
         categories: Sequence[Sequence[str]] | None) -> list[int]:
    """The best ``k`` allowed items, at most ``diversity`` per (first-listed) category."""
    candidates = np.flatnonzero(mask)
    if len(candidates) == 0:
        return []
    order = candidates[np.argsort(-scores[candidates], kind="stable")]
    if not diversity or categories is None:
        return order[:k].tolist()
    used: Counter = Counter()
    chosen: list[int] = []
    for item in order:
        # an item's first category is its main one ('Comedy|Romance' counts as Comedy)
        main = categories[item][0] if categories[item] else ""
        if used[main] < diversity:
            chosen.append(int(item))
            used[main] += 1
            if len(chosen) == k:
                break
    return chosen
