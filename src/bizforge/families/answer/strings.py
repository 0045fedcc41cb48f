"""English and Chinese text of the answer family's report, under ``ans.``."""

from __future__ import annotations

from bizforge.i18n import add_messages

__all__ = ["EN", "ZH"]

EN: dict[str, str] = {
    "ans.report.title": "Knowledge-base answering: {name}",
    "ans.report.summary": "Summary",
    "ans.report.headline": "On {queries} held-out questions the right entry came first for "
                           "{hit1} of them and among the first five for {hit5}.",
    "ans.report.handover": "Below a confidence of {threshold} the question is handed over to "
                           "a person: {answered} of the test questions were answered, {precision} "
                           "of those answers were right; with the right entry removed from the "
                           "knowledge base, {removed} of the questions were handed over.",
    "ans.report.no_test": "No held-out questions were given (--test), so there are no test "
                          "figures.",
    "ans.report.metrics": "Held-out results",
    "ans.report.retrievers": "Retrievers and fusion (validation)",
    "ans.report.weights": "Fusion weights",
    "ans.report.examples": "Examples of hits and misses",
    "ans.report.findings": "Findings on the knowledge base",
    "ans.report.notes": "Notes",
    "ans.report.question": "question",
    "ans.report.answered": "top entry",
    "ans.report.right": "right entry",
}

ZH: dict[str, str] = {
    "ans.report.title": "知识库问答：{name}",
    "ans.report.summary": "概要",
    "ans.report.headline": "在 {queries} 个留出问题上，正确条目排第一的占 {hit1}，"
                           "进入前五的占 {hit5}。",
    "ans.report.handover": "置信度低于 {threshold} 时转人工：测试问题中 {answered} 被直接回答，"
                           "其中 {precision} 回答正确；把正确条目从知识库中删除后，"
                           "{removed} 的问题被转人工。",
    "ans.report.no_test": "没有提供留出问题（--test），因此没有测试结果。",
    "ans.report.metrics": "留出集结果",
    "ans.report.retrievers": "各检索器与融合（验证集）",
    "ans.report.weights": "融合权重",
    "ans.report.examples": "命中与未命中的例子",
    "ans.report.findings": "知识库检查结果",
    "ans.report.notes": "说明",
    "ans.report.question": "问题",
    "ans.report.answered": "排第一的条目",
    "ans.report.right": "正确条目",
}

add_messages("en", EN)
add_messages("zh", ZH)
