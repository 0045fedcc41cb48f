"""Serving benchmark: `bizforge serve` in its own process, driven over real HTTP.

    python bench/serve.py                 # telco churn, 30 s per concurrency level
    python bench/serve.py --seconds 10    # quicker
    python bench/serve.py --sample        # built-in sample data instead of telco
    python bench/serve.py --text          # a fine-tuned MiniLM (SST-2), served as ONNX int8

Steps: train two versions of a model on the telco churn table (or the built-in
sample data with --sample), publish both into a fresh home folder, promote
version 1, create keys; start `bizforge serve` on a free port in a subprocess;
drive single-row POST /v1/models/<name>/predict from another process with a
minimal asyncio HTTP/1.1 keep-alive client (one connection per concurrent
client; `wrk` is not on this machine, and httpx would spend more CPU than the
server) at concurrency 1, 16 and 64; measure the same model's in-process
single-row latency for the ratio; then a "promotion during load" run that
promotes version 2 through the API half-way and counts failed requests. With
--text the model is a MiniLM fine-tuned on 3,000 SST-2 training sentences
(``finetune`` alone, served through its ONNX int8 form) and the requests are
single dev-set sentences. The
load generator shares the machine's cores with the server: the numbers are for
both together.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import datasets_root, write_results
from _loadgen import drive, json_requests, server_cpu

TELCO = Path("telco_churn") / "WA_Fn-UseC_-Telco-Customer-Churn.csv"
SST2 = Path("english_sentiment")
NAME = "churn"  # --text: "sentiment" (set by main)
TEXT_ROWS = 3000


# -- load generator (runs in its own process: --drive; the client is bench/_loadgen.py) -----
async def _drive(args) -> dict:
    requests = json_requests(args.path, [{"rows": [row]} for row in
                                         json.loads(Path(args.rows).read_text(encoding="utf-8"))])
    return await drive(args.port, args.key, requests, args.concurrency, args.seconds)


# -- orchestration ------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _http(method, url, key, body=None, timeout=10):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={
        "Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read())


def _data(args):
    if args.text:
        return _text_data()
    if args.sample:
        from bizforge.samples import CHURN_TARGET, churn_table

        frame = churn_table(3000, seed=0)
        return frame, CHURN_TARGET, "built-in sample churn table (3,000 rows)", frame
    root = datasets_root()
    if root is None or not (root / TELCO).exists():
        return None, None, None, None
    import pandas as pd

    frame = pd.read_csv(root / TELCO, dtype=str, keep_default_na=False)
    return root / TELCO, "Churn", f"telco churn ({len(frame):,} rows)", frame


def _text_data():
    root = datasets_root()
    if root is None or not (root / SST2 / "train.tsv").exists():
        return None, None, None, None
    import pandas as pd

    read = {"sep": "\t", "quoting": 3, "dtype": str, "keep_default_na": False}
    train = pd.read_csv(root / SST2 / "train.tsv", **read).sample(TEXT_ROWS, random_state=0)
    dev = pd.read_csv(root / SST2 / "dev.tsv", **read)
    source = Path(tempfile.mkdtemp(prefix="bizforge-bench-serve-text-")) / "sst2.csv"
    train.to_csv(source, index=False)
    return source, "label", f"SST-2 ({TEXT_ROWS:,} training sentences)", dev


def _in_process(registry, rows, n=300) -> dict:
    """Single-row latency without HTTP: Predictor.predict_proba, and the server's own path."""
    import pandas as pd

    from bizforge.families import load_folder
    from bizforge.serve.api.cache import LoadedModel

    predictor = registry.load(f"{NAME}:1", load_folder)  # the registry holds no loader
    model = LoadedModel(NAME, 1, predictor, max_rows=10, batch_rows=1)
    validated = [model.request_model.model_validate({"rows": [r]}).rows for r in rows]
    out = {}
    for label, fn in (
        ("predict_proba", lambda i: predictor.predict_proba(pd.DataFrame([rows[i % len(rows)]]))),
        ("server path", lambda i: model.score_jobs([validated[i % len(rows)]])),
        ("server path, 16 rows", lambda i: model.score_jobs([[v[0] for v in validated[:16]]])),
    ):
        fn(0)
        times = []
        for i in range(n):
            t = time.perf_counter()
            fn(i)
            times.append(time.perf_counter() - t)
        times.sort()
        out[label] = (1000 * statistics.median(times), 1000 * times[int(0.99 * n)])
    model.close()
    return out


