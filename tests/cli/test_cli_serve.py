"""`bizforge serve`: option checks (the server itself is tested in tests/api)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bizforge.cli import app
from bizforge.cli.serve import is_loopback

runner = CliRunner()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "example.com"])
def test_no_auth_is_refused_off_loopback(host):
    result = runner.invoke(app, ["serve", "--host", host, "--no-auth"])
    assert result.exit_code == 2
    assert "--no-auth is refused" in result.output


@pytest.mark.parametrize("args,message", [(["--workers", "0"], "--workers"),
                                          (["--port", "70000"], "--port"),
                                          (["--log-level", "loud"], "--log-level")])
def test_bad_options_exit_2(args, message):
    result = runner.invoke(app, ["serve", *args])
    assert result.exit_code == 2 and message in result.output


@pytest.mark.parametrize("host,expected", [("127.0.0.1", True), ("127.8.0.1", True),
                                           ("::1", True), ("[::1]", True),
                                           ("localhost", True), ("0.0.0.0", False),
                                           ("10.0.0.1", False), ("host.local", False)])
def test_is_loopback(host, expected):
    assert is_loopback(host) is expected
