"""Training jobs of the web console: a queue kept in the registry database.

``JobQueue.submit(spec)`` adds a row (status ``queued``); a worker thread takes the
oldest queued job, marks it ``running`` and runs :mod:`bizforge.serve.console.worker`
in a subprocess, storing each progress event it prints. A job ends ``done``,
``failed`` (with the error message), ``cancelled`` or, when the server stopped while
it ran, ``interrupted``: :meth:`JobQueue.start` marks every job still ``running`` in
the database that way, since its process died with the server that started it.
``max_running`` jobs run at once (1 by default); the others wait in order.

>>> queue = JobQueue(registry, home)            # doctest: +SKIP
>>> queue.start(); job_id = queue.submit({"data": "c.csv", "target": "Churn", ...})
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import threading
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

    # -- life cycle --------------------------------------------------------------------
    def start(self) -> None:
        """Mark jobs left running by a previous server as interrupted, start the workers."""
        with self.registry.engine.begin() as conn:
            conn.execute(jobs.update().where(jobs.c.status == "running").values(
                status="interrupted", finished=now(),
                error="the server stopped while this job was running."))
        self._stop = False
        for i in range(self.max_running):
            thread = threading.Thread(target=self._loop, daemon=True,
                                      name=f"bizforge-console-job-{i}")
            thread.start()
            self._threads.append(thread)

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
        """Queue a job; returns its id."""
        job_id = secrets.token_hex(8)
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
            job = self._next()
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

    def _next(self) -> dict[str, Any] | None:
        with self._claim, self.registry.engine.begin() as conn:
            row = conn.execute(sa.select(jobs).where(jobs.c.status == "queued")
                               .order_by(jobs.c.created, jobs.c.id).limit(1)).first()
            if row is None:
                return None
            done = conn.execute(jobs.update().where(jobs.c.id == row.id,
                                                    jobs.c.status == "queued")
                                .values(status="running", started=now()))
            return _as_dict(row) if done.rowcount == 1 else None

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
            try:
                proc.stdin.write(json.dumps(spec).encode())
                proc.stdin.close()
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
            self._finish(job_id, "interrupted", None, "the server stopped while this job "
                         "was running.")
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


def _as_dict(row) -> dict[str, Any]:
    out = dict(row._mapping)
    out["events"] = list(out.get("events") or [])
    return out