def _start_server(home: Path, port: int, log: Path, *, workers: int = 1,
                  src: str | None = None) -> subprocess.Popen:
    """`bizforge serve` on ``port`` (``src``: another bizforge source tree, for before/after)."""
    env = dict(os.environ, BIZFORGE_HOME=str(home))
    if src:
        env["PYTHONPATH"] = src
    cmd = [sys.executable, "-c", "from bizforge.cli import main; main()", "serve",
           "--port", str(port), "--workers", str(workers)]
    proc = subprocess.Popen(cmd, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if json.loads(r.read()).get("loaded", 0) >= 1:  # preloaded
                    return proc
        except OSError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}; see {log}")
        time.sleep(0.3)
    proc.kill()
    raise SystemExit("the server did not start in 120 s")


def _stop_server(server: subprocess.Popen) -> int | None:
    """SIGTERM (a graceful shutdown), then a kill after 40 s; the exit status or None."""
    server.send_signal(signal.SIGTERM)
    try:
        return server.wait(timeout=40)
    except subprocess.TimeoutExpired:
        server.kill()
        return None


def _batch_rows(port: int, key: str) -> tuple[float, float]:
    """(sum, count) of the server's rows-per-model-call histogram."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}/metrics",
                                 headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        text = resp.read().decode()
    found = {}
    for line in text.splitlines():
        for part in ("sum", "count"):
            if line.startswith(f"bizforge_predict_batch_rows_{part} "):
                found[part] = float(line.split()[1])
    return found.get("sum", 0.0), found.get("count", 0.0)


def _measured(server, port, key, run) -> dict:
    """Run ``run()`` (-> the driver's result) and add the server's CPU and batching figures."""
    cpu0, (rows0, calls0) = server_cpu(server.pid), _batch_rows(port, key)
    child0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = run()
    child1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu1, (rows1, calls1) = server_cpu(server.pid), _batch_rows(port, key)
    n = max(result["requests"], 1)
    result["server_cpu_ms"] = 1000 * (cpu1 - cpu0) / n
    result["client_cpu_ms"] = 1000 * ((child1.ru_utime + child1.ru_stime)
                                      - (child0.ru_utime + child0.ru_stime)) / n
    result["rows_per_call"] = (rows1 - rows0) / max(calls1 - calls0, 1)
    result["load"] = os.getloadavg()[0]
    return result


def _drive_process(port, key, rows_file, concurrency, seconds) -> subprocess.Popen:
    cmd = [sys.executable, __file__, "--drive", "--port", str(port), "--key", key,
           "--rows", str(rows_file), "--concurrency", str(concurrency),
           "--seconds", str(seconds), "--path", f"/v1/models/{NAME}/predict"]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)


def _result(proc: subprocess.Popen) -> dict:
    out, _ = proc.communicate()
    return json.loads(out.strip().splitlines()[-1])


def main(args) -> None:
    global NAME
    data = _data(args)
    if data[0] is None:
        print(f"skipped: {SST2 if args.text else TELCO} is not under the datasets folder "
              "(set BIZFORGE_DATASETS, or pass --sample for the built-in data).")
        return
    NAME = "sentiment" if args.text else NAME
    extra = ({"task": "text-classification", "text_column": "sentence",
              "candidates": [("finetune", {})]} if args.text else {})
    source, target, described, frame = data
    home = Path(tempfile.mkdtemp(prefix="bizforge-bench-serve-"))
    os.environ["BIZFORGE_HOME"] = str(home)
    from bizforge.pipeline import train
    from bizforge.registry import Registry, create_key

    registry = Registry(home=home)
    print(f"training two versions on {described} ({args.time_limit:.0f} s each) ...", flush=True)
    for seed in (0, 1):
        run = train(source, target, time_limit=args.time_limit, seed=seed,
                    out=home / f"run{seed}", **extra)
        registry.publish(run, NAME)
    registry.promote(NAME, 1)
    _, key = create_key("predict", label="bench", registry=registry)
    _, admin = create_key("admin", label="bench", registry=registry)
    rows = frame.drop(columns=[target]).head(500).to_dict("records")
    rows_file = home / "rows.json"
    rows_file.write_text(json.dumps(rows, ensure_ascii=False, default=str), encoding="utf-8")
    inproc = _in_process(registry, rows)
    registry.close()

    port = _free_port()
    log = home / "server.log"
    server = _start_server(home, port, log)
    results = []
    try:
        for c in args.concurrency:
            print(f"concurrency {c}: {args.seconds:.0f} s ...", flush=True)
            results.append(_measured(server, port, key, lambda c=c: _result(
                _drive_process(port, key, rows_file, c, args.seconds))))
            print("  " + json.dumps(results[-1]), flush=True)
        print(f"promotion during load (concurrency 16, {args.seconds:.0f} s) ...", flush=True)

        def promotion_run():
            driver = _drive_process(port, key, rows_file, 16, args.seconds)
            time.sleep(args.seconds / 2)
            started = time.perf_counter()
            _http("POST", f"http://127.0.0.1:{port}/v1/models/{NAME}/promote", admin,
                  {"version": 2, "alias": "production"}, timeout=60)
            took = time.perf_counter() - started
            return dict(_result(driver), promote_seconds=took)

        promo = _measured(server, port, key, promotion_run)
        print("  " + json.dumps(promo), flush=True)
    finally:
        _stop_server(server)
    _report(args, described, inproc, results, promo, server.returncode)


def _report(args, described, inproc, results, promo, exit_code) -> None:
    body = [
        (f"model: `{NAME}` trained {args.time_limit:.0f} s on {described}"
         + ("; fine-tuned MiniLM, answered through ONNX int8" if args.text else "")
         + "; single-row JSON "
         f"requests over HTTP/1.1 keep-alive, {args.seconds:.0f} s per level. Server: `bizforge "
         "serve` (1 worker, uvicorn; API-key auth and JSON request logs on). Load generator: "
         "a minimal asyncio HTTP client in its own process on the same 2 cores (`wrk` is not "
         "installed). The cores are shared with other work on this machine: `load` is the "
         "1-minute load average after each run (2.0 = both cores busy), so latency figures "
         "vary from run to run; server CPU per request is the steadier capacity figure."),
        "",
        "| concurrency | requests/s | p50 ms | p99 ms | max ms | errors | server CPU ms/req "
        "| client CPU ms/req | rows per model call | load |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in [*results, dict(promo, concurrency="16 + promotion")]:
        body.append(f"| {r['concurrency']} | {r['rps']:,.0f} | {r['p50_ms']:.1f} | "
                    f"{r['p99_ms']:.1f} | {r['max_ms']:.1f} | {r['errors']} | "
                    f"{r['server_cpu_ms']:.2f} | {r['client_cpu_ms']:.2f} | "
                    f"{r['rows_per_call']:.1f} | {r['load']:.1f} |")
    body += ["", "in-process single-row latency, same model, no HTTP (median and p99 of 300 "
                 "calls):", "", "| path | p50 ms | p99 ms |", "|---|---:|---:|"]
    for label, (p50, p99) in inproc.items():
        body.append(f"| {label} | {p50:.2f} | {p99:.2f} |")
    c1 = next((r for r in results if r["concurrency"] == 1), None)
    if c1:
        body += ["", f"HTTP p50 at concurrency 1 / in-process `predict_proba` p50 = "
                     f"{c1['p50_ms'] / inproc['predict_proba'][0]:.2f}; / in-process server "
                     f"path p50 = {c1['p50_ms'] / inproc['server path'][0]:.2f}"]
    versions = ", ".join(f"v{v}: {n:,}" for v, n in sorted(promo["versions"].items()))
    body += ["", (f"promotion during load: version 2 promoted through the API "
                  f"{args.seconds / 2:.0f} s into a {args.seconds:.0f} s run at concurrency 16: "
                  f"{promo['requests']:,} requests, **{promo['errors']} failed** ({versions}). "
                  f"The promote call took {promo['promote_seconds']:.1f} s: it loads and "
                  "verifies version 2 before moving the alias, so the switch happens at its "
                  "end, onto a warm model; that loading competes with the traffic for the "
                  "CPU (the p99 of this run)."),
             f"server exit status after SIGTERM (uvicorn re-raises the signal after its "
             f"graceful shutdown): {exit_code}"]
    command = "python bench/serve.py" + (f" --seconds {args.seconds:g}" if args.seconds != 30
                                         else "") + (" --sample" if args.sample else "")
    command += " --text" if args.text else ""
    command += f" --time-limit {args.time_limit:g}" if args.time_limit != 20 else ""
    heading = "## serve" + (" (text)" if args.text else "") + " — " + time.strftime("%Y-%m-%d")
    write_results(heading, command, body)
    print("\n".join(body))


def _parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=30.0, help="seconds per load level")
    p.add_argument("--sample", action="store_true", help="use the built-in sample data")
    p.add_argument("--text", action="store_true",
                   help="a fine-tuned MiniLM on SST-2 sentences instead of the churn table")
    p.add_argument("--time-limit", type=float, default=20.0, help="training seconds per version")
    p.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",")],
                   default=[1, 16, 64])
    p.add_argument("--drive", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    p.add_argument("--key", help=argparse.SUPPRESS)
    p.add_argument("--rows", help=argparse.SUPPRESS)
    p.add_argument("--path", help=argparse.SUPPRESS)
    return p.parse_args(argv)


if __name__ == "__main__":
    _args = _parse()
    if _args.drive:
        _args.concurrency = _args.concurrency[0]
        print(json.dumps(asyncio.run(_drive(_args))))
    else:
        main(_args)
