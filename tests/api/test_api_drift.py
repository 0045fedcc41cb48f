"""Drift monitoring through the server: tallies flushed to the registry, the drift route,
the PSI gauges. Generated churn rows; a shifted copy moves exactly the shifted columns."""

from __future__ import annotations

import json

import pytest

from bizforge.samples import CHURN_TARGET, churn_table

PREDICT = "/v1/models/churn/predict"
SHIFTED = ("年龄", "合约类型")  # age and contract type


def _rows(shift: bool, n: int = 400) -> list[dict]:
    frame = churn_table(n, seed=11).drop(columns=[CHURN_TARGET])
    if shift:
        frame["年龄"] = frame["年龄"] + 25  # an older clientele
        frame["合约类型"] = "两年合约"  # everybody on a two-year contract
    return json.loads(frame.to_json(orient="records", force_ascii=False))


def _serve(client, headers, rows) -> None:
    for start in range(0, len(rows), 100):
        r = client.post(PREDICT, json={"rows": rows[start:start + 100]},
                        headers=headers["predict"])
        assert r.status_code == 200, r.text


def test_shifted_rows_are_flagged_on_exactly_the_shifted_columns(client, headers):
    _serve(client, headers, _rows(shift=True))
    r = client.get("/v1/models/churn/drift", headers=headers["predict"])
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["rows"] == 400
    assert sorted(report["drifted"]) == sorted(SHIFTED)
    assert any("retrain churn" in line for line in report["advice"])


def test_rows_like_the_training_data_are_not_flagged(client, headers):
    _serve(client, headers, _rows(shift=False))
    report = client.get("/v1/models/churn/drift", headers=headers["predict"]).json()
    assert report["rows"] == 400 and report["enough_rows"]
    assert report["drifted"] == []


def test_too_few_rows_are_not_called_drifted(client, headers):
    _serve(client, headers, _rows(shift=True, n=30))
    report = client.get("/v1/models/churn/drift", headers=headers["predict"]).json()
    assert not report["enough_rows"] and report["drifted"] == []


def test_the_summaries_in_the_registry_hold_counts_not_values(client, headers, registry):
    import sqlalchemy as sa

    from bizforge.registry.db import serving_summaries

    _serve(client, headers, _rows(shift=False, n=100))
    client.get("/v1/models/churn/drift", headers=headers["predict"])
    with registry.engine.connect() as conn:
        (summary,) = conn.execute(sa.select(serving_summaries.c.summary)).scalars().all()
    stored = json.dumps(summary, ensure_ascii=False)
    assert summary["rows"] == 100
    assert "138" not in stored  # no phone number prefix, no raw value of any kind
    assert all(isinstance(c, int) for counts in summary["features"].values() for c in counts)


def test_psi_gauges_are_exported_after_a_flush(client, headers):
    _serve(client, headers, _rows(shift=True))
    client.app.state.drift.flush()
    text = client.get("/metrics", headers=headers["predict"]).text
    assert 'bizforge_drift_psi{feature="年龄",model="churn",version="1"}' in text


@pytest.mark.parametrize("since", ["7", "0d", "3y", "-1d"])
def test_a_malformed_period_is_422(client, headers, since):
    r = client.get(f"/v1/models/churn/drift?since={since}", headers=headers["predict"])
    assert r.status_code == 422
