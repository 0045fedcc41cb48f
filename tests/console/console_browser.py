"""Helpers of the browser tests: a real ``bizforge serve`` process, Debian's chromium driven
by Playwright, screenshots of each step, and an axe-core accessibility check.

The browser is the system one (``/usr/bin/chromium``, installed by ``make system-deps``);
nothing is downloaded. Without it (or without Playwright) the tests skip with the reason,
except under ``CI=true``, where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "console"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def need_browser():
    """Playwright's sync API, or a skip (a failure under CI) naming what is missing."""
    missing = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "Playwright for Python is not installed (pip install -e '.[dev]')"
    if missing is None and not Path(CHROMIUM).is_file():
        missing = "Debian's chromium is not installed (make system-deps installs it as root)"
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(missing)
        pytest.skip(missing)
    return sync_playwright


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``bizforge serve`` on a free loopback port over ``home``; restartable."""

    def __init__(self, home: Path):
        self.home = home
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.log = home / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        env = {**os.environ, "BIZFORGE_HOME": str(self.home), "OMP_NUM_THREADS": "1",
               "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"),
                                                           os.environ.get("PYTHONPATH")]))}
        code = "from bizforge.cli import main; main()"
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", code, "serve", "--port", str(self.port)],
                env=env, stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2):
                    return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(self.log.read_text(errors="replace")[-2000:]) from None
                time.sleep(0.3)
        raise RuntimeError("the server did not start in 60 s")

    def kill(self) -> None:
        """SIGKILL the server (and its training worker): a crash, not a clean stop."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


class Steps:
    """Screenshots of each step of one test, under test-artifacts/console/<test>/."""

    def __init__(self, page, name: str):
        self.page = page
        self.folder = ARTIFACTS / name
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self.n = 0

    def shot(self, step: str, *, axe: bool = True) -> None:
        self.n += 1
        self.page.screenshot(path=str(self.folder / f"{self.n:02d}-{step}.png"), full_page=True)
        if axe:
            check_accessibility(self.page, step)


def check_accessibility(page, step: str) -> None:
    """axe-core (shipped by axe-playwright-python) finds no serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [f"{v['id']} ({v['impact']}): {v['help']} at "
           f"{[n['target'] for n in v['nodes']][:3]}"
           for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not bad, f"accessibility problems on step '{step}': {bad}"
