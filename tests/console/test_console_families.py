"""The console with every family's data: the Data page reads interactions, FAQs, document
zips and long tables (inspected as a forecast on request), the Train form starts from
what was inspected, and Try it starts from a request the model can answer."""

from __future__ import annotations

import html
import io
import re
import zipfile
from types import SimpleNamespace

import pandas as pd
import pytest
from console_helpers import csrf_of, interactions

from bizforge.families.answer.samples import faq
from bizforge.families.forecast.samples import weekly_sales
from bizforge.pipeline import train


def _upload(client, name, content: bytes):
    csrf = csrf_of(client.get("/data").text)
    answer = client.post("/data", data={"csrf": csrf},
                         files={"file": (name, content, "application/octet-stream")})
    assert answer.status_code == 200, answer.text[-500:]
    return answer


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def test_a_long_table_is_a_table_until_inspected_as_a_forecast(admin):
    page = _upload(admin, "sales.csv", _csv(weekly_sales(stores=2, weeks=30)))
    assert "Read as: tabular-classification" in page.text
    upload_id = page.url.path.rsplit("/", 1)[1]
    asked = admin.get(f"/data/{upload_id}", params={"task": "forecast", "target": "sales"})
    assert asked.status_code == 200
    assert "Read as: forecast" in asked.text
    assert f'href="/train?upload={upload_id}&amp;task=forecast&amp;target=sales"' in asked.text
    form = admin.get("/train", params={"upload": upload_id, "task": "forecast",
                                       "target": "sales"}).text
    assert '<option value="forecast" selected>' in form
    assert '<option value="sales" selected>' in form


def test_inspecting_as_an_unknown_task_is_refused_naming_it(admin):
    page = _upload(admin, "sales.csv", _csv(weekly_sales(stores=2, weeks=30)))
    upload_id = page.url.path.rsplit("/", 1)[1]
    answer = admin.get(f"/data/{upload_id}", params={"task": "<b>x</b>"})
    assert answer.status_code == 422
    assert "unknown task '<b>x</b>'" in html.unescape(answer.text)
    assert "<b>x</b>" not in answer.text  # shown as text


def test_a_forecast_of_a_missing_column_names_it(admin):
    page = _upload(admin, "sales.csv", _csv(weekly_sales(stores=2, weeks=30)))
    upload_id = page.url.path.rsplit("/", 1)[1]
    answer = admin.get(f"/data/{upload_id}", params={"task": "forecast", "target": "revenue"})
    assert 400 <= answer.status_code < 500
    assert "revenue" in answer.text


def test_an_interactions_table_is_read_by_the_recommender(admin):
    page = _upload(admin, "orders.csv", _csv(interactions()))
    assert "Read as: recommend" in page.text
    assert re.search(r"<dt>n_users</dt><dd>\s*40\s*</dd>", page.text)  # its own summary
    upload_id = page.url.path.rsplit("/", 1)[1]
    form = admin.get("/train", params={"upload": upload_id}).text
    target = re.search(r'<select id="target".*?</select>', form, re.DOTALL).group(0)
    assert "selected" not in target  # a recommender needs no target: none is chosen


def test_a_faq_table_and_a_zip_of_documents_are_read_by_the_answerer(admin):
    kb, _ = faq("en")
    page = _upload(admin, "faq.csv", _csv(kb))
    assert "Read as: answer" in page.text
    assert re.search(r"<dt>rows</dt><dd>\s*10\s*</dd>", page.text)  # ten entries
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("guide/returns.md", "# Returns\n\nSend items back within 30 days.\n")
        archive.writestr("guide/shipping.md", "# Shipping\n\nOrders arrive in 3 to 5 days.\n")
    page = _upload(admin, "manual.zip", buffer.getvalue())
    assert "Read as: answer" in page.text


# -- Try it starts from a request the model can answer ----------------------------------------
@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("console-families")
    kb, _ = faq("en")
    return {
        "shop": train(interactions(), task="recommend", time_limit=3, out=folder / "shop"),
        "faq": train(kb, task="answer", encoder="none", time_limit=3, out=folder / "faq"),
    }


@pytest.fixture
def published(registry, models):
    for name, run in models.items():
        registry.publish(run, name)
    return registry


def test_a_recommender_form_starts_from_a_known_user(published, reader):
    page = reader.get("/try/shop").text
    assert re.search(r'name="user"[^>]*value="u0"', page)
    answer = reader.post("/try/shop/recommend", data={"csrf": csrf_of(page), "user": "u0"})
    assert answer.status_code == 200
    items = re.findall(r"<td>(i\d+)</td>", answer.text)
    assert items and items[0] in {f"i{i}" for i in range(10)}  # first from u0's own group


def test_an_answerer_answers_with_its_source_and_hands_over_the_rest(published, reader):
    page = reader.get("/try/faq").text
    assert "How do I reset my password?" in page  # the KB's first question, filled in
    answer = reader.post("/try/faq/answer", data={"csrf": csrf_of(page),
                                                   "question": "Which payment methods?"})
    assert answer.status_code == 200 and "PayPal" in answer.text and "pay" in answer.text
    other = reader.post("/try/faq/answer", data={"csrf": csrf_of(page),
                                                  "question": "zebra quantum volcano"})
    assert re.search(r"<dt>handover</dt><dd>\s*True", other.text)


def test_an_upload_form_has_no_required_base64_field():
    from bizforge.families.base import Action
    from bizforge.families.image.predictor import ImageRequest, ImageResponse
    from bizforge.serve.console.routes_models import _forms

    action = Action("predict", ImageRequest, ImageResponse, lambda r: {}, upload=True,
                    from_upload=lambda files: None)
    model = SimpleNamespace(actions={"predict": action}, fast=False)
    (form,) = _forms(model)
    assert form["upload"] and form["fields"] == []  # the files are the request


def test_a_second_file_option_offers_the_uploads_and_queues_its_path(admin):
    kb, queries = faq("en")
    _upload(admin, "questions.csv", _csv(queries))
    page = _upload(admin, "faq.csv", _csv(kb))
    kb_id = page.url.path.rsplit("/", 1)[1]
    form = admin.get("/train", params={"upload": kb_id}).text
    choice = re.search(r'<select id="opt-f-queries" name="opt.queries".*?</select>', form,
                       re.DOTALL).group(0)
    assert "questions.csv" in choice and "faq.csv" in choice
    queries_id = re.search(r'<option value="([0-9a-f]{16})"[^>]*>questions.csv', choice).group(1)
    job = admin.post("/train", data={"csrf": csrf_of(form), "upload": kb_id, "task": "answer",
                                     "time_limit": "5", "opt.queries": queries_id})
    assert job.status_code == 200
    spec = admin.app.state.console.jobs.list()[0]["spec"]
    assert spec["options"]["queries"].endswith("questions.csv")
    wrong = admin.post("/train", data={"csrf": csrf_of(form), "upload": kb_id, "task": "answer",
                                       "time_limit": "5", "opt.queries": "0" * 16})
    assert wrong.status_code == 422 and "option 'queries'" in html.unescape(wrong.text)
