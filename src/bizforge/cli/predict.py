"""`bizforge predict`: score a file with a trained model, optionally with reasons."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from bizforge.cli.app import HeaderRow, SkipRows, app, console, edge, print_notes, same_file

__all__ = ["predict_command"]

_STREAMED = {".csv", ".tsv", ".txt", ".tab"}


@app.command("predict")
@edge
def predict_command(
    model: str = typer.Argument(..., help="Model folder, or registry name: NAME, NAME:VERSION or NAME@ALIAS."),
    file: str = typer.Argument(..., help="Rows to score (same columns as training; target optional)."),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the scored rows (.csv/.tsv/.parquet/.jsonl/.xlsx)."),
    explain: bool = typer.Option(False, "--explain", help="Add the top-3 reasons of every prediction."),
    chunk_rows: int = typer.Option(50_000, "--chunk-rows", min=1, help="Rows scored at a time for CSV/TSV in and out."),
    header_row: HeaderRow = None,
    skip_rows: SkipRows = None,
    decimal: str = typer.Option(None, "--decimal", help="Decimal mark of numbers written as text in FILE: '.' or ','. Default: the mark the model was trained with."),
    cluster: str = typer.Option(None, "--cluster", help="Score the chunks in parallel on a Ray cluster: ray://HOST:PORT, HOST:PORT or auto (the model folder must be readable at the same path on every node)."),
) -> None:
    """Write the input rows plus prediction, probability and (with --explain) reasons.

    CSV/TSV input written to CSV/TSV is streamed in chunks with a progress bar,
    so a file larger than memory can be scored; other formats are read whole.

    Example: bizforge predict churn@production new_customers.csv -o scored.csv --explain
    """
    from bizforge.errors import UsageError
    from bizforge.families import DataSource, load_model
    from bizforge.ingest import header_skip, write_table
    from bizforge.ingest.write import WRITERS, check_destination

    if Path(file).exists() and same_file(file, out):
        raise UsageError(f"-o '{out}' is the input file.", fix="write the scores to a new file.")
    streamed = Path(file).suffix.lower() in _STREAMED and out.suffix.lower() in _STREAMED
    check_destination(out, _STREAMED if streamed else WRITERS)  # before scoring
    skip = header_skip(header_row, skip_rows)
    if cluster is not None:
        from bizforge.cluster import check_address

        cluster = check_address(cluster)
    predictor = load_model(model)
    streamed = streamed and predictor.streams
    given_decimal = decimal
    decimal = _decimal(predictor, decimal)
    notes: list[dict] = []  # what reading the file noticed (encoding, header, ...)
    if cluster is not None:
        rows = _on_cluster(cluster, predictor, file, out, streamed, explain, chunk_rows, notes,
                           skip, given_decimal, decimal)
    elif streamed:
        rows = _stream(predictor, Path(file), out, explain, chunk_rows, notes, skip)
    else:
        given = {"skip_rows": skip, "decimal": decimal}
        source = DataSource(file, **{k: v for k, v in given.items() if v is not None})
        scored = _score_batches(predictor, source, explain, chunk_rows, notes)
        write_table(scored, out)
        rows = len(scored)
    print_notes(notes)
    console.print(f"scored {rows} rows -> {out}", markup=False)


def _on_cluster(address: str, predictor, file: str, out: Path, streamed: bool, explain: bool,
                chunk_rows: int, notes: list[dict], skip: int | None, given_decimal: str | None,
                decimal: str | None) -> int:
    """Score on the Ray cluster at ``address`` the chunks the local command would score,
    and write them the same way (``bizforge.cluster.scoring``)."""
    import pandas as pd

    from bizforge.cluster import connect
    from bizforge.cluster.scoring import score_chunks
    from bizforge.families import DataSource
    from bizforge.ingest import write_table
    from bizforge.ingest.delimited import iter_delimited

    if streamed:
        chunks = iter_delimited(Path(file), chunk_rows=chunk_rows, notes=notes, skip_rows=skip)
    else:
        given = {"skip_rows": skip, "decimal": decimal}
        source = DataSource(file, **{k: v for k, v in given.items() if v is not None})
        chunks = predictor.batches(source, chunk_rows)
    with connect(address) as cluster, Progress(
            TextColumn(f"scoring on {address}"), BarColumn(),
            TextColumn("{task.completed:,} rows"), TimeElapsedColumn(), console=console,
            transient=True) as bar:
        job = bar.add_task("score", total=None)
        parts = score_chunks(cluster, predictor.path, chunks, explain=explain,
                             decimal=given_decimal, source=file)
        if streamed:
            return _write_stream(parts, out, lambda n: bar.advance(job, n))
        frames = list(parts)
        notes += source.notes()
    scored = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    write_table(scored, out)
    return len(scored)


def _write_stream(parts, out: Path, advance) -> int:
    """Write scored chunks to CSV/TSV ``out`` as they come; a failure leaves no file."""
    import os
    import tempfile

    sep = "\t" if out.suffix.lower() in (".tsv", ".tab") else ","
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, suffix=".partial")
    rows = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            for scored in parts:
                scored.to_csv(handle, sep=sep, index=False, header=rows == 0)
                rows += len(scored)
                advance(len(scored))
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return rows


def _decimal(predictor, given: str | None) -> str | None:
    """The mark to read FILE with: ``--decimal`` (which the model's recipe then also reads
    text numbers with), else the one the model was trained with (None: a model without a
    cleaning recipe, whose family reads the file its own way)."""
    recipe = getattr(predictor, "recipe", None)
    if recipe is None:
        return None if given is None else _checked(given)
    if given is None:
        return recipe.decimal
    mark = _checked(given)
    recipe.read_decimal(mark)
    return mark


def _checked(given: str) -> str:
    from bizforge.ingest import check_decimal

    return check_decimal(given)


def _score_batches(predictor, source, explain: bool, chunk_rows: int, notes: list[dict]):
    """Score the model family's batches of ``source`` (a table: the whole of it) into one
    frame; the bar moves as the reasons of a text model are worked out (the slow part)."""
    import pandas as pd

    with Progress(TextColumn("scoring"), BarColumn(), TextColumn("{task.completed:,} rows"),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        job = bar.add_task("score", total=None)
        parts = []
        for batch in predictor.batches(source, chunk_rows):
            bar.update(job, total=(bar.tasks[0].total or 0) + len(batch))
            parts.append(predictor.score(batch, explain=explain,
                                         progress=lambda n: bar.advance(job, n)))
            bar.update(job, completed=sum(len(p) for p in parts))
    notes += source.notes()
    return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)


def _stream(predictor, source: Path, out: Path, explain: bool, chunk_rows: int,
            notes: list[dict], skip_rows: int | None = None) -> int:
    """Score ``source`` chunk by chunk into ``out``; a failure leaves no partial file."""
    import os
    import tempfile

    from bizforge.errors import DataError
    from bizforge.ingest.delimited import iter_delimited

    sep = "\t" if out.suffix.lower() in (".tsv", ".tab") else ","
    size = max(source.stat().st_size, 1)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, suffix=".partial")
    rows = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle, Progress(
            TextColumn("scoring"), BarColumn(), TextColumn("{task.fields[rows]:,} rows"),
            TimeElapsedColumn(), console=console, transient=True,
        ) as bar:
            job = bar.add_task("score", total=size, rows=0)
            estimate, shown = _estimate_rows(source, size), 0

            def show(done: int) -> None:
                # Bytes are estimated from the rows done so far (a fair guide, not exact).
                bar.update(job, completed=min(size, size * done / max(estimate, done)), rows=done)

            def advance(n: int) -> None:  # n more rows of the chunk have their reasons
                nonlocal shown
                shown += n
                show(shown)

            for chunk in iter_delimited(source, chunk_rows=chunk_rows, notes=notes,
                                        skip_rows=skip_rows):
                try:
                    scored = predictor.score(chunk, explain=explain, progress=advance)
                except DataError as exc:  # say where the chunk sits in the file
                    raise DataError(
                        f"{source}, in the chunk of data rows {rows + 1}-{rows + len(chunk)} "
                        f"(row numbers below count from its start): {exc.message}",
                        column=exc.column, path=str(source), fix=exc.fix,
                        rows=None if exc.rows is None else [r + rows for r in exc.rows],
                    ) from None
                scored.to_csv(handle, sep=sep, index=False, header=rows == 0)
                rows += len(chunk)
                shown = rows
                show(rows)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return rows


_ROW_ESTIMATES: dict[Path, int] = {}


def _estimate_rows(path: Path, size: int) -> int:
    """Rows in ``path``, guessed once from the line length of its first MiB."""
    if path not in _ROW_ESTIMATES:
        with open(path, "rb") as f:
            head = f.read(1 << 20)
        lines = max(head.count(b"\n"), 1)
        _ROW_ESTIMATES[path] = max(int(size / (len(head) / lines)) - 1, 1)
    return _ROW_ESTIMATES[path]
