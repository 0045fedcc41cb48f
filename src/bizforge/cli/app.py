"""The typer application and the one place where errors become exit codes."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import TypeVar

import typer
from rich.console import Console

from bizforge.errors import BizforgeError, ExitCode

__all__ = ["app", "console", "edge", "err_console"]

HELP = """bizforge: put pretrained models to work on your own business data, offline, on a CPU.

Exit codes: 0 ok, 1 unexpected error, 2 usage error, 3 data error,
4 model or registry error.
"""

app = typer.Typer(
    help=HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
console = Console()


def _version(value: bool) -> None:
    if value:
        from bizforge import __version__

        print(f"bizforge {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Keeps bizforge a command group even while only one verb is registered."""

err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable)


def edge(fn: F) -> F:
    """Wrap a command so library errors print a message and exit with their code.

    A user mistake never shows a traceback. Anything unexpected exits 1 with
    one line; ``BIZFORGE_DEBUG=1`` re-raises it for developers.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except BizforgeError as exc:
            _print_error(type(exc).__name__, exc.message, exc.fix)
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:  # this is the edge: an unexpected error becomes exit 1
            if os.environ.get("BIZFORGE_DEBUG"):
                raise
            _print_error(
                "unexpected error",
                f"{type(exc).__name__}: {exc}",
                "this is a bug in bizforge; rerun with BIZFORGE_DEBUG=1 and report the traceback.",
            )
            raise typer.Exit(ExitCode.UNEXPECTED) from None

    return wrapper  # type: ignore[return-value]


def _print_error(kind: str, message: str, fix: str | None) -> None:
    text = f"error ({kind}): {message}"
    if fix:
        text += f"\nfix: {fix}"
    # Plain write: rich would reflow long messages and interpret [brackets].
    print(text, file=sys.stderr)
