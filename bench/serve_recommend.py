"""Serving benchmark for a recommender: `bizforge serve` in its own process, over real HTTP.

    python bench/serve_recommend.py --lock /work/bench.lock [--seconds 15] [--time-limit 60]
        [--workers 1,2] [--actions recommend,similar] [--baseline OTHER/src]

Steps: train a recommender on MovieLens-100k ``ua.base`` (with ``u.item`` as the items
file), publish it into a fresh home folder, create a key; start `bizforge serve` on a
free port in a subprocess; drive one-recommendation requests
``POST /v1/models/movies/recommend`` (``{"user": <known user>, "k": 10}``) from another
process with bench/serve.py's kind of minimal asyncio HTTP/1.1 keep-alive client at
concurrency 1 and 16, then the same for ``/similar`` (``{"item": <known item>}``).
Every non-200 answer counts as an error. The load generator shares the machine's
cores with the server: the numbers are for both together. ``--lock`` takes an
exclusive flock on a file for the HTTP measurement (training runs before), so that
no other timed bench runs beside it.

The dataset comes from $BIZFORGE_DATASETS or ../shared/datasets; absent, it says so
and stops.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import datasets_root, write_results
from _loadgen import json_requests, measure, published
from serve import _free_port, _start_server, _stop_server

NAME = "movies"
MOVIES = "movielens_100k"


def _run_driver(port, key, bodies, path, concurrency, seconds, server_pid) -> dict:
    return measure(port, key, json_requests(path, bodies), concurrency, seconds, server_pid,
                   expect="items")


def _train(folder: Path, home: Path, time_limit: float):
    import pandas as pd

    from bizforge.pipeline import train

    names = ["user", "item", "rating", "ts"]
    base = pd.read_csv(folder / "ua.base", sep="\t", names=names)
    raw = pd.read_csv(folder / "u.item", sep="|", encoding="latin-1", header=None)
    items = home / "items.csv"
    pd.DataFrame({"item": raw[0], "title": raw[1]}).to_csv(items, index=False)
    source = home / "ratings.csv"
    base.to_csv(source, index=False)
    run = train(source, task="recommend", time_limit=time_limit, out=home / "run",
                user_column="user", item_column="item", rating_column="rating",
                time_column="ts", items_file=str(items))
    return run, published(home, run, NAME), base


def main(args) -> int:
    root = datasets_root()
    folder = root / MOVIES if root else None
    if folder is None or not (folder / "ua.base").exists():
        print(f"skipped: {MOVIES} is not under the datasets folder (set BIZFORGE_DATASETS).")
        return 0
    home = Path(args.home or tempfile.mkdtemp(prefix="bizforge-bench-serve-rec-"))
    home.mkdir(parents=True, exist_ok=True)
    os.environ["BIZFORGE_HOME"] = str(home)
    state = home / "bench-state.json"
    if state.exists():  # --home of an earlier run: its model and key, no training
        saved = json.loads(state.read_text(encoding="utf-8"))
        key, metrics = saved["key"], saved["metrics"]
        args.time_limit = saved.get("time_limit", args.time_limit)  # the model's, not this run's
        import pandas as pd

        base = pd.read_csv(folder / "ua.base", sep="\t", names=["user", "item", "rating", "ts"])
    else:
        print(f"training on ua.base ({args.time_limit:g} s) ...", flush=True)
        run, key, base = _train(folder, home, args.time_limit)
        metrics = {"blend": run.metrics["blend"], "test": run.metrics["test"]}
        state.write_text(json.dumps({"key": key, "metrics": metrics,
                                     "time_limit": args.time_limit}, default=str),
                         encoding="utf-8")
    rng = np.random.default_rng(0)
    users = rng.choice(base["user"].unique(), 2000).tolist()
    items = rng.choice(base["item"].unique(), 2000).tolist()
    files = {"recommend": [{"user": int(u), "k": 10} for u in users],
             "similar": [{"item": int(i), "k": 10} for i in items]}
    lock = None
    if args.lock:  # only the HTTP measurement needs the machine to itself, not the training
        import fcntl

        print(f"waiting for {args.lock} ...", flush=True)
        lock = open(args.lock, "a")  # noqa: SIM115  (held until the process ends)
        fcntl.flock(lock, fcntl.LOCK_EX)
    # (label, source tree, workers): the tree given by --baseline first (before), then this one.
    servers = [(f"before ({args.baseline_label})", args.baseline, 1)] if args.baseline else []
    servers += [("this tree" if args.baseline else "", None, w) for w in args.workers]
    results = []
    for label, src, workers in servers:
        port = _free_port()
        server = _start_server(home, port, home / f"server-{len(results)}.log", workers=workers,
                               src=src)
        time.sleep(2 if workers > 1 else 0)  # every worker loads the model
        try:
            for action in args.actions:
                path = f"/v1/models/{NAME}/{action}"
                _run_driver(port, key, files[action], path, 4, 2, server.pid)  # warm-up
                for c in args.concurrency:
                    print(f"{label} {workers} worker(s): {action}, concurrency {c}: "
                          f"{args.seconds:g} s ...", flush=True)
                    r = _run_driver(port, key, files[action], path, c, args.seconds,
                                    server.pid)
                    results.append({"server": label, "workers": workers, "action": action,
                                    **r})
                    print("  " + json.dumps(results[-1]), flush=True)
        finally:
            _stop_server(server)
    blend = ", ".join(f"{b['scorer']} x{b['weight']:g}" for b in metrics["blend"])
    intro = (f"model: `{NAME}` trained {args.time_limit:g} s on MovieLens-100k ua.base (blend: "
             f"{blend}; test NDCG@10 {metrics['test']['ndcg_10']:.4f}); one request per "
             f"call (`{{\"user\": <known user>, \"k\": 10}}` / `{{\"item\": <known item>, "
             f"\"k\": 10}}`), HTTP/1.1 keep-alive, {args.seconds:g} s per level. Server: "
             "`bizforge serve --workers N` (uvicorn, SQLite registry; API-key auth and JSON "
             "request logs on); load generator: a minimal asyncio client in its own process on "
             "the same 2 cores. `server CPU` counts every worker process; `load` is the "
             "1-minute load average after each run.")
    header = ("| server | workers | action | concurrency | requests/s | p50 ms | p99 ms | max ms "
              "| errors | server CPU ms/req | load |")
    body = [intro, "", header, "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        body.append(f"| {r['server'] or 'bizforge'} | {r['workers']} | {r['action']} | "
                    f"{r['concurrency']} | {r['rps']:,.0f} | {r['p50_ms']:.1f} "
                    f"| {r['p99_ms']:.1f} | {r['max_ms']:.1f} | {r['errors']} | "
                    f"{r['server_cpu_ms']:.2f} | {r['load']:.1f} |")
    print("\n".join(body))
    if not args.no_write:
        command = " ".join(["python bench/serve_recommend.py", *sys.argv[1:]])
        write_results("## serve: recommend over HTTP — 2026-12-07", command, body)
    return 0


def _parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=15.0, help="seconds per load level")
    p.add_argument("--time-limit", type=float, default=60.0, help="training seconds")
    p.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",")],
                   default=[1, 16], help="comma-separated levels (default 1,16)")
    p.add_argument("--workers", type=lambda s: [int(x) for x in s.split(",")], default=[1],
                   help="comma-separated `bizforge serve --workers` values (default 1)")
    p.add_argument("--actions", type=lambda s: s.split(","), default=["recommend", "similar"],
                   help="comma-separated actions (default recommend,similar)")
    p.add_argument("--baseline", help="another bizforge source tree (its src folder) to serve "
                                      "first, for a before/after ratio on the same model")
    p.add_argument("--baseline-label", default="baseline", help="its name in the table")
    p.add_argument("--home", help="a folder for the model: trained there once, reused by "
                                  "later runs (so a timed run need not train)")
    p.add_argument("--no-write", action="store_true", help="print only")
    p.add_argument("--lock", help="a file to flock for the HTTP measurement only "
                                  "(e.g. /work/bench.lock; training runs before taking it)")
    return p.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main(_parse()))
