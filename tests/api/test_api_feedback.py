"""``POST /v1/models/{name}/feedback`` for any model, and what an action's ``remember``
hook asks the server to keep (stored after the answer, personal data masked)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from bizforge.families import Action, Family, FamilyPredictor, Trained, catalog, register_family
from bizforge.pipeline import train
from bizforge.registry import Registry, create_key
from bizforge.registry.feedback import events
from bizforge.serve.api import ServerOptions, create_app


def test_feedback_on_a_model_is_stored_masked_against_its_version(client, headers, registry):
    body = {"question": "my phone is 13800138000, refund?", "helpful": False,
            "entry_id": "faq-3", "answer_entry_id": "faq-9"}
    response = client.post("/v1/models/churn/feedback", json=body, headers=headers["predict"])
    assert response.status_code == 201, response.text
    assert response.json() == {"id": 1, "model": "churn", "version": 1, "kind": "feedback"}
    [stored] = events(registry, "churn")
    assert stored["kind"] == "feedback" and stored["version"] == 1
    assert stored["payload"] == {"question": "my phone is 138****8000, refund?",
                                 "helpful": False, "entry_id": "faq-3",
                                 "answer_entry_id": "faq-9"}


def test_feedback_needs_a_predict_key(client):
    assert client.post("/v1/models/churn/feedback", json={"helpful": True}).status_code == 401


def test_feedback_on_an_unknown_model_is_a_404(client, headers):
    response = client.post("/v1/models/nope/feedback", json={"helpful": True},
                           headers=headers["predict"])
    assert response.status_code == 404


@pytest.mark.parametrize("body, field", [
    ({"question": "q"}, None),                      # says nothing about the answer
    ({"helpful": "very"}, "helpful"),
    ({"helpful": True, "extra": 1}, "extra"),
    ({"helpful": True, "question": "x" * 5000}, "question"),
])
def test_a_feedback_body_that_says_nothing_or_is_malformed_is_a_422(client, headers, body,
                                                                     field):
    response = client.post("/v1/models/churn/feedback", json=body, headers=headers["predict"])
    assert response.status_code == 422, response.text
    if field:
        assert field in response.json()["loc"]
    else:
        assert "helpful" in response.json()["msg"]


def test_feedback_is_in_the_openapi_document(client, headers):
    paths = client.get("/openapi.json", headers=headers["predict"]).json()["paths"]
    assert "post" in paths["/v1/models/{name}/feedback"]


# -- the remember hook: a tiny family that hands over questions without a '?' ----------


class Ask(BaseModel):
    question: str


class Reply(BaseModel):
    answer: str | None
    handed_over: bool


class EchoPredictor(FamilyPredictor):
    family = "echo"
    info: ClassVar[dict] = {"task": "echo"}

    def save(self, folder: Path) -> None:
        (folder / "model.json").write_text(json.dumps(self.info), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> EchoPredictor:
        return cls()

    def predict(self, data):
        return data

    def score(self, data, *, explain=False, progress=None):
        return data

    def _ask(self, request: Ask) -> dict:
        if "?" in request.question:
            return {"answer": "yes", "handed_over": False}
        if request.question == "boom":
            return {"answer": None, "handed_over": True}
        return {"answer": None, "handed_over": True}

    @staticmethod
    def _remember(request: Ask, answer: dict) -> dict | None:
        if request.question == "boom":
            raise RuntimeError("the hook fails")
        if answer["handed_over"]:
            return {"kind": "handover", "question": request.question}
        return None

    def actions(self):
        return [Action("ask", Ask, Reply, self._ask, remember=self._remember),
                Action("shout", Ask, Reply, lambda r: {"answer": r.question,
                                                        "handed_over": False},
                       finish=lambda r, a: {**a, "answer": a["answer"].upper()}),
                Action("broken", Ask, Reply, lambda r: {"answer": "x", "handed_over": False},
                       finish=lambda r, a: {"answer": 3})]


class EchoFamily(Family):
    name = "echo"
    tasks = ("echo",)
    needs_target = False

    @classmethod
    def recognise(cls, source, target):
        return 0.0

    def inspect(self, source, *, target, options, lang="en"):
        return None

    def train(self, source, *, target, task, options, test, time_limit, seed=0, lang="en",
              progress=None):
        metrics = {"task": task, "metric": "none", "test": {}, "leaderboard": [],
                   "fit_seconds": 0.0}
        return Trained(EchoPredictor(), metrics, _Report())

    @classmethod
    def load(cls, folder):
        return EchoPredictor()


class _Report:
    def save(self, path):
        Path(path).write_text("<html></html>", encoding="utf-8")


@pytest.fixture
def echo(tmp_path):
    catalog._load_all()
    register_family(EchoFamily)
    registry = Registry(home=tmp_path / "registry")
    registry.publish(train(pd.DataFrame({"x": [1]}), task="echo", out=tmp_path / "m"), "echo")
    key = create_key("predict", label="echo", registry=registry)[1]
    options = ServerOptions(preload=False, registry_poll=0.0)
    with TestClient(create_app(registry=registry, options=options)) as http:
        http.headers["Authorization"] = f"Bearer {key}"
        yield http, registry
    registry.close()
    catalog._REGISTRY.pop("echo", None)


def test_a_handed_over_question_is_remembered_masked(echo):
    http, registry = echo
    response = http.post("/v1/models/echo/ask", json={"question": "call me at 13800138000"})
    assert response.status_code == 200 and response.json()["handed_over"] is True
    [event] = events(registry, "echo", kinds=["handover"])
    assert event["payload"] == {"question": "call me at 138****8000"}
    assert event["version"] == 1


def test_nothing_is_remembered_when_the_hook_returns_none(echo):
    http, registry = echo
    assert http.post("/v1/models/echo/ask", json={"question": "open?"}).status_code == 200
    assert events(registry, "echo") == []


def test_a_failing_hook_never_fails_the_answer(echo):
    http, registry = echo
    response = http.post("/v1/models/echo/ask", json={"question": "boom"})
    assert response.status_code == 200
    assert events(registry, "echo") == []


def test_a_finish_step_runs_after_the_handler_and_is_checked(echo):
    http, _ = echo
    response = http.post("/v1/models/echo/shout", json={"question": "hello"})
    assert response.json() == {"answer": "HELLO", "handed_over": False}
    broken = http.post("/v1/models/echo/broken", json={"question": "hello"})
    assert broken.status_code == 503 and "does not fit its response model" in broken.text
