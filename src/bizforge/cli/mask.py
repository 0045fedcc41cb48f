"""`bizforge mask FILE -o OUT`: mask, hash or drop the personal data in a table."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from bizforge.cli.app import (
    HeaderRow,
    SkipRows,
    app,
    check_output_file,
    console,
    edge,
    print_notes,
    same_file,
)
from bizforge.errors import DataError, UsageError

__all__ = ["mask"]


class Mode(str, Enum):
    mask = "mask"
    hash = "hash"
    drop = "drop"


@app.command("mask")
@edge
def mask(
    file: Annotated[
        Path,
        typer.Argument(metavar="FILE", help="Table to read (CSV, Excel, Parquet, JSON lines)."),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "-o", "--output", metavar="OUT", help="Where to write the treated table (new file)."
        ),
    ],
    mode: Annotated[
        Mode,
        typer.Option(
            help="mask: keep the shape (138****5678); hash: salted consistent tokens "
            "(joins still work); drop: remove PII columns, mask PII inside free text."
        ),
    ] = Mode.mask,
    audit: Annotated[
        Path | None, typer.Option(help="Write a JSON audit (kinds, counts, actions; no values).")
    ] = None,
    salt: Annotated[
        str | None,
        typer.Option(help="Salt for --mode hash. Prefer BIZFORGE_PII_SALT: options show in ps."),
    ] = None,
    columns: Annotated[
        str | None, typer.Option(help="Only these columns, comma-separated (default: all).")
    ] = None,
    header_row: HeaderRow = None,
    skip_rows: SkipRows = None,
) -> None:
    """Find resident IDs, mobiles, landlines, bank cards, e-mails and IPv4 addresses and treat them.

    Never overwrites FILE. Exit codes: 0 ok, 2 usage error, 3 data error.
    """
    for other, what in ((output, "-o/--output"), (audit, "--audit")):
        if other is not None and same_file(file, other):
            raise UsageError(
                f"{what} is the input file {file}; bizforge never overwrites its input.",
                fix="write to a new file name, e.g. add _masked before the suffix.",
            )
    check_output_file(audit, "--audit", "audit.json")
    if audit is not None and same_file(output, audit):
        raise UsageError("--audit and -o/--output name the same file.", fix="use two file names.")
    names = None
    if columns is not None:
        names = [c.strip() for c in columns.split(",") if c.strip()]
        if not names:
            raise UsageError("--columns is empty.", fix="name columns like --columns 手机,email.")
    from bizforge.clean.pii import get_salt, mask_frame
    from bizforge.config import get_settings
    from bizforge.ingest import read, write_table
    from bizforge.ingest.write import check_destination

    check_destination(output)  # before reading the whole file
    # Masking must see every row: lift the large-file sampling threshold.
    settings = get_settings(large_file_bytes=sys.maxsize)
    ds = read(file, settings=settings, coerce=False, header_row=header_row, skip_rows=skip_rows)
    if ds.meta.get("sampled"):
        raise DataError(
            f"only a sample of {file} was read; masking needs every row.",
            path=str(file),
            fix="split the file into smaller parts and mask each.",
        )
    run_salt = None
    if mode is Mode.hash:
        run_salt = salt if salt is not None else get_salt(settings)
        if not run_salt.strip():
            raise UsageError("--salt is empty.", fix="pass a long secret, or leave --salt out.")
    frame, report = mask_frame(ds.frame, mode=mode.value, salt=run_salt, columns=names)
    written = write_table(frame, output)
    # Title lines skipped, notes left out, the encoding guessed: the output lacks them.
    print_notes(ds.meta.get("warnings") or [])
    if audit is not None:
        audit.parent.mkdir(parents=True, exist_ok=True)
        audit.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    _summary(report, written, audit, frame.shape)


def _summary(report: dict, written: Path, audit: Path | None, shape: tuple[int, int]) -> None:
    entries = report["columns"]
    if not entries:
        console.print("No personal data found.")
    else:
        table = Table(title=f"Personal data ({report['mode']})")
        for head in ("column", "kinds", "count", "action"):
            table.add_column(head, justify="right" if head == "count" else "left")
        for e in entries:
            kinds = ", ".join(f"{k} {n}" for k, n in e["kinds"].items()) or "-"
            action = e["action"] + (f" ({e['unchanged']} left as is)" if e.get("unchanged") else "")
            # Text(): a column named "[red]x" must print as it is, not as markup.
            table.add_row(Text(e["column"]), kinds, str(e["count"]), Text(action))
        console.print(table)
    console.print(
        f"Wrote {written} ({shape[0]} rows, {shape[1]} columns).", markup=False, highlight=False
    )
    if audit is not None:
        console.print(f"Audit: {audit}", markup=False, highlight=False)
