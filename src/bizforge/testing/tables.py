"""Generated business tables with known leakage, for tests and for ``bench/findings.py``.

Each generator returns ``(frame, target, leaks)``: a seeded DataFrame, the
target column and the set of columns that truly leak. Honest tables carry the
traps that real business data sets for a leakage rule — a rare value whose rows
all share one class (a small product tier, a region with a handful of
customers), strong honest predictors, identifiers — and no leak. Leaky tables
each add one kind of leak to an honest churn table: a post-outcome date, a
noisy copy of the target, a target-encoded id, a group of failure-mode flags.

>>> frame, target, leaks = bank_churn(500, seed=1)
>>> target, leaks, int(frame["NumOfProducts"].max())
('Exited', set(), 4)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "LEAKY_TABLES",
    "bank_churn",
    "credit_default",
    "flag_group",
    "noisy_copy",
    "post_outcome_date",
    "target_encoded_id",
]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def bank_churn(n: int = 10_000, *, seed: int = 0) -> tuple[pd.DataFrame, str, set[str]]:
    """A bank's customers (~20% leave); no leak.

    ``NumOfProducts`` takes 1-4 and every customer with 4 products leaves (about
    0.5% of rows); ``Geography`` has a tiny region whose few customers all left.
    Both are honest predictors that a rare-value rule would wrongly drop.
    """
    rng = np.random.default_rng(seed)
    geo = rng.choice(["France", "Spain", "Germany"], n, p=[0.5, 0.25, 0.25]).astype(object)
    age = np.clip(rng.normal(39, 10, n), 18, 92).round()
    products = rng.choice([1, 2, 3, 4], n, p=[0.505, 0.46, 0.03, 0.005])
    active = rng.integers(0, 2, n)
    balance = np.where(rng.uniform(size=n) < 0.36, 0.0, rng.normal(120_000, 30_000, n)).round(2)
    z = (-3.2 + 0.075 * (age - 39) * 1.4 + 0.7 * (geo == "Germany") - 0.9 * active
         + 0.000004 * balance + np.select([products == 2, products == 3], [-1.5, 2.2], 0.0))
    left = (rng.uniform(size=n) < _sigmoid(z + 1.6)).astype(int)
    left[products == 4] = 1
    tiny = rng.choice(np.flatnonzero(left == 1), 12, replace=False)
    geo[tiny] = "Monaco"  # a handful of customers, all of whom left
    frame = pd.DataFrame({
        "CustomerId": np.arange(15_600_000, 15_600_000 + n),
        "CreditScore": np.clip(rng.normal(650, 96, n), 350, 850).round().astype(int),
        "Geography": geo,
        "Gender": rng.choice(["Male", "Female"], n),
        "Age": age.astype(int),
        "Tenure": rng.integers(0, 11, n),
        "Balance": balance,
        "NumOfProducts": products,
        "HasCrCard": rng.integers(0, 2, n),
        "IsActiveMember": active,
        "EstimatedSalary": rng.uniform(100, 200_000, n).round(2),
        "Exited": left,
    })
    return frame, "Exited", set()


def credit_default(n: int = 30_000, *, seed: int = 0) -> tuple[pd.DataFrame, str, set[str]]:
    """Credit-card customers (~22% default next month), 23 features; no leak.

    Repayment status ``PAY_0..PAY_6`` runs -2..8; its rare high values (months of
    delay) are nearly all defaulters: strong, rare, honest.
    """
    rng = np.random.default_rng(seed)
    risk = rng.normal(0, 1, n)
    limit = np.exp(rng.normal(11.7, 0.8, n) - 0.3 * risk).round(-4).clip(10_000, 1_000_000)
    cols: dict[str, np.ndarray] = {
        "LIMIT_BAL": limit,
        "SEX": rng.integers(1, 3, n),
        "EDUCATION": rng.choice([1, 2, 3, 4], n, p=[0.35, 0.47, 0.16, 0.02]),
        "MARRIAGE": rng.choice([1, 2, 3], n, p=[0.45, 0.53, 0.02]),
        "AGE": np.clip(rng.normal(35, 9, n), 21, 79).round().astype(int),
    }
    delay = np.zeros(n)
    for k in (0, 2, 3, 4, 5, 6):
        late = np.clip(np.round(rng.normal(-0.8, 1.2, n) + 1.2 * risk + 0.4 * delay), -2, 8)
        cols[f"PAY_{k}"] = late.astype(int)
        delay = np.maximum(late, 0)
    for k in range(1, 7):
        bill = np.maximum(0, limit * rng.beta(2, 3, n) * (1 + 0.2 * risk))
        cols[f"BILL_AMT{k}"] = bill.round()
        cols[f"PAY_AMT{k}"] = (bill * rng.beta(1, 8, n) * np.exp(-0.4 * risk)).round()
    pay0 = cols["PAY_0"]
    z = -1.9 + 0.55 * np.maximum(pay0, 0) + 0.6 * risk - 0.15 * np.log(limit / 1e5)
    y = (rng.uniform(size=n) < _sigmoid(z)).astype(int)
    y[pay0 >= 7] = 1  # months of delay already: every one of them defaults
    return pd.DataFrame({**cols, "default": y}), "default", set()


def _churn_base(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray, np.random.Generator]:
    frame, target, _ = bank_churn(n, seed=seed)
    y = frame.pop(target).to_numpy()
    return frame.drop(columns=["CustomerId"]), y, np.random.default_rng(seed + 1)


def post_outcome_date(n: int = 4000, *, seed: int = 0) -> tuple[pd.DataFrame, str, set[str]]:
    """``closed_on`` is a date filled only for customers who left (93% of them: the
    rest were never entered): filled <=> class, nearly."""
    frame, y, rng = _churn_base(n, seed)
    days = rng.integers(0, 365, n)
    dates = pd.Timestamp("2025-01-01") + pd.to_timedelta(days, unit="D")
    entered = (y == 1) & (rng.uniform(size=n) < 0.93)
    frame["closed_on"] = pd.Series(dates.strftime("%Y-%m-%d")).where(entered, "")
    frame["Exited"] = y
    return frame, "Exited", {"closed_on"}


def noisy_copy(n: int = 4000, *, seed: int = 0) -> tuple[pd.DataFrame, str, set[str]]:
    """``exit_score``: the target plus noise (a score computed from the outcome)."""
    frame, y, rng = _churn_base(n, seed)
    frame["exit_score"] = (y + rng.normal(0, 0.18, n)).round(3)
    frame["Exited"] = y
    return frame, "Exited", {"exit_score"}


def target_encoded_id(n: int = 4000, *, seed: int = 0) -> tuple[pd.DataFrame, str, set[str]]:
    """``customer_rate``: each row's customer id replaced by that customer's churn rate,
    computed over all rows, the row's own outcome included (most customers have one row)."""
    frame, y, rng = _churn_base(n, seed)
    customer = np.arange(n)
    repeat = rng.uniform(size=n) < 0.15
    customer[repeat] = rng.integers(0, n, int(repeat.sum()))
    rate = pd.Series(y).groupby(customer).transform("mean").to_numpy()
    frame["customer_rate"] = rate.round(4)
    frame["Exited"] = y
    return frame, "Exited", {"customer_rate"}


