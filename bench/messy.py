"""Corpus check of issue #25: ``inspect`` and ``mask`` over messy files, against expected reads.

For every file of the corpus (written by bench/messy_corpus.py, and of any ``--extra``
folder holding real files and an ``expected.json`` in the same format) this runs
``bizforge inspect FILE --json`` and ``bizforge mask FILE -o OUT`` in-process, and
sorts the outcome:

* **right**: exit 0, and columns, row count, roles, a few values, the reader facts
  and the findings asked for are as expected;
* **clear error**: exit 3 with a message that names the cause and the option that
  fixes it (the words in ``error_mentions``; without them no exit 3 counts as clear);
* **silent misread**: exit 0 but something differs (listed);
* **unclear error / crash**: exit 2 or 3 not naming the cause; exit 1 or a traceback.

For ``mask`` it counts personal values left in clear text (``clear_absent`` found in
the output), non-personal values altered (``kept`` missing from the output) and
outputs that would not open right in Excel (``readable_as``). Counts are printed per
defect number of the issue (1-10, m for the mask privacy cases).

Usage: python bench/messy.py [--extra DIR] [--keep DIR] [--no-record]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import print_and_record
from messy_corpus import write_corpus

OUTCOMES = ("right", "clear error", "silent misread", "unclear error", "crash")


def _flags(options: dict) -> list[str]:
    out = []
    for key, value in options.items():
        out += [f"--{key.replace('_', '-')}", str(value)]
    return out


def _same_value(got, want) -> bool:
    if isinstance(want, (int, float)) and not isinstance(want, bool):
        try:
            return math.isclose(float(got), float(want), rel_tol=1e-6, abs_tol=1e-9)
        except (TypeError, ValueError):
            return False
    return str(got) == str(want)


def _check_read(path: Path, want: dict, doc: dict) -> list[str]:
    """What differs between the inspect JSON (and a read) and the expectation."""
    from bizforge.ingest import read

    wrong = []
    columns = [c["name"] for c in doc["columns"]]
    shown = [c for c in columns if not (c.startswith("column_") and c[7:].isdigit())]
    if "columns" in want and shown != want["columns"]:
        wrong.append(f"columns {shown} != {want['columns']}")
    if "rows" in want and doc["rows"] != want["rows"]:
        wrong.append(f"rows {doc['rows']} != {want['rows']}")
    roles = {c["name"]: c["role"] for c in doc["columns"]}
    for name, role in (want.get("roles") or {}).items():
        allowed = role if isinstance(role, list) else [role]
        if roles.get(name) not in allowed:
            wrong.append(f"role of {name!r} is {roles.get(name)}, not {'/'.join(allowed)}")
    missing = {c["name"]: c["missing"] for c in doc["columns"]}
    for name, n in (want.get("missing") or {}).items():
        if missing.get(name) != n:
            wrong.append(f"{name!r} has {missing.get(name)} missing, not {n}")
    # An inspect without the "reader" section (before issue #25): ask the reader itself.
    reader = doc.get("reader") or read(path, **(want.get("options") or {})).meta
    for key, value in (want.get("reader") or {}).items():
        got = reader.get(key)
        ok = isinstance(got, (int, float)) if value == "number" else got == value
        if not ok:
            wrong.append(f"reader {key} is {got!r}, not {value!r}")
    messages = " ".join(f.get("message", "") for f in doc.get("findings") or [])
    for word in want.get("findings") or []:
        if word not in messages:
            wrong.append(f"no finding mentions {word!r}")
    if want.get("values") and not wrong:
        ds = read(path, **(want.get("options") or {}))
        frame = ds.frame
        for name, values in want["values"].items():
            got = frame[name].tolist()[: len(values)] if name in frame else None
            info = ds.schema[name] if name in frame else None
            if got is not None and info is not None and info.numeric_text:
                # numbers written as text stay text in the frame; the recipe reads them
                # with the column's mark, as here (what training and prediction see)
                from bizforge.ingest.numbers import parse_numbers

                parsed = parse_numbers(frame[name], decimal=info.decimal or ".").values
                got = parsed.tolist()[: len(values)]
            if got is None or not all(_same_value(g, w) for g, w in zip(got, values)):
                wrong.append(f"values of {name!r} {got} != {values}")
    return wrong


def _inspect(runner, app, path: Path, want: dict, tmp: Path) -> tuple[str, str]:
    out = tmp / f"{path.name}.json"
    result = runner.invoke(app, ["inspect", str(path), "--json", str(out),
                                 *_flags(want.get("options") or {})])
    if result.exit_code == 0:
        wrong = _check_read(path, want, json.loads(out.read_text(encoding="utf-8")))
        return ("right", "") if not wrong else ("silent misread", "; ".join(wrong))
    text = result.output
    if result.exit_code in (2, 3):
        named = want.get("error_mentions") or []
        if named and all(w in text for w in named):
            return "clear error", text.strip().splitlines()[0][:160]
        return "unclear error", text.strip().splitlines()[0][:160]
    return "crash", f"exit {result.exit_code}: {text.strip()[-160:]}"


def _mask(runner, app, path: Path, want: dict, tmp: Path) -> tuple[Counter, str]:
    spec = want.get("mask") or {}
    out = tmp / f"masked_{path.stem}{path.suffix if path.suffix != '.txt' else '.csv'}"
    if out.suffix not in (".csv", ".tsv", ".xlsx", ".parquet", ".jsonl"):
        out = out.with_suffix(".csv")
    result = runner.invoke(app, ["mask", str(path), "-o", str(out),
                                 *_flags(want.get("options") or {})])
    counts: Counter = Counter()
    if result.exit_code != 0:
        counts["exit 1" if result.exit_code not in (2, 3) else "refused"] += 1
        return counts, result.output.strip()[:160]
    raw = out.read_bytes()
    text = raw.decode("utf-8", errors="replace") if out.suffix in (".csv", ".tsv", ".jsonl") \
        else ""
    if out.suffix == ".xlsx":
        import pandas as pd

        text = pd.read_excel(out, dtype=str).to_csv(index=False)
    if spec.get("readable_as"):
        if raw.startswith(b"\xef\xbb\xbf") and "utf-8-sig" in spec["readable_as"]:
            pass
        else:
            try:
                text = raw.decode(spec["readable_as"][0])
            except UnicodeDecodeError:
                text = ""
            if not all(k in text for k in spec.get("kept") or []):
                counts["unreadable in Excel"] += 1
    counts["left in clear"] += sum(1 for v in spec.get("clear_absent") or [] if v in text)
    counts["altered"] += sum(1 for v in spec.get("kept") or [] if v not in text)
    return counts, ""


def run(folder: Path, expected: dict[str, dict], tmp: Path):
    from typer.testing import CliRunner

    from bizforge.cli import app

    runner = CliRunner()
    rows = []
    for name, want in expected.items():
        path = folder / name
        outcome, detail = _inspect(runner, app, path, want, tmp)
        masked, why = _mask(runner, app, path, want, tmp)
        rows.append((name, str(want.get("defect", "?")), outcome, detail, masked, why))
    return rows


def _report(rows, label: str) -> list[str]:
    by_defect: dict[str, Counter] = defaultdict(Counter)
    mask_total: Counter = Counter()
    for _name, defect, outcome, _detail, masked, _why in rows:
        by_defect[defect][outcome] += 1
        mask_total.update(masked)
    total = Counter(o for _n, _d, o, _x, _m, _w in rows)
    lines = [f"- {label}: {len(rows)} files: " + ", ".join(
        f"{total[o]} {o}" for o in OUTCOMES if total[o] or o != "crash")]
    order = sorted(by_defect, key=lambda d: (not d.isdigit(), int(d) if d.isdigit() else 0, d))
    for d in order:
        c = by_defect[d]
        lines.append(f"  - defect {d}: " + ", ".join(f"{c[o]} {o}" for o in OUTCOMES if c[o]))
    lines.append("- mask: " + (", ".join(f"{n} {k}" for k, n in sorted(mask_total.items()))
                               or "nothing left in clear, nothing altered"))
    for name, defect, outcome, detail, masked, why in rows:
        if outcome != "right" or any(masked.values()):
            note = "; ".join(x for x in (detail, ", ".join(
                f"{k} {n}" for k, n in masked.items() if n), why) if x)
            lines.append(f"  - [{defect}] {name}: {outcome}: {note}"[:400])
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extra", type=Path, help="folder of real files with expected.json")
    parser.add_argument("--keep", type=Path, help="write the corpus here (default: a temp dir)")
    parser.add_argument("--no-record", action="store_true", help="do not touch RESULTS.md")
    args = parser.parse_args()
    body = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        folder = args.keep or tmp / "corpus"
        expected = write_corpus(folder)
        body += _report(run(folder, expected, tmp), "generated corpus (bench/messy_corpus.py)")
        if args.extra is not None:
            listed = args.extra / "expected.json"
            if not listed.is_file():
                print(f"--extra {args.extra}: no expected.json there", file=sys.stderr)
                return 2
            extra = json.loads(listed.read_text(encoding="utf-8"))
            body += _report(run(args.extra, extra, tmp), f"extra folder {args.extra}")
    print_and_record("## Messy files corpus check (bench/messy.py)", "python bench/messy.py",
                     body, not args.no_record)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
