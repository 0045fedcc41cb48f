"""REST for the answer family: ``POST /v1/models/{name}/answer`` with typed bodies."""

from __future__ import annotations

import pytest

from bizforge.families.answer.samples import faq
from bizforge.pipeline import train


@pytest.fixture(scope="module")
def faq_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faq")
    kb, queries = faq("en")
    queries.to_csv(folder / "q.csv", index=False)
    return train(kb, task="answer", queries=str(folder / "q.csv"), encoder="none",
                 time_limit=20, out=folder / "m")


@pytest.fixture
def faq_client(registry, faq_run, make_client):
    registry.publish(faq_run, "faq")
    return make_client()


def test_answer_returns_the_entry_its_source_and_candidates(faq_client, headers):
    r = faq_client.post("/v1/models/faq/answer", headers=headers["predict"],
                        json={"question": "How do I reset my password?", "k": 2})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["entry_id"] == "pw" and not body["handover"]
    assert body["source"]["entry_id"] == "pw" and len(body["candidates"]) == 2


def test_an_unknown_topic_is_handed_over_without_an_answer(faq_client, headers):
    r = faq_client.post("/v1/models/faq/answer", headers=headers["predict"],
                        json={"question": "zebra quantum violin"})
    body = r.json()
    assert r.status_code == 200 and body["handover"] and body["answer"] is None
    assert "colleague" in body["message"]


def test_a_20000_character_question_is_read_in_part(faq_client, headers):
    r = faq_client.post("/v1/models/faq/answer", headers=headers["predict"],
                        json={"question": "x" * 19_990 + " password"})
    assert r.status_code == 200 and "were read" in r.json()["notes"][0]


@pytest.mark.parametrize("body", [{"question": ""}, {"question": "y" * 20_001}, {"k": 3},
                                  {"question": "hi", "extra": 1}, {"question": 5}])
def test_bad_bodies_are_422s_naming_the_field(faq_client, headers, body):
    r = faq_client.post("/v1/models/faq/answer", headers=headers["predict"], json=body)
    assert r.status_code == 422, r.text


def test_the_answer_schema_is_in_openapi(faq_client, headers):
    spec = faq_client.get("/openapi.json", headers=headers["admin"]).json()
    assert any(path.endswith("/answer") for path in spec["paths"])


def test_questions_answered_together_equal_one_by_one(faq_run):
    from bizforge.families.answer.api import AnswerRequest

    action = faq_run.predictor.actions()[0]
    asked = [("How do I reset my password?", 1), ("zebra quantum violin", 2),
             ("pay by card", 4), ("when are you open", 0), ("pay by card", 1)]
    requests = [AnswerRequest(question=q, k=k) for q, k in asked]
    assert action.handle_many(requests) == [action.handle(r) for r in requests]


def test_concurrent_questions_get_their_own_answers_and_errors(faq_client, headers):
    from concurrent.futures import ThreadPoolExecutor

    bodies = [{"question": "How do I reset my password?", "k": 1}, {"question": "   "},
              {"question": "Which payment methods do you accept?", "k": 3}] * 4

    def post(body):
        return faq_client.post("/v1/models/faq/answer", headers=headers["predict"], json=body)

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(post, bodies))
    for body, r in zip(bodies, got):
        if body["question"].strip():
            assert r.status_code == 200 and len(r.json()["candidates"]) == body["k"]
        else:
            assert r.status_code == 422 and "question" in r.text
