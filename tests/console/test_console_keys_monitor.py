"""Keys (created and shown once, revoked after confirmation) and the Monitor page."""

from __future__ import annotations

import re

from console_helpers import csrf_of


def test_a_new_key_is_shown_once_and_works(admin, make_client):
    answer = admin.post("/keys", data={"csrf": csrf_of(admin.get("/keys").text),
                                       "role": "predict", "label": "crm <b>"})
    secret = re.search(r'id="new-key" type="text" readonly value="([^"]+)"', answer.text).group(1)
    assert secret.startswith("bf_")
    assert "crm &lt;b&gt;" in answer.text
    assert secret not in admin.get("/keys").text
    other = make_client()
    page = other.get("/signin")
    assert other.post("/signin", data={"key": secret, "csrf": csrf_of(page.text)}).url.path \
        == "/models"


def test_revoking_asks_for_confirmation_first(admin, registry):
    key_id = next(k.key_id for k in registry.keys.list() if k.role == "predict")
    csrf = csrf_of(admin.get("/keys").text)
    asked = admin.post(f"/keys/{key_id}/revoke", data={"csrf": csrf})
    assert "Revoke key" in asked.text and 'name="confirm" value="yes"' in asked.text
    assert not next(k for k in registry.keys.list() if k.key_id == key_id).revoked
    admin.post(f"/keys/{key_id}/revoke", data={"csrf": csrf, "confirm": "yes"})
    assert next(k for k in registry.keys.list() if k.key_id == key_id).revoked


def test_monitor_shows_requests_errors_latency_and_class_mix(admin):
    metrics = admin.app.state.metrics
    metrics.observe_predict("churn", 1, 200, 0.004)
    metrics.observe_predict("churn", 1, 422, 0.002)
    metrics.count_labels("churn", 1, ["是", "否", "否"])
    page = admin.get("/monitor").text
    row = re.search(r"<tr><td>churn:1</td>(.*?)</tr>", page, re.DOTALL).group(1)
    cells = re.findall(r"<td>(.*?)</td>", row, re.DOTALL)
    assert cells[:2] == ["2", "1"]
    assert float(cells[2]) == 3.0
    assert "否: 2 (67%)" in row


def test_monitor_draws_requests_over_time(admin):
    console = admin.app.state.console
    for _ in range(3):
        console.sample()
        admin.app.state.metrics.observe_predict("churn", 1, 200, 0.01)
    assert "<polyline" in admin.get("/monitor").text
