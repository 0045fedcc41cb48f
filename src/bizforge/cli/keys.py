"""`bizforge keys`: API keys for the server (create, list, revoke).

``keys create`` prints the key alone on standard output, so a script can do
``KEY=$(bizforge keys create --role predict)``; everything else goes to
standard error. The key is shown this once: only a salted hash is stored.
"""

from __future__ import annotations

import sys

import typer
from rich.table import Table

from bizforge.cli.app import app, console, edge

__all__ = ["keys_app"]

keys_app = typer.Typer(help="API keys for `bizforge serve`.", no_args_is_help=True,
                       rich_markup_mode=None)
app.add_typer(keys_app, name="keys")


def _registry():
    from bizforge.registry import Registry

    return Registry()


@keys_app.command("create")
@edge
def create_command(
    role: str = typer.Option(..., "--role", help="predict (predict and read) or admin "
                                                 "(also publish, promote, delete)."),
    name: str = typer.Option(None, "--name", help="A label to recognise the key by."),
) -> None:
    """Create a key and print it once, alone on standard output.

    Example: KEY=$(bizforge keys create --role predict --name crm)
    """
    with _registry() as registry:
        key_id, key = registry.keys.create(role, name)
    print(key)
    print(f"created {role} key {key_id}; it is shown only now, so store it safely. "
          "Use it as: Authorization: Bearer <key>", file=sys.stderr)


@keys_app.command("list")
@edge
def list_command() -> None:
    """Every key's id, role, label and dates (never the keys themselves).

    Example: bizforge keys list
    """
    with _registry() as registry:
        keys = registry.keys.list()
    if not keys:
        console.print("no API keys yet; create one with `bizforge keys create --role predict`.",
                      markup=False)
        return
    table = Table()
    for column in ("id", "role", "label", "created", "status"):
        table.add_column(column, no_wrap=column in ("id", "role"))
    for info in keys:
        status = f"revoked {info.revoked}" if info.revoked else "active"
        table.add_row(info.key_id, info.role, info.label or "-", info.created or "-", status)
    console.print(table)


@keys_app.command("revoke")
@edge
def revoke_command(key_id: str = typer.Argument(..., help="Key id from `bizforge keys list`.")
                   ) -> None:
    """Revoke a key: the server refuses it from the next request on.

    Example: bizforge keys revoke 3f9c2a7b41d0
    """
    with _registry() as registry:
        info = registry.keys.revoke(key_id)
    console.print(f"revoked key {info.key_id} ({info.role})", markup=False)
