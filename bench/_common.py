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


def quiet_probe(work: str) -> Path:
    """Set up an accuracy-only probe: one torch thread, no warnings, ``work`` created."""
    import warnings

    import torch
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    folder = Path(work)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def datasets_or_say() -> Path | None:
    """:func:`datasets_root`, saying how to point at the datasets when they are absent."""
    root = datasets_root()
    if root is None:
        print("datasets not found: set BIZFORGE_DATASETS or put them in ../shared/datasets; "
              "skipping.")
    return root


GENERATED = "<!-- generated: replaced on the next run; notes outside are kept -->"
END = "<!-- end generated -->"


def write_results(heading: str, command: str, body: list[str]) -> None:
    """Put ``body`` under ``heading`` in bench/RESULTS.md, replacing an older same-named section.

    The generated lines sit between :data:`GENERATED` and :data:`END`; what a person
    wrote after them (notes on the run, earlier runs' figures) is carried into the new
    section. A section written before the markers existed keeps its bullet lines, under
    a line saying they come from the replaced section.
    """
    section = "\n".join([heading, "", GENERATED, f"command: `{command}`",
                         f"machine: {os.cpu_count()} cores", "", *body, END])
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE)
    found = pattern.search(text)
    if found is None:
        RESULTS.write_text(text.rstrip("\n") + "\n\n" + section + "\n", encoding="utf-8")
        return
    kept = _hand_notes(found.group(0))
    new = section + ("\n\n" + kept if kept else "") + "\n\n"
    RESULTS.write_text(text[:found.start()] + new + text[found.end():].lstrip("\n"),
                       encoding="utf-8")


def print_and_record(heading: str, command: str, body: list[str], record: bool = True) -> None:
    """Print ``body``; unless ``record`` is False, put it in RESULTS.md (:func:`write_results`)."""
    print("\n".join(body))
    if record:
        write_results(heading, command, body)


def _hand_notes(old: str) -> str:
    """The lines of an old section that the bench did not generate."""
    if END in old:
        return old.split(END, 1)[1].strip("\n")
    bullets = [line for line in old.splitlines() if line.startswith(("- ", "  "))]
    if not bullets:
        return ""
    intro = "From the replaced section (an earlier run; generated and hand-written lines):"
    return "\n".join([intro, *bullets])


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
