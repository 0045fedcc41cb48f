"""What the answer family learns from stored feedback (:mod:`bizforge.registry.feedback`).

:func:`feedback_queries` turns callers' feedback into labelled example
questions for the next training run, the same shape as ``--queries``
(``query``, ``entry_id``):

- ``{"question": q, "entry_id": e}``: the caller named the right entry;
- ``{"question": q, "helpful": true, "answer_entry_id": e}``: the answer given
  was right.

Unhelpful answers without a right entry teach nothing here (they show up in
``bizforge answer-gaps`` instead). A question asked again with another right
entry keeps the newest label. Questions are stored masked, so they are safe
to train on.

>>> feedback_queries(Registry(), "faq").columns.tolist()          # doctest: +SKIP
['query', 'entry_id']
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["feedback_queries", "labelled", "remember_handover"]


def labelled(events: list[dict[str, Any]]) -> pd.DataFrame:
    """``(query, entry_id)`` rows from feedback events (newest label per question)."""
    rows: dict[str, str] = {}
    for event in events:
        if event.get("kind") != "feedback":
            continue
        payload = event.get("payload") or {}
        question = " ".join(str(payload.get("question") or "").split())
        entry = payload.get("entry_id")
        if entry is None and payload.get("helpful") is True:
            entry = payload.get("answer_entry_id")
        if question and entry:
            rows.pop(question, None)
            rows[question] = str(entry)
    return pd.DataFrame({"query": list(rows), "entry_id": list(rows.values())},
                        columns=["query", "entry_id"])


def feedback_queries(registry: Any, name: str, known: set[str] | None = None) -> pd.DataFrame:
    """Labelled questions from model ``name``'s feedback (all its versions); with
    ``known`` entry ids, rows naming an entry that no longer exists are left out."""
    from bizforge.registry.feedback import events

    frame = labelled(events(registry, name, kinds=["feedback"]))
    if known is not None:
        frame = frame[frame["entry_id"].isin(known)].reset_index(drop=True)
    return frame


def remember_handover(request: Any, result: dict[str, Any]) -> dict[str, Any] | None:
    """The answer action's ``remember`` hook: a handed-over question is kept (kind
    ``handover``, masked by the registry) for ``bizforge answer-gaps``; answers are not."""
    if not result.get("handover"):
        return None
    return {"kind": "handover", "question": result.get("question"),
            "confidence": result.get("confidence"),
            "candidates": [c.get("entry_id") for c in result.get("candidates") or []][:3]}
