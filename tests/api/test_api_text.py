"""The REST API over a text classifier: answers, explanations, and bad rows."""

from __future__ import annotations

import warnings

import pytest
from fastapi.testclient import TestClient

from bizforge.pipeline import train
from bizforge.registry import Registry, create_key
from bizforge.samples import REVIEW_TARGET, REVIEW_TEXT, review_table
from bizforge.serve.api import ServerOptions, create_app

PREDICT = "/v1/models/reviews/predict"


@pytest.fixture(scope="module")
def text_client(tmp_path_factory):
    root = tmp_path_factory.mktemp("api-text")
    run = train(review_table(160, seed=3), REVIEW_TARGET, time_limit=3, out=root / "m",
                candidates=[("tfidf_linear", {})])
    registry = Registry(home=root / "registry")
    registry.publish(run, "reviews")
    key = create_key("predict", label="text", registry=registry)[1]
    opts = ServerOptions(preload=False, registry_poll=0.0)
    with TestClient(create_app(registry=registry, options=opts)) as client:
        yield client, {"Authorization": f"Bearer {key}"}
    registry.close()


def test_text_rows_are_answered_and_explained_with_words_of_the_text(text_client):
    client, headers = text_client
    rows = [{REVIEW_TEXT: "物流很快，质量很好"}, {REVIEW_TEXT: "The phone stopped charging. Not happy."}]
    r = client.post(PREDICT + "?explain=true", json={"rows": rows}, headers=headers)
    assert r.status_code == 200, r.text
    answers = r.json()["predictions"]
    assert [a["label"] for a in answers] == ["positive", "negative"]
    for row, answer in zip(rows, answers):
        words = [reason["value"] for reason in answer["reasons"]]
        assert words and all(w in row[REVIEW_TEXT] for w in words)


@pytest.mark.parametrize("text", ["", "😀\x01\x02", "很好" * 50_000])
def test_empty_emoji_and_huge_texts_get_an_answer(text_client, text):
    client, headers = text_client
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = client.post(PREDICT, json={"rows": [{REVIEW_TEXT: text}]}, headers=headers)
    cut = [w for w in caught if "were cut to their first 20000" in str(w.message)]
    assert len(cut) == (len(text) > 20_000)
    assert r.status_code == 200, r.text
    probabilities = r.json()["predictions"][0]["probabilities"]
    assert abs(sum(probabilities.values()) - 1.0) < 1e-6


def test_a_row_without_the_text_field_is_422_naming_it(text_client):
    client, headers = text_client
    r = client.post(PREDICT, json={"rows": [{"comment": "很好"}]}, headers=headers)
    assert r.status_code == 422 and REVIEW_TEXT in r.json()["msg"]
