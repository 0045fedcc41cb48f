"""The console's state on the app (``app.state.console``) and :func:`mount_console`."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bizforge.serve.console.jobs import JobQueue
from bizforge.serve.console.session import Session, Sessions

__all__ = ["Console", "ConsoleOptions", "mount_console"]


@dataclass
class ConsoleOptions:
    """Limits of the console (defaults are the documented ones)."""

    max_upload_bytes: int = 200 * 2**20  # one data file on the Data page
    max_jobs: int = 1  # training jobs at once; the others wait in order
    session_idle: float = 8 * 3600  # seconds a session lasts unused
    default_time_limit: int = 60  # the Train form's time budget
    sample_every: float = 10.0  # seconds between the Monitor page's samples
    worker: list[str] | None = None  # the training command (tests swap it)


class Console:
    """Sessions, uploads folder, the job queue and the monitor's samples of one app."""

    def __init__(self, app_state: Any, options: ConsoleOptions):
        self.state = app_state
        self.options = options
        self.auth = app_state.keys is not None
        self.registry = app_state.registry
        self.folder = Path(self.registry.home) / "console"
        self.uploads = self.folder / "uploads"
        self.sessions = Sessions(idle=options.session_idle)
        # Without auth (loopback only) every visitor is an admin with one fixed token.
        self.open_session = None if self.auth else Session("open", None, "admin",
                                                           _token())
        self.jobs = JobQueue(self.registry, self.folder / "jobs", max_running=options.max_jobs,
                             command=options.worker)
        self.samples: deque = deque(maxlen=360)
        self._alive: set[str] | None = None
        self._stop = threading.Event()
        self._sampler: threading.Thread | None = None
        app_state.cache.on_change.append(self._registry_changed)

    # -- service ---------------------------------------------------------------------------
    def start(self) -> None:
        from bizforge.serve.console.pages import warm_templates

        warm_templates()  # compiled once now, not on a visitor's first page
        self.jobs.start()
        self._stop.clear()
        self._sampler = threading.Thread(target=self._sample_loop, daemon=True,
                                         name="bizforge-console-monitor")
        self._sampler.start()

    def stop(self) -> None:
        self._stop.set()
        self.jobs.stop()

    # -- keys ------------------------------------------------------------------------------
    def _registry_changed(self) -> None:
        self._alive = None  # a key may have been revoked: look again on the next request

    def key_alive(self, session: Session) -> bool:
        """False once the session's key is revoked (checked when the registry changes)."""
        if session.key_id is None:
            return True
        self.state.cache.refresh()
        alive = self._alive
        if alive is None:
            alive = {k.key_id for k in self.registry.keys.list() if not k.revoked}
            self._alive = alive
        return session.key_id in alive

    # -- monitor samples ---------------------------------------------------------------------
    def _sample_loop(self) -> None:
        while not self._stop.wait(self.options.sample_every):
            self.sample()

    def sample(self) -> None:
        """Remember the predict request counts per model now (for the over-time chart)."""
        totals: dict[str, float] = {}
        for family in self.state.metrics.registry.collect():
            if family.name != "bizforge_predict_requests":
                continue
            for s in family.samples:
                if s.name.endswith("_total"):
                    model = s.labels.get("model", "")
                    totals[model] = totals.get(model, 0.0) + s.value
        self.samples.append((time.time(), totals))


def _token() -> str:
    import secrets

    return secrets.token_urlsafe(24)


def mount_console(app: Any, options: ConsoleOptions | None = None) -> Console:
    """Add the console's pages, static files and background services to ``app``."""
    from fastapi.staticfiles import StaticFiles

    from bizforge.serve.console import routes_admin, routes_data, routes_models
    from bizforge.serve.console.messages import register

    register()
    console = Console(app.state, options or ConsoleOptions())
    app.state.console = console
    app.state.services.append(console)
    app.mount("/static", StaticFiles(directory=Path(__file__).with_name("static")),
              name="console-static")
    for module in (routes_admin, routes_data, routes_models):
        app.include_router(module.router)
    return console
