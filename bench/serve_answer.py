"""Serving benchmark for a knowledge-base answerer: `bizforge serve` over real HTTP.

    /work/bin/timed python bench/serve_answer.py [--model FOLDER] [--seconds 20]

Steps: train an answerer on lcqmc_faq_zh (5,000 entries; the first half of the visible
questions, split as bench/answer.py splits them, is ``--queries``) unless ``--model``
names a folder that already holds one (then it is reused; when the folder is absent the
model is trained into it, so a later timed run can skip training); publish it into a
fresh home folder and create a key; measure one question at a time in process
(``AnswerPredictor.answer``); start `bizforge serve` on a free port in a subprocess;
drive ``POST /v1/models/faq/answer`` (``{"question": <held-out question>, "k": 3}``) from
another process with a minimal asyncio HTTP/1.1 keep-alive client at each concurrency
level. Every non-200 answer counts as an error. The load generator shares the
machine's cores with the server: the numbers are for both together. Handed-over
questions are stored by the server (for ``answer-gaps``) after each response, as in
production.

The dataset comes from $BIZFORGE_DATASETS or ../shared/datasets; absent, it says so
and stops.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import datasets_root, write_results
from serve import _free_port, _server_cpu, _start_server

NAME = "faq"
SET = "lcqmc_faq_zh"
TARGET_MS = 150.0


async def _client(port, bodies, deadline, out, key):
    reader = writer = None
    path = f"/v1/models/{NAME}/answer"
    i = 0
    while time.perf_counter() < deadline:
        body = bodies[i % len(bodies)]
        i += 1
        head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer "
                f"{key}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
        started = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(head.encode() + body)
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            payload = await reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError, IndexError, ValueError):
            out["errors"] += 1
            out["kinds"]["connection"] = out["kinds"].get("connection", 0) + 1
            writer = None
            await asyncio.sleep(0.01)
            continue
        out["latency"].append(time.perf_counter() - started)
        doc = json.loads(payload) if status == 200 else {}
        if status != 200 or "handover" not in doc:
            out["errors"] += 1
            out["kinds"][str(status)] = out["kinds"].get(str(status), 0) + 1
        else:
            out["handover"] += bool(doc["handover"])
    if writer is not None:
        writer.close()


async def _drive(args) -> dict:
    bodies = [json.dumps(b).encode() for b in
              json.loads(Path(args.requests).read_text(encoding="utf-8"))]
    out = {"latency": [], "errors": 0, "kinds": {}, "handover": 0}
    started = time.perf_counter()
    deadline = started + args.seconds
    await asyncio.gather(*(_client(args.port, bodies[c::args.concurrency] or bodies,
                                   deadline, out, args.key) for c in range(args.concurrency)))
    elapsed = time.perf_counter() - started
    lat = sorted(out["latency"])

    def pct(p):
        return 1000 * lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float("nan")

    ok = len(lat) - out["errors"]
    return {"concurrency": args.concurrency, "requests": len(lat), "errors": out["errors"],
            "error_kinds": out["kinds"], "rps": ok / elapsed, "p50_ms": pct(0.50),
            "p99_ms": pct(0.99), "max_ms": pct(1.0),
            "handover": out["handover"] / max(ok, 1)}


def _run_driver(port, key, requests_file, concurrency, seconds, server_pid) -> dict:
    cpu0 = _server_cpu(server_pid)
    cmd = [sys.executable, __file__, "--drive", "--port", str(port), "--key", key,
           "--requests", str(requests_file), "--concurrency", str(concurrency),
           "--seconds", str(seconds)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["server_cpu_ms"] = 1000 * (_server_cpu(server_pid) - cpu0) / max(result["requests"], 1)
    result["load"] = os.getloadavg()[0]
    return result


def _questions(folder: Path):
    """(tuning half, test half) of the visible questions, as bench/answer.py cuts them."""
    import pandas as pd
    from answer import _split  # bench/answer.py, same folder

    queries = pd.read_csv(folder / "queries.csv", dtype=str, keep_default_na=False)
    return _split(queries)


def _model(folder: Path, model: Path, time_limit: float) -> tuple[Path, float | None]:
    """The trained model folder (trained now when absent) and the training seconds."""
    if (model / "manifest.json").exists():
        return model, None
    from bizforge.pipeline import train

    tune, test = _questions(folder)
    with tempfile.TemporaryDirectory() as tmp:
        tune.to_csv(Path(tmp) / "tune.csv", index=False)
        test.to_csv(Path(tmp) / "test.csv", index=False)
        t0 = time.perf_counter()
        run = train(str(folder / "kb.csv"), task="answer", queries=str(Path(tmp) / "tune.csv"),
                    test=str(Path(tmp) / "test.csv"), time_limit=time_limit, out=model,
                    seed=0)
    return Path(run.path), time.perf_counter() - t0


def _in_process(model: Path, questions: list[str], n: int = 300) -> dict:
    """One question at a time through the loaded predictor (no HTTP): p50/p99 ms."""
    from bizforge.families import load_folder

    predictor = load_folder(model)
    predictor.answer(questions[0])
    times = []
    for q in questions[:n]:
        t = time.perf_counter()
        predictor.answer(q)
        times.append(time.perf_counter() - t)
    times.sort()
    return {"p50_ms": 1000 * statistics.median(times),
            "p99_ms": 1000 * times[min(len(times) - 1, int(0.99 * len(times)))],
            "questions": len(times)}


def main(args) -> int:
    root = datasets_root()
    folder = root / SET if root else None
    if folder is None or not (folder / "kb.csv").exists():
        print(f"skipped: {SET} is not under the datasets folder (set BIZFORGE_DATASETS).")
        return 0
    home = Path(tempfile.mkdtemp(prefix="bizforge-bench-serve-answer-"))
    os.environ["BIZFORGE_HOME"] = str(home)
    model_dir = Path(args.model) if args.model else home / "model"
    print(f"model: {model_dir} ...", flush=True)
    model, train_seconds = _model(folder, model_dir, args.time_limit)
    from bizforge.registry import Registry, create_key

    registry = Registry(home=home)
    registry.publish(model, NAME)
    _, key = create_key("predict", label="bench", registry=registry)
    registry.close()
    questions = _questions(folder)[1]["query"].tolist()
    load_start = os.getloadavg()[0]
    inproc = _in_process(model, questions)
    print("in process: " + json.dumps(inproc), flush=True)
    requests = home / "requests.json"
    requests.write_text(json.dumps([{"question": q, "k": 3} for q in questions],
                                   ensure_ascii=False), encoding="utf-8")
    port = _free_port()
    server = _start_server(home, port, home / "server.log")
    results = []
    try:
        _run_driver(port, key, requests, 4, 3, server.pid)  # warm-up
        for c in args.concurrency:
            print(f"concurrency {c}: {args.seconds:g} s ...", flush=True)
            r = _run_driver(port, key, requests, c, args.seconds, server.pid)
            results.append(r)
            print("  " + json.dumps(r), flush=True)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            server.kill()
    info = json.loads((model / "model.json").read_text(encoding="utf-8"))["info"]
    weights = ", ".join(f"{c} {w:.2f}" for c, w in info["weights"].items())
    trained = ("reused from --model" if train_seconds is None
               else f"trained here in {train_seconds:.0f} s")
    intro = (f"model: `{NAME}`, lcqmc_faq_zh {info['entries']:,} entries + "
             f"{info['example_questions']:,} example questions as phrasings ({weights}; "
             f"{trained}); one held-out question per request (`{{\"question\": ..., "
             f"\"k\": 3}}`, {len(questions):,} distinct), HTTP/1.1 keep-alive, "
             f"{args.seconds:g} s per level. Server: `bizforge serve` (1 worker, uvicorn; "
             "API-key auth, JSON request logs, handed-over questions stored after each "
             "response); load generator: a minimal asyncio client in its own process on the "
             "same 2 cores. `load` is the 1-minute load average after each level (before the "
             f"first: {load_start:.1f}).")
    inline = (f"In process (`AnswerPredictor.answer`, one question at a time, "
              f"{inproc['questions']} questions): p50 {inproc['p50_ms']:.1f} ms, "
              f"p99 {inproc['p99_ms']:.1f} ms.")
    header = ("| concurrency | requests/s | p50 ms | p99 ms | max ms | errors | handed over | "
              "server CPU ms/req | load | p99 target |")
    body = [intro, "", inline, "", header, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in results:
        verdict = ("met" if r["p99_ms"] <= TARGET_MS else "missed") if r["concurrency"] == 8 \
            else ""
        body.append(f"| {r['concurrency']} | {r['rps']:,.1f} | {r['p50_ms']:.1f} | "
                    f"{r['p99_ms']:.1f} | {r['max_ms']:.1f} | {r['errors']} | "
                    f"{r['handover']:.0%} | {r['server_cpu_ms']:.1f} | {r['load']:.1f} | "
                    f"{'<= 150 ms at 8: ' + verdict if verdict else ''} |")
    print("\n".join(body))
    if not args.no_write:
        write_results("## serve: answer over HTTP — 2026-12-07",
                      "/work/bin/timed python bench/serve_answer.py --seconds "
                      f"{args.seconds:g} --concurrency "
                      f"{','.join(map(str, args.concurrency))}", body)
    return 0


def _parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", help="a trained answer model folder to reuse (trained into it "
                                   "when absent)")
    p.add_argument("--seconds", type=float, default=20.0, help="seconds per load level")
    p.add_argument("--time-limit", type=float, default=600.0, help="training seconds")
    p.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",")],
                   default=[1, 8], help="comma-separated levels (default 1,8)")
    p.add_argument("--no-write", action="store_true", help="print only")
    p.add_argument("--drive", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    p.add_argument("--key", help=argparse.SUPPRESS)
    p.add_argument("--requests", help=argparse.SUPPRESS)
    return p.parse_args(argv)


if __name__ == "__main__":
    arguments = _parse()
    if arguments.drive:
        arguments.concurrency = arguments.concurrency[0]
        print(json.dumps(asyncio.run(_drive(arguments))))
        sys.exit(0)
    sys.exit(main(arguments))
