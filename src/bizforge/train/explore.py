"""Keep searching while time remains and the ensemble still improves.

The default portfolio (:mod:`bizforge.train.portfolio`) is a short list of
settings that are good almost everywhere; on a small table it is done in a
fraction of the budget. Then the search draws more candidates, seeded, from
distributions around what worked on business tables:

- LightGBM with random leaves, learning rate, leaf size, row and column
  sampling, L2 and (one draw in four) extremely randomised splits;
- random forests (LightGBM's ``rf`` boosting: bagged deep trees, averaged) — a
  different kind of error from boosting, which is what an ensemble needs;
- MLPs with random widths, dropout, learning rate and weight decay;
- XGBoost (depth-wise trees, its own categorical splits), when the optional
  ``xgboost`` extra is installed.

After each new candidate the Caruana ensemble is re-selected on the
validation predictions; the exploration stops when :data:`PATIENCE` candidates
in a row have not raised its score by :data:`MIN_GAIN` (relative to the score
when that is above 1, as an RMSE can be), or when the budget
(less the reserve for refits) runs out. Every candidate is an ordinary
``(backend, params)`` pair, saved in native formats like the rest.

>>> draws = candidate_stream(seed=0)
>>> [next(draws).backend for _ in range(3)]
['lightgbm', 'lightgbm', 'mlp']
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from bizforge.train.portfolio import Candidate

__all__ = ["MIN_GAIN", "PATIENCE", "candidate_stream", "explore"]

PATIENCE = 6
MIN_GAIN = 2e-4
# The order of kinds drawn: boosting more often than the others (it wins most often).
_KINDS = ("gbm", "rf", "mlp", "xgb", "gbm")


def candidate_stream(seed: int = 0) -> Iterator[Candidate]:
    """An endless seeded stream of candidates, kinds taken in turn."""
    from bizforge.models.xgb import available

    rng = np.random.default_rng(seed + 7919)
    draw = {"gbm": _gbm, "rf": _forest, "mlp": _mlp, "xgb": _xgboost}
    kinds = [k for k in _KINDS if k != "xgb" or available()]
    i = 0
    while True:
        kind = kinds[i % len(kinds)]
        i += 1
        backend, params = draw[kind](rng)
        yield Candidate(f"{kind}_r{i}", backend, params)


def _gbm(rng: np.random.Generator) -> tuple[str, dict[str, Any]]:
    return "lightgbm", {
        "num_leaves": int(rng.choice([4, 8, 16, 31, 48, 63])),
        "learning_rate": float(np.round(np.exp(rng.uniform(np.log(0.015), np.log(0.12))), 4)),
        "min_data_in_leaf": int(rng.choice([5, 10, 20, 40, 80, 150])),
        "feature_fraction": float(np.round(rng.uniform(0.4, 1.0), 2)),
        "bagging_fraction": float(np.round(rng.uniform(0.6, 1.0), 2)),
        "bagging_freq": 1,
        "lambda_l2": float(np.round(np.exp(rng.uniform(np.log(0.01), np.log(30.0))), 3)),
        "cat_smooth": float(rng.choice([1.0, 10.0, 30.0])),
        "extra_trees": bool(rng.uniform() < 0.25),
    }


def _forest(rng: np.random.Generator) -> tuple[str, dict[str, Any]]:
    # Early stopping on the averaged forest's loss ends it once more trees stop helping.
    return "lightgbm", {
        "boosting": "rf",
        "num_leaves": int(rng.choice([31, 63, 127])),
        "min_data_in_leaf": int(rng.choice([3, 5, 10, 20])),
        "feature_fraction": float(np.round(rng.uniform(0.3, 0.8), 2)),
        "bagging_fraction": 0.632,
        "bagging_freq": 1,
        "extra_trees": bool(rng.uniform() < 0.5),
        "max_rounds": 300,
        "early_stopping_rounds": 30,
        "rounds_without_valid": 150,
    }


def _xgboost(rng: np.random.Generator) -> tuple[str, dict[str, Any]]:
    return "xgboost", {
        "max_depth": int(rng.choice([3, 4, 5, 6, 8])),
        "learning_rate": float(np.round(np.exp(rng.uniform(np.log(0.02), np.log(0.12))), 4)),
        "min_child_weight": float(rng.choice([0.5, 1.0, 3.0, 10.0])),
        "subsample": float(np.round(rng.uniform(0.6, 1.0), 2)),
        "colsample_bytree": float(np.round(rng.uniform(0.5, 1.0), 2)),
        "reg_lambda": float(np.round(np.exp(rng.uniform(np.log(0.1), np.log(10.0))), 3)),
    }


def _mlp(rng: np.random.Generator) -> tuple[str, dict[str, Any]]:
    widths = [[32, 16], [64, 32], [128, 64], [256, 128], [128], [64, 64, 32]]
    return "mlp", {
        "hidden": list(widths[int(rng.integers(len(widths)))]),
        "dropout": float(rng.choice([0.0, 0.1, 0.2, 0.3])),
        "lr": float(np.round(np.exp(rng.uniform(np.log(3e-4), np.log(5e-3))), 5)),
        "weight_decay": float(rng.choice([1e-4, 1e-3, 1e-2, 1e-1])),
        "batch_size": int(rng.choice([128, 256, 512])),
    }


def explore(
    attempts: Callable[[Iterator[Candidate]], Iterator[Any | None]],
    ensemble_gain: Callable[[], float],
    time_left: Callable[[], float],
    *,
    seed: int = 0,
    patience: int = PATIENCE,
    min_gain: float = MIN_GAIN,
) -> dict[str, Any]:
    """Try candidates from :func:`candidate_stream` until the ensemble stops improving.

    ``attempts(candidates)`` cross-validates the candidates it takes from the stream
    and yields each one's run (None when it was skipped or failed), lazily: one at a
    time here, several at once on a cluster; closing it stops the ones still running.
    ``ensemble_gain()`` is the current ensemble's validation score as a gain (higher is
    better); ``time_left()`` the seconds the search may still spend: no candidate is
    taken from the stream once it is 0. Returns what happened, for the leaderboard notes.
    """
    best = ensemble_gain()
    start_gain, tried, improved, quiet = best, 0, 0, 0
    stop = "time"
    runs = attempts(itertools.takewhile(lambda _: time_left() > 0, candidate_stream(seed)))
    try:
        for run in runs:
            tried += 1
            if run is None:
                # Skipped for lack of time: the next draw of another kind may still fit.
                quiet += 1
            else:
                gain = ensemble_gain()
                if gain > best + min_gain * max(1.0, abs(best)):  # relative for rmse-like scales
                    best, quiet = gain, 0
                    improved += 1
                else:
                    quiet += 1
            if quiet >= patience:
                stop = "no gain"
                break
    finally:
        close = getattr(runs, "close", None)
        if close is not None:
            close()
    return {"tried": tried, "improved": improved, "stopped": stop,
            "gain": float(best - start_gain)}
