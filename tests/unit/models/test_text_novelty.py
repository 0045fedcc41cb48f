"""Novelty: distance of a text to the nearest in-scope training text (out-of-scope signal)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from bizforge.errors import ModelError
from bizforge.models import get_model
from bizforge.models.text_embed.backbones import CACHE
from bizforge.models.text_embed.novelty import ARRAY_FILE, STATE_FILE, Novelty

CARD = ["I lost my card", "my card was stolen", "block my lost card", "card missing since today"]
TRANSFER = ["send money to my friend", "make a transfer", "wire money abroad",
            "transfer cash to my mum"]


@pytest.fixture(scope="module")
def fitted():
    CACHE.clear()
    texts = CARD * 5 + TRANSFER * 5
    X = pd.DataFrame({"text": texts})
    y = np.array([0] * 20 + [1] * 20)
    model = get_model("embed_linear")("binary").fit(X, y)
    yield model, X
    CACHE.clear()


def test_reference_is_the_embedded_training_texts(fitted):
    model, X = fitted
    nov = Novelty.from_member(model, X)
    assert len(nov) == len(set(X["text"]))  # each distinct text once
    d = nov.distance(pd.DataFrame({"text": ["I lost my card", "my card got lost",
                                            "what is the weather in Paris?"]}))
    assert d[0] == pytest.approx(0.0, abs=1e-3)  # a training text: at distance 0
    assert d[0] < d[1] < d[2]  # a paraphrase is near; another topic is far


def test_texts_not_embedded_in_training_are_left_out(fitted):
    model, X = fitted
    unseen = pd.DataFrame({"text": ["never embedded by the model"]})
    assert Novelty.from_member(model, unseen) is None
    both = pd.concat([X.head(2), unseen], ignore_index=True)
    assert len(Novelty.from_member(model, both)) == 2


def test_round_trip_and_tampered_reference(fitted, tmp_path):
    model, X = fitted
    nov = Novelty.from_member(model, X)
    nov.save(tmp_path)
    query = pd.DataFrame({"text": ["please wire money", "tell me a joke"]})
    assert np.allclose(Novelty.load(tmp_path).distance(query), nov.distance(query), atol=2e-3)
    state = json.loads((tmp_path / STATE_FILE).read_text())
    (tmp_path / STATE_FILE).write_text(json.dumps({**state, "rows": state["rows"] + 1}))
    with pytest.raises(ModelError, match="rows"):
        Novelty.load(tmp_path)
    (tmp_path / ARRAY_FILE).unlink()
    with pytest.raises(ModelError, match="cannot be read"):
        Novelty.load(tmp_path)


def test_distance_without_hides_the_rows_own_class(fitted, tmp_path):
    model, X = fitted
    y = np.array([0] * 20 + [1] * 20)
    nov = Novelty.from_member(model, X, y)
    rows = pd.DataFrame({"text": ["I lost my card", "make a transfer"]})
    own = nov.distance(rows)
    hidden = nov.distance_without(rows, [0, 1])
    assert own == pytest.approx([0.0, 0.0], abs=1e-3)
    assert (hidden > own + 0.1).all()  # only the other intent's texts are left to match
    assert nov.distance_without(rows, [1, 0]) == pytest.approx(own, abs=1e-6)
    with pytest.raises(ModelError, match="one class per row"):
        nov.distance_without(rows, [0])
    nov.save(tmp_path)
    with pytest.raises(ModelError, match="only while training"):
        Novelty.load(tmp_path).distance_without(rows, [0, 1])


def test_missing_text_column_names_it(fitted):
    model, X = fitted
    with pytest.raises(ModelError, match="'text'"):
        Novelty.from_member(model, X).distance(pd.DataFrame({"message": ["hi"]}))


def test_shared_embeddings_embed_a_text_once_and_keep_nothing(fitted, monkeypatch):
    from bizforge.models.text_embed import backbones

    model, _ = fitted
    emb = backbones.open_backbone(model.backbone_, 1)
    calls: list[str] = []
    original = type(emb)._embed

    def spy(self, texts):
        calls.extend(texts)
        return original(self, texts)

    monkeypatch.setattr(type(emb), "_embed", spy)
    text = "a text never seen in training"
    first = emb.embed([text], store=False)
    emb.embed([text], store=False)
    assert calls == [text, text]  # prediction does not memoise
    calls.clear()
    with backbones.shared_embeddings():
        a = emb.embed([text], store=False)
        with backbones.shared_embeddings():  # nested: the same scope
            b = emb.embed([text, text], store=False)
    assert calls == [text]
    assert np.allclose(a, first) and np.allclose(b, np.vstack([first, first]))
    assert backbones.CACHE.get(emb.key, text) is None  # the scope's rows are gone
    emb.embed([text], store=False)
    assert calls == [text, text]
