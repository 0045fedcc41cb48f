"""Batch scoring benchmark: `bizforge predict` on a >= 1 GB CSV, with peak memory.

    python bench/batch.py                 # 1 GB of telco rows
    python bench/batch.py --size-gb 0.2   # a quicker run

Trains a telco churn model (20 s search), writes a CSV of repeated telco rows
of the requested size, then scores it with `bizforge predict MODEL big.csv -o
scored.csv` in a child process. Reports rows, seconds, rows/s and the child's
peak resident memory (the issue asks for < 2 GB on a 1 GB file).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, datasets_root, write_results
from ingest import TELCO, make_big_csv


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gb", type=float, default=1.0)
    args = parser.parse_args(argv)
    root = datasets_root()
    if root is None or not (root / TELCO).exists():
        print("telco_churn not found (set BIZFORGE_DATASETS); nothing to do.")
        return 0
    from bizforge.pipeline import train

    work = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    try:
        run = train(root / TELCO, "Churn", time_limit=20, out=work / "model")
        big = work / "big.csv"
        rows = make_big_csv(root / TELCO, big, int(args.size_gb * 1e9))
        mb = big.stat().st_size / 1e6
        cmd = [str(REPO / ".venv" / "bin" / "bizforge"), "predict", str(run.path), str(big),
               "-o", str(work / "scored.csv")]
        t0 = time.perf_counter()
        done = subprocess.run(cmd, check=False, capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        status = "ok" if done.returncode == 0 else f"exit {done.returncode}: {done.stderr[-300:]}"
        out_rows = sum(1 for _ in open(work / "scored.csv", encoding="utf-8")) - 1 \
            if done.returncode == 0 else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines = [
        "| input MB | rows | rows scored | seconds | rows/s | peak RSS MB | status |",
        "|---:|---:|---:|---:|---:|---:|---|",
        f"| {mb:,.0f} | {rows:,} | {out_rows:,} | {seconds:.0f} | {rows / seconds:,.0f} | "
        f"{peak:,.0f} | {status} |",
        "",
        "Peak RSS is the child process's maximum resident set (getrusage RUSAGE_CHILDREN); "
        "the file is streamed in 50,000-row chunks.",
    ]
    print("\n".join(lines))
    command = "python bench/batch.py " + " ".join(argv if argv is not None else sys.argv[1:])
    write_results("## batch scoring — " + time.strftime("%Y-%m-%d"), command.strip(), lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
