"""`bizforge train`: one command from a business table to a checked, explained model."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bizforge.cli.app import app, check_output_file, console, edge, print_notes

__all__ = ["train_command"]

TASKS = ("auto", "tabular-classification", "tabular-regression", "text-classification")


@app.command("train")
@edge
def train_command(
    file: str = typer.Argument(..., help="Training data: CSV/TSV/Excel/Parquet/JSONL or a database URL."),
    target: str = typer.Option(..., "--target", "-t", help="Column to predict."),
    test: str = typer.Option(None, "--test", help="Held-out test file (default: a stratified 20% split)."),
    task: str = typer.Option("auto", "--task", help=f"One of: {', '.join(TASKS)}."),
    time_limit: float = typer.Option(60.0, "--time-limit", help="Seconds for the model search."),
    metric: str = typer.Option(None, "--metric", help="Validation metric (default: roc_auc, log_loss or rmse)."),
    cost_fp: float = typer.Option(None, "--cost-fp", help="Cost of a false alarm (binary tasks)."),
    cost_fn: float = typer.Option(None, "--cost-fn", help="Cost of a missed case (binary tasks)."),
    benefit_tp: float = typer.Option(0.0, "--benefit-tp", help="Benefit of a caught case (with the costs)."),
    out: Path = typer.Option(None, "--out", help="Model folder to write (default models/<target>-<time>)."),
    json_path: Path = typer.Option(None, "--json", help="Also write metrics.json here."),
    lang: str = typer.Option("en", "--lang", help="Report language: zh or en."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    text_column: str = typer.Option(None, "--text-column", help="Column of free text to classify (text tasks)."),
    text_language: str = typer.Option(None, "--text-language", help="Language of the texts, instead of detecting it: zh (character n-grams, jieba, multilingual e5), en (words, MiniLM) or mixed (Chinese with English, or any other language: character n-grams, multilingual e5)."),
    backbone: str = typer.Option(None, "--backbone", help="Encoder to fine-tune: a local model folder, a hub id already in the local Hugging Face cache (nothing is downloaded), or bundled:multilingual-e5-small (Chinese; default: bundled MiniLM for English)."),
    reject: str = typer.Option(None, "--reject", help="'auto': answer 'unknown' below a confidence calibrated on validation rows."),
    unknown_label: str = typer.Option(None, "--unknown-label", help="The data's own 'none of these' class, e.g. oos (with --reject auto)."),
    reject_drop: float = typer.Option(None, "--reject-drop", help="In-scope accuracy (0-1, measured on validation rows) that --reject may give up to hand out-of-scope messages to a person; default 0.03. Lower: fewer in-scope messages handed over, more out-of-scope ones answered (needs --unknown-label)."),
    name: str = typer.Option(None, "--name", help="Also publish the model to the registry "
                                                  "under this name (next version)."),
    infer_limit: float = typer.Option(None, "--infer-limit", help="Most microseconds per row "
                                      "(one thread) the ensemble may cost to predict "
                                      "(default: 16 for tables, none for text; 0: no limit)."),
    decimal: str = typer.Option(None, "--decimal", help="Decimal mark of numbers written as "
                                "text in FILE and --test: '.' (12.50) or ',' (12,50). Default: "
                                "judged from the values. The model reads new rows the same way."),
) -> None:
    """Train a model under a time budget, evaluate it on held-out rows and save it.

    Example: bizforge train churn.csv --target Churn --time-limit 60 --cost-fp 10 --cost-fn 200

    Text: bizforge train tickets.csv --target intent --text-column text --reject auto --unknown-label oos
    """
    from bizforge.i18n import check_lang
    from bizforge.pipeline import train

    check_lang(lang)
    if name is not None:
        from bizforge.registry import check_name

        check_name(name)  # before training, not after minutes of it
    check_output_file(json_path, "--json", "metrics.json", source=file)
    if task not in TASKS:
        from bizforge.errors import UsageError

        raise UsageError(f"unknown --task '{task}'.", fix=f"use one of: {', '.join(TASKS)}.")
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        job = bar.add_task("reading and checking the data", total=time_limit)
        data, test = _read_with(decimal, file, test)
        run = train(data, target, task=task, test=test, time_limit=time_limit, metric=metric,
                    cost_fp=cost_fp, cost_fn=cost_fn, benefit_tp=benefit_tp, out=out,
                    lang=lang, seed=seed, text_column=text_column, backbone=backbone,
                    text_language=text_language,
                    reject=reject, unknown_label=unknown_label, reject_drop=reject_drop,
                    progress=_progress(bar, job),
                    infer_limit=_infer_limit(infer_limit))
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(run.metrics, ensure_ascii=False, indent=1), encoding="utf-8")
    _summary(run)
    if name is not None:
        from bizforge.registry import Registry

        with Registry() as registry:
            published = registry.publish(run, name)
        console.print(f"published {published.ref} (registry: {registry.home})", markup=False)


def _read_with(decimal: str | None, file: str, test: str | None):
    """The training (and test) data read with ``--decimal``; the paths as given without it."""
    if decimal is None:
        return file, test
    from bizforge.ingest import read

    return read(file, decimal=decimal), None if test is None else read(test, decimal=decimal)


def _progress(bar: Progress, job):
    def on_event(event: dict) -> None:
        kind = event.get("event")
        if kind == "stage":
            bar.update(job, description=event["stage"])
        elif kind == "search_start":
            bar.update(job, description=f"search ({event['candidates']} candidates)", completed=0)
        elif kind == "candidate_start":
            bar.update(job, description=f"fitting {event['name']}")
        elif kind in ("candidate_end", "refit_end", "ensemble_done"):
            bar.update(job, completed=event.get("elapsed", 0))
    return on_event


def _summary(run) -> None:
    m = run.metrics
    table = Table(title=f"{m['task']} · target {m['target']} · {m['metric']}")
    table.add_column("candidate")
    table.add_column("validation", justify="right")
    table.add_column("fit s", justify="right")
    table.add_column("weight", justify="right")
    for row in m["leaderboard"]:
        table.add_row(str(row["name"]), f"{row['score']:.4f}", f"{row['fit_seconds']:.1f}",
                      f"{row.get('weight') or 0:.2f}")
    console.print(table)
    print_notes(run.warnings, "note")  # reading, splitting and target notes (also in the report)
    for skipped in m.get("not_used", []):
        console.print(f"not used: {skipped['name']} ({skipped['reason']})", markup=False)
    test = m["test"]
    keys = ["roc_auc", "accuracy", "macro_f1", "f1", "precision", "recall", "in_scope_accuracy",
            "oos_recall"] if "accuracy" in test else ["rmse", "mae", "r2"]
    shown = ", ".join(f"{k} {test[k]:.4f}" for k in keys if test.get(k) is not None)
    console.print(f"test ({m['rows']['test']} rows, {m['test_source']}): {shown}", markup=False)
    th = m.get("threshold")
    if th:
        line = f"threshold {th['threshold']:.3f} ({th['criterion']})"
        if th.get("cost_per_1000") is not None:
            line += (f": expected cost per 1,000 cases {th['cost_per_1000']:.0f} "
                     f"vs {th['default_cost_per_1000']:.0f} at 0.5")
        console.print(line, markup=False)
    console.print(f"model: {run.path}\nreport: {run.path / 'report.html'}", markup=False)


def _infer_limit(microseconds: float | None) -> float | str | None:
    """--infer-limit in µs per row -> seconds for the library ("auto" when not given)."""
    if microseconds is None:
        return "auto"
    if microseconds < 0:
        from bizforge.errors import UsageError

        raise UsageError(f"--infer-limit must be 0 or more microseconds, not {microseconds:g}.",
                         fix="pass e.g. --infer-limit 20, or 0 for no limit.")
    return None if microseconds == 0 else microseconds * 1e-6
