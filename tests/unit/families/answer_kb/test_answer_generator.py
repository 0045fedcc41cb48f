"""The optional generator: an OpenAI-compatible server, faked locally (no network)."""

from __future__ import annotations

import time

import pytest

from bizforge.errors import UsageError
from bizforge.families.answer.generator import (
    GeneratorError,
    GeneratorSettings,
    answer,
    chat_url,
    check_url,
    generate,
)
from fake_llm import FakeLLM

PASSAGES = [
    {"entry_id": "faq-1", "text": "How do I pay?", "answer": "By card or cash.",
     "source": "faq", "heading": ""},
    {"entry_id": "guide.md#2", "text": "Refunds take five days.", "source": "guide.md",
     "heading": "Guide > Refunds"},
]


@pytest.fixture
def llm():
    fake = FakeLLM()
    yield fake
    fake.close()


def test_the_question_and_numbered_passages_are_posted_and_citations_read(llm):
    made = generate("How do I pay?", PASSAGES, GeneratorSettings(llm.url, model="m"))
    method, path, body, _ = llm.requests[-1]
    assert (method, path) == ("POST", "/v1/chat/completions")
    assert body["model"] == "m" and body["stream"] is False
    prompt = body["messages"][1]["content"]
    assert "[1] faq\nBy card or cash." in prompt and "[2] guide.md — Guide > Refunds" in prompt
    assert prompt.endswith("Question: How do I pay?")
    assert "[1], [2]" in body["messages"][0]["content"]
    assert made["citations"] == [1, 2]  # [9] is no passage


def test_the_model_name_is_asked_from_the_server_when_not_given(llm):
    generate("q", PASSAGES, GeneratorSettings(llm.url + "/v1"))
    assert llm.requests[0][:2] == ("GET", "/v1/models")
    assert llm.requests[1][2]["model"] == "qwen-local"


def test_a_bearer_key_comes_from_the_environment(llm, monkeypatch):
    monkeypatch.setenv("BIZFORGE_GENERATOR_KEY", "s3cret")
    generate("q", PASSAGES, GeneratorSettings(llm.url, model="m"))
    assert llm.requests[-1][3]["Authorization"] == "Bearer s3cret"


def test_answer_maps_citations_to_entry_ids(llm):
    out = answer("How do I pay?", PASSAGES, GeneratorSettings(llm.url, model="m"))
    assert out["generated"] is True and out["warning"] is None
    assert out["citations"] == ["faq-1", "guide.md#2"]


def test_an_error_falls_back_to_the_retrieved_answer_with_a_warning():
    fake = FakeLLM(status=500)
    try:
        out = answer("How do I pay?", PASSAGES, GeneratorSettings(fake.url, model="m"))
    finally:
        fake.close()
    assert out["generated"] is False and out["answer"] == "By card or cash."
    assert "HTTP 500" in out["warning"] and out["citations"] == ["faq-1"]


def test_a_timeout_falls_back_quickly():
    fake = FakeLLM(delay=2.0)
    try:
        start = time.perf_counter()
        out = answer("q", PASSAGES, GeneratorSettings(fake.url, model="m", timeout=0.3))
        assert time.perf_counter() - start < 1.5
    finally:
        fake.close()
    assert out["generated"] is False and "did not answer" in out["warning"]


def test_a_server_that_is_down_falls_back():
    out = answer("q", PASSAGES, GeneratorSettings("http://127.0.0.1:9", model="m", timeout=1))
    assert out["generated"] is False and out["warning"]


def test_an_empty_reply_is_an_error():
    fake = FakeLLM(reply="  ")
    try:
        with pytest.raises(GeneratorError, match="empty"):
            generate("q", PASSAGES, GeneratorSettings(fake.url, model="m"))
    finally:
        fake.close()


def test_no_generator_means_no_request_at_all():
    out = answer("q", PASSAGES, None)
    assert out == {"answer": "By card or cash.", "generated": False, "citations": ["faq-1"],
                   "warning": None}


def test_urls_are_checked_and_completed():
    with pytest.raises(UsageError, match="not an http"):
        check_url("llm.local:8000")
    assert chat_url("https://llm.local/v1/chat/completions") == \
        "https://llm.local/v1/chat/completions"
    settings = GeneratorSettings("http://x", model="m", timeout=5)
    assert GeneratorSettings.from_info(settings.to_info()) == settings
    assert GeneratorSettings.from_info(None) is None
