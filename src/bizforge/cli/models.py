"""`bizforge models`: list, show, promote, roll back and delete registry versions.

Exit codes: 0 ok, 2 usage (bad name, alias, refused delete), 4 not found or a
version whose files fail their checksum.
"""

from __future__ import annotations

import json
from typing import Any

import typer
from rich import box
from rich.table import Table

from bizforge.cli.app import app, console, edge

__all__ = ["models_app"]

models_app = typer.Typer(help="Published models: versions, aliases, cards.",
                         no_args_is_help=True, rich_markup_mode=None)
app.add_typer(models_app, name="models")


def _registry():
    from bizforge.registry import Registry

    return Registry()


def _exact(ref: str) -> tuple[str, int]:
    """NAME:VERSION, required by commands that act on one exact version."""
    from bizforge.errors import UsageError
    from bizforge.registry import parse_ref

    parsed = parse_ref(ref)
    if parsed.version is None:
        raise UsageError(f"'{ref}' names no version.",
                         fix=f"write NAME:VERSION, e.g. {parsed.name}:1 "
                             f"(`bizforge models show {parsed.name}` lists them).")
    return parsed.name, parsed.version


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=1, default=str))


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


@models_app.command("list")
@edge
def list_command(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """One line per model: latest version, aliases, task and held-out score.

    Example: bizforge models list
    """
    with _registry() as registry:
        rows = registry.list()
    if as_json:
        _print_json(rows)
        return
    if not rows:
        console.print("no models published yet; publish one with "
                      "`bizforge train FILE --target COLUMN --name NAME`.", markup=False)
        return
    table = Table(box=box.SIMPLE_HEAD)
    for column in ("name", "latest", "aliases", "task", "held-out", "published"):
        table.add_column(column, no_wrap=column != "task", overflow="fold")
    for row in rows:
        aliases = ", ".join(f"{a}->{v}" for a, v in row["aliases"].items()) or "-"
        latest = str(row["latest"])
        if row["broken"]:
            latest += f" (broken: {', '.join(map(str, row['broken']))})"
        held_out = f"{row['metric']} {_score(row['score'])}" if row["metric"] else "-"
        table.add_row(row["name"], latest, aliases, row["task"] or "-", held_out,
                      row["created"][:10])
    console.print(table)


@models_app.command("show")
@edge
def show_command(
    ref: str = typer.Argument(..., help="NAME, NAME:VERSION or NAME@ALIAS."),
    as_json: bool = typer.Option(False, "--json", help="Print the model card as JSON."),
) -> None:
    """The model card of a version, and the other versions of the model.

    Example: bizforge models show churn:3
    """
    with _registry() as registry:
        card = registry.card(ref)
        others = registry.versions(card["name"])
    if as_json:
        _print_json(card)
    else:
        _print_card(card, others)


def _print_card(card: dict[str, Any], others: list) -> None:
    def say(text: str) -> None:
        console.print(text, markup=False, highlight=False)

    say(f"{card['name']}:{card['version']}  published {card['published']}"
        f"  aliases: {', '.join(card['aliases']) or '-'}")
    if card["broken"]:
        say(f"BROKEN: {card['broken']}")
    say(f"task: {card.get('task')} ({card.get('problem')}), target {card.get('target')!r}")
    metrics = card.get("metrics") or {}
    shown = ", ".join(f"{k} {v:.4f}" for k, v in metrics.items()
                      if k not in ("n", "threshold", card.get("metric")) and isinstance(v, float))
    say(f"held-out {card.get('metric')}: {_score(metrics.get(card.get('metric')))}"
        + (f"  ({shown})" if shown else ""))
    if card.get("threshold") is not None:
        say(f"threshold: {card['threshold']:.3f}")
    data = card.get("data") or {}
    roles = ", ".join(f"{n} {r}" for r, n in (data.get("roles") or {}).items())
    rows = data.get("rows") or {}
    rows_text = " / ".join(f"{n} {part}" for part, n in rows.items()) if rows else "?"
    say(f"data: {rows_text} rows, {data.get('columns')} input columns ({roles}), "
        f"fingerprint {str(data.get('fingerprint'))[:16]}")
    if data.get("dropped_columns"):
        say("dropped: " + ", ".join(f"{c} ({r})" for c, r in data["dropped_columns"].items()))
    if data.get("kept_columns"):
        say("kept against advice: "
            + ", ".join(f"{c} ({r})" for c, r in data["kept_columns"].items()))
    say(f"config: {json.dumps(card.get('config') or {}, ensure_ascii=False)}")
    say("libraries: " + ", ".join(f"{k} {v}" for k, v in (card.get("libraries") or {}).items()))
    say("versions: " + ", ".join(
        f"{v.version}" + (f" ({', '.join(v.aliases)})" if v.aliases else "")
        + (" [broken]" if v.broken else "") for v in others))


@models_app.command("promote")
@edge
def promote_command(
    ref: str = typer.Argument(..., help="NAME:VERSION to promote."),
    alias: str = typer.Option("production", "--alias", help="Alias to point at it."),
) -> None:
    """Point an alias (default production) at a version, after checking its files.

    Example: bizforge models promote churn:3 --alias production
    """
    name, version = _exact(ref)
    with _registry() as registry:
        mv = registry.promote(name, version, alias=alias)
    console.print(f"{alias} -> {mv.ref}", markup=False)


@models_app.command("rollback")
@edge
def rollback_command(
    name: str = typer.Argument(..., help="Model name."),
    alias: str = typer.Option("production", "--alias", help="Alias to move back."),
) -> None:
    """Move an alias back to the version it pointed at before its last promotion.

    Example: bizforge models rollback churn
    """
    with _registry() as registry:
        mv = registry.rollback(name, alias=alias)
    console.print(f"{alias} -> {mv.ref}", markup=False)


@models_app.command("delete")
@edge
def delete_command(
    ref: str = typer.Argument(..., help="NAME:VERSION to delete."),
    force: bool = typer.Option(False, "--force",
                               help="Also delete a version that holds an alias (the alias is "
                                    "removed, not moved)."),
) -> None:
    """Delete one version (refused while it holds an alias, unless --force).

    Example: bizforge models delete churn:2
    """
    name, version = _exact(ref)
    with _registry() as registry:
        registry.delete(name, version, force=force)
    console.print(f"deleted {name}:{version}", markup=False)
