"""`bizforge serve`: the REST API (FastAPI on uvicorn) over the model registry."""

from __future__ import annotations

import ipaddress
import json
import os

import typer

from bizforge.cli.app import app, edge

__all__ = ["serve_command", "is_loopback", "app_from_env"]

_ENV = "BIZFORGE_SERVE_OPTIONS"  # hand-over to worker processes (--workers > 1) only


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``: only this machine can connect.

    >>> is_loopback("127.0.0.1"), is_loopback("0.0.0.0"), is_loopback("localhost")
    (True, False, True)
    """
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@app.command("serve")
@edge
def serve_command(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0: every interface)."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
    no_auth: bool = typer.Option(False, "--no-auth", help="No API keys (refused unless the host is loopback)."),
    workers: int = typer.Option(1, "--workers", help="Server processes (each loads its own models)."),
    log_level: str = typer.Option("info", "--log-level", help="debug, info, warning or error."),
    graceful: float = typer.Option(30.0, "--graceful-timeout", help="Seconds in-flight requests may take to finish on shutdown."),
) -> None:
    """Serve the registry's models: POST /v1/models/NAME/predict with an API key.

    Example: bizforge keys create --role predict && bizforge serve --port 8000
    """
    from bizforge.errors import UsageError

    if no_auth and not is_loopback(host):
        raise UsageError(f"--no-auth is refused on host '{host}': anyone who can reach it could "
                         "use and change your models.",
                         fix="serve on 127.0.0.1 for --no-auth, or create a key with "
                             "`bizforge keys create --role predict` and drop --no-auth.")
    if workers < 1:
        raise UsageError(f"--workers must be at least 1, got {workers}.", fix="pass --workers 1.")
    if not 0 < port < 65536:
        raise UsageError(f"--port {port} is not a TCP port.", fix="use 1-65535, e.g. 8000.")
    level = log_level.lower()
    if level not in ("debug", "info", "warning", "error"):
        raise UsageError(f"unknown --log-level '{log_level}'.",
                         fix="use debug, info, warning or error.")
    import uvicorn

    common = dict(host=host, port=port, log_config=None, access_log=False,
                  timeout_graceful_shutdown=graceful, server_header=False, log_level=level)
    os.environ[_ENV] = json.dumps({"auth": not no_auth, "log_level": level})
    if workers == 1:
        uvicorn.Server(uvicorn.Config(app_from_env(), **common)).run()
    else:
        uvicorn.run("bizforge.cli.serve:app_from_env", factory=True, workers=workers, **common)


def app_from_env():
    """The app for one server process, with the options ``bizforge serve`` checked."""
    from bizforge.serve.api import ServerOptions, create_app
    from bizforge.serve.api.logging import configure_logging

    given = json.loads(os.environ.get(_ENV) or "{}")
    configure_logging(given.get("log_level", "info"),
                      debug=bool(os.environ.get("BIZFORGE_DEBUG")))
    return create_app(options=ServerOptions(auth=given.get("auth", True) is not False))
