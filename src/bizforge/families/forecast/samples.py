"""Small time-ordered sample data made in code (tests, demos): weekly store sales with a
promotion flag, and units run to failure with two wearing sensors.

>>> weekly_sales(stores=2, weeks=10).shape
(20, 4)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["units_to_failure", "weekly_sales"]


def weekly_sales(stores: int = 3, weeks: int = 60, seed: int = 0) -> pd.DataFrame:
    """Seasonal weekly sales per store; a promotion week sells 30% more."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2022-01-02", periods=weeks, freq="W-SUN")
    rows = []
    for s in range(1, stores + 1):
        promo = (rng.random(weeks) < 0.15).astype(int)
        season = 1 + 0.2 * np.sin(2 * np.pi * np.arange(weeks) / 13)
        sales = 100.0 * s * season * (1 + 0.3 * promo) + rng.normal(0, 2, weeks)
        rows += [{"store": s, "week": d.strftime("%Y-%m-%d"), "sales": round(float(v), 2),
                  "promo": int(p)} for d, v, p in zip(dates, sales, promo, strict=True)]
    return pd.DataFrame(rows)


def units_to_failure(n: int = 12, seed: int = 0) -> pd.DataFrame:
    """Units whose temperature and vibration rise as they wear out; each runs to failure."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(1, n + 1):
        life = int(rng.integers(60, 120))
        for c in range(1, life + 1):
            wear = max(0.0, c - life + 50) / 50
            rows.append({"unit": u, "cycle": c,
                         "temp": 500 + 20 * wear ** 2 + rng.normal(0, 0.5),
                         "vib": 1 + 2 * wear + rng.normal(0, 0.05), "const": 7.0})
    return pd.DataFrame(rows)
