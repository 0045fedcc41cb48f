"""Structured JSON logs: one object per request, never a key and never a row value."""

from __future__ import annotations

import io
import json
import logging
import warnings

import pytest

from bizforge.serve.api.logging import LOGGER_NAME, configure_logging, redact


@pytest.fixture
def log_stream():
    names = (LOGGER_NAME, "uvicorn", "uvicorn.error")
    saved = {n: (logging.getLogger(n).handlers[:], logging.getLogger(n).propagate,
                 logging.getLogger(n).level) for n in names}
    shown = warnings.showwarning
    stream = io.StringIO()
    configure_logging("debug", stream)
    yield stream
    warnings.showwarning = shown
    for n, (handlers, propagate, level) in saved.items():
        logger = logging.getLogger(n)
        logger.handlers, logger.propagate, logger.level = handlers, propagate, level


def test_python_warnings_are_json_warning_events(log_stream):
    from bizforge.models.text_common import TextWarning

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("2 of 9 texts in column 'review' were cut to 20000 characters.",
                      TextWarning, stacklevel=1)
    (record,) = [json.loads(line) for line in log_stream.getvalue().splitlines()]
    assert record["event"] == "warning" and record["level"] == "warning"
    assert record["kind"] == "TextWarning" and record["text"].startswith("2 of 9 texts")


def test_logs_hold_no_key_and_no_row_values(client, keys, headers, rows, log_stream):
    client.post("/v1/models/churn/predict", json={"rows": rows}, headers=headers["predict"])
    client.post("/v1/models/churn/predict?explain=true", json={"rows": rows},
                headers=headers["admin"])
    bad = dict(rows[0], 在网月数="SECRET-VALUE-42x")
    client.post("/v1/models/churn/predict", json={"rows": [bad]}, headers=headers["predict"])
    client.post("/v1/models/churn/predict", json={"rows": rows},
                headers={"Authorization": f"Bearer {keys['predict']}x"})  # wrong key
    text = log_stream.getvalue()
    records = [json.loads(line) for line in text.splitlines()]
    requests = [r for r in records if r.get("event") == "request"]
    assert [r["status"] for r in requests] == [200, 200, 422, 401]
    assert requests[0]["route"] == "/v1/models/{name}/predict"
    assert requests[0]["model"] == "churn" and requests[0]["rows"] == len(rows)
    assert requests[0]["key_id"] == keys["predict"].split("_")[1]
    for key in keys.values():
        assert key not in text and key.rsplit("_", 1)[1] not in text
    assert "SECRET-VALUE-42x" not in text
    for row in rows:
        for column in ("手机号", "客户编号", "城市", "最近投诉", "入网日期"):
            value = str(row[column])
            if len(value) > 1:
                assert value not in text, column


def test_unexpected_error_is_a_json_500_and_logged_without_its_message(
        client, headers, rows, log_stream, monkeypatch):
    model = client.app.state.cache

    def boom(*args, **kwargs):
        raise RuntimeError("row value 13800138000 leaked")

    monkeypatch.setattr(model, "resolve", boom)
    r = client.post("/v1/models/churn/predict", json={"rows": rows}, headers=headers["predict"])
    assert r.status_code == 500
    assert r.json()["type"] == "InternalError" and r.headers["x-request-id"] in r.json()["msg"]
    text = log_stream.getvalue()
    assert "13800138000" not in text and "RuntimeError" in text


def test_redact_scrubs_keys_and_bearer_tokens():
    line = "auth Bearer abc.def and bf_0123456789ab_" + "f" * 48
    assert redact(line) == "auth Bearer [redacted] and [redacted]"


def test_redact_finds_bearer_tokens_in_any_case():
    assert redact("AUTHORIZATION: BeArEr abc.def") == "AUTHORIZATION: BeArEr [redacted]"
    assert redact("nothing secret here") == "nothing secret here"
