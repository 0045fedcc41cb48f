"""Two `bizforge serve` processes on one PostgreSQL registry: load, promotion, restart.

    python bench/serve_cluster.py                 # telco churn, 60 s per run, 64 clients
    python bench/serve_cluster.py --seconds 20    # quicker
    python bench/serve_cluster.py --sample        # built-in sample data instead of telco

Steps: start a throwaway PostgreSQL (initdb in a temp folder, as the tests do);
train two versions of the churn model and publish both into a PostgreSQL
registry and, for the baseline, into a SQLite one; then, with 64 single-row
clients from one load-generator process:

1. baseline: one server on SQLite;
2. two servers sharing the PostgreSQL registry and one artifact folder, clients
   split evenly between them (what a round-robin load balancer does), version 2
   promoted through server A half-way; how long server B takes to serve it;
3. the same two servers while PostgreSQL is stopped (immediate shutdown) a third
   of the way in and started again 5 s later: which statuses clients got, and when.

Everything shares the machine's 2 cores (servers, load generator, database).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import serve as single
from _common import write_results
from _loadgen import client, json_requests, new_tally, summary

NAME = "churn"
DOWN_S = 5.0


async def _drive(ports: list[int], key: str, rows: list[dict], concurrency: int,
                 seconds: float) -> dict:
    """The load spread over ``ports`` (client c talks to server c mod len(ports))."""
    requests = json_requests(f"/v1/models/{NAME}/predict", [{"rows": [r]} for r in rows])
    out = new_tally()
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(client("127.0.0.1", ports[c % len(ports)], key,
                                  requests[c::concurrency] or requests, deadline, out)
                           for c in range(concurrency)))
    result = summary(out, time.perf_counter() - started, concurrency)
    return dict(result, kinds=result["error_kinds"], events=out["events"])


def _load(ports, key, rows, args, during=None) -> dict:
    """Drive the servers for ``args.seconds``; ``during()`` runs in a thread meanwhile."""
    extra: dict = {}
    thread = None
    if during is not None:
        thread = threading.Thread(target=lambda: extra.update(during() or {}))
        thread.start()
    result = asyncio.run(_drive(ports, key, rows, args.concurrency, args.seconds))
    if thread is not None:
        thread.join()
    return {**result, **extra}


def _default_version(port: int, key: str) -> int:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/models/{NAME}",
                                 headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())["version"]


def main(args) -> None:
    from bizforge.testing.postgres import PostgresUnavailable, TempPostgres

    source, target, described, frame = single._data(args)
    if source is None:
        print("skipped: telco_churn is not under the datasets folder (set BIZFORGE_DATASETS, "
              "or pass --sample).")
        return
    try:
        pg = TempPostgres().start()
    except PostgresUnavailable as exc:
        print(f"skipped: {exc}")
        return
    servers = []
    try:
        _run(args, pg, servers, source, target, described, frame)
    finally:
        for server in servers:
            if server.poll() is None:
                single._stop_server(server)
        pg.cleanup()


def _run(args, pg, servers, source, target, described, frame) -> None:
    from bizforge.pipeline import train
    from bizforge.registry import Registry, create_key

    work = Path(tempfile.mkdtemp(prefix="bizforge-bench-cluster-"))
    sqlite_home, pg_home = work / "sqlite-home", work / "pg-home"
    url = pg.create_database("registry")
    print(f"training two versions on {described} ({args.time_limit:.0f} s each) ...", flush=True)
    runs = [train(source, target, time_limit=args.time_limit, seed=seed, out=work / f"run{seed}")
            for seed in (0, 1)]
    keys = {}
    for home, db in ((sqlite_home, None), (pg_home, url)):
        with Registry(url=db, home=home) as registry:
            for run in runs:
                registry.publish(run, NAME)
            registry.promote(NAME, 1)
            keys[home] = (create_key("predict", label="bench", registry=registry)[1],
                          create_key("admin", label="bench", registry=registry)[1])
    rows = frame.drop(columns=[target]).head(500).to_dict("records")

    os.environ.pop("BIZFORGE_DATABASE_URL", None)
    port = single._free_port()
    servers.append(single._start_server(sqlite_home, port, work / "sqlite.log"))
    print(f"baseline: 1 server on SQLite, {args.concurrency} clients, {args.seconds:.0f} s",
          flush=True)
    base = _load([port], keys[sqlite_home][0], rows, args)
    single._stop_server(servers.pop())
    print("  " + json.dumps({k: v for k, v in base.items() if k != "events"}), flush=True)

    os.environ["BIZFORGE_DATABASE_URL"] = url
    key, admin = keys[pg_home]
    ports = [single._free_port(), single._free_port()]
    for i, p in enumerate(ports):
        servers.append(single._start_server(pg_home, p, work / f"pg{i}.log"))

    def promote():
        time.sleep(args.seconds / 2)
        single._http("POST", f"http://127.0.0.1:{ports[0]}/v1/models/{NAME}/promote", admin,
                     {"version": 2, "alias": "production"}, timeout=60)
        done = time.perf_counter()
        while _default_version(ports[1], key) != 2:
            time.sleep(0.01)
        return {"seen_by_b_s": time.perf_counter() - done}

    print(f"2 servers on PostgreSQL, promotion half-way, {args.seconds:.0f} s", flush=True)
    promo = _load(ports, key, rows, args, during=promote)
    print("  " + json.dumps({k: v for k, v in promo.items() if k != "events"}), flush=True)

    def restart():
        time.sleep(args.seconds / 3)
        stopped = time.time()
        pg.stop("immediate")
        time.sleep(DOWN_S)
        pg.start()
        return {"db_down": stopped, "db_up": time.time()}

    print(f"2 servers, PostgreSQL down for {DOWN_S:.0f} s a third of the way in", flush=True)
    outage = _load(ports, key, rows, args, during=restart)
    after = [_default_version(p, key) for p in ports]  # both answer a DB-backed route again
    print("  " + json.dumps({k: v for k, v in outage.items() if k != "events"}), flush=True)
    codes = [single._stop_server(s) for s in servers]
    servers.clear()
    _report(args, described, base, promo, outage, after, codes)


def _report(args, described, base, promo, outage, after, codes) -> None:
    def row(label, r):
        kinds = ", ".join(f"{k}: {n}" for k, n in sorted(r["kinds"].items())) or "-"
        return (f"| {label} | {r['requests']:,} | {r['rps']:,.0f} | {r['p50_ms']:.1f} | "
                f"{r['p99_ms']:.1f} | {r['max_ms']:.1f} | {r['errors']} | {kinds} |")

    events = outage["events"]
    down, up = outage["db_down"], outage["db_up"]
    first = min((t for t, _ in events), default=None)
    last = max((t for t, _ in events), default=None)
    window = ("no failed request at all" if first is None else
              f"failures from {first - down:+.2f} s to {last - down:+.2f} s after the stop "
              f"(the database was back at {up - down:+.2f} s)")
    versions = ", ".join(f"v{v}: {n:,}" for v, n in sorted(promo["versions"].items()))
    body = [
        (f"model: `{NAME}` trained {args.time_limit:.0f} s on {described}; "
         f"{args.concurrency} single-row JSON clients (HTTP/1.1 keep-alive, one asyncio "
         "load-generator process; with two servers, clients alternate between them as a "
         f"round-robin balancer would), {args.seconds:.0f} s per run. PostgreSQL 15 from "
         "Debian, a throwaway cluster on 127.0.0.1 (fsync off). The 2 cores are shared by "
         "the servers, the load generator, PostgreSQL and other work on the machine."),
        "",
        "| run | requests | requests/s | p50 ms | p99 ms | max ms | failed | failures by kind |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
        row("1 server, SQLite", base),
        row("2 servers, PostgreSQL, promotion half-way", promo),
        row(f"2 servers, PostgreSQL down {DOWN_S:.0f} s", outage),
        "",
        f"p99 of 2 servers on PostgreSQL / 1 server on SQLite: "
        f"{promo['p99_ms'] / base['p99_ms']:.2f} (target ≤ 1.5)",
        f"promotion through server A: server B served version 2 "
        f"{promo['seen_by_b_s']:.2f} s after the promote call returned (it looks at the "
        f"registry's revision every 0.2 s); {promo['errors']} failed requests ({versions}).",
        f"PostgreSQL stopped (immediate) for {DOWN_S:.0f} s under load: {window}; "
        f"500s: {outage['kinds'].get('500', 0)}. Loaded models and checked keys kept "
        "answering from memory; after the restart both servers answered a database-backed "
        f"route (`GET /v1/models/churn`: versions {after}) without being restarted.",
        f"server exit statuses after SIGTERM: {codes}",
    ]
    command = "python bench/serve_cluster.py" + (
        f" --seconds {args.seconds:g}" if args.seconds != 60 else "") + (
        " --sample" if args.sample else "")
    write_results("## serve: 2 servers, one PostgreSQL registry — " + time.strftime("%Y-%m-%d"),
                  command, body)
    print("\n".join(body))


def _parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=60.0, help="seconds per run")
    p.add_argument("--concurrency", type=int, default=64, help="concurrent clients")
    p.add_argument("--sample", action="store_true", help="use the built-in sample data")
    p.add_argument("--text", action="store_true", help=argparse.SUPPRESS)  # serve._data reads it
    p.add_argument("--time-limit", type=float, default=10.0, help="training seconds per version")
    return p.parse_args(argv)


if __name__ == "__main__":
    main(_parse())
