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
