"""The registry's PostgreSQL goes down and comes back while the server runs: loaded
models keep answering, what needs the database is a 503 with Retry-After (never a 500),
and the server recovers without a restart."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from bizforge.registry import Registry, create_key
from bizforge.serve.api import ServerOptions, create_app


@pytest.fixture
def outage(request, tmp_path, churn_run):
    """(client, headers, server): a server over its own PostgreSQL, churn loaded."""
    from bizforge.testing.postgres import PostgresUnavailable, TempPostgres

    try:
        server = TempPostgres().start()
    except PostgresUnavailable as exc:
        request.getfixturevalue("postgres_server")  # skips, or fails under CI, with the reason
        pytest.fail(str(exc))
    registry = Registry(url=server.create_database("outage"), home=tmp_path / "home")
    registry.publish(churn_run, "churn")
    key = create_key("admin", label="t", registry=registry)[1]
    app = create_app(registry=registry, options=ServerOptions(preload=False, registry_poll=0.0,
                                                              drift_flush=0))
    with TestClient(app) as client:
        yield client, {"Authorization": f"Bearer {key}"}, server
    registry.close()
    server.cleanup()


def _predict(client, headers, rows, name="churn"):
    return client.post(f"/v1/models/{name}/predict", json={"rows": rows[:1]}, headers=headers)


def test_a_loaded_model_keeps_answering_while_the_database_is_down(outage, rows):
    client, headers, server = outage
    assert _predict(client, headers, rows).status_code == 200
    server.stop("immediate")
    assert _predict(client, headers, rows).status_code == 200


def test_what_needs_the_database_is_a_503_with_retry_after(outage, rows):
    client, headers, server = outage
    assert _predict(client, headers, rows).status_code == 200
    server.stop("immediate")
    r = client.get("/v1/models", headers=headers)
    assert r.status_code == 503 and r.headers["Retry-After"]
    assert r.json()["type"] == "RegistryUnavailable"
    assert client.get("/healthz").status_code == 503


def test_the_server_recovers_by_itself_when_the_database_is_back(outage, rows):
    client, headers, server = outage
    assert _predict(client, headers, rows).status_code == 200
    server.restart(down_s=0.5)
    deadline = time.monotonic() + 10
    while client.get("/v1/models", headers=headers).status_code != 200:
        assert time.monotonic() < deadline, "no recovery within 10 s"
        time.sleep(0.1)
    assert client.get("/healthz").json()["status"] == "ok"


# Every route that reads or writes the registry database (the model is loaded and the
# key checked before the stop, so only the database itself is missing).
_DATABASE_ROUTES = [
    ("get", "/v1/models", None),
    ("get", "/v1/models/churn", None),
    ("get", "/v1/models/churn/drift", None),
    ("post", "/v1/models/churn/feedback", {"helpful": True}),
    ("post", "/v1/models/churn/promote", {"version": 1, "alias": "staging"}),
    ("delete", "/v1/models/churn:1?force=true", None),
    ("get", "/healthz", None),
]


def test_every_database_route_is_a_503_while_down_and_answers_again_after(outage, rows):
    client, headers, server = outage
    assert _predict(client, headers, rows).status_code == 200
    server.stop("immediate")
    try:
        for method, path, body in _DATABASE_ROUTES:
            kwargs = {"json": body} if body is not None else {}
            r = client.request(method.upper(), path, headers=headers, **kwargs)
            assert r.status_code == 503, f"{method} {path}: {r.status_code} {r.text}"
            assert r.headers.get("Retry-After") == "2", f"{method} {path}: {r.text}"
        assert _predict(client, headers, rows).status_code == 200  # still from memory
        time.sleep(1.5)  # the console's job worker looks for queued jobs every second
    finally:
        server.start()
    deadline = time.monotonic() + 10
    while client.get("/healthz").status_code != 200:
        assert time.monotonic() < deadline, "no recovery within 10 s"
        time.sleep(0.1)
    workers = client.app.state.console.jobs._threads  # the console's job workers
    assert workers and all(t.is_alive() for t in workers), "a console job worker died"
    for method, path, body in _DATABASE_ROUTES[:-1]:  # the last one deletes
        kwargs = {"json": body} if body is not None else {}
        r = client.request(method.upper(), path, headers=headers, **kwargs)
        assert r.status_code < 500, f"{method} {path} after recovery: {r.status_code} {r.text}"
