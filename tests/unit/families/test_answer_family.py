"""The answer family on a tiny FAQ: reading, training, answering, hand-over, save/load."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bizforge.errors import DataError, UsageError
from bizforge.families.answer.kb import read_kb
from bizforge.families.answer.predictor import MAX_QUESTION_CHARS, AnswerPredictor
from bizforge.families.answer.samples import faq
from bizforge.pipeline import train


@pytest.fixture(scope="module")
def en_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("answer-en")
    kb, queries = faq("en")
    queries.to_csv(folder / "queries.csv", index=False)
    return train(kb, task="answer", queries=str(folder / "queries.csv"), encoder="none",
                 time_limit=30, out=folder / "m", seed=0)


@pytest.fixture(scope="module")
def zh_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("answer-zh")
    kb, queries = faq("zh")
    queries.to_csv(folder / "queries.csv", index=False)
    return train(kb, task="answer", queries=str(folder / "queries.csv"), encoder="none",
                 time_limit=30, out=folder / "m", seed=0, lang="zh", min_precision=0.6)


def test_the_metrics_hold_hit_at_1_5_and_mrr_on_held_out_questions(en_run):
    test = en_run.metrics["test"]
    assert {"hit_1", "hit_5", "mrr_10", "handover"} <= set(test)
    assert test["queries"] == 10 and test["hit_5"] >= 0.8


def test_a_known_question_is_answered_with_its_source(en_run):
    got = en_run.predictor.answer("How do I reset my password?")
    assert not got["handover"] and got["entry_id"] == "pw"
    assert got["answer"].startswith("Open Settings") and got["source"]["entry_id"] == "pw"
    assert 0.0 <= got["confidence"] <= 1.0 and len(got["candidates"]) == 3


def test_chinese_questions_are_matched_by_jieba_words(zh_run):
    got = zh_run.predictor.answer("怎么重置密码")
    assert got["entry_id"] == "pw" and "邮箱" in got["answer"]
    assert zh_run.predictor.answer("门店营业时间是几点")["entry_id"] == "hours"


def test_a_question_in_a_script_the_kb_lacks_is_handed_over(zh_run):
    got = zh_run.predictor.answer("Как сбросить пароль?")
    assert got["handover"] and got["answer"] is None and "script" in got["notes"][0]
    assert "人工" in got["message"]


def test_a_question_sharing_nothing_with_the_kb_is_handed_over(en_run):
    got = en_run.predictor.answer("zebra quantum violin")
    assert got["handover"] and got["answer"] is None and got["candidates"] == []


def test_a_very_long_question_is_cut_with_a_note(en_run):
    got = en_run.predictor.answer("reset password " * 2000)
    assert len(got["question"]) == MAX_QUESTION_CHARS and "characters" in got["notes"][0]


def test_an_empty_question_is_a_data_error_naming_the_field(en_run):
    with pytest.raises(DataError, match="empty") as err:
        en_run.predictor.answer("   ")
    assert err.value.column == "question"


def test_save_and_load_give_the_same_answers(en_run):
    loaded = AnswerPredictor.load(en_run.path)
    for q in ("can I pay by card", "opening hours on saturday", "where is my invoice"):
        a, b = en_run.predictor.answer(q), loaded.answer(q)
        assert (a["entry_id"], a["score"], a["handover"]) == (b["entry_id"], b["score"],
                                                              b["handover"])


def test_batch_scoring_adds_answer_entry_score_and_handover(en_run):
    out = en_run.predictor.score(pd.DataFrame({"question": ["How can I cancel my order?", "zzz qqq"]}))
    assert list(out.columns) == ["question", "answer", "entry_id", "score", "confidence",
                                 "handover"]
    assert out["entry_id"][0] == "cancel" and bool(out["handover"][1])


def test_a_questions_table_without_a_question_column_names_it(en_run):
    with pytest.raises(DataError, match="'question'"):
        en_run.predictor.score(pd.DataFrame({"x": ["a"]}))


def test_example_questions_with_unknown_entry_ids_are_named(tmp_path):
    kb, queries = faq("en")
    queries.loc[3, "entry_id"] = "nope"
    queries.to_csv(tmp_path / "q.csv", index=False)
    with pytest.raises(DataError, match="nope") as err:
        train(kb, task="answer", queries=str(tmp_path / "q.csv"), encoder="none",
              out=tmp_path / "m")
    assert err.value.column == "entry_id" and "row 5" in str(err.value)


def test_an_empty_knowledge_base_is_refused(tmp_path):
    with pytest.raises(DataError, match="no entries"):
        read_kb(pd.DataFrame({"entry_id": [], "text": []}))
    (tmp_path / "kb.csv").write_text("entry_id,text\n", encoding="utf-8")
    with pytest.raises(DataError, match="no data rows"):
        train(str(tmp_path / "kb.csv"), task="answer", encoder="none", out=tmp_path / "m")


def test_a_knowledge_base_without_text_names_the_column():
    with pytest.raises(DataError, match="no 'text' column") as err:
        read_kb(pd.DataFrame({"entry_id": ["a"], "body": ["x"]}))
    assert err.value.column == "text"


def test_repeated_entry_ids_are_named():
    with pytest.raises(DataError, match="1 ids repeat: a"):
        read_kb(pd.DataFrame({"entry_id": ["a", "a", "b"], "text": ["x", "y", "z"]}))


def test_an_faq_without_answers_returns_the_matching_question(tmp_path):
    kb, _queries = faq("en")
    run = train(kb.drop(columns=["answer"]), task="answer", encoder="none",
                out=tmp_path / "m")
    got = run.predictor.answer("payment methods accepted")
    assert got["answer"] == "Which payment methods do you accept?"
    assert any("no answer texts" in n for n in got["notes"])
    assert "no example questions" in " ".join(run.metrics["notes"])


def test_a_low_min_precision_is_refused_before_reading():
    with pytest.raises(UsageError, match="min-precision"):
        train("missing.csv", task="answer", min_precision=0.2)


def test_passages_answer_with_the_relevant_sentence_marked(tmp_path):
    kb = pd.DataFrame({"entry_id": ["p1", "p2"], "title": ["Delivery", "Returns"], "text": [
        "We ship from Shanghai. Orders arrive within 3 to 5 working days. Tracking is by "
        "email. " * 2,
        "Returns are free within 30 days. Use the label in the parcel. Refunds take a week. "
        * 2]})
    run = train(kb, task="answer", encoder="none", out=tmp_path / "m")
    assert run.predictor.info["kind"] == "passages"
    got = run.predictor.answer("how many days do orders take to arrive")
    span = got["highlight"]
    assert got["entry_id"] == "p1" and got["source"]["heading"] == "Delivery"
    assert got["answer"][span["start"]:span["end"]] == span["text"]
    assert "arrive within 3 to 5" in span["text"]


def test_recognise_takes_an_entries_table(tmp_path):
    from bizforge.families.answer import AnswerFamily
    from bizforge.families.base import DataSource

    kb, _ = faq("en")
    assert AnswerFamily.recognise(DataSource(kb), None) >= 0.8
    assert AnswerFamily.recognise(DataSource(kb), "answer") == 0.0
    assert np.isclose(AnswerFamily.recognise(DataSource(kb, hints={"queries": "q"}), None), 1)


@pytest.fixture(scope="module")
def dense_run(tmp_path_factory):
    """MiniLM (the bundled English encoder) and BM25; e5 is left out by the time limit."""
    folder = tmp_path_factory.mktemp("answer-dense")
    kb, queries = faq("en")
    queries.to_csv(folder / "queries.csv", index=False)
    return train(kb, task="answer", queries=str(folder / "queries.csv"), time_limit=0.5,
                 out=folder / "m", seed=0)


def test_a_second_encoder_that_would_overrun_the_time_limit_is_left_out(dense_run):
    assert dense_run.metrics["encoders"] in (["minilm"], [])
    assert any("e5-fp32 not tried" in n for n in dense_run.metrics["notes"])


def test_the_dense_channels_find_paraphrases_and_survive_save_and_load(dense_run):
    board = {r["name"] for r in dense_run.metrics["leaderboard"]}
    assert {"minilm:question", "minilm:answer"} <= board
    loaded = AnswerPredictor.load(dense_run.path)
    q = "I can't remember my login secret"
    a, b = dense_run.predictor.answer(q), loaded.answer(q)
    top = a["entry_id"] or a["candidates"][0]["entry_id"]
    assert top == "pw" and a["score"] == b["score"]


def test_embedding_reports_its_progress_for_the_bar(tmp_path):
    kb, _ = faq("en")
    events = []
    train(kb, task="answer", time_limit=60, out=tmp_path / "m", seed=0, encoder="minilm",
          progress=events.append)
    stages = [e["stage"] for e in events if e.get("event") == "stage"]
    done = [s for s in stages if s.startswith("embedding minilm:")]
    assert done and done[-1].endswith(f"{len(kb)}/{len(kb)}")
