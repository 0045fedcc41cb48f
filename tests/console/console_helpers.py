"""Helpers of the console tests (a module of its own name: several test folders have a conftest)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

FAKE_WORKER = [sys.executable, str(Path(__file__).with_name("fake_worker.py"))]
_CSRF = re.compile(r'name="csrf" value="([^"]*)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    return _CSRF.search(html).group(1)


def sign_in(client, key: str):
    """Sign ``client`` in with ``key`` through the sign-in form."""
    page = client.get("/signin")
    return client.post("/signin", data={"key": key, "csrf": csrf_of(page.text)})


def interactions(users: int = 40, per_user: int = 6, seed: int = 0):
    """Orders: users u0..u19 buy among items i0..i9, users u20..u39 among i10..i19."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    rows = []
    for u in range(users):
        pool = np.arange(10) if u < users // 2 else np.arange(10, 20)
        for n, i in enumerate(rng.choice(pool, per_user, replace=False)):
            rows.append({"user_id": f"u{u}", "item_id": f"i{i}",
                         "ts": 1_700_000_000 + 3600 * n})
    return pd.DataFrame(rows)
