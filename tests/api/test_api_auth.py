"""API keys: 401 without or with a wrong key, 403 for a role too low, nothing loaded before."""

from __future__ import annotations

import pytest

from bizforge.registry import revoke_key

PREDICT = "/v1/models/churn/predict"


def test_missing_key_is_401_with_json_body_and_bearer_challenge(client, rows):
    r = client.post(PREDICT, json={"rows": rows})
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    body = r.json()
    assert body["type"] == "AuthError" and body["loc"] == []
    assert "API key" in body["msg"]


@pytest.mark.parametrize("header", ["Bearer bf_000000000000_" + "0" * 48, "Bearer nonsense",
                                    "Basic dXNlcjpwYXNz", "Bearer "])
def test_wrong_or_malformed_key_is_401(client, rows, header):
    r = client.post(PREDICT, json={"rows": rows}, headers={"Authorization": header})
    assert r.status_code == 401
    assert r.json()["type"] == "AuthError"


@pytest.mark.parametrize("method,path,body", [
    ("get", "/v1/models", None),
    ("get", "/v1/models/churn", None),
    ("post", "/v1/models/churn/promote", {"version": 1}),
    ("delete", "/v1/models/churn:1", None),
    ("get", "/metrics", None),
    ("get", "/openapi.json", None),
])
def test_every_route_but_healthz_needs_a_key(client, method, path, body):
    kwargs = {"json": body} if body is not None else {}
    assert getattr(client, method)(path, **kwargs).status_code == 401


def test_healthz_is_open(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"


@pytest.mark.parametrize("method,path,body", [
    ("post", "/v1/models/churn/promote", {"version": 1, "alias": "production"}),
    ("delete", "/v1/models/churn:1", None),
])
def test_predict_key_on_admin_route_is_403(client, headers, method, path, body):
    kwargs = {"json": body} if body is not None else {}
    r = getattr(client, method)(path, headers=headers["predict"], **kwargs)
    assert r.status_code == 403
    assert r.json()["type"] == "AuthError"
    assert "'admin'" in r.json()["msg"]


def test_admin_key_may_predict_and_promote(client, headers, rows):
    assert client.post(PREDICT, json={"rows": rows}, headers=headers["admin"]).status_code == 200
    r = client.post("/v1/models/churn/promote", json={"version": 1, "alias": "staging"},
                    headers=headers["admin"])
    assert r.status_code == 200 and "staging" in r.json()["aliases"]


def test_request_without_valid_key_never_loads_a_model(client, rows):
    cache = client.app.state.cache
    for headers in ({}, {"Authorization": "Bearer bf_123456789abc_" + "1" * 48}):
        client.post(PREDICT, json={"rows": rows}, headers=headers)
        client.post(PREDICT + ":batch", content=b"a,b\n1,2\n", headers=headers)
    assert cache.loads == 0 and cache.loaded("churn", 1) is None


def test_revoked_key_is_refused_at_the_next_request(client, registry, keys, rows):
    key_id = keys["predict"].split("_")[1]
    headers = {"Authorization": f"Bearer {keys['predict']}"}
    for _ in range(2):  # the key is now remembered by the server
        assert client.post(PREDICT, json={"rows": rows}, headers=headers).status_code == 200
    revoke_key(key_id, registry=registry)
    assert client.post(PREDICT, json={"rows": rows}, headers=headers).status_code == 401


def test_no_auth_app_needs_no_key(make_client, rows):
    client = make_client(auth=False)
    assert client.post(PREDICT, json={"rows": rows}).status_code == 200
    assert client.get("/docs").status_code == 200  # Swagger UI only without auth
