"""Knowledge gaps: what customers asked that the knowledge base did not answer.

:func:`gaps` takes the questions a served model handed over to a person and
those callers marked unhelpful (the registry's feedback table), groups them
and says for each group what to do:

- questions are compared on TF-IDF of their words (jieba words, which covers
  Chinese and English) and character 2-4-grams (typos, word forms), cosine;
- groups are built by average-linkage agglomerative clustering that stops
  joining at :data:`JOIN_BELOW` cosine distance, so the number of groups
  follows the data; groups under ``min_count`` questions are counted as "other";
- each group is named by its most frequent distinctive words and shown with
  its most central questions (closest to the group's mean);
- the nearest existing entry (same TF-IDF over the entries' questions,
  alternative phrasings and answers): at :data:`COVERED` similarity or more the
  entry probably answers the group and its wording should learn these
  questions (add them as alternative phrasings); below, a new entry is needed.

Only the newest :data:`MAX_QUESTIONS` questions are grouped (pairwise
distances grow with the square); the report says so when it cut.

>>> groups = gaps([{"question": "refund to card?"}, {"question": "refund to my card"}])
>>> groups["clusters"][0]["count"]
2
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["COVERED", "JOIN_BELOW", "MAX_QUESTIONS", "gaps", "gaps_html", "gaps_markdown",
           "questions_from_events"]

MAX_QUESTIONS = 3000
JOIN_BELOW = 0.75
COVERED = 0.45
EXAMPLES = 5
TOP_WORDS = 4

_STOP_ZH = frozenset(
    ["的", "了", "吗", "呢", "吧", "啊", "我", "我的", "你", "你们", "是", "在", "有", "怎么", "如何", "什么", "请问", "可以", "能", "要", "想", "和", "与", "就", "还", "都", "这个", "那个", "一下", "哪里", "为什么", "多少", "么", "到", "把", "给"])


def questions_from_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The questions among feedback events: handed over, or marked not helpful."""
    out = []
    for event in events:
        payload = event.get("payload") or {}
        question = str(payload.get("question") or "").strip()
        if not question:
            continue
        if event.get("kind") == "handover":
            out.append({"question": question, "why": "handover", "created": event.get("created")})
        elif event.get("kind") == "feedback" and payload.get("helpful") is False:
            out.append({"question": question, "why": "unhelpful",
                        "created": event.get("created")})
    return out


