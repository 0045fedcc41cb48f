"""Time ``bizforge.read`` + ``profile`` on every dataset table, against an older source tree.

    git archive <rev> src | tar -x -C /tmp/base
    python bench/read_speed.py --base-src /tmp/base/src [--repeats 3]

Each file is read and profiled in a fresh subprocess, by this tree's ``src`` and
by ``--base-src`` in turn (alternating, so both see the same machine load); the
median of ``--repeats`` runs is kept and the ratio new / base is printed per file
and in total. Datasets come from $BIZFORGE_DATASETS or ../shared/datasets; the
script prints "skipped" when they are absent.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, datasets_root
from roles import _NOT_TABLES, _SKIP_NAMES

_CHILD = """
import json, sys, time
from bizforge.clean import profile
from bizforge.ingest import read
t = time.perf_counter()
profile(read(sys.argv[1]))
print(json.dumps(time.perf_counter() - t))
"""


def _seconds(src: Path, path: Path) -> float | None:
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)],
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-src", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    root = datasets_root()
    if root is None:
        print("skipped: no datasets folder ($BIZFORGE_DATASETS or ../shared/datasets)")
        return
    files = [
        p
        for p in sorted(root.rglob("*"))
        if p.is_file()
        and p.suffix.lower() not in _NOT_TABLES
        and p.name not in _SKIP_NAMES
        and "/Imgs/" not in p.as_posix()
    ]
    totals = {"new": 0.0, "base": 0.0}
    for path in files:
        runs: dict[str, list[float]] = {"new": [], "base": []}
        for _ in range(args.repeats):
            for name, src in (("base", args.base_src), ("new", REPO / "src")):
                seconds = _seconds(src, path)
                if seconds is not None:
                    runs[name].append(seconds)
        if not runs["new"] or not runs["base"]:
            print(f"{path.relative_to(root)}: not read by one of the trees")
            continue
        new, base = statistics.median(runs["new"]), statistics.median(runs["base"])
        totals["new"] += new
        totals["base"] += base
        print(f"{path.relative_to(root)}: base {base:.2f} s, new {new:.2f} s, x{new / base:.2f}")
    print(
        f"total: base {totals['base']:.1f} s, new {totals['new']:.1f} s, "
        f"x{totals['new'] / max(totals['base'], 1e-9):.2f}"
    )


if __name__ == "__main__":
    main()
