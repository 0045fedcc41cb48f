"""Command-line edge: one thin module per verb, all calling the library.

Importing a command module registers its command on :data:`app`.
"""

from __future__ import annotations

import sys

from bizforge.cli import (  # noqa: F401  (registers commands)
    demo,
    inspect,
    keys,
    mask,
    models,
    monitor,
    predict,
    retrain,
    serve,
    train,
)
from bizforge.cli.app import app
from bizforge.cli.family_commands import register_family_commands

register_family_commands(app)

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point (``bizforge``)."""
    app(args=argv if argv is not None else sys.argv[1:], prog_name="bizforge")
