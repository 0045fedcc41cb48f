"""A throwaway PostgreSQL server for tests and benchmarks: initdb in a temp folder.

Uses the ``initdb``/``pg_ctl`` of the machine's PostgreSQL (Debian's
``postgresql`` package). PostgreSQL refuses to run as root, so when the
caller is root (CI) the cluster belongs to ``nobody`` and every server
command runs through ``runuser``. The server listens on 127.0.0.1 only, on a
free port, with ``trust`` authentication — it is for tests, never for data.

>>> with TempPostgres() as pg:                               # doctest: +SKIP
...     url = pg.create_database("registry")
...     Registry(url=url).list()
[]
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Self

__all__ = ["PostgresUnavailable", "TempPostgres", "find_bindir"]

# A cluster run by root is refused by PostgreSQL itself; 'nobody' exists on every Debian.
RUN_AS_WHEN_ROOT = "nobody"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries here (or no way to run them unprivileged)."""


def find_bindir() -> Path:
    """The folder holding ``initdb`` and ``pg_ctl`` (PATH first, then Debian's layout)."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(Path(p).parent.parent.name)
                        if Path(p).parent.parent.name.isdigit() else 0)
    if candidates:
        return Path(candidates[-1]).parent
    raise PostgresUnavailable("no PostgreSQL server binaries (initdb, pg_ctl) on this machine; "
                              "install Debian's 'postgresql' package")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TempPostgres:
    """Start (``start``), restart, stop and remove a private PostgreSQL cluster."""

    def __init__(self, *, port: int | None = None):
        self.bindir = find_bindir()
        self.port = port or _free_port()
        self.user = RUN_AS_WHEN_ROOT if os.geteuid() == 0 else None
        if self.user and not shutil.which("runuser"):
            raise PostgresUnavailable("running as root without 'runuser' to drop privileges")
        self.root: Path | None = None

    # -- lifecycle -----------------------------------------------------------------
    def start(self) -> Self:
        """initdb (first time) and start the server; returns when it accepts connections."""
        if self.root is None:
            self.root = Path(tempfile.mkdtemp(prefix="bizforge-pg-"))
            if self.user:
                shutil.chown(self.root, user=self.user)
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust",
                      "-E", "UTF8", "--no-sync")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"),
                  "-w", "-t", "60", "-o",
                  f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                  "-c fsync=off -c max_connections=200", "start")
        return self

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``immediate`` drops connections at once, like a crash)."""
        if self.root is not None and (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self, down_s: float = 0.0) -> None:
        """Stop at once, stay down ``down_s`` seconds, start again."""
        self.stop("immediate")
        time.sleep(down_s)
        self.start()

    def cleanup(self) -> None:
        """Stop the server and remove its folder."""
        try:
            self.stop("immediate")
        finally:
            if self.root is not None:
                shutil.rmtree(self.root, ignore_errors=True)
                self.root = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.cleanup()

    # -- databases -----------------------------------------------------------------
    @property
    def data(self) -> Path:
        assert self.root is not None, "start() first"
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy URL (psycopg 3 driver) for ``database`` on this server."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database and return its URL."""
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres",
                             dbname="postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def _run(self, tool: str, *args: str) -> None:
        cmd = [str(self.bindir / tool), *args]
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False,
                              stdin=subprocess.DEVNULL, cwd=self.root or "/")
        if done.returncode != 0:
            log = ""
            if self.root is not None and (self.root / "server.log").exists():
                log = (self.root / "server.log").read_text(errors="replace")[-2000:]
            raise PostgresUnavailable(f"{tool} failed ({done.returncode}): "
                                      f"{done.stderr.strip()[-2000:]}\n{log}")
