"""Fixtures for the console tests: a registry, keys, signed-in clients, a fake worker."""

from __future__ import annotations

import pytest
from console_helpers import FAKE_WORKER, sign_in
from fastapi.testclient import TestClient

from bizforge.registry import Registry, create_key
from bizforge.serve.api import ServerOptions, create_app
from bizforge.serve.console import ConsoleOptions


@pytest.fixture
def registry(tmp_path):
    reg = Registry(home=tmp_path / "registry")
    yield reg
    reg.close()


@pytest.fixture
def keys(registry):
    return {role: create_key(role, label=f"test-{role}", registry=registry)[1]
            for role in ("predict", "admin")}


@pytest.fixture
def make_client(registry):
    """``make(worker=None, base_url=..., **console options)`` -> a started TestClient."""
    clients = []

    def make(*, worker=None, base_url="http://testserver", **options) -> TestClient:
        opts = ServerOptions(preload=False, registry_poll=0.0)
        console = ConsoleOptions(worker=worker, **options)
        client = TestClient(create_app(registry=registry, options=opts, console=console),
                            base_url=base_url, follow_redirects=True)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def admin(make_client, keys):
    client = make_client(worker=FAKE_WORKER)
    assert sign_in(client, keys["admin"]).status_code == 200
    return client


@pytest.fixture
def reader(make_client, keys):
    client = make_client(worker=FAKE_WORKER)
    assert sign_in(client, keys["predict"]).status_code == 200
    return client


# -- the browser tests (test_console_browser*.py) -------------------------------------------
# Per module, not per session: Playwright's sync API keeps an event loop running in this
# thread while it is open, and a later test calling asyncio.run() would then fail.
@pytest.fixture(scope="module")
def browser():
    from console_browser import CHROMIUM, need_browser

    sync_playwright = need_browser()
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield launched
        launched.close()


@pytest.fixture
def home(tmp_path):
    """A fresh home folder with an admin and a predict key: ``(home, {role: key})``."""
    home = tmp_path / "home"
    home.mkdir()
    with Registry(home=home) as reg:
        made = {role: create_key(role, registry=reg)[1] for role in ("admin", "predict")}
    return home, made


@pytest.fixture
def server(home):
    from console_browser import Server

    srv = Server(home[0]).start()
    yield srv
    srv.stop()


@pytest.fixture
def page(browser, request):
    """A page in English whose requests may only go to this machine: at the end of the test,
    any request to another host (a CDN, a font service) fails it."""
    from console_browser import keep_local

    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    outside = keep_local(context)
    page = context.new_page()
    page.set_default_timeout(120_000)  # a busy 2-core machine loads models slowly
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = dialogs
    page.outside = outside
    yield page
    print(f"\nscreenshots: test-artifacts/console/{request.node.name}/")
    context.close()
    if request.node.get_closest_marker("browser") and not getattr(page, "expect_outside", False):
        assert outside == [], f"the console asked for addresses off this machine: {outside}"
