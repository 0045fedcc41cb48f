"""`bizforge serve`: the REST API (FastAPI on uvicorn) over the model registry."""

from __future__ import annotations

import ipaddress
import json
import os

import typer

from bizforge.cli.app import app, edge

__all__ = ["app_from_env", "is_loopback", "run_server", "serve_command"]

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
    """Serve the registry's models: POST /v1/models/NAME/predict with an API key, and the
    web console at / (sign in with a key; single-process servers only).

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
    os.environ[_ENV] = json.dumps({"auth": not no_auth, "log_level": level, "workers": workers})
    if workers == 1:
        run_server(app_from_env(), host=host, port=port, graceful=graceful, log_level=level)
    else:
        import uvicorn

        uvicorn.run("bizforge.cli.serve:app_from_env", factory=True, workers=workers,
                    **_uvicorn_options(host, port, graceful, level))


def _uvicorn_options(host: str, port: int, graceful: float, log_level: str) -> dict:
    # Our JSON logs replace uvicorn's access log (which prints raw paths and addresses).
    return {"host": host, "port": port, "log_config": None, "access_log": False,
            "timeout_graceful_shutdown": graceful, "server_header": False,
            "log_level": log_level}


def run_server(asgi_app, *, host: str = "127.0.0.1", port: int = 8000, graceful: float = 30.0,
               log_level: str = "info") -> None:
    """Serve ``asgi_app`` until SIGINT/SIGTERM; in-flight requests get ``graceful`` seconds.

    On the signal uvicorn stops accepting connections, closes idle keep-alive ones,
    waits for running requests to finish (at most ``graceful`` s), then runs the app's
    shutdown (model threads stopped).
    """
    import uvicorn

    uvicorn.Server(uvicorn.Config(asgi_app, **_uvicorn_options(host, port, graceful,
                                                               log_level))).run()


def _lean_log_records() -> None:
    """Log records without the caller's file and line, thread and process (the logging
    HOWTO's "Optimization"): the server's JSON lines never show them, and every request
    logs one line. Only in a server process, where nothing else formats its records."""
    import logging

    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False


def app_from_env():
    """The app for one server process, with the options ``bizforge serve`` checked."""
    from bizforge.serve.api import ServerOptions, create_app
    from bizforge.serve.api.logging import configure_logging

    given = json.loads(os.environ.get(_ENV) or "{}")
    configure_logging(given.get("log_level", "info"),
                      debug=bool(os.environ.get("BIZFORGE_DEBUG")))
    _lean_log_records()
    # The web console keeps its sign-in sessions and training queue in the process: it is
    # served by a single-process server only (several workers serve the REST API alone).
    return create_app(options=ServerOptions(auth=given.get("auth", True) is not False),
                      console=int(given.get("workers", 1)) == 1)
