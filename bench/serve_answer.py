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
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import datasets_root, write_results
from _loadgen import json_requests, measure, published, sweep
from serve import _free_port, _start_server, _stop_server

NAME = "faq"
SET = "lcqmc_faq_zh"
TARGET_MS = 150.0


def _run(port, key, requests, concurrencies, seconds, server_pid) -> list[dict]:
    return [dict(r, handover=r["share"]) for r in sweep(
        port, key, requests, concurrencies, seconds, server_pid, expect="handover",
        flag="handover")]


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
    key = published(home, model, NAME)
    questions = _questions(folder)[1]["query"].tolist()
    requests = json_requests(f"/v1/models/{NAME}/answer", [{"question": q, "k": 3}
                                                            for q in questions])
    load_start = os.getloadavg()[0]
    inproc = _in_process(model, questions)
    print("in process: " + json.dumps(inproc), flush=True)
    port = _free_port()
    server = _start_server(home, port, home / "server.log")
    try:
        measure(port, key, requests, 4, 3, server.pid)  # warm-up
        results = _run(port, key, requests, args.concurrency, args.seconds, server.pid)
    finally:
        _stop_server(server)
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
    return p.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main(_parse()))
