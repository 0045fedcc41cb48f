"""Two servers share one PostgreSQL registry and one artifact folder (what two
``bizforge serve`` processes behind a load balancer do): a promotion made through one
is served by the other within its registry poll (0.2 s by default, the README's
documented delay), and no request to either fails while it happens."""

from __future__ import annotations

import threading
import time

import pytest
from fastapi.testclient import TestClient

from bizforge.registry import Registry, create_key
from bizforge.serve.api import ServerOptions, create_app

POLL = ServerOptions().registry_poll  # the default every `bizforge serve` runs with


@pytest.fixture
def two_servers(tmp_path, churn_run, postgres_url):
    """(server A, server B, admin headers): churn v1 in production, v2 published."""
    home = tmp_path / "shared-home"  # the artifact folder both servers read
    registries = [Registry(url=postgres_url, home=home) for _ in range(2)]
    for _ in range(2):
        registries[0].publish(churn_run, "churn")
    registries[0].promote("churn", 1, "production")
    key = create_key("admin", label="t", registry=registries[0])[1]
    options = ServerOptions(preload=False, drift_flush=0)
    assert options.registry_poll == POLL
    apps = [create_app(registry=reg, options=options) for reg in registries]
    with TestClient(apps[0]) as a, TestClient(apps[1]) as b:
        yield a, b, {"Authorization": f"Bearer {key}"}
    for reg in registries:
        reg.close()


def _version(client, headers, rows) -> tuple[int, int | None]:
    r = client.post("/v1/models/churn/predict", json={"rows": rows[:1]}, headers=headers)
    return r.status_code, (r.json().get("version") if r.status_code == 200 else None)


def test_a_promotion_through_one_server_is_served_by_the_other_within_the_poll(
        two_servers, rows):
    a, b, headers = two_servers
    assert _version(a, headers, rows) == (200, 1)
    assert _version(b, headers, rows) == (200, 1)
    answers: list[tuple[int, int | None]] = []
    stop = threading.Event()

    def load():  # a client that keeps asking B throughout
        while not stop.is_set():
            answers.append(_version(b, headers, rows))

    worker = threading.Thread(target=load)
    worker.start()
    try:
        time.sleep(0.3)
        r = a.post("/v1/models/churn/promote", json={"version": 2, "alias": "production"},
                   headers=headers)
        assert r.status_code == 200, r.text
        promoted = time.monotonic()
        assert _version(a, headers, rows) == (200, 2)  # at once through the server used
        time.sleep(POLL + 0.05)
        # A request that reaches B later than its poll after the promotion gets v2,
        # however long B then takes to load v2 (that request waits, it does not fail).
        assert _version(b, headers, rows) == (200, 2)
        assert time.monotonic() - promoted >= POLL
        time.sleep(0.3)
    finally:
        stop.set()
        worker.join(timeout=60)
    statuses = {status for status, _ in answers}
    assert statuses == {200}, f"failed requests during the promotion: {statuses}"
    versions = [version for _, version in answers]
    assert versions[0] == 1 and versions[-1] == 2
    switched = versions.index(2)
    assert set(versions[switched:]) == {2}, "B went back to version 1 after serving 2"


def test_a_version_deleted_through_one_server_is_a_404_on_the_other_after_the_poll(
        two_servers, rows):
    a, b, headers = two_servers
    r = b.post("/v1/models/churn:2/predict", json={"rows": rows[:1]}, headers=headers)
    assert r.status_code == 200
    assert a.delete("/v1/models/churn:2", headers=headers).status_code == 200
    time.sleep(POLL + 0.05)
    r = b.post("/v1/models/churn:2/predict", json={"rows": rows[:1]}, headers=headers)
    assert r.status_code == 404, r.text
