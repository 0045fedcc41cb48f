"""Ingest benchmark: read + profile every dataset file, and one >= 1 GB CSV.

    python bench/ingest.py            # every table under the datasets folder
    python bench/ingest.py --big      # generate a >= 1 GB CSV and profile it

Datasets come from $BIZFORGE_DATASETS or ../shared/datasets (relative to the
repository). Each file is read and profiled in its own subprocess so that the
peak resident memory reported is that file's alone. Results are printed and
written to bench/RESULTS.md under a dated heading (an earlier section with the
same heading is replaced).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, RESULTS, datasets_root, write_results

TELCO = Path("telco_churn") / "WA_Fn-UseC_-Telco-Customer-Churn.csv"

# Files under the datasets folder that are not tables, with the reason shown in the report.
SKIP = {
    r"\.md$|(^|/)README$": "documentation",
    r"\.gz$": "binary image/label archive (idx format), not a table",
    r"\.(png|jpe?g|bmp|tiff?)$": "images (bench/images.py reads them)",
    r"banking77/categories\.json$": "a JSON list of label names, not records",
    r"movielens_100k/u\.(item|user|genre|occupation|info)$": (
        "pipe/space-separated table without a header row (columns are described in README)"
    ),
    r"movielens_100k/u[ab]\.(base|test)$": "train/test split of u.data (same rows)",
}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def measure_one(path: str) -> dict:
    """Read and profile one file (run in a fresh subprocess); returns the measurements."""
    from bizforge.clean import profile
    from bizforge.ingest import read

    base = _peak_mb()
    t0 = time.perf_counter()
    ds = read(path)
    t1 = time.perf_counter()
    prof = profile(ds)
    t2 = time.perf_counter()
    return {
        "rows": ds.rows,
        "columns": len(ds.frame.columns),
        "sampled": bool(ds.meta.get("sampled")),
        "encoding": ds.meta.get("encoding"),
        "warnings": [w["kind"] for w in ds.meta.get("warnings", [])],
        "findings": len(prof.findings),
        "read_s": t1 - t0,
        "profile_s": t2 - t1,
        "base_mb": base,
        "peak_mb": _peak_mb(),
        "bytes": Path(path).stat().st_size,
    }


def run_child(path: Path) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--one", str(path)]
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True, cwd=REPO)
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        return {"error": lines[-1] if lines else f"exit code {proc.returncode}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _skip_reason(rel: str) -> str | None:
    for pattern, reason in SKIP.items():
        if re.search(pattern, rel):
            return reason
    return None


def _row(name: str, r: dict) -> str:
    if "error" in r:
        return f"| {name} | error: {r['error']} |||||||"
    total = r["read_s"] + r["profile_s"]
    return (
        f"| {name} | {r['bytes'] / 1e6:,.1f} | {r['rows']:,} | {r['columns']} | "
        f"{r['read_s']:.2f} | {r['profile_s']:.2f} | {r['rows'] / total:,.0f} | "
        f"{r['peak_mb']:,.0f} (base {r['base_mb']:,.0f}) | "
        f"{' '.join([str(r['encoding']), *r['warnings'], *(['sampled'] * r['sampled'])])} |"
    )


HEADER = (
    "| file | MB | rows | cols | read s | profile s | rows/s | peak RSS MB | notes |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---|"
)


LEGEND = (
    "rows/s = rows / (read s + profile s); peak RSS = the child process's maximum resident "
    "set, base = the same right after importing bizforge (pandas, pyarrow, ...)."
)


def bench_datasets(root: Path) -> list[str]:
    lines, skipped, docs, images = [HEADER], [], 0, 0
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        reason = _skip_reason(rel)
        if reason == "documentation":
            docs += 1
        elif reason and reason.startswith("images"):
            images += 1
        elif reason:
            skipped.append(f"- skipped {rel}: {reason}")
        if reason:
            continue
        result = run_child(path)
        lines.append(_row(rel, result))
        print(lines[-1], flush=True)
    skipped.append(f"- skipped {docs} documentation files (README, PROVENANCE.md)")
    if images:
        skipped.append(f"- skipped {images} image files (bench/images.py reads them)")
    return [*lines, "", LEGEND, "", *skipped]


def make_big_csv(source: Path, target: Path, size: int) -> int:
    """Repeat the telco rows with a running id column until ``size`` bytes; returns rows."""
    with open(source, encoding="utf-8") as fh:
        header, *rows = fh.read().splitlines()
    written, n = 0, 0
    with open(target, "w", encoding="utf-8") as out:
        out.write(f"row_id,{header}\n")
        while written < size:  # one pass over the source rows per block: bounded memory
            block = "".join(f"{n + i},{r}\n" for i, r in enumerate(rows))
            n += len(rows)
            written += out.write(block)
    return n


def bench_big(root: Path, size: int) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="bizforge-bench-") as tmp:
        path = Path(tmp) / "telco_big.csv"
        t0 = time.perf_counter()
        rows = make_big_csv(root / TELCO, path, size)
        made = time.perf_counter() - t0
        print(f"generated {path.stat().st_size / 1e9:.2f} GB, {rows:,} rows in {made:.0f} s")
        result = run_child(path)
    line = _row(f"telco x{rows // 7043} ({rows:,} rows)", result)
    print(line)
    note = (
        "Streamed: exact row and missing counts over the whole file, a uniform sample of "
        "settings.sample_rows rows profiled; peak RSS stays bounded by the sample and one "
        "chunk, not the file size."
    )
    return [HEADER, line, "", LEGEND, note]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", action="store_true", help="profile a generated >= 1 GB CSV")
    parser.add_argument("--size-gb", type=float, default=1.05, help="size of the --big file")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # child process: measure one file
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure_one(args.one)))
        return 0
    root = datasets_root()
    if root is None:
        print(
            "bench/ingest.py: no datasets folder ($BIZFORGE_DATASETS or ../shared/datasets); "
            "nothing to do."
        )
        return 0
    today = dt.date.today().isoformat()
    if args.big:
        body = bench_big(root, int(args.size_gb * 1e9))
        write_results(f"## ingest --big — {today}", "python bench/ingest.py --big", body)
    else:
        body = bench_datasets(root)
        write_results(f"## ingest — {today}", "python bench/ingest.py", body)
    print(f"results written to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
