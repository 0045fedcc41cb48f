"""Run AutoGluon on one train/test pair and print its measurements as JSON.

Runs inside .venv-autogluon (AutoGluon pins its own pandas/scikit-learn, so it
cannot share bizforge's environment); bench/tabular.py calls it in a
subprocess on the very same files and time limit it gives bizforge.

    python bench/_autogluon_child.py TRAIN TEST TARGET TIME_LIMIT WORKDIR [--drop a,b]
"""

from __future__ import annotations

import importlib.metadata
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _common import batch_seconds  # this folder is on sys.path: the script runs from it
from autogluon.tabular import TabularPredictor
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score


def _disk_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def main() -> None:
    train_path, test_path, target, limit, work = sys.argv[1:6]
    drop = sys.argv[7].split(",") if len(sys.argv) > 7 and sys.argv[6] == "--drop" else []
    train = pd.read_csv(train_path).drop(columns=drop)
    test = pd.read_csv(test_path).drop(columns=drop)
    t0 = time.perf_counter()
    predictor = TabularPredictor(label=target, path=work, verbosity=0).fit(
        train, presets="medium_quality", time_limit=float(limit)
    )
    fit_seconds = time.perf_counter() - t0
    predictor.persist()
    features = test.drop(columns=[target])
    proba = predictor.predict_proba(features)
    positive = predictor.positive_class
    y = (test[target] == positive).to_numpy()
    p = proba[positive].to_numpy()
    pred = predictor.predict(features).to_numpy() == positive

    one = features.iloc[[0]]
    times = []
    for _ in range(200):
        s = time.perf_counter()
        predictor.predict_proba(one)
        times.append(time.perf_counter() - s)
    big = features.sample(10_000, replace=True, random_state=0)
    throughput = 10_000 / batch_seconds(lambda: predictor.predict_proba(big))
    board = predictor.leaderboard(silent=True)
    print(json.dumps({
        "roc_auc": roc_auc_score(y, p),
        "accuracy": accuracy_score(y, pred),
        "f1": f1_score(y, pred),
        "fit_seconds": fit_seconds,
        "latency_ms": statistics.median(times) * 1000,
        "rows_per_s": throughput,
        "disk_mb": _disk_mb(Path(work)),
        "best_model": predictor.model_best,
        # what it had time to train, best validation score first: the "why" behind a gap
        "models": [f"{m} {v:.4f}" for m, v in zip(board["model"], board["score_val"])],
        "version": importlib.metadata.version("autogluon.tabular"),
        "n_test": len(y),
        "positives": int(np.sum(y)),
    }))


if __name__ == "__main__":
    main()
