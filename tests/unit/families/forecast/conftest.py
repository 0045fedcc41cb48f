"""Small time-ordered tables built in code: weekly store sales and run-to-failure units."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def weekly_sales(stores: int = 3, weeks: int = 60, seed: int = 0) -> pd.DataFrame:
    """Seasonal weekly sales per store with a promotion flag that lifts sales by 30%."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2022-01-02", periods=weeks, freq="W-SUN")
    rows = []
    for s in range(1, stores + 1):
        base = 100.0 * s
        promo = (rng.random(weeks) < 0.15).astype(int)
        season = 1 + 0.2 * np.sin(2 * np.pi * np.arange(weeks) / 13)
        sales = base * season * (1 + 0.3 * promo) + rng.normal(0, 2, weeks)
        rows += [{"store": s, "week": d.strftime("%Y-%m-%d"), "sales": round(v, 2),
                  "promo": p} for d, v, p in zip(dates, sales, promo, strict=True)]
    return pd.DataFrame(rows)


def units(n: int = 12, seed: int = 0) -> pd.DataFrame:
    """Units whose two sensors drift as they wear out; each runs until it fails."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(1, n + 1):
        life = int(rng.integers(60, 120))
        for c in range(1, life + 1):
            wear = max(0.0, c - life + 50) / 50
            rows.append({"unit": u, "cycle": c, "temp": 500 + 20 * wear ** 2 + rng.normal(0, .5),
                         "vib": 1 + 2 * wear + rng.normal(0, 0.05), "const": 7.0})
    return pd.DataFrame(rows)


@pytest.fixture
def sales() -> pd.DataFrame:
    return weekly_sales()


@pytest.fixture
def histories() -> pd.DataFrame:
    return units()
