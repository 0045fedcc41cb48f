"""Prediction cost per row of each candidate, measured the same way for all.

The ensemble is what the server and batch scoring run, so its speed is part of
its quality: a 10,000-row batch of a churn table should score in a tenth of a
second, and three LightGBM members of a few hundred trees each already take
most of that. Each candidate's first fold model predicts the same
:data:`COST_ROWS` rows (drawn from the training frame, one thread, best of
five); Caruana selection then adds a member only while the members' summed cost
stays within the limit (:func:`bizforge.train.ensemble.caruana`).

``TABULAR_INFER_LIMIT`` (16 µs per row, one thread, per-call overhead
included) is chosen from the churn and equipment-failure tables: their
unlimited three-member ensembles cost 18-19 µs and ran at 83-91k rows/s in a
10,000-row batch on two cores; within 16 µs they run above 100k, recipe
included, and a limit of 10 µs cut the failure table down to a single model
that scored 0.006 ROC-AUC lower on held-out rows (bench/RESULTS.md). Text
tasks have no default limit: their backends cost milliseconds per text, and
the ensemble of them is what makes them accurate.

>>> row_costs(runs, X, spec)        # doctest: +SKIP
[4.1e-06, 2.3e-07, 5.2e-06]
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from bizforge.tasks.spec import TaskSpec
from bizforge.train.cv import Run, predict_value

__all__ = ["COST_ROWS", "TABULAR_INFER_LIMIT", "resolve_limit", "row_costs"]

COST_ROWS = 1000  # below the LightGBM batch size that turns on every core
COST_REPEATS = 5  # best of: a busy machine only ever makes a call slower
TABULAR_INFER_LIMIT = 16e-6


def resolve_limit(infer_limit: Any, spec: TaskSpec) -> float | None:
    """Seconds per row: ``"auto"`` gives the tabular default, or no limit for text."""
    if infer_limit == "auto":
        return None if spec.kind == "text-classification" else TABULAR_INFER_LIMIT
    return None if infer_limit is None else float(infer_limit)


def row_costs(runs: list[Run], X: pd.DataFrame, spec: TaskSpec, seed: int = 0) -> list[float]:
    """Seconds per row for each run's first fold model on the same :data:`COST_ROWS` rows."""
    rows = np.random.default_rng(seed).integers(0, len(X), COST_ROWS)
    sample = X.iloc[rows]
    costs = []
    for run in runs:
        Xs, model = sample[run.columns], run.models[0]
        best = float("inf")
        for _ in range(COST_REPEATS):  # the first call may pay one-off costs; noise is upward
            start = time.perf_counter()
            predict_value(model, Xs, spec)
            best = min(best, time.perf_counter() - start)
        costs.append(best / COST_ROWS)
    return costs
