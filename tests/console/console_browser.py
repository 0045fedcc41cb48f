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


# -- no request leaves the machine ---------------------------------------------------------
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")


def keep_local(context) -> list[str]:
    """Route every request of ``context``: loopback ones go through, any other is aborted and
    recorded in the returned list (the console must work offline: no CDN, no font service)."""
    from urllib.parse import urlsplit

    from playwright.sync_api import Error

    outside: list[str] = []

    def guard(route) -> None:
        url = route.request.url
        local = url.startswith(("data:", "blob:", "about:")) or \
            urlsplit(url).hostname in LOCAL_HOSTS
        if not local:
            outside.append(url)
        try:
            route.continue_() if local else route.abort()
        except Error:  # the page dropped the request meanwhile (it navigated away)
            pass

    context.route("**/*", guard)
    return outside


# -- the steps of a person's visit ---------------------------------------------------------
TRAIN_TIMEOUT_MS = 400_000  # the time budget plus start-up and evaluation on a busy 2-core box


def sign_in(page, steps, url, key):
    page.goto(url + "/")
    steps.shot("sign-in")
    page.fill("#key", key)
    page.click("form[action='/signin'] button[type=submit]")
    # Signed in when the page has left /signin (a goto before that would cancel the form's
    # POST, and with it the session cookie, on a busy machine).
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function("() => location.pathname !== '/signin'", timeout=60_000)
    except PlaywrightTimeout:
        raise AssertionError(f"still on {page.url} 60 s after signing in; the page says: "
                             f"{page.inner_text('main')[:500]!r}") from None


def upload(page, steps, path, *, watch_progress=False):
    """Upload ``path`` on the Data page and wait for the findings. ``watch_progress``: assert
    that the progress bar showed and moved (the upload went by script); a watcher keeps
    what the bar showed in the tab's session storage, which outlives the navigation."""
    import re

    page.set_input_files("#file", str(path))
    if watch_progress:
        page.evaluate("""() => {
          const bar = document.querySelector("form[data-upload] progress");
          new MutationObserver(() => { if (!bar.hidden) {
            sessionStorage.setItem("bar", String(Math.max(
              Number(sessionStorage.getItem("bar") || 0), bar.value))); } })
            .observe(bar, {attributes: true});
        }""")
    page.click("form[data-upload] button[type=submit]")
    page.wait_for_url(re.compile(r"/data/[0-9a-f]{16}$"))
    if watch_progress:
        shown = page.evaluate("() => sessionStorage.getItem('bar')")
        assert shown is not None, "the upload progress bar never showed"
        assert float(shown) == 100, f"the progress bar stopped at {shown}"
    steps.shot("findings")


def train(page, steps, seconds, *, options: dict[str, str] | None = None):
    """From a file's findings: open Train (its defaults), set the budget (and options), start,
    watch the live progress and wait until the job is done."""
    import re

    page.click("a.button[href^='/train']")
    page.wait_for_url(re.compile(r"/train"))
    page.fill("#time_limit", str(seconds))
    if options:
        page.click("#train-form details summary")
        for name, value in options.items():
            field = page.locator(f"#train-form [name='opt.{name}']")
            if field.evaluate("el => el.tagName") == "SELECT":
                field.select_option(value)
            else:
                field.fill(value)
    steps.shot("train-form")
    page.click("#train-form button[type=submit]")
    page.wait_for_load_state()
    assert re.search(r"/jobs/[0-9a-f]{16}$", page.url), page.inner_text("main")
    steps.shot("job-started", axe=False)
    page.wait_for_selector("#job-events li", timeout=TRAIN_TIMEOUT_MS)
    steps.shot("job-progress", axe=False)
    page.wait_for_selector("#publish-name, .status-failed, .status-cancelled",
                           timeout=TRAIN_TIMEOUT_MS)
    assert page.locator(".status-done").count() == 1, page.locator("#job").inner_text()
    steps.shot("job-done")


def report_and_publish(page, steps, name):
    """Open the report (a new tab), then publish the model as ``name``."""
    import re

    with page.context.expect_page() as opened:
        page.click("a[href$='/report']")
    report = opened.value
    report.wait_for_load_state()
    assert "<html" in report.content().lower()
    steps.n += 1
    report.screenshot(path=str(steps.folder / f"{steps.n:02d}-report.png"))
    report.close()
    page.fill("#publish-name", name)
    page.click("form[action$='/publish'] button[type=submit]")
    page.wait_for_url(re.compile(r"/models/"))
    steps.shot("published")