def _words(text: str) -> list[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    from bizforge.models.text_common import jieba_words

    return [w for w in jieba_words(text) if w not in ENGLISH_STOP_WORDS and w not in _STOP_ZH
            and not re.fullmatch(r"[\W\d_]+", w)]


def _vectorise(texts: list[str], also: list[str] | None = None):
    """Row-normalised TF-IDF of ``texts`` (and ``also``, in the same space)."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    corpus = texts + (also or [])
    words = TfidfVectorizer(analyzer=_words, sublinear_tf=True)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)
    parts = []
    for vectoriser in (words, chars):
        try:
            parts.append(vectoriser.fit_transform(corpus))
        except ValueError:  # no terms of that kind at all
            continue
    if not parts:
        return None, None
    matrix = normalize(hstack(parts).tocsr())
    return matrix[: len(texts)], matrix[len(texts):]


def _clusters(matrix, n: int) -> np.ndarray:
    if n == 1:
        return np.zeros(1, dtype=int)
    from sklearn.cluster import AgglomerativeClustering

    distance = np.clip(1.0 - (matrix @ matrix.T).toarray(), 0.0, 2.0)
    model = AgglomerativeClustering(n_clusters=None, metric="precomputed", linkage="average",
                                    distance_threshold=JOIN_BELOW)
    return model.fit_predict(distance)


def _entry_texts(kb: pd.DataFrame) -> list[str]:
    alternatives = kb["alternatives"] if "alternatives" in kb else [[]] * len(kb)
    answers = kb["answer"] if "answer" in kb else [""] * len(kb)
    return [" ".join([str(t or ""), *[str(a) for a in (alts if isinstance(
        alts, (list, tuple, np.ndarray)) else [])], str(ans or "")])
            for t, alts, ans in zip(kb["text"], alternatives, answers, strict=True)]


def gaps(questions: list[dict[str, Any]], kb: pd.DataFrame | None = None,
         min_count: int = 2) -> dict[str, Any]:
    """Groups of unanswered questions, largest first (see the module docstring).

    ``questions``: ``{"question", "why"}`` dicts (:func:`questions_from_events`);
    ``kb``: the model's entries (``entry_id``, ``text``, optional ``alternatives``,
    ``answer``) for the nearest entry. Returns ``{"questions", "grouped", "cut",
    "other", "clusters": [{"count", "label", "examples", "why", "nearest",
    "action"}]}``.
    """
    questions = [q for q in questions if str(q.get("question") or "").strip()]
    cut = max(0, len(questions) - MAX_QUESTIONS)
    questions = questions[cut:]
    result: dict[str, Any] = {"questions": len(questions) + cut, "grouped": len(questions),
                              "cut": cut, "other": 0, "clusters": []}
    if not questions:
        return result
    texts = [str(q["question"]).strip() for q in questions]
    entries = _entry_texts(kb) if kb is not None and len(kb) else []
    matrix, entry_matrix = _vectorise(texts, entries)
    if matrix is None:
        result["other"] = len(texts)
        return result
    labels = _clusters(matrix, len(texts))
    clusters = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if len(members) < min_count:
            result["other"] += len(members)
            continue
        centre = np.asarray(matrix[members].mean(axis=0)).ravel()
        closeness = matrix[members] @ centre
        order = members[np.argsort(-np.asarray(closeness).ravel(), kind="stable")]
        examples = list(dict.fromkeys(texts[i] for i in order))[:EXAMPLES]
        words = Counter(w for i in members for w in set(_words(texts[i])))
        label_words = [w for w, _ in words.most_common(TOP_WORDS)]
        why = Counter(questions[i].get("why", "handover") for i in members)
        nearest = None
        if entry_matrix is not None and entry_matrix.shape[0]:
            scores = np.asarray(entry_matrix @ centre).ravel() / max(np.linalg.norm(centre),
                                                                     1e-12)
            best = int(np.argmax(scores))
            nearest = {"entry_id": str(kb["entry_id"].iloc[best]),
                       "text": str(kb["text"].iloc[best]), "similarity": round(float(
                           scores[best]), 3)}
        covered = nearest is not None and nearest["similarity"] >= COVERED
        clusters.append({
            "count": len(members), "label": " / ".join(label_words) or examples[0],
            "examples": examples, "why": dict(why), "nearest": nearest,
            "action": "alternatives" if covered else "new_entry",
        })
    clusters.sort(key=lambda c: (-c["count"], c["label"]))
    result["clusters"] = clusters
    return result


_TEXT = {
    "en": {"title": "Knowledge gaps of {name}", "summary":
           "{questions} questions were handed over or marked unhelpful; {groups} groups of "
           "{grouped_in} questions; {other} more in groups too small to show.",
           "cut": "Only the newest {grouped} questions were grouped.",
           "group": "Group", "count": "Questions", "examples": "Example questions",
           "nearest": "Nearest entry", "todo": "What to do",
           "alternatives": "Entry {entry} probably answers these: add the questions as "
                           "alternative phrasings of it (or improve its wording), then "
                           "`bizforge answer-add`.",
           "new_entry": "No entry answers these: write a new entry (question and answer) and "
                        "add it with `bizforge answer-add`.",
           "why": "{handover} handed over, {unhelpful} unhelpful", "none": "(none)"},
    "zh": {"title": "{name} 的知识缺口", "summary":
           "共有 {questions} 个问题被转人工或被标为没有帮助；分成 {groups} 组（{grouped_in} 个问题），"
           "另有 {other} 个问题所在的组太小，未列出。",
           "cut": "只对最新的 {grouped} 个问题分了组。",
           "group": "问题组", "count": "问题数", "examples": "示例问题", "nearest": "最相近的条目",
           "todo": "建议", "alternatives": "条目 {entry} 可能已能回答：请把这些问题加为它的相似问法"
                                           "（或改进其措辞），再运行 `bizforge answer-add`。",
           "new_entry": "没有条目能回答：请写一个新条目（问题和答案），用 `bizforge answer-add` 加入。",
           "why": "转人工 {handover} 个，没有帮助 {unhelpful} 个", "none": "（无）"},
}


def _texts(lang: str) -> dict[str, str]:
    return _TEXT.get(lang, _TEXT["en"])


def _summary(result: dict[str, Any], name: str, lang: str) -> str:
    text = _texts(lang)
    line = text["summary"].format(
        questions=result["questions"], groups=len(result["clusters"]),
        grouped_in=sum(c["count"] for c in result["clusters"]), other=result["other"])
    return line + (" " + text["cut"].format(grouped=result["grouped"]) if result["cut"] else "")


def _todo(cluster: dict[str, Any], lang: str) -> str:
    text = _texts(lang)
    if cluster["action"] == "alternatives":
        return text["alternatives"].format(entry=cluster["nearest"]["entry_id"])
    return text["new_entry"]


def _nearest(cluster: dict[str, Any], lang: str) -> str:
    near = cluster["nearest"]
    if near is None:
        return _texts(lang)["none"]
    return f"{near['entry_id']}: {near['text']} ({near['similarity']:.2f})"


def gaps_markdown(result: dict[str, Any], name: str, lang: str = "en") -> str:
    """The report as Markdown (for a ticket or a wiki page)."""
    text = _texts(lang)
    lines = [f"# {text['title'].format(name=name)}", "", _summary(result, name, lang), ""]
    for n, cluster in enumerate(result["clusters"], start=1):
        why = text["why"].format(handover=cluster["why"].get("handover", 0),
                                 unhelpful=cluster["why"].get("unhelpful", 0))
        lines += [f"## {n}. {cluster['label']} — {cluster['count']} ({why})", "",
                  f"**{text['examples']}:**", ""]
        lines += [f"- {q}" for q in cluster["examples"]]
        lines += ["", f"**{text['nearest']}:** {_nearest(cluster, lang)}", "",
                  f"**{text['todo']}:** {_todo(cluster, lang)}", ""]
    return "\n".join(lines)


def gaps_html(result: dict[str, Any], name: str, lang: str = "en") -> str:
    """The report as one self-contained HTML page."""
    from bizforge.html import Raw, escape, page, table

    text = _texts(lang)
    rows = [[n, cluster["label"], cluster["count"],
             Raw("<br>".join(escape(q) for q in cluster["examples"])),
             _nearest(cluster, lang), _todo(cluster, lang)]
            for n, cluster in enumerate(result["clusters"], start=1)]
    body = (f"<h1>{escape(text['title'].format(name=name))}</h1>"
            f"<p>{escape(_summary(result, name, lang))}</p>"
            + table(rows, ["#", text["group"], text["count"], text["examples"], text["nearest"],
                           text["todo"]], numeric=[0, 2]))
    return page(text["title"].format(name=name), body, lang)
