"""The OpenAPI document describes each published model; /metrics counts what was served."""

from __future__ import annotations

PREDICT = "/v1/models/churn/predict"


def test_openapi_describes_the_published_models_fields_and_types(client, headers):
    doc = client.get("/openapi.json", headers=headers["predict"]).json()
    row = doc["components"]["schemas"]["churn_v1_Row"]
    props = row["properties"]
    assert {"在网月数", "合约类型", "宽带", "入网日期", "月费"} <= set(props)
    assert "手机号" not in props and "客户编号" not in props  # dropped: personal data, id
    assert {"type": "number"} in props["在网月数"]["anyOf"]
    assert {"type": "string"} in props["合约类型"]["anyOf"]
    assert "在网月数" in row["required"] and "最近投诉" not in row["required"]
    op = doc["paths"]["/v1/models/churn/predict"]["post"]
    ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    request = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert request["properties"]["rows"]["items"]["$ref"].endswith("/churn_v1_Row")
    assert "/v1/models/{name}/predict:batch" in doc["paths"]
    assert "HTTPBearer" in doc["components"]["securitySchemes"]


def test_openapi_follows_publishing(client, headers, registry, churn_run):
    client.get("/openapi.json", headers=headers["predict"])
    registry.publish(churn_run, "流失预测")
    doc = client.get("/openapi.json", headers=headers["predict"]).json()
    assert "/v1/models/流失预测/predict" in doc["paths"]


def test_metrics_count_requests_latency_and_predicted_classes(client, headers, rows):
    for _ in range(2):
        client.post(PREDICT, json={"rows": rows}, headers=headers["predict"])
    client.post("/v1/models/nosuch/predict", json={"rows": rows}, headers=headers["predict"])
    text = client.get("/metrics", headers=headers["predict"]).text
    assert 'bizforge_predict_requests_total{model="churn",status="200",version="1"} 2.0' in text
    assert 'bizforge_predict_latency_seconds_count{model="churn",version="1"} 2.0' in text
    labels = [line for line in text.splitlines()
              if line.startswith("bizforge_predictions_total{")]
    assert sum(float(line.rsplit(" ", 1)[1]) for line in labels) == 2 * len(rows)
    assert all('model="churn"' in line for line in labels)
    assert ('bizforge_http_requests_total{method="POST",route="/v1/models/{name}/predict",'
            'status="404"} 1.0') in text
    assert "nosuch" not in text  # unknown names never become label values


def test_metrics_can_be_public(make_client):
    client = make_client(metrics_public=True)
    r = client.get("/metrics")
    assert r.status_code == 200 and "bizforge_http_requests_total" in r.text


def test_json_without_orjson_handles_numpy_and_nan(monkeypatch):
    import json

    import numpy as np

    from bizforge.serve.api import responses

    monkeypatch.setattr(responses, "orjson", None)
    body = {"v": np.int64(3), "p": np.float64("nan"), "r": [{"x": float("inf")}], "t": "流失"}
    assert json.loads(responses.dumps(body)) == {"v": 3, "p": None, "r": [{"x": None}],
                                                 "t": "流失"}


def test_fastapis_own_opentelemetry_hooks_are_off_unless_asked(make_client):
    # Prometheus metrics and JSON logs are the server's own; FastAPI's OTel hooks cost
    # every request a look for a configured provider, so they are opt-in.
    off, on = make_client().app, make_client(opentelemetry=True).app
    assert not any(off._telemetry[k] for k in ("tracing", "metrics", "logs"))
    assert all(on._telemetry[k] for k in ("tracing", "metrics", "logs"))
