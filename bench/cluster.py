"""Ray benchmark: one deliberately parallel search, here and on 1 and 2 Ray worker processes.

    /work/bin/timed python bench/cluster.py                   # 8 candidates of ~2.5 s each
    /work/bin/timed python bench/cluster.py --rows 4000 --candidates 4

The search: ``--candidates`` LightGBM settings (the same trees, seeds differ) that each
run a fixed number of rounds (no early stopping) with 5-fold cross-validation on a
seeded generated table (``--rows`` x 12 numeric columns, binary target), one thread
each — independent, equal-sized work, the best case for fanning out. The time limit
is high enough that every candidate finishes, so each run does the same work.

Runs, in this order, in this process and with the same data:

- ``local``: ``bizforge.train`` without a cluster (the candidates one after another);
- ``ray-1``: a Ray head with 1 CPU (one worker process), ``cluster=`` its address;
- ``ray-2``: a head with 2 CPUs (two worker processes).

For each: the search's wall seconds (``search_start`` to ``search_end``), the whole
``train`` call's seconds, and for Ray the seconds to join the cluster and start its
workers (``connect`` + the executor's warm-up; not on the search's clock). Ratios are
against ``local``. The clusters are ``bizforge.testing.raycluster.TempRayCluster``
(``ray start --block`` in a temp folder, killed afterwards). The load average is
printed next to the figures: on a shared 2-core machine they move with it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from bizforge.pipeline import train


def table(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 12))
    logit = X[:, 0] - 0.8 * X[:, 1] + 0.5 * X[:, 2] * X[:, 3] + rng.normal(scale=1.0, size=rows)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(12)])
    frame["y"] = np.where(logit > 0, "yes", "no")
    return frame


def candidates(n: int, rounds: int) -> list:
    params = {"num_leaves": 31, "learning_rate": 0.02, "max_rounds": rounds,
              "early_stopping_rounds": rounds, "feature_fraction": 0.8, "bagging_fraction": 0.8,
              "bagging_freq": 1}
    return [("lightgbm", {**params, "bagging_seed": i + 1}, f"gbm{i}") for i in range(n)]


def one(frame: pd.DataFrame, cands: list, out: Path, cluster=None) -> dict:
    events: list[dict] = []
    start = time.perf_counter()
    run = train(frame, "y", time_limit=3600, out=out, candidates=cands, cluster=cluster,
                progress=events.append, infer_limit=None)
    total = time.perf_counter() - start
    first = next(e["elapsed"] for e in events if e["event"] == "search_start")
    end = next(e["elapsed"] for e in events if e["event"] == "search_end")
    done = [r for r in run.leaderboard if r["name"] != "ensemble"]
    return {"search": end - first, "total": total, "finished": len(done),
            "fold_seconds": sum(r["fit_seconds"] for r in done)}


def on_ray(cpus: int, frame: pd.DataFrame, cands: list, out: Path) -> dict:
    from bizforge.cluster import connect
    from bizforge.testing.raycluster import TempRayCluster

    with TempRayCluster(head_cpus=cpus) as ray_cluster:
        start = time.perf_counter()
        with connect(ray_cluster.address) as cluster:
            cluster.executor()  # joins and warms the workers, as train(cluster=...) does
            joined = time.perf_counter() - start
            result = one(frame, cands, out, cluster)
        result["join"] = joined
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=6000)
    parser.add_argument("--candidates", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--out", type=Path, default=Path("/tmp/bizforge-bench-cluster"))
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    frame, cands = table(args.rows), candidates(args.candidates, args.rounds)
    results = {}
    for name, runner in [("local", lambda o: one(frame, cands, o)),
                         ("ray-1", lambda o: on_ray(1, frame, cands, o)),
                         ("ray-2", lambda o: on_ray(2, frame, cands, o))]:
        load = os.getloadavg()[0]
        results[name] = {**runner(args.out / name), "load": load}
        r = results[name]
        print(f"{name}: search {r['search']:.1f} s, train {r['total']:.1f} s, "
              f"join {r.get('join', 0):.1f} s, {r['finished']} finished, "
              f"fold seconds {r['fold_seconds']:.1f}, load {load:.1f}", flush=True)
    base = results["local"]["search"]
    print("\n| run | search s | vs local | train s | join + warm-up s | load (1 min) |")
    print("|---|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['search']:.1f} | {base / r['search']:.2f}x | {r['total']:.1f} | "
              f"{r.get('join', 0):.1f} | {r['load']:.1f} |")


if __name__ == "__main__":
    main()
