"""False alarms of the title/notes detection on normal files: every delimited file of the
datasets folder is a plain table, so any line skipped above its header or left out
below it, any header not on line 1, is a false alarm.

Usage: python bench/header_alarms.py [--no-record]
Reads $BIZFORGE_DATASETS or ../shared/datasets; skips politely when absent.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import datasets_root, print_and_record

from bizforge.errors import BizforgeError
from bizforge.ingest import read

SUFFIXES = (".csv", ".tsv", ".txt")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    root = datasets_root()
    if root is None:
        print("skipped: no datasets folder (set BIZFORGE_DATASETS)")
        return 0
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
    alarms, errors = [], []
    for path in files:
        try:
            meta = read(path).meta
        except BizforgeError as exc:
            errors.append(f"{path.relative_to(root)}: {exc.message[:120]}")
            continue
        if meta.get("skipped_above") or meta.get("notes_below") or meta.get("header_row") not in (
                1, None):
            alarms.append(f"{path.relative_to(root)}: header line {meta.get('header_row')}, "
                          f"{len(meta['skipped_above'])} above, {len(meta['notes_below'])} below")
    body = [(f"- {len(files)} delimited files of the datasets folder: **{len(alarms)} false "
             f"alarms** (lines skipped above the header or left out below), {len(errors)} "
             "refused")]
    body += [f"  - {a}" for a in alarms + errors]
    print_and_record("## Header/notes detection false alarms (bench/header_alarms.py)",
                     "python bench/header_alarms.py", body, not args.no_record)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
