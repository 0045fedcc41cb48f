"""`bizforge train`: one command from a business table to a checked, explained model."""

from __future__ import annotations

import inspect
import json
import typing
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bizforge.cli.app import (
    HeaderRow,
    SkipRows,
    app,
    check_output_file,
    console,
    edge,
    print_notes,
)
from bizforge.families import get_family, list_families, list_tasks

__all__ = ["train_command"]

def _fixed(
    file: str = typer.Argument(..., help="Training data: CSV/TSV/Excel/Parquet/JSONL, a folder or a database URL."),
    target: str = typer.Option(None, "--target", "-t", help="Column to predict (tasks that need one)."),
    test: str = typer.Option(None, "--test", help="Held-out test data (default: a stratified 20% split)."),
    task: str = typer.Option("auto", "--task", help="(filled in by _TrainCommand)"),
    time_limit: float = typer.Option(60.0, "--time-limit", help="Seconds for the model search."),
    out: Path = typer.Option(None, "--out", help="Model folder to write (default models/<target>-<time>)."),
    json_path: Path = typer.Option(None, "--json", help="Also write metrics.json here."),
    lang: str = typer.Option("en", "--lang", help="Report language: zh or en."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    name: str = typer.Option(None, "--name", help="Also publish the model to the registry "
                                                  "under this name (next version)."),
    keep: list[str] = typer.Option(None, "--keep", help="Use this column although the findings "
                                   "would drop it (leakage, identifier, personal data); "
                                   "repeatable."),
    drop: list[str] = typer.Option(None, "--drop", help="Leave this column out of training; "
                                   "repeatable."),
    infer_limit: float = typer.Option(None, "--infer-limit", help="Most microseconds per row "
                                      "(one thread) the ensemble may cost to predict "
                                      "(default: the task family's; 0: no limit)."),
    header_row: HeaderRow = None,
    skip_rows: SkipRows = None,
    decimal: str = typer.Option(None, "--decimal", help="Decimal mark of numbers written as "
                                "text in FILE and --test: '.' (12.50) or ',' (12,50). Default: "
                                "judged from the values. The model reads new rows the same way."),
    cluster: str = typer.Option(None, "--cluster", help="Run the model search's candidates as "
                                "tasks on a Ray cluster: ray://HOST:PORT, HOST:PORT or auto "
                                "(bizforge installed alike on every node)."),
) -> None:
    """The options every family shares; each family's own are added from its Options."""


class _TrainCommand:
    """Train a model under a time budget, evaluate it on held-out rows and save it.

    Example: bizforge train churn.csv --target Churn --time-limit 60 --cost-fp 10 --cost-fn 200

    Text: bizforge train tickets.csv --target intent --text-column text --reject auto --unknown-label oos

    Columns: bizforge train bank.csv --target Exited --keep NumOfProducts --drop Surname
    (the summary and the report list every dropped column with its reason, and every
    column kept against advice)
    """

    __name__ = "train_command"
    __qualname__ = "train_command"
    __module__ = __name__

    # typer reads the signature when it builds the command (at each start), so a
    # family registered after this module was imported still gets its options.
    @property
    def __signature__(self) -> inspect.Signature:
        fixed = inspect.signature(_fixed, eval_str=True).parameters
        task = fixed["task"].default
        task.help = f"One of: {', '.join(list_tasks())}."
        return inspect.Signature([*fixed.values(), *_family_parameters(set(fixed))])

    @property
    def __annotations__(self) -> dict:
        return {p.name: p.annotation for p in self.__signature__.parameters.values()}

    def __call__(self, **kwargs) -> None:
        edge(_train)(**kwargs)


def _family_parameters(taken: set[str]) -> list[inspect.Parameter]:
    """One ``--option`` per field of every family's Options (``cli: False`` ones excepted)."""
    params: dict[str, inspect.Parameter] = {}
    for family in map(get_family, list_families()):
        for key, spec in family.Options.model_fields.items():
            cli = (spec.json_schema_extra or {}).get("cli", True) \
                if isinstance(spec.json_schema_extra, dict) else True
            if cli is False or key in taken or key in params:
                continue
            flag = cli if isinstance(cli, str) else "--" + key.replace("_", "-")
            params[key] = inspect.Parameter(
                key, inspect.Parameter.KEYWORD_ONLY, annotation=_cli_type(spec.annotation),
                default=typer.Option(None, flag, help=spec.description or ""))
    return list(params.values())


def _cli_type(annotation) -> type:
    """The command-line type of a field: its first of bool, int, float, str (else str);
    a list field is a repeatable option (``--id-column a --id-column b``)."""
    args = typing.get_args(annotation) or (annotation,)
    for arg in args:
        if typing.get_origin(arg) is list:
            return list[_cli_type(typing.get_args(arg)[0])]
    for kind in (bool, int, float, str):
        if kind in args:
            return kind
    return str


train_command = _TrainCommand()
app.command("train")(train_command)


def _train(file: str, target: str | None, test: str | None, task: str, time_limit: float,
           out: Path | None, json_path: Path | None, lang: str, seed: int, name: str | None,
           infer_limit: float | None, header_row: int | None = None,
           skip_rows: int | None = None, keep: list[str] | None = None,
           drop: list[str] | None = None, decimal: str | None = None,
           cluster: str | None = None, **options) -> None:
    from bizforge.i18n import check_lang
    from bizforge.pipeline import train

    check_lang(lang)
    if name is not None:
        from bizforge.registry import check_name

        check_name(name)  # before training, not after minutes of it
    check_output_file(json_path, "--json", "metrics.json", source=file)
    if cluster is not None:
        from bizforge.cluster import check_address

        cluster = check_address(cluster)
    if task not in list_tasks():
        from bizforge.errors import UsageError

        raise UsageError(f"unknown --task '{task}'.", fix=f"use one of: {', '.join(list_tasks())}.")
    options["infer_limit"] = _infer_limit(infer_limit)  # "auto" (a default) when not given
    options.update(keep=keep or None, drop=drop or None)  # not given: the family's default
    data, test = _read_with(file, test, decimal, header_row, skip_rows)
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        job = bar.add_task("reading and checking the data", total=time_limit)
        run = train(data, target, task=task, test=test, time_limit=time_limit, out=out,
                    lang=lang, seed=seed, progress=_progress(bar, job), cluster=cluster,
                    **options)
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(run.metrics, ensure_ascii=False, indent=1), encoding="utf-8")
    _summary(run)
    if name is not None:
        from bizforge.registry import Registry

        with Registry() as registry:
            published = registry.publish(run, name)
        console.print(f"published {published.ref} (registry: {registry.home})", markup=False)


