"""Forecast serving benchmark: POST /v1/models/{name}/forecast over real HTTP.

    flock /work/bench.lock python bench/serve_forecast.py            # Walmart, 20 s
    python bench/serve_forecast.py --sample --seconds 10             # built-in weekly sales

Trains a forecaster (Walmart's 45 stores, 12 weeks ahead; or the built-in
weekly sales with --sample), publishes it into a fresh home folder, starts
`bizforge serve` in a subprocess and drives one-series forecast requests
(``{"series": ["<id>"]}``, ids in turn) from another process with keep-alive
HTTP/1.1 connections, one per concurrent client (the issue's target: p99 <=
50 ms at concurrency 8). The in-process cost of the same action is measured
beside it. The load generator shares the machine's cores with the server.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import datasets_root, write_results
from _loadgen import json_requests, published, sweep
from serve import _free_port, _start_server, _stop_server

NAME = "sales"


def _train(args, home: Path):
    import pandas as pd

    from bizforge.pipeline import train

    root = datasets_root()
    walmart = None if root is None else root / "retail_sales" / "Walmart_Store_sales.csv"
    if args.sample or walmart is None or not walmart.is_file():
        from bizforge.families.forecast.samples import weekly_sales

        frame = weekly_sales(stores=45, weeks=140)
        return train(frame, "sales", task="forecast", time_column="week", id_column=["store"],
                     horizon=12, time_limit=args.time_limit, out=home / "run"), \
            "built-in weekly sales (45 stores, 140 weeks)"
    frame = pd.read_csv(walmart)
    frame["Date"] = pd.to_datetime(frame["Date"], format="%d-%m-%Y").dt.strftime("%Y-%m-%d")
    return train(frame, "Weekly_Sales", task="forecast", time_column="Date",
                 id_column=["Store"], horizon=12, time_limit=args.time_limit,
                 out=home / "run"), "Walmart (45 stores, 143 weeks)"


def _in_process(predictor, series: list[str], n: int = 300) -> tuple[float, float]:
    handle = next(a for a in predictor.actions() if a.name == "forecast")
    request = handle.request
    handle.handle(request(series=[series[0]]))
    times = []
    for i in range(n):
        started = time.perf_counter()
        handle.handle(request(series=[series[i % len(series)]]))
        times.append(time.perf_counter() - started)
    times.sort()
    return 1000 * statistics.median(times), 1000 * times[int(0.99 * n)]


def main(args) -> None:
    home = Path(tempfile.mkdtemp(prefix="bizforge-bench-serve-forecast-"))
    os.environ["BIZFORGE_HOME"] = str(home)
    print(f"training ({args.time_limit:.0f} s) ...", flush=True)
    run, described = _train(args, home)
    key = published(home, run, NAME)
    series = list(run.predictor.panel.series_ids)
    inproc = _in_process(run.predictor, series)
    requests = json_requests(f"/v1/models/{NAME}/forecast", [{"series": [s]} for s in series])
    port = _free_port()
    server = _start_server(home, port, home / "server.log")
    try:
        results = sweep(port, key, requests, args.concurrency, args.seconds, server.pid)
    finally:
        _stop_server(server)
    body = [f"Model: {described}, horizon 12, ensemble "
            + ", ".join(f"{k} {v:.2f}" for k, v in run.metrics["weights"].items())
            + f"; requests: one series each, the {len(series)} ids in turn, {args.seconds:.0f} s "
              "per level; server and load generator on the same cores.", "",
            ("| concurrency | requests/s | p50 ms | p99 ms | max ms | errors | "
             "server CPU ms/req | load |"), "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        body.append(f"| {r['concurrency']} | {r['rps']:,.0f} | {r['p50_ms']:.1f} | "
                    f"**{r['p99_ms']:.1f}** | {r['max_ms']:.1f} | {r['errors']} | "
                    f"{r['server_cpu_ms']:.2f} | {r['load']:.1f} |")
    body += ["", (f"In process (the forecast action's handler, one series): p50 "
                  f"{inproc[0]:.2f} ms, p99 {inproc[1]:.2f} ms.")]
    print("\n".join(body))
    if not args.no_record:
        command = "python bench/serve_forecast.py " + " ".join(sys.argv[1:])
        write_results(f"## forecast serving — {time.strftime('%Y-%m-%d')}", command.strip(),
                      body)


def _parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=20.0, help="seconds per load level")
    p.add_argument("--sample", action="store_true", help="built-in weekly sales data")
    p.add_argument("--time-limit", type=float, default=60.0, help="training seconds")
    p.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",")],
                   default=[1, 8])
    p.add_argument("--no-record", action="store_true")
    return p.parse_args(argv)


if __name__ == "__main__":
    main(_parse())
