"""The typer application and the one place where errors become exit codes."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import warnings
from collections.abc import Callable
from typing import Annotated, TypeVar

import typer
from rich.console import Console

from bizforge.errors import BizforgeError, ExitCode

__all__ = ["HeaderRow", "SkipRows", "app", "check_output_file", "console", "edge",
           "err_console", "plain_warnings", "print_notes", "same_file"]

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

# Where the header is, for files with title lines above it (shared by every verb that reads).
HeaderRow = Annotated[int | None, typer.Option(
    "--header-row", min=1, metavar="N",
    help="Line (text file) or sheet row (Excel) of the header, counting from 1 as an editor "
    "shows it (default: found under any title, unit or source lines).")]
SkipRows = Annotated[int | None, typer.Option(
    "--skip-rows", min=0, metavar="N",
    help="Lines (text) or sheet rows (Excel) above the header to skip; the same as "
    "--header-row N+1.")]


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
    one line; ``BIZFORGE_DEBUG=1`` re-raises it for developers. Warnings print as
    plain lines (:func:`plain_warnings`).
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            with plain_warnings():
                return fn(*args, **kwargs)
        except BizforgeError as exc:
            _print_error(type(exc).__name__, exc.message, exc.fix)
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:  # this is the edge: an unexpected error becomes exit 1
            if _database_down(exc):
                _print_error("RegistryUnavailable",
                             f"the registry database does not answer ({type(exc).__name__}).",
                             "check that the database named by BIZFORGE_DATABASE_URL is "
                             "running and reachable, then run the command again.")
                raise typer.Exit(ExitCode.MODEL) from None
            if os.environ.get("BIZFORGE_DEBUG"):
                raise
            _print_error(
                "unexpected error",
                f"{type(exc).__name__}: {exc}",
                "this is a bug in bizforge; rerun with BIZFORGE_DEBUG=1 and report the traceback.",
            )
            raise typer.Exit(ExitCode.UNEXPECTED) from None

    return wrapper  # type: ignore[return-value]


def _database_down(exc: Exception) -> bool:
    """A SQLAlchemy connection error (only looked up when SQLAlchemy was imported)."""
    sa_exc = sys.modules.get("sqlalchemy.exc")
    return sa_exc is not None and isinstance(exc, (sa_exc.DBAPIError, sa_exc.TimeoutError))


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether two paths name one file (the same file under two names counts)."""
    from pathlib import Path

    a, b = Path(a), Path(b)
    if a.exists() and b.exists():
        return a.samefile(b)
    return a.resolve() == b.resolve()


def check_output_file(path: str | os.PathLike | None, option: str, example: str,
                      source: str | os.PathLike | None = None) -> None:
    """Refuse, before any work, an output option that names a folder or the input file
    ``source`` (the file it writes is made, with its folder, once the work is done)."""
    from pathlib import Path

    from bizforge.errors import UsageError

    if path is None:
        return
    if Path(path).is_dir():
        raise UsageError(f"{option} {path} is a folder.",
                         fix=f"give a file name, e.g. {option} {example}.")
    if source is not None and same_file(source, path):
        raise UsageError(f"{option} {path} is the input file; bizforge never overwrites its "
                         "input.", fix="write to a new file name.")


def print_notes(notes, label: str = "warning") -> None:
    """Print each note (a string, or a ``{"message": ...}`` dict as readers make them) as
    ``LABEL: TEXT``, without rich markup."""
    for note in notes:
        text = note["message"] if isinstance(note, dict) else note
        console.print(f"{label}: {text}", markup=False)


def _print_error(kind: str, message: str, fix: str | None) -> None:
    text = f"error ({kind}): {message}"
    if fix:
        text += f"\nfix: {fix}"
    # Plain write: rich would reflow long messages and interpret [brackets].
    print(text, file=sys.stderr)


@contextlib.contextmanager
def plain_warnings():
    """Within the block, each distinct warning prints once to stderr as ``warning: TEXT``.

    Python's own format names our source file and line, and a warning raised in
    every fold of a search would repeat; a user needs the sentence, once.
    """
    seen: set[str] = set()
    shown = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        text = str(message)
        if text not in seen:
            seen.add(text)
            print(f"warning: {text}", file=sys.stderr)

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = shown