def _read_with(file: str, test: str | None, decimal: str | None, header_row: int | None,
               skip_rows: int | None):
    """The training (and test) data read with ``--decimal`` (both) and ``--header-row`` /
    ``--skip-rows`` (the training file); the paths as given without them."""
    from bizforge.ingest import read

    if header_row is not None or skip_rows is not None or decimal is not None:
        file = read(file, header_row=header_row, skip_rows=skip_rows, decimal=decimal)
    if decimal is not None and test is not None:
        test = read(test, decimal=decimal)
    return file, test


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
    """Leaderboard, notes, held-out scores and paths; only ``task``, ``metric``, ``test``,
    ``leaderboard`` are required of a family's metrics (the rest is shown when present)."""
    m = run.metrics
    target = f" · target {m['target']}" if m.get("target") is not None else ""
    table = Table(title=f"{m['task']}{target} · {m['metric']}")
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
    if "accuracy" in test:
        keys = ["roc_auc", "accuracy", "macro_f1", "f1", "precision", "recall",
                "in_scope_accuracy", "oos_recall"]
    elif "rmse" in test:
        keys = ["rmse", "mae", "r2"]
    else:  # another family's figures: its headline metric first, then the next few
        floats = [k for k, v in test.items() if isinstance(v, float)]
        keys = sorted(floats, key=lambda k: k != m["metric"])[:6]
    shown = ", ".join(f"{k} {test[k]:.4f}" for k in keys if test.get(k) is not None)
    if "rows" in m:
        console.print(f"test ({m['rows']['test']} rows, {m['test_source']}): {shown}",
                      markup=False)
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
