"""The per-model action route over a table model: the fast predict path is kept, other
action names are 404s naming the model's actions."""

from __future__ import annotations


def test_a_table_model_unknown_action_is_a_404_naming_predict(client, headers):
    response = client.post("/v1/models/churn/forecast", json={}, headers=headers["predict"])
    assert response.status_code == 404
    assert "its actions: predict." in response.json()["msg"]


def test_a_table_model_is_served_on_the_fast_path(client, headers, rows):
    client.post("/v1/models/churn/predict", json={"rows": rows}, headers=headers["predict"])
    model = client.app.state.cache.loaded("churn", 1)
    assert model.fast and model.batcher is not None

