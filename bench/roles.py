"""Column roles of every dataset table, saved and compared: a guard for inference changes.

    python bench/roles.py --save before.json            # roles with the current code
    python bench/roles.py --save after.json --compare before.json
    python bench/roles.py --root DIR --root DIR2 ...      # other folders of real tables too

Every file under the datasets folder ($BIZFORGE_DATASETS or ../shared/datasets) that
bizforge reads as a table is read with :func:`bizforge.read`; for each column the role,
the note (datetime format, unit, ...) and the numbers-as-text formats are recorded, with
the reader's notes on the file. ``--compare`` prints every column whose record changed
and the number of columns and files compared, so a rule for messy files can be checked
not to move any real, clean column. Prints "skipped" politely when the folder is absent.

``--root`` adds folders of other real tables (only ``.csv`` and ``.tsv``
files are read there), e.g. the public datasets that statsmodels, scikit-learn
and plotly ship in site-packages; their keys are prefixed with the folder.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import datasets_root

# Not tables: documentation, image archives, a JSON list of label names.
_NOT_TABLES = (".md", ".gz", ".jpg", ".png", ".bmp")
_SKIP_NAMES = {"categories.json", "README", "u.info"}


def snapshot(root: Path, prefix: str = "", only: tuple[str, ...] = ()) -> dict:
    from bizforge.errors import BizforgeError
    from bizforge.ingest import read

    out = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = prefix + path.relative_to(root).as_posix()
        if path.suffix.lower() in _NOT_TABLES or path.name in _SKIP_NAMES or "/Imgs/" in rel:
            continue
        if only and path.suffix.lower() not in only:
            continue
        try:
            ds = read(path)
        except BizforgeError as exc:
            out[rel] = {"error": exc.message[:200]}
            continue
        except Exception as exc:  # noqa: BLE001 - a crash on a real file is a finding too
            out[rel] = {"error": f"CRASH {type(exc).__name__}: {str(exc)[:160]}"}
            continue
        out[rel] = {
            "notes": sorted(w["kind"] for w in ds.meta.get("warnings", [])),
            "decimal": ds.meta.get("decimal"),
            "columns": {
                c.name: {
                    "role": c.role.value,
                    "note": c.note,
                    "formats": (c.numeric_text or {}).get("formats"),
                }
                for c in ds.schema
            },
        }
    return out


def compare(before: dict, after: dict) -> list[str]:
    lines = []
    for rel in sorted(set(before) | set(after)):
        old, new = before.get(rel, {}), after.get(rel, {})
        if "columns" not in old or "columns" not in new:
            if old != new:
                lines.append(f"{rel}: {old.get('error', 'read')} -> {new.get('error', 'read')}")
            continue
        if old.get("notes") != new.get("notes"):
            lines.append(f"{rel}: notes {old.get('notes')} -> {new.get('notes')}")
        if (old.get("decimal") or ".") != (new.get("decimal") or "."):  # older: no mark, "."
            lines.append(f"{rel}: decimal {old.get('decimal')} -> {new.get('decimal')}")
        for name in sorted(set(old["columns"]) | set(new["columns"])):
            a, b = old["columns"].get(name), new["columns"].get(name)
            if a != b:
                lines.append(f"{rel} [{name}]: {a} -> {b}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", type=Path, help="write the snapshot here (JSON)")
    parser.add_argument("--compare", type=Path, help="an earlier snapshot to diff against")
    parser.add_argument("--root", type=Path, action="append", default=[],
                        help="another folder of real tables (.csv, .tsv)")
    args = parser.parse_args()
    root = datasets_root()
    if root is None and not args.root:
        print("skipped: no datasets folder ($BIZFORGE_DATASETS or ../shared/datasets)")
        return
    now = snapshot(root) if root is not None else {}
    for extra in args.root:
        now.update(snapshot(extra, f"{extra.name}/", (".csv", ".tsv")))
    if args.save:
        args.save.write_text(json.dumps(now, ensure_ascii=False, indent=1), encoding="utf-8")
    files = sum(1 for v in now.values() if "columns" in v)
    columns = sum(len(v["columns"]) for v in now.values() if "columns" in v)
    print(f"{files} tables, {columns} columns read")
    if args.compare:
        changes = compare(json.loads(args.compare.read_text(encoding="utf-8")), now)
        print(f"{len(changes)} change(s)")
        for line in changes:
            print("  " + line)


if __name__ == "__main__":
    main()
