"""Contrastive fine-tuning of the encoder on example questions (--finetune)."""

from __future__ import annotations

import numpy as np
import pytest

from bizforge.families.answer.dense import Encoder
from bizforge.families.answer.finetune import finetune, pairs_of
from bizforge.families.answer.predictor import AnswerPredictor
from bizforge.families.answer.samples import faq
from bizforge.pipeline import train

# Made-up codes: the bundled MiniLM cannot know which answer each belongs to.
CODES = ["zorblat", "quenthix", "mivrodle", "paxtrune", "feldwick", "snorvane"]
ANSWERS = ["ship it by boat", "refund the money", "reset the router", "call the bank",
           "book a table", "renew the licence"]


def _pairs():
    return [(f"what do I do about {c}", a, i) for i, (c, a) in enumerate(zip(CODES, ANSWERS))]


def test_pairs_join_each_question_to_each_of_its_right_entries():
    got = pairs_of(["q"], [{2, 0}], ["a", "b", "c"])
    assert got == [("q", "a", 0), ("q", "c", 2)]


@pytest.mark.slow
def test_finetuning_pulls_questions_towards_their_entries_and_writes_safetensors(tmp_path):
    pairs = _pairs()
    base = Encoder("minilm")
    run = finetune(base, pairs * 4, tmp_path / "enc", seconds=60, seed=0)
    assert run.losses[-1] < run.losses[0]
    assert (tmp_path / "enc" / "model.safetensors").exists()
    assert not list((tmp_path / "enc").glob("*.bin"))  # no pickled weights
    qs, ps = [p[0] for p in pairs], [p[1] for p in pairs]

    def right_margin(enc):
        sims = enc.encode(qs, "query", store=False) @ enc.encode(ps, "passage", store=False).T
        return float(np.mean(np.diag(sims) - (sims.sum(1) - np.diag(sims)) / (len(qs) - 1)))

    assert right_margin(run.encoder) > right_margin(base)
    assert run.encoder.name == "minilm-tuned" and run.encoder.identity["base"] == "minilm"


def test_a_finetuned_e5_keeps_its_query_and_passage_prefixes():
    enc = Encoder("e5-fp32-tuned", {"kind": "folder", "path": "/x", "base": "e5-fp32"})
    assert enc.query_prefix == "query: " and enc.passage_prefix == "passage: "


@pytest.mark.slow
def test_a_kept_encoder_is_saved_inside_the_model_and_answers_the_same_after_loading(
        tmp_path, monkeypatch):
    import bizforge.families.answer.finetune as ft

    real = ft.held_out_figures
    calls = []

    def better_after(kb, kind, encoder, extra, hold, on_embed=None):
        m = real(kb, kind, encoder, extra, hold, on_embed)
        calls.append(encoder.name)
        if encoder.name.endswith("-tuned"):  # force "kept", to test that path
            m = {**m, "hit_1": m["hit_1"] + 1.0}
        return m

    monkeypatch.setattr(ft, "held_out_figures", better_after)
    kb, queries = faq("en")
    queries.to_csv(tmp_path / "q.csv", index=False)
    run = train(kb, task="answer", queries=str(tmp_path / "q.csv"), encoder="minilm",
                finetune=20, time_limit=120, out=tmp_path / "m", seed=0)
    info = run.metrics["finetune"]
    assert info["kept"] and info["train_questions"] + info["held_out_questions"] == 30
    assert calls == ["minilm", "minilm-tuned"]
    assert run.metrics["encoders"] == ["minilm-tuned"]
    assert (run.path / "encoder_minilm-tuned" / "model.safetensors").exists()
    loaded = AnswerPredictor.load(run.path)
    q = "I can't remember my login secret"
    assert loaded.answer(q)["score"] == run.predictor.answer(q)["score"]


@pytest.mark.slow
def test_a_finetuned_encoder_that_is_no_better_is_dropped(tmp_path):
    kb, queries = faq("en")
    queries.to_csv(tmp_path / "q.csv", index=False)
    run = train(kb, task="answer", queries=str(tmp_path / "q.csv"), encoder="minilm",
                finetune=5, time_limit=120, out=tmp_path / "m", seed=0)
    info = run.metrics["finetune"]
    # the sample's held-out questions are all found already: no gain, so not kept
    assert info["before"]["hit_1"] == 1.0 and not info["kept"]
    assert run.metrics["encoders"] == ["minilm"]
    assert not list(run.path.glob("encoder_*"))
