"""The CLI edge turns library errors into documented exit codes, never tracebacks."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from bizforge.cli import app
from bizforge.cli.app import edge
from bizforge.errors import (
    BizforgeError,
    DataError,
    IntegrityError,
    ModelNotFound,
    UsageError,
)

runner = CliRunner()


def _app_raising(exc: BaseException) -> typer.Typer:
    probe = typer.Typer()

    @probe.command()
    @edge
    def boom() -> None:
        raise exc

    @probe.command()
    def other() -> None:  # a second command keeps typer in multi-command mode
        pass

    return probe


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (UsageError("option --lang must be zh or en"), 2),
        (DataError("column 'age' is missing", column="age", fix="add it"), 3),
        (ModelNotFound("no model named 'churn'"), 4),
        (IntegrityError("file model.txt changed"), 4),
        (BizforgeError("something odd"), 1),
        (RuntimeError("kaboom"), 1),
    ],
)
def test_errors_map_to_documented_exit_codes(exc, code):
    result = runner.invoke(_app_raising(exc), ["boom"])
    assert result.exit_code == code
    assert "Traceback" not in result.output


def test_data_error_prints_message_and_fix():
    exc = DataError("column 'age' is missing", column="age", fix="add the column 'age'.")
    result = runner.invoke(_app_raising(exc), ["boom"])
    assert "column 'age' is missing" in result.output
    assert "fix: add the column 'age'." in result.output


def test_unexpected_error_says_it_is_a_bug():
    result = runner.invoke(_app_raising(RuntimeError("kaboom")), ["boom"])
    assert "RuntimeError: kaboom" in result.output
    assert "BIZFORGE_DEBUG=1" in result.output


def test_unknown_command_is_a_usage_error():
    result = runner.invoke(app, ["frobnicate"])
    assert result.exit_code == 2


def test_help_lists_exit_codes_and_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "Exit codes" in result.output
    for command in ("inspect", "mask", "demo"):
        assert command in result.output
