"""Shared by the bench scripts: where the datasets are and how results are recorded."""

from __future__ import annotations

import os
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "RESULTS.md"


def datasets_root() -> Path | None:
    """$BIZFORGE_DATASETS or ../shared/datasets next to the repository; None when absent."""
    root = Path(os.environ.get("BIZFORGE_DATASETS") or REPO.parent / "shared" / "datasets")
    return root if root.is_dir() else None


def write_results(heading: str, command: str, body: list[str]) -> None:
    """Put ``body`` under ``heading`` in bench/RESULTS.md, replacing an older same-named section."""
    section = "\n".join(
        [heading, "", f"command: `{command}`", f"machine: {os.cpu_count()} cores", "", *body, ""]
    )
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE)
    text = (
        pattern.sub(lambda _m: section + "\n", text)
        if pattern.search(text)
        else (text.rstrip("\n") + "\n\n" + section)
    )
    RESULTS.write_text(text, encoding="utf-8")


def batch_seconds(call, repeats: int = 5) -> float:
    """Median seconds of ``call()`` after one warm-up call: the steady state that batch
    scoring sees (a large file is many chunks), the same rule for every tool compared."""
    import statistics
    import time

    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
