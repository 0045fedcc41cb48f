"""POST /v1/models/{name}/predict: answers, coercion by the stored schema, 4xx errors."""

from __future__ import annotations

import pytest

from bizforge.samples import CHURN_TARGET

PREDICT = "/v1/models/churn/predict"


def test_predict_answers_model_version_threshold_labels_and_probabilities(
        client, headers, rows, churn_run):
    r = client.post(PREDICT, json={"rows": rows}, headers=headers["predict"])
    assert r.status_code == 200
    body = r.json()
    assert (body["model"], body["version"]) == ("churn", 1)
    assert body["threshold"] == pytest.approx(churn_run.predictor.threshold)
    assert len(body["predictions"]) == len(rows)
    for p in body["predictions"]:
        assert p["label"] in {"是", "否"}
        assert set(p["probabilities"]) == {"是", "否"}
        assert sum(p["probabilities"].values()) == pytest.approx(1.0)


def test_predict_matches_the_predictor_in_process(client, headers, rows, churn_run):
    import pandas as pd

    expected = churn_run.predictor.predict_proba(pd.DataFrame(rows))
    got = client.post(PREDICT, json={"rows": rows}, headers=headers["predict"]).json()
    for i, p in enumerate(got["predictions"]):
        assert p["probabilities"]["是"] == pytest.approx(expected["是"].iloc[i], abs=1e-9)


def test_numbers_sent_as_text_are_read_by_the_schema(client, headers, rows):
    as_numbers = client.post(PREDICT, json={"rows": rows[:1]}, headers=headers["predict"])
    text = dict(rows[0], 在网月数=str(rows[0]["在网月数"]), 年龄=f" {rows[0]['年龄']} ")
    as_text = client.post(PREDICT, json={"rows": [text]}, headers=headers["predict"])
    assert as_text.status_code == 200
    assert as_text.json()["predictions"] == as_numbers.json()["predictions"]


def test_formatted_number_and_blank_are_accepted(client, headers, rows):
    row = dict(rows[0], 累计消费="1,234.5", 月费="")
    assert client.post(PREDICT, json={"rows": [row]}, headers=headers["predict"]).status_code == 200


def test_text_in_a_number_field_is_422_naming_the_field_and_row(client, headers, rows):
    bad = dict(rows[1], 在网月数="abc")
    r = client.post(PREDICT, json={"rows": [rows[0], bad]}, headers=headers["predict"])
    assert r.status_code == 422
    body = r.json()
    assert body["loc"] == ["body", "rows", 1, "在网月数"]
    assert "在网月数" in body["msg"] and "abc" not in r.text  # the value is never echoed


def test_missing_required_field_is_422_naming_it(client, headers, rows):
    row = {k: v for k, v in rows[0].items() if k != "合约类型"}
    r = client.post(PREDICT, json={"rows": [row]}, headers=headers["predict"])
    assert r.status_code == 422
    assert r.json()["loc"] == ["body", "rows", 0, "合约类型"]


def test_nested_value_is_422_naming_the_field(client, headers, rows):
    row = dict(rows[0], 城市={"name": "北京"})
    r = client.post(PREDICT, json={"rows": [row]}, headers=headers["predict"])
    assert r.status_code == 422
    assert "城市" in r.json()["loc"]


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"rows": []}', b'{"rows": "x"}', b""])
def test_malformed_body_is_422_not_500(client, headers, body):
    r = client.post(PREDICT, content=body, headers={**headers["predict"],
                                                     "Content-Type": "application/json"})
    assert r.status_code == 422
    assert r.json()["type"] == "ValidationError"


def test_extra_fields_such_as_ids_and_the_target_are_ignored(client, headers, rows):
    row = dict(rows[0], **{CHURN_TARGET: "是", "unknown_column": 1})
    assert client.post(PREDICT, json={"rows": [row]}, headers=headers["predict"]).status_code == 200


def test_unknown_model_is_404_listing_the_published_ones(client, headers, rows):
    r = client.post("/v1/models/nosuch/predict", json={"rows": rows}, headers=headers["predict"])
    assert r.status_code == 404
    assert r.json()["type"] == "ModelNotFound" and "churn" in r.json()["msg"]
    assert client.post("/v1/models/churn:9/predict", json={"rows": rows},
                       headers=headers["predict"]).status_code == 404
    assert client.post("/v1/models/churn@nosuch/predict", json={"rows": rows},
                       headers=headers["predict"]).status_code == 404


def test_error_message_does_not_reveal_the_server_folder(client, headers, rows, registry):
    r = client.post("/v1/models/nosuch/predict", json={"rows": rows}, headers=headers["predict"])
    assert str(registry.home) not in r.text and str(registry.home.resolve()) not in r.text


def test_too_many_rows_is_413(make_client, headers, rows):
    client = make_client(max_rows=2)
    r = client.post(PREDICT, json={"rows": rows}, headers=headers["predict"])
    assert r.status_code == 413
    assert "at most 2 rows" in r.json()["msg"]


def test_too_large_body_is_413_before_reading_it(make_client, headers, rows):
    client = make_client(max_body_bytes=1000)
    r = client.post(PREDICT, json={"rows": rows * 20}, headers=headers["predict"])
    assert r.status_code == 413
    assert r.json()["type"] == "PayloadTooLarge"


def test_explain_adds_reasons_per_row(client, headers, rows):
    r = client.post(PREDICT + "?explain=true", json={"rows": rows[:2]},
                    headers=headers["predict"])
    assert r.status_code == 200
    for p in r.json()["predictions"]:
        assert 1 <= len(p["reasons"]) <= 3
        assert {"column", "contribution"} <= set(p["reasons"][0])
        assert p["reasons"][0]["column"] != "手机号"  # personal data is never a reason


def test_explain_with_missing_values_is_valid_json(client, headers, rows):
    row = dict(rows[0], 累计消费=None, 最近投诉=None, 月费="")
    r = client.post(PREDICT + "?explain=true", json={"rows": [row]}, headers=headers["predict"])
    assert r.status_code == 200
    assert "NaN" not in r.text and r.json()["predictions"][0]["reasons"]


def test_regression_model_answers_values(client, headers, registry, fee_run, rows):
    registry.publish(fee_run, "fee")
    r = client.post("/v1/models/fee/predict", json={"rows": rows}, headers=headers["predict"])
    assert r.status_code == 200
    values = [p["value"] for p in r.json()["predictions"]]
    assert len(values) == 3 and all(isinstance(v, float) for v in values)
    assert r.json()["threshold"] is None


def test_explicit_version_and_alias_references(client, headers, rows, registry):
    registry.promote("churn", 1, alias="staging")
    for ref in ("churn:1", "churn@staging"):
        r = client.post(f"/v1/models/{ref}/predict", json={"rows": rows},
                        headers=headers["predict"])
        assert r.status_code == 200 and r.json()["version"] == 1
