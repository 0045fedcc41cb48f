"""/v1/models routes, traversal in names, promotion under traffic, broken models (503)."""

from __future__ import annotations

import pytest

from bizforge.registry import Registry


@pytest.mark.parametrize("name", [
    "..", "%2e%2e", "%2E%2E", "..%2F..%2Fetc", "%2Fetc%2Fpasswd", "..%5C..%5Cwindows",
    "churn%00", "con", "a" * 65, ".churn", "churn:..", "churn@..%2F",
])
def test_traversal_names_are_refused_without_touching_the_registry(
        client, headers, rows, registry, name, monkeypatch):
    calls = []
    monkeypatch.setattr(registry, "get", lambda *a, **k: calls.append(a) or 1 / 0)
    monkeypatch.setattr(registry, "load", lambda *a, **k: calls.append(a) or 1 / 0)
    for method, path in (("post", f"/v1/models/{name}/predict"), ("get", f"/v1/models/{name}")):
        kwargs = {"json": {"rows": rows}} if method == "post" else {}
        r = getattr(client, method)(path, headers=headers["predict"], **kwargs)
        assert r.status_code in (400, 404, 405, 422), (path, r.status_code)
        assert r.headers["content-type"].startswith("application/json")
    assert calls == []


def test_list_and_card(client, headers):
    listed = client.get("/v1/models", headers=headers["predict"]).json()["models"]
    assert [m["name"] for m in listed] == ["churn"]
    card = client.get("/v1/models/churn", headers=headers["predict"]).json()
    assert card["name"] == "churn" and card["version"] == 1
    assert card["task"] == "tabular-classification"


def test_promotion_through_the_api_is_picked_up_by_the_next_request(
        client, headers, rows, registry, churn_run):
    registry.publish(churn_run, "churn")  # version 2
    registry.promote("churn", 1)
    body = {"rows": rows}
    assert client.post("/v1/models/churn/predict", json=body,
                       headers=headers["predict"]).json()["version"] == 1
    r = client.post("/v1/models/churn/promote", json={"version": 2, "alias": "production"},
                    headers=headers["admin"])
    assert r.status_code == 200 and "production" in r.json()["aliases"]
    assert "path" not in r.json()  # no server folders in answers
    assert client.post("/v1/models/churn/predict", json=body,
                       headers=headers["predict"]).json()["version"] == 2


def test_promotion_by_another_process_is_picked_up(client, headers, rows, registry, churn_run):
    registry.publish(churn_run, "churn")
    registry.promote("churn", 1)
    body = {"rows": rows}
    assert client.post("/v1/models/churn/predict", json=body,
                       headers=headers["predict"]).json()["version"] == 1
    other = Registry(home=registry.home)  # e.g. `bizforge models promote` elsewhere
    other.promote("churn", 2)
    other.close()
    assert client.post("/v1/models/churn/predict", json=body,
                       headers=headers["predict"]).json()["version"] == 2


def test_promote_to_unknown_version_is_404_and_bad_alias_422(client, headers):
    r = client.post("/v1/models/churn/promote", json={"version": 7}, headers=headers["admin"])
    assert r.status_code == 404
    r = client.post("/v1/models/churn/promote", json={"version": 1, "alias": "Bad Alias"},
                    headers=headers["admin"])
    assert r.status_code == 422
    r = client.post("/v1/models/churn:1/promote", json={"version": 1}, headers=headers["admin"])
    assert r.status_code == 422


def test_delete_version_then_it_is_gone(client, headers, rows, registry, churn_run):
    registry.publish(churn_run, "churn")  # v2; v1 holds no alias
    assert client.post("/v1/models/churn:1/predict", json={"rows": rows},
                       headers=headers["predict"]).status_code == 200
    r = client.delete("/v1/models/churn:1", headers=headers["admin"])
    assert r.status_code == 200 and r.json() == {"deleted": "churn:1"}
    assert client.post("/v1/models/churn:1/predict", json={"rows": rows},
                       headers=headers["predict"]).status_code == 404
    assert client.delete("/v1/models/churn:1", headers=headers["admin"]).status_code == 404


def _tamper(registry, ref):
    path = registry.get(ref).path / "recipe.json"
    path.write_bytes(path.read_bytes().replace(b'"', b"'", 1))


def test_broken_model_answers_503_and_others_keep_working(
        client, headers, rows, registry, churn_run):
    registry.publish(churn_run, "other")
    _tamper(registry, "churn:1")
    body = {"rows": rows}
    r = client.post("/v1/models/churn/predict", json=body, headers=headers["predict"])
    assert r.status_code == 503
    assert r.json()["type"] == "ModelUnavailable"
    assert "recipe.json" in r.json()["msg"]  # the reason names the file
    assert str(registry.home) not in r.text
    ok = client.post("/v1/models/other/predict", json=body, headers=headers["predict"])
    assert ok.status_code == 200
    # still refused (the failure is remembered, not retried on every request)
    again = client.post("/v1/models/churn/predict", json=body, headers=headers["predict"])
    assert again.status_code == 503
    assert client.get("/healthz").status_code == 200


def test_broken_version_is_never_promoted(client, headers, registry, churn_run):
    registry.publish(churn_run, "churn")
    registry.promote("churn", 1)
    _tamper(registry, "churn:2")
    r = client.post("/v1/models/churn/promote", json={"version": 2}, headers=headers["admin"])
    assert r.status_code == 503
    assert registry.get("churn").version == 1