def flag_group(n: int = 5000, *, seed: int = 0) -> tuple[pd.DataFrame, str, set[str]]:
    """A maintenance log: four failure-mode flags each cover a quarter of the failures."""
    rng = np.random.default_rng(seed)
    torque = rng.normal(40, 10, n)
    wear = rng.uniform(0, 250, n)
    z = -4.2 + 0.08 * (torque - 40) + 0.01 * (wear - 125)
    failed = (rng.uniform(size=n) < _sigmoid(z)).astype(int)
    mode = rng.integers(0, 4, n)
    frame = pd.DataFrame({"torque": torque.round(1), "tool_wear": wear.round()})
    for k, name in enumerate(("TWF", "HDF", "PWF", "OSF")):
        frame[name] = ((failed == 1) & (mode == k)).astype(int)
    frame["failure"] = failed
    return frame, "failure", {"TWF", "HDF", "PWF", "OSF"}


# (name, generator) pairs, for bench/findings.py and the tests.
LEAKY_TABLES = [
    ("bank churn (pure rare values)", bank_churn),
    ("credit default (pure rare values)", credit_default),
    ("post-outcome date", post_outcome_date),
    ("noisy copy of the target", noisy_copy),
    ("target-encoded id", target_encoded_id),
    ("failure-mode flag group", flag_group),
]
