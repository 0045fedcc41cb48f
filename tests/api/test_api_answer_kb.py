"""A real answer model served end to end: the generator (a local fake server) writes
answers citing entries, a hand-over is remembered, feedback flows into answer-gaps and
answer-add (BM25 only, so training takes seconds)."""

from __future__ import annotations

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bizforge.cli import app
from bizforge.pipeline import train
from bizforge.registry import Registry, create_key
from bizforge.registry.feedback import events
from bizforge.serve.api import ServerOptions, create_app
from fake_llm import FakeLLM

KB = pd.DataFrame({
    "entry_id": [f"faq-{i}" for i in range(1, 9)],
    "text": ["How do I pay?", "Where is the shop?", "When are you open?",
             "How do I return an item?", "Do you deliver abroad?",
             "How long does delivery take?", "Can I change my order?",
             "Do you sell gift cards?"],
    "answer": ["By card or cash at the till.", "Main street 5, Berlin.",
               "Nine to five, Monday to Saturday.",
               "Bring it back within 30 days with the receipt.", "Yes, to every EU country.",
               "Three working days.", "Yes, within one hour of ordering.",
               "Yes, from 10 to 100 euros."]})
NONSENSE = "退款到信用卡要多久"  # a script the knowledge base lacks: handed over


@pytest.fixture(scope="module")
def llm():
    fake = FakeLLM(reply="Pay by card or cash [1].")
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def answer_run(tmp_path_factory, llm):
    root = tmp_path_factory.mktemp("answer-kb")
    KB.to_csv(root / "kb.csv", index=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BIZFORGE_HOME", str(root / "home"))
        return train(root / "kb.csv", task="answer", encoder="none", generator=llm.url,
                     generator_model="local", time_limit=30, out=root / "model")


@pytest.fixture
def served(answer_run, tmp_path):
    registry = Registry()
    registry.publish(answer_run.path, "faq")
    key = create_key("predict", label="t", registry=registry)[1]
    options = ServerOptions(preload=False, registry_poll=0.0)
    with TestClient(create_app(registry=registry, options=options)) as http:
        http.headers["Authorization"] = f"Bearer {key}"
        yield http, registry
    registry.close()


def test_the_generator_writes_the_answer_citing_entries(served, llm):
    http, _ = served
    body = http.post("/v1/models/faq/answer", json={"question": "how can I pay"}).json()
    assert body["generated"] is True and body["answer"] == "Pay by card or cash [1]."
    assert body["citations"] == ["faq-1"] and body["entry_id"] == "faq-1"
    sent = llm.requests[-1][2]
    assert sent["model"] == "local" and "By card or cash at the till." in \
        sent["messages"][1]["content"]


def test_generate_false_gives_the_retrieved_answer(served):
    http, _ = served
    body = http.post("/v1/models/faq/answer",
                     json={"question": "how can I pay", "generate": False}).json()
    assert body["generated"] is False and body["answer"] == "By card or cash at the till."


def test_a_failing_generator_gives_the_retrieved_answer_with_a_warning(served, llm):
    http, _ = served
    llm.status = 500
    try:
        body = http.post("/v1/models/faq/answer", json={"question": "how can I pay"}).json()
    finally:
        llm.status = 200
    assert body["generated"] is False and body["answer"] == "By card or cash at the till."
    assert "HTTP 500" in body["warning"]


def test_a_handed_over_question_is_remembered_and_feedback_stored(served):
    http, registry = served
    body = http.post("/v1/models/faq/answer", json={"question": NONSENSE}).json()
    assert body["handover"] is True and body["generated"] is False
    [event] = events(registry, "faq", kinds=["handover"])
    assert event["payload"]["question"] == NONSENSE
    response = http.post("/v1/models/faq/feedback", json={
        "question": "can I pay by phone", "helpful": False, "entry_id": "faq-1"})
    assert response.status_code == 201


def test_answer_add_and_answer_gaps_on_a_real_answer_model(served, tmp_path):
    http, _ = served
    for q in ["refund to credit card?", "how to refund to credit card"]:
        http.post("/v1/models/faq/feedback", json={"question": q, "helpful": False})
    runner = CliRunner()
    result = runner.invoke(app, ["answer-gaps", "faq"])
    assert result.exit_code == 0, result.output
    assert "refund" in result.output
    new = tmp_path / "new.csv"
    pd.DataFrame({"question": ["Can I get a refund to my credit card?"],
                  "answer": ["Yes, within five days."]}).to_csv(new, index=False)
    result = runner.invoke(app, ["answer-add", "faq", str(new), "--time-limit", "30"])
    assert result.exit_code == 0, result.output
    assert "published faq:2 from faq:1: 1 added" in result.output
    from bizforge.families import load_model

    v2 = load_model("faq:2")
    assert v2.info["options"]["generator_model"] == "local"
    assert v2.kb.frame["entry_id"].tolist()[-1] == "added-1"
    found = v2.predict("refund to my credit card")[0]
    assert "added-1" in [found["entry_id"], *(c["entry_id"] for c in found["candidates"])]
