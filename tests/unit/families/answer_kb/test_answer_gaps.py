"""Gaps from handed-over/unhelpful questions, labelled questions from feedback, and the
merge behind answer-add."""

from __future__ import annotations

import pandas as pd
import pytest

from bizforge.errors import DataError
from bizforge.families.answer.add import merge_entries
from bizforge.families.answer.feedback import feedback_queries, labelled
from bizforge.families.answer.gaps import gaps, gaps_html, gaps_markdown, questions_from_events
from bizforge.families.answer.kb import read_kb

KB = read_kb(pd.DataFrame({
    "entry_id": ["faq-1", "faq-2"], "text": ["Where is the shop?", "How do I pay?"],
    "answer": ["Main street 5, Berlin.", "By card."],
    "alternatives": ["store address", ""]})).frame

QUESTIONS = [{"question": q, "why": "handover"} for q in [
    "can I get a refund to my credit card", "refund to credit card?",
    "how to refund to credit card", "where is your shop in Berlin", "shop address in Berlin",
    "Berlin store address please", "do you sell gift cards"]]


def test_questions_group_by_topic_largest_first_with_the_nearest_entry():
    result = gaps(QUESTIONS, KB)
    assert [c["count"] for c in result["clusters"]] == [3, 3] and result["other"] == 1
    shop = next(c for c in result["clusters"] if "berlin" in c["label"])
    refund = next(c for c in result["clusters"] if "refund" in c["label"])
    assert shop["nearest"]["entry_id"] == "faq-1" and shop["action"] == "alternatives"
    assert refund["action"] == "new_entry"
    assert len(refund["examples"]) == 3 and refund["why"] == {"handover": 3}


def test_chinese_questions_are_grouped_too():
    qs = [{"question": q, "why": "unhelpful"} for q in ["退款到信用卡要多久", "退款到信用卡多久到账",
                                                         "信用卡退款多久到", "门店营业时间"]]
    result = gaps(qs)
    assert result["clusters"][0]["count"] == 3 and "退款" in result["clusters"][0]["label"]
    assert result["clusters"][0]["nearest"] is None


def test_no_questions_give_an_empty_report():
    result = gaps([])
    assert result["clusters"] == [] and result["questions"] == 0
    assert "0 questions" in gaps_markdown(result, "faq")


def test_the_reports_name_groups_examples_and_what_to_do():
    result = gaps(QUESTIONS, KB)
    md = gaps_markdown(result, "faq")
    assert md.startswith("# Knowledge gaps of faq") and "alternative phrasings" in md
    html = gaps_html(result, "faq", lang="zh")
    assert html.startswith("<!DOCTYPE html>") and "faq 的知识缺口" in html
    assert "refund to credit card?" in html


def test_only_handovers_and_unhelpful_answers_are_gaps():
    events = [{"kind": "handover", "payload": {"question": "a"}},
              {"kind": "feedback", "payload": {"question": "b", "helpful": False}},
              {"kind": "feedback", "payload": {"question": "c", "helpful": True}},
              {"kind": "handover", "payload": {}}]
    assert [q["question"] for q in questions_from_events(events)] == ["a", "b"]


def test_feedback_with_a_right_entry_becomes_labelled_questions():
    events = [{"kind": "feedback", "payload": {"question": "refund?", "entry_id": "faq-3"}},
              {"kind": "feedback", "payload": {"question": "pay?", "helpful": True,
                                               "answer_entry_id": "faq-2"}},
              {"kind": "feedback", "payload": {"question": "x", "helpful": False,
                                               "answer_entry_id": "faq-2"}},
              {"kind": "feedback", "payload": {"question": "refund?", "entry_id": "faq-4"}},
              {"kind": "handover", "payload": {"question": "y"}}]
    frame = labelled(events)
    assert frame.to_dict("records") == [{"query": "pay?", "entry_id": "faq-2"},
                                        {"query": "refund?", "entry_id": "faq-4"}]


def test_feedback_queries_read_the_registry_and_drop_unknown_entries(tmp_path):
    from bizforge.registry import Registry
    from bizforge.registry.feedback import record

    with Registry(home=tmp_path) as registry:
        record(registry, "faq", 1, "feedback", {"question": "call 13800138000",
                                                "entry_id": "faq-1"})
        record(registry, "faq", 2, "feedback", {"question": "gone", "entry_id": "faq-9"})
        frame = feedback_queries(registry, "faq", known={"faq-1", "faq-2"})
    assert frame.to_dict("records") == [{"query": "call 138****8000", "entry_id": "faq-1"}]


def test_merging_edits_by_id_or_question_and_adds_new_ids():
    new = pd.DataFrame({"entry_id": ["faq-2", None, None], "text": [
        "How do I pay?", "where is the SHOP", "Gift cards?"], "answer": [
        "Card or cash.", "Main street 7.", "Yes, at the till."],
        "alternatives": [[], [], []], "category": "", "source": "new.csv", "heading": ""})
    merged, counts = merge_entries(KB, new)
    assert counts == {"added": 1, "edited": 2, "removed": 0}
    got = dict(zip(merged["entry_id"], merged["answer"], strict=True))
    assert got == {"faq-1": "Main street 7.", "faq-2": "Card or cash.",
                   "added-1": "Yes, at the till."}


def test_merging_documents_replaces_the_passages_of_the_same_file():
    old = pd.concat([KB, read_kb(pd.DataFrame({
        "entry_id": ["m.md#1", "m.md#2"], "text": ["old a", "old b"],
        "source": ["m.md", "m.md"]})).frame], ignore_index=True)
    new = read_kb(pd.DataFrame({"entry_id": ["m.md#1"], "text": ["new a"],
                                "source": ["m.md"]})).frame
    merged, counts = merge_entries(old, new, documents=True)
    assert merged["entry_id"].tolist() == ["faq-1", "faq-2", "m.md#1"]
    assert counts == {"added": 0, "edited": 1, "removed": 0}


def test_removing_an_unknown_entry_is_a_data_error_naming_it():
    with pytest.raises(DataError, match="faq-99"):
        merge_entries(KB, KB.iloc[:0], remove=["faq-99"])
    merged, counts = merge_entries(KB, KB.iloc[:0], remove=["faq-2"])
    assert merged["entry_id"].tolist() == ["faq-1"] and counts["removed"] == 1
