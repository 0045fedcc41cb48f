"""Models (list, card, report, promote / roll back / delete with confirmation), Try it,
and a real training run from the Train form to a prediction."""

from __future__ import annotations

import re
import time

import pytest
from console_helpers import csrf_of

from bizforge.pipeline import train
from bizforge.samples import CHURN_TARGET, churn_table

XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def churn_run(tmp_path_factory):
    frame = churn_table(200, seed=1).rename(columns={"城市": XSS})
    return train(frame, CHURN_TARGET, time_limit=1.0,
                 out=tmp_path_factory.mktemp("console-model") / "churn")


@pytest.fixture
def published(registry, churn_run):
    registry.publish(churn_run, "churn")
    registry.publish(churn_run, "churn")
    registry.promote("churn", 1)
    return registry


def test_models_list_and_card(published, reader):
    page = reader.get("/models").text
    assert 'href="/models/churn"' in page and "production → 1" in page
    card = reader.get("/models/churn").text
    assert "churn:1" in card and "churn:2" in card and "roc_auc" in card
    assert "Delete" not in card and "Promote" not in card  # a predict key only reads
    assert '<iframe class="report"' in card and 'sandbox="allow-scripts"' in card


def test_the_report_is_served_in_a_sandbox(published, reader):
    answer = reader.get("/models/churn/1/report")
    assert answer.status_code == 200 and "<html" in answer.text.lower()
    assert answer.headers["content-security-policy"].startswith("sandbox allow-scripts")
    assert answer.headers["x-frame-options"] == "SAMEORIGIN"


def test_promote_asks_first_then_moves_the_alias(published, admin):
    csrf = csrf_of(admin.get("/models/churn").text)
    asked = admin.post("/models/churn/promote", data={"csrf": csrf, "version": "2",
                                                     "alias": "production"})
    assert "Point alias 'production' of churn at version 2?" in asked.text.replace("&#39;", "'")
    assert published.get("churn@production").version == 1
    admin.post("/models/churn/promote", data={"csrf": csrf, "version": "2",
                                             "alias": "production", "confirm": "yes"})
    assert published.get("churn@production").version == 2
    admin.post("/models/churn/rollback", data={"csrf": csrf, "alias": "production",
                                              "confirm": "yes"})
    assert published.get("churn@production").version == 1


def test_delete_asks_first_and_refuses_an_aliased_version_without_force(published, admin):
    csrf = csrf_of(admin.get("/models/churn").text)
    asked = admin.post("/models/churn/delete", data={"csrf": csrf, "version": "2"})
    assert "Delete churn:2?" in asked.text
    assert len(published.versions("churn")) == 2
    refused = admin.post("/models/churn/delete", data={"csrf": csrf, "version": "1",
                                                      "confirm": "yes"})
    assert refused.status_code == 422 and "production" in refused.text
    admin.post("/models/churn/delete", data={"csrf": csrf, "version": "2", "confirm": "yes"})
    assert [v.version for v in published.versions("churn")] == [1]


def test_a_predict_key_cannot_change_models(published, reader):
    csrf = csrf_of(reader.get("/models/churn").text)
    answer = reader.post("/models/churn/delete", data={"csrf": csrf, "version": "2",
                                                      "confirm": "yes"})
    assert answer.status_code == 403
    assert len(published.versions("churn")) == 2


def test_try_it_builds_a_typed_form_and_answers_with_reasons(published, reader):
    page = reader.get("/try/churn").text
    assert '<option value="月付"' in page  # category choices from the training data
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and XSS not in page
    row = churn_table(1, seed=5).rename(columns={"城市": XSS}).iloc[0]
    data = {"csrf": csrf_of(page), **{k: str(v) for k, v in row.items()}}
    answer = reader.post("/try/churn/predict", data=data)
    assert answer.status_code == 200
    label = re.search(r'id="answer-label">([^<]*)<', answer.text).group(1)
    assert label in ("是", "否")
    assert "Probability" in answer.text and "Reasons" in answer.text
    assert XSS not in answer.text
    monitor = reader.get("/monitor").text
    assert re.search(r"<td>churn:1</td><td>1</td>", monitor)


def test_try_it_names_the_field_that_is_not_a_number(published, reader):
    page = reader.get("/try/churn").text
    row = churn_table(1, seed=5).rename(columns={"城市": XSS}).iloc[0]
    data = {"csrf": csrf_of(page), **{k: str(v) for k, v in row.items()}, "年龄": "old"}
    answer = reader.post("/try/churn/predict", data=data)
    assert answer.status_code == 422 and "年龄" in answer.text


def test_train_publish_and_try_with_the_real_worker(make_client, keys):
    from console_helpers import sign_in

    client = make_client()
    sign_in(client, keys["admin"])
    csrf = csrf_of(client.get("/data").text)
    upload = client.post("/data", data={"csrf": csrf}, files={
        "file": ("c.csv", churn_table(200).to_csv(index=False).encode(), "text/csv")})
    upload_id = upload.url.path.rsplit("/", 1)[1]
    page = client.get(f"/train?upload={upload_id}").text
    job = client.post("/train", data={"csrf": csrf_of(page), "upload": upload_id,
                                      "target": CHURN_TARGET, "task": "auto",
                                      "time_limit": "2"})
    job_id = job.url.path.rsplit("/", 1)[1]
    queue = client.app.state.console.jobs
    deadline = time.monotonic() + 240
    while queue.get(job_id)["status"] in ("queued", "running"):
        assert time.monotonic() < deadline
        time.sleep(0.5)
    done = client.get(f"/jobs/{job_id}")
    assert "done" in done.text, queue.get(job_id)["error"]
    assert client.get(f"/jobs/{job_id}/report").status_code == 200
    published = client.post(f"/jobs/{job_id}/publish", data={"csrf": csrf_of(done.text),
                                                           "name": "churn"})
    assert published.url.path == "/models/churn" and "churn:1" in published.text
    assert client.get("/try/churn").status_code == 200
