"""FAQ/ticket tables as one KB frame, and the findings on a knowledge base."""

from __future__ import annotations

import pandas as pd
import pytest

from bizforge.errors import DataError
from bizforge.families.answer.knowledge_findings import check, mask_entries
from bizforge.families.answer.sources import (
    KB_COLUMNS,
    concat,
    from_faq,
    from_passages,
    from_tickets,
)


def _kinds(findings):
    return [f.kind for f in findings]


def test_faq_alternatives_are_split_at_bars_and_ids_generated():
    faq = pd.DataFrame({"问题": ["怎么付款？", "营业时间？"], "答案": ["刷卡或现金都可以。", "早九点到晚五点。"],
                        "相似问题": ["付款方式 | 能用现金吗", None]})
    kb = from_faq(faq)
    assert kb.columns.tolist() == KB_COLUMNS
    assert kb["entry_id"].tolist() == ["faq-1", "faq-2"]
    assert kb["alternatives"].tolist() == [["付款方式", "能用现金吗"], []]


def test_ticket_ids_are_kept_and_filled_where_blank():
    tickets = pd.DataFrame({"ticket_id": ["T-7", None], "question": ["Broken screen", "Late"],
                            "answer": ["Repaired.", "Sent today."]})
    assert from_tickets(tickets)["entry_id"].tolist() == ["T-7", "ticket-2"]
    assert from_tickets(tickets.drop(columns="ticket_id"))["entry_id"].tolist() == [
        "ticket-1", "ticket-2"]


def test_a_missing_answer_column_is_named():
    with pytest.raises(DataError, match="no answer column") as err:
        from_faq(pd.DataFrame({"question": ["q"], "notes": ["x"]}))
    assert "notes" in str(err.value)
    with pytest.raises(DataError, match="'reply'"):
        from_faq(pd.DataFrame({"question": ["q"], "answer": ["a"]}), answer="reply")


def test_passages_answer_themselves_and_ids_must_be_unique():
    passages = pd.DataFrame({"entry_id": ["a.md#1"], "text": ["Open 9-5."], "source": ["a.md"],
                             "heading": ["Hours"]})
    kb = from_passages(passages)
    assert kb.loc[0, "answer"] == "Open 9-5." and kb.loc[0, "heading"] == "Hours"
    with pytest.raises(DataError, match="a.md#1"):
        concat([kb, kb])


def _faq(questions, answers):
    return from_faq(pd.DataFrame({"question": questions, "answer": answers}))


def test_contradicting_entries_are_a_warning_naming_both():
    kb = _faq(["How do I pay for my order?", "how do i pay for my order"],
              ["By card or cash at the counter.", "Only bank transfers are accepted here."])
    [finding] = [f for f in check(kb) if f.kind == "contradicting_entries"]
    assert finding.severity == "warning" and "faq-1/faq-2" in finding.message
    assert finding.rows == [1, 2]


def test_near_duplicates_with_the_same_answer_are_info():
    kb = _faq(["How do I pay for my order?", "How do I pay for my orders?"],
              ["By card or cash at the counter.", "By card, or cash at the counter."])
    assert "near_duplicate_entries" in _kinds(check(kb))
    assert "contradicting_entries" not in _kinds(check(kb))


def test_exact_duplicates_empty_and_short_answers():
    kb = _faq(["Where is the shop?", "Where is the shop?", "Refunds?", "Hours?"],
              ["Main street 5, next to the bank.", "Main street 5, next to the bank.", "", "9-5"])
    findings = {f.kind: f for f in check(kb)}
    assert findings["duplicate_entries"].rows == [2]
    assert findings["empty_answer"].rows == [3]
    assert findings["passage_too_short"].rows == [4]
    assert "near_duplicate_entries" not in findings  # the copy is reported once, as a copy


def test_too_long_passages_are_reported():
    kb = _faq(["Terms?"], ["word " * 1000])
    assert "passage_too_long" in _kinds(check(kb))


def test_personal_data_in_tickets_is_reported_without_values_and_masked():
    tickets = from_tickets(pd.DataFrame({
        "question": ["My phone 13800138000 is broken", "Where is my order?"],
        "answer": ["We wrote to li.lei@example.com.", "It ships tomorrow from the store."]}))
    findings = [f for f in check(tickets) if f.kind == "personal_data"]
    assert {f.column for f in findings} == {"text", "answer"}
    assert all("13800138000" not in f.message and f.rows == [1] for f in findings)
    masked, audit = mask_entries(tickets)
    assert "13800138000" not in masked.loc[0, "text"] and "138****8000" in masked.loc[0, "text"]
    assert "li.lei@" not in masked.loc[0, "answer"]
    assert tickets.loc[0, "text"].endswith("broken")  # the input frame is unchanged
    assert {c["column"] for c in audit["columns"] if c.get("count")} == {"text", "answer"}


def test_alternatives_are_masked_too():
    kb = from_faq(pd.DataFrame({"question": ["Call me"], "answer": ["We will call you back."],
                                "alternatives": ["ring 13800138000 | call back"]}))
    assert "personal_data" in _kinds(check(kb))
    assert mask_entries(kb)[0].loc[0, "alternatives"] == ["ring 138****8000", "call back"]


def test_findings_speak_chinese():
    kb = _faq(["退货怎么办？", "营业时间？"], ["", "每天早上九点到晚上五点营业，节假日照常。"])
    [finding] = check(kb, lang="zh")
    assert finding.message.startswith("1 个条目没有答案")


def test_passages_without_answers_are_not_empty_answers():
    from bizforge.families.answer.kb import read_kb

    kb = read_kb(pd.DataFrame({"entry_id": ["a.md#1", "a.md#2"],
                               "text": ["Refunds take five days to reach your card.",
                                        "The shop opens at nine and closes at five."]})).frame
    assert check(kb) == []
