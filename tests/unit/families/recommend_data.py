"""Tiny interaction data for the recommend family tests: two groups of users and of items."""

from __future__ import annotations

import numpy as np
import pandas as pd

N_USERS, N_ITEMS = 40, 20


def two_groups(seed: int = 0, per_user: int = 7) -> pd.DataFrame:
    """Users u0..u19 choose among items i0..i9, users u20..u39 among i10..i19 (with times)."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(N_USERS):
        pool = np.arange(10) if u < N_USERS // 2 else np.arange(10, 20)
        for n, i in enumerate(rng.choice(pool, per_user, replace=False)):
            rows.append({"user_id": f"u{u}", "item_id": f"i{i}",
                         "rating": int(rng.integers(1, 6)), "ts": 1_700_000_000 + 3600 * n})
    return pd.DataFrame(rows)


def item_table(extra_new_item: bool = True) -> pd.DataFrame:
    """Categories A (i0..i9) and B (i10..i19); i20 is new: never chosen, described like group A."""
    rows = [{"item_id": f"i{i}", "category": "A" if i < 10 else "B",
             "title": f"{'red apple' if i < 10 else 'blue whale'} {i}"} for i in range(20)]
    if extra_new_item:
        rows.append({"item_id": "i20", "category": "A", "title": "red apple 20"})
    return pd.DataFrame(rows)
