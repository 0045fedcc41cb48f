"""Fixtures for the REST API tests: small trained models, a registry, keys, a client."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from bizforge.pipeline import train
from bizforge.registry import Registry, create_key
from bizforge.samples import CHURN_TARGET, churn_table
from bizforge.serve.api import ServerOptions, create_app


@pytest.fixture(scope="session")
def churn_run(tmp_path_factory):
    """A classifier trained once for the whole session (about 3 s)."""
    out = tmp_path_factory.mktemp("api-model") / "churn"
    return train(churn_table(200, seed=1), CHURN_TARGET, time_limit=1.0, out=out, seed=0)


@pytest.fixture(scope="session")
def fee_run(tmp_path_factory):
    """A regression model (monthly fee) trained once for the session."""
    out = tmp_path_factory.mktemp("api-model") / "fee"
    frame = churn_table(200, seed=2).drop(columns=[CHURN_TARGET])
    return train(frame, "月费", time_limit=1.0, out=out, seed=0)


@pytest.fixture
def registry(tmp_path, churn_run):
    """A fresh registry with the classifier published as ``churn`` version 1."""
    reg = Registry(home=tmp_path / "registry")
    reg.publish(churn_run, "churn")
    yield reg
    reg.close()


@pytest.fixture
def keys(registry):
    """``{"predict": key, "admin": key}``."""
    return {role: create_key(role, label=f"test-{role}", registry=registry)[1]
            for role in ("predict", "admin")}


@pytest.fixture
def headers(keys):
    """Request headers per role: ``headers["predict"]``, ``headers["admin"]``."""
    return {role: {"Authorization": f"Bearer {key}"} for role, key in keys.items()}


@pytest.fixture
def make_client(registry):
    """Build a TestClient over ``registry`` with options; closed after the test."""
    clients = []

    def make(**options) -> TestClient:
        opts = ServerOptions(**{"preload": False, "registry_poll": 0.0, **options})
        client = TestClient(create_app(registry=registry, options=opts))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client):
    return make_client()


@pytest.fixture
def rows():
    """Three raw rows as a business system would send them (ids and phones included)."""
    frame = churn_table(3, seed=7).drop(columns=[CHURN_TARGET])
    return json.loads(frame.to_json(orient="records", force_ascii=False))
