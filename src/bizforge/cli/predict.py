"""`bizforge predict`: score a file with a trained model, optionally with reasons."""

from __future__ import annotations

from pathlib import Path

import typer

from bizforge.cli.app import app, console, edge

__all__ = ["predict_command"]


@app.command("predict")
@edge
def predict_command(
    model: str = typer.Argument(..., help="Model folder written by `bizforge train --out`."),
    file: str = typer.Argument(..., help="Rows to score (same columns as training; target optional)."),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the scored rows (.csv/.parquet/.jsonl/.xlsx)."),
    explain: bool = typer.Option(False, "--explain", help="Add the top-3 reasons of every prediction."),
) -> None:
    """Write the input rows plus prediction, probability and (with --explain) reasons.

    Example: bizforge predict models/churn new_customers.csv -o scored.csv --explain
    """
    from bizforge.errors import UsageError
    from bizforge.ingest import read, write_table
    from bizforge.serve import load_model

    if Path(file).resolve() == out.resolve():
        raise UsageError(f"-o '{out}' is the input file.", fix="write the scores to a new file.")
    predictor = load_model(model)
    ds = read(file)
    scored = predictor.score(ds.frame, explain=explain)
    write_table(scored, out)
    console.print(f"scored {len(scored)} rows -> {out}", markup=False)
