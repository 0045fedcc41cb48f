"""Training jobs of the web console: a queue kept in the registry database.

``JobQueue.submit(spec)`` adds a row (status ``queued``); a worker thread takes the
oldest queued job, marks it ``running`` (with its ``owner``, this server's host:pid)
and runs :mod:`bizforge.serve.console.worker` in a subprocess, storing each progress
event it prints. A job ends ``done``, ``failed`` (with the error message),
``cancelled`` or, when its server stopped while it ran, ``interrupted``. The owner
writes a ``heartbeat`` every few seconds; a running job whose owner is a dead
process on this host, or whose heartbeat stopped (a server elsewhere that crashed,
with a shared database), is marked interrupted when a server starts and by a
periodic sweep. ``max_running`` jobs run at once per server (1 by default); the
others wait in order.

>>> queue = JobQueue(registry, home)            # doctest: +SKIP
>>> queue.start(); job_id = queue.submit({"data": "c.csv", "target": "Churn", ...})
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bizforge.registry.db import jobs, now
from bizforge.serve.api.logging import log_event

__all__ = ["ACTIVE", "FINAL", "JobQueue"]

ACTIVE = ("queued", "running")
FINAL = ("done", "failed", "cancelled", "interrupted")
_SOURCE = str(Path(__file__).resolve().parents[3])  # the folder holding bizforge/
MAX_EVENTS = 400  # kept per job; a long search's candidate events beyond are dropped
HEARTBEAT_S = 5.0  # how often a server marks its running jobs alive
STALE_S = 60.0  # a running job silent this long lost its server
_INTERRUPTED = "the server stopped while this job was running."
_SEQUENCE = itertools.count()


class JobQueue:
    """Queue, run, cancel and describe training jobs (see the module docstring)."""

    def __init__(self, registry: Any, folder: Path, *, max_running: int = 1,
                 command: list[str] | None = None):
        self.registry = registry
        self.folder = Path(folder)
        self.max_running = max(1, int(max_running))
        self.command = command or [sys.executable, "-m", "bizforge.serve.console.worker"]
        self._wake = threading.Condition()
        self._stop = False
        self._threads: list[threading.Thread] = []
        self._procs: dict[str, subprocess.Popen] = {}
        self._cancelled: set[str] = set()
        self._claim = threading.Lock()
        self._mine: set[str] = set()  # jobs this server claimed and has not finished
        self.owner = f"{socket.gethostname()[:80]}:{os.getpid()}"

    # -- life cycle --------------------------------------------------------------------
    def start(self) -> None:
        """Mark jobs left running by a stopped server as interrupted, start the workers."""
        self.sweep()
        self._stop = False
        threads = [threading.Thread(target=self._loop, daemon=True,
                                    name=f"bizforge-console-job-{i}")
                   for i in range(self.max_running)]
        threads.append(threading.Thread(target=self._beat, daemon=True,
                                        name="bizforge-console-heartbeat"))
        for thread in threads:
            thread.start()
        self._threads = threads

    def sweep(self) -> list[str]:
        """Mark ``interrupted`` the running jobs whose server is gone; returns their ids."""
        host = self.owner.rsplit(":", 1)[0]
        stale = (datetime.now(UTC) - timedelta(seconds=STALE_S)).isoformat(timespec="seconds")
        gone = []
        with self.registry.engine.connect() as conn:
            rows = conn.execute(sa.select(jobs.c.id, jobs.c.owner, jobs.c.heartbeat)
                                .where(jobs.c.status == "running")).all()
        for row in rows:
            owner_host, _, pid = (row.owner or "").rpartition(":")
            if row.id in self._mine:
                continue  # ours, running now
            if not row.owner or (owner_host == host and not _alive(pid)) \
                    or row.owner == self.owner or (row.heartbeat or "") < stale:
                gone.append(row.id)
        for job_id in gone:
            self._finish(job_id, "interrupted", None, _INTERRUPTED)
        return gone

    def _beat(self) -> None:
        beats = 0
        while True:
            with self._wake:
                if self._stop:
                    return
                self._wake.wait(timeout=HEARTBEAT_S)
                if self._stop:
                    return
            try:
                running = list(self._mine)
                if running:
                    with self.registry.engine.begin() as conn:
                        conn.execute(jobs.update().where(jobs.c.id.in_(running))
                                     .values(heartbeat=now()))
                beats += 1
                if beats % 6 == 0:
                    self.sweep()
            except Exception as exc:  # noqa: BLE001 - the database may be restarting
                log_event("console_heartbeat_failed", level=30, error=type(exc).__name__)

    def stop(self) -> None:
        """Stop the workers; a job running now ends ``interrupted``."""
        with self._wake:
            self._stop = True
            self._wake.notify_all()
        for proc in list(self._procs.values()):
            proc.terminate()
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads = []

    # -- requests ----------------------------------------------------------------------
    def submit(self, spec: dict[str, Any], key_id: str | None = None) -> str:
        """Queue a job; returns its id (16 hex digits: the time in milliseconds, a counter of
        this process, then random ones, so jobs queued within one second still run in the
        order given)."""
        job_id = (f"{time.time_ns() // 1_000_000:011x}"[-11:] + f"{next(_SEQUENCE) % 256:02x}"
                  + secrets.token_hex(2)[:3])
        with self.registry.engine.begin() as conn:
            conn.execute(jobs.insert().values(id=job_id, status="queued", created=now(),
                                              key_id=key_id, spec=spec, events=[]))
        with self._wake:
            self._wake.notify_all()
        return job_id

    def cancel(self, job_id: str) -> dict[str, Any]:
        """Cancel a queued or running job (a finished one is left as it is)."""
        job = self.get(job_id)
        if job["status"] == "queued":
            self._finish(job_id, "cancelled", None, "cancelled before it started.",
                         only_if="queued")
        elif job["status"] == "running":
            # Recorded first: a job claimed but not yet started checks it once its process
            # exists (see _run), so a cancel in that gap is not lost.
            self._cancelled.add(job_id)
            proc = self._procs.get(job_id)
            if proc is not None:
                proc.terminate()
        return self.get(job_id)

    def get(self, job_id: str) -> dict[str, Any]:
        """The job's row as a dict; KeyError when there is no such job."""
        with self.registry.engine.connect() as conn:
            row = conn.execute(sa.select(jobs).where(jobs.c.id == str(job_id)[:32])).first()
        if row is None:
            raise KeyError(job_id)
        return _as_dict(row)

    def list(self, limit: int = 50) -> list[dict[str, Any]]:
        """The newest jobs first."""
        with self.registry.engine.connect() as conn:
            rows = conn.execute(sa.select(jobs).order_by(jobs.c.created.desc(), jobs.c.id)
                                .limit(limit)).all()
        return [_as_dict(r) for r in rows]

    # -- the worker ----------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            with self._wake:
                if self._stop:
                    return
            try:
                job = self._next()
            except sa.exc.SQLAlchemyError as exc:  # the registry database is down or restarting:
                # wait for it instead of dying, or queued jobs would never start once it is back
                log_event("console_jobs_registry_unreachable", level=30,
                          error=type(exc).__name__)
                job = None
            if job is None:
                with self._wake:
                    if self._stop:
                        return
                    self._wake.wait(timeout=1.0)
                continue
            try:
                self._run(job)
            except Exception as exc:  # noqa: BLE001 - a job failing must not stop the queue
                log_event("console_job_failed", level=40, job=job["id"],
                          error=type(exc).__name__)
                self._finish(job["id"], "failed", None,
                             "unexpected error in the server; see its log.")
            finally:
                self._mine.discard(job["id"])

    def _next(self) -> dict[str, Any] | None:
        with self._claim, self.registry.engine.begin() as conn:
            row = conn.execute(sa.select(jobs).where(jobs.c.status == "queued")
                               .order_by(jobs.c.created, jobs.c.id).limit(1)).first()
            if row is None:
                return None
            done = conn.execute(jobs.update().where(jobs.c.id == row.id,
                                                    jobs.c.status == "queued")
                                .values(status="running", started=now(), owner=self.owner,
                                        heartbeat=now()))
            if done.rowcount != 1:
                return None
            self._mine.add(row.id)
            return _as_dict(row)

    def _run(self, job: dict[str, Any]) -> None:
        job_id, spec = job["id"], dict(job["spec"])
        folder = self.folder / job_id
        folder.mkdir(parents=True, exist_ok=True)
        spec["out"] = str(folder / "model")
        env = {**os.environ, "BIZFORGE_HOME": str(self.registry.home),
               # the worker imports the same bizforge as this server, wherever it lives
               "PYTHONPATH": os.pathsep.join(filter(None, [_SOURCE, os.environ.get(
                   "PYTHONPATH")]))}
        with open(folder / "worker.log", "wb") as log:
            proc = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=log, env=env, cwd=folder)
            self._procs[job_id] = proc
            if job_id in self._cancelled:  # cancelled between its claim and this start
                proc.terminate()
            try:
                try:
                    proc.stdin.write(json.dumps(spec).encode())
                    proc.stdin.close()
                except BrokenPipeError:  # it ended before reading (cancelled, or crashed):
                    pass  # the cancel set and its exit code say which, below
                events: list[dict[str, Any]] = []
                result, error = None, None
                for line in proc.stdout:
                    try:
                        event = json.loads(line)
                    except ValueError:
                        continue
                    if event.get("event") == "finished":
                        result = event
                    elif event.get("event") == "error":
                        error = str(event.get("message") or "training failed")
                    events.append(event)
                    self._events(job_id, events)
                code = proc.wait()
            finally:
                self._procs.pop(job_id, None)
        if self._stop:
            self._finish(job_id, "interrupted", None, _INTERRUPTED)
        elif job_id in self._cancelled:
            self._cancelled.discard(job_id)
            self._finish(job_id, "cancelled", None, "cancelled while running.")
        elif code == 0 and result is not None:
            self._finish(job_id, "done", result, None)
        else:
            self._finish(job_id, "failed", None,
                         error or f"the training process ended with code {code}; see the "
                                  "server's job log.")

    def _events(self, job_id: str, events: list[dict[str, Any]]) -> None:
        kept = events if len(events) <= MAX_EVENTS else events[:50] + events[-(MAX_EVENTS - 50):]
        with self.registry.engine.begin() as conn:
            conn.execute(jobs.update().where(jobs.c.id == job_id).values(events=kept))

    def _finish(self, job_id: str, status: str, result: Any, error: str | None, *,
                only_if: str = "running") -> None:
        with self.registry.engine.begin() as conn:
            conn.execute(jobs.update().where(jobs.c.id == job_id, jobs.c.status == only_if)
                         .values(status=status, finished=now(), result=result, error=error))


def _alive(pid: str) -> bool:
    """Whether process ``pid`` exists on this host."""
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _as_dict(row) -> dict[str, Any]:
    out = dict(row._mapping)
    out["events"] = list(out.get("events") or [])
    return out
