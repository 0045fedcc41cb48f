"""The trained answerer as loaded for prediction: answer a question, or hand it over.

For each question: the fused ranking of the entries (:mod:`.retrieval`), the
calibrated confidence of the top entry (:class:`~.tuning.Calibrator`) and,
below the threshold chosen at training time, ``handover: true`` with the
message "I don't know — passing you to a colleague" instead of an answer. The
answer is the entry's ``answer``; for a passage, the passage with its most
relevant sentence marked (``highlight``: character span); for a list of
questions without answers, the matching question. A question is cut to
:data:`MAX_QUESTION_CHARS` characters (a note says so); a question in a script
the knowledge base lacks is handed over.

Saved as ``model.json`` (settings, weights, calibration), ``entries.json`` (the
knowledge base), the BM25 folders and ``vectors.safetensors``; no pickle.

>>> AnswerPredictor.family
'answer'
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bizforge.errors import DataError
from bizforge.families.answer.evaluation import score_questions
from bizforge.families.answer.kb import COLUMNS, KnowledgeBase
from bizforge.families.answer.lexical import scripts_of, words
from bizforge.families.answer.retrieval import Retriever
from bizforge.families.answer.tuning import Calibrator, calibration_features
from bizforge.families.base import Action, FamilyPredictor

__all__ = ["HANDOVER_MESSAGE", "MAX_QUESTION_CHARS", "AnswerPredictor"]

MAX_QUESTION_CHARS = 2000
HANDOVER_MESSAGE = {"en": "I don't know — passing you to a colleague.",
                    "zh": "这个问题我还不会回答，正在为您转接人工客服。"}
QUESTION_COLUMNS = ("question", "query", "text")
MODEL, ENTRIES = "model.json", "entries.json"


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text``."""
    spans = [(m.start(), m.end()) for m in re.finditer(r"[^。！？!?；;\n]+[。！？!?；;]*", text)]
    out = []
    for s, e in spans:  # English sentences inside a CJK-free span: cut at ". "
        piece = text[s:e]
        cuts = [m.end() for m in re.finditer(r"[.!?]\s+", piece)]
        bounds = [0, *cuts, len(piece)]
        out += [(s + a, s + b) for a, b in itertools.pairwise(bounds) if piece[a:b].strip()]
    return out


class AnswerPredictor(FamilyPredictor):
    """Fused BM25 + dense retrieval over a knowledge base, with a calibrated hand-over."""

    family = "answer"

    def __init__(self, *, info: dict[str, Any], kb: KnowledgeBase, retriever: Retriever,
                 calibrator: Calibrator | None):
        self.info = info
        self.kb = kb
        self.retriever = retriever
        self.calibrator = calibrator
        self.channels = list(info["channels"])
        self.weights = np.array([info["weights"][c] for c in self.channels])
        self.threshold = float(info["threshold"])
        scripts = info.get("scripts") or {}
        self.scripts = {s for s, share in scripts.items() if share >= 0.02}
        self.lang = "zh" if scripts.get("cjk", 0) >= 0.3 else "en"
        # Plain lists of the entries, read per candidate of every question: a pandas
        # column turned into a list on each read was ~2 ms of CPU per served question.
        self._ids: list[str] = kb.ids
        self._texts: list[str] = kb.frame["text"].tolist()
        self._rows: list[dict[str, Any]] = kb.frame.to_dict(orient="records")

    # --- answering ------------------------------------------------------------------
    def _question(self, value: Any, notes: list[str]) -> str:
        text = "" if value is None or (isinstance(value, float) and pd.isna(value)) \
            else " ".join(str(value).split())
        if len(text) > MAX_QUESTION_CHARS:
            notes.append(f"the question has {len(text):,} characters; only the first "
                         f"{MAX_QUESTION_CHARS:,} were read.")
            text = text[:MAX_QUESTION_CHARS]
        return text

    def _foreign(self, question: str) -> str | None:
        """The question's script when the knowledge base has no text in it."""
        shares = scripts_of([question])
        if not shares or not self.scripts:
            return None
        main = max(shares, key=shares.get)
        return main if shares[main] >= 0.5 and main not in self.scripts else None

    def answer(self, question: str, k: int = 3) -> dict[str, Any]:
        """The answer to ``question`` with its source, confidence and the next ``k`` candidates.

        >>> # predictor.answer("How do I reset my password?")["handover"]  -> False
        """
        if not isinstance(question, str) or not question.strip():
            raise DataError("the question is empty.", column="question",
                            fix="send the customer's question as text.")
        return self.answer_many([question], k)[0]

    def answer_many(self, questions: Sequence[Any], k: int = 3) -> list[dict[str, Any]]:
        notes = [[] for _ in questions]
        texts = [self._question(q, n) for q, n in zip(questions, notes)]
        asked = [i for i, t in enumerate(texts) if t and self._foreign(t) is None]
        out: list[dict[str, Any]] = []
        scored = (score_questions(self.retriever, [texts[i] for i in asked], self.channels,
                                  self.weights, store=False) if asked else None)
        conf = top = None
        if scored is not None:
            X, top = calibration_features(scored.ids, scored.fused, scored.feats)
            conf = (self.calibrator.confidence(X) if self.calibrator is not None
                    else np.ones(len(asked)))
        row_of = {i: j for j, i in enumerate(asked)}
        for i, text in enumerate(texts):
            j = row_of.get(i)
            if j is None:
                reason = ("the question is empty." if not text else
                          f"the question is written in a script ({self._foreign(text)}) that "
                          "the knowledge base does not use.")
                out.append(self._handover(text, notes[i] + [reason], []))
                continue
            order = np.argsort(-scored.fused[j])
            order = [c for c in order if np.isfinite(scored.fused[j, c])]
            if order and scored.fused[j, order[0]] <= 0:  # no shared word, no similar meaning
                order = []
            cands = [{"entry_id": self._ids[int(scored.ids[j, c])],
                      "text": self._texts[int(scored.ids[j, c])][:300],
                      "score": round(float(scored.fused[j, c]), 6)} for c in order[:k + 1]]
            if not cands:
                out.append(self._handover(text, notes[i] + [("nothing in the knowledge base "
                                                            "matches the question.")], []))
                continue
            confidence = float(conf[j])
            if confidence < self.threshold:
                out.append(self._handover(text, notes[i], cands, confidence))
                continue
            out.append(self._respond(text, int(top[j]), cands, confidence, notes[i]))
        return out

    def _handover(self, question: str, notes: list[str], cands: list[dict],
                  confidence: float | None = None) -> dict[str, Any]:
        return {"question": question, "handover": True,
                "message": HANDOVER_MESSAGE[self.lang], "answer": None, "entry_id": None,
                "score": cands[0]["score"] if cands else None,
                "confidence": None if confidence is None else round(confidence, 6),
                "source": None, "highlight": None, "candidates": cands, "notes": notes}

    def _respond(self, question: str, pos: int, cands: list[dict], confidence: float,
                 notes: list[str]) -> dict[str, Any]:
        row = self._rows[pos]
        highlight = None
        if row["answer"]:
            text = row["answer"]
        elif self.info["kind"] == "passages":
            text = row["text"]
            highlight = self._highlight(question, text)
        else:
            text = row["text"]
            notes = notes + [("the knowledge base has no answer texts: the matching question "
                             "is returned.")]
        return {"question": question, "handover": False, "message": None, "answer": text,
                "entry_id": row["entry_id"], "score": cands[0]["score"],
                "confidence": round(confidence, 6),
                "source": {"entry_id": row["entry_id"], "file": row["source"] or None,
                           "heading": row["heading"] or None},
                "highlight": highlight, "candidates": cands[1:], "notes": notes}

    def _highlight(self, question: str, text: str) -> dict[str, Any] | None:
        """The sentence of ``text`` sharing the rarest words with the question (its span)."""
        lex = next(iter(self.retriever.lexical.values()), None)
        terms = set(words(question))
        best, span = 0.0, None
        for s, e in sentence_spans(text):
            shared = terms.intersection(words(text[s:e]))
            score = sum(lex.idf(w) if lex is not None else 1.0 for w in shared)
            if score > best:
                best, span = score, (s, e)
        if span is None:
            return None
        s, e = span
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        return {"start": s, "end": e, "text": text[s:e]}

    # --- contract -------------------------------------------------------------------
    def _questions_of(self, frame: pd.DataFrame) -> tuple[str, list[Any]]:
        cols = {str(c).strip().lower(): c for c in frame.columns}
        col = next((cols[c] for c in QUESTION_COLUMNS if c in cols), None)
        if col is None:
            raise DataError(f"the table of questions has no 'question' column (columns: "
                            f"{', '.join(map(str, frame.columns))}).", column="question",
                            fix="name the column of questions 'question' (or 'query').")
        return col, frame[col].tolist()

    def predict(self, data: Any) -> list[dict[str, Any]]:
        """:meth:`answer` for each question (a list, or a table's question column)."""
        if isinstance(data, str):
            return [self.answer(data)]
        questions = self._questions_of(data)[1] if isinstance(data, pd.DataFrame) else list(data)
        return self.answer_many(questions)

    def score(self, data: Any, *, explain: bool = False,
              progress: Callable[[int], None] | None = None) -> pd.DataFrame:
        """The questions with ``answer``, ``entry_id``, ``score``, ``confidence``, ``handover``."""
        frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame({"question": list(data)})
        _, questions = self._questions_of(frame)
        rows = []
        for start in range(0, len(questions), 256):
            rows += self.answer_many(questions[start:start + 256], k=0)
            if progress is not None:
                progress(min(256, len(questions) - start))
        out = frame.copy()
        out["answer"] = [r["answer"] if not r["handover"] else r["message"] for r in rows]
        out["entry_id"] = [r["entry_id"] for r in rows]
        out["score"] = [r["score"] for r in rows]
        out["confidence"] = [r["confidence"] for r in rows]
        out["handover"] = [r["handover"] for r in rows]
        return out

    def actions(self) -> list[Action]:
        from bizforge.families.answer.api import actions

        return actions(self)

    def example(self, action: str) -> dict[str, Any] | None:
        """The knowledge base's first question (or passage), for ``answer``."""
        texts = [str(t) for t in self.kb.frame["text"].head(20) if str(t).strip()]
        return {"question": texts[0][:300]} if action == "answer" and texts else None

    # --- files ------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        parts = self.retriever.save_parts(folder)
        doc = {"info": self.info, "retriever": parts,
               "calibrator": None if self.calibrator is None else self.calibrator.to_json()}
        (folder / MODEL).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        entries = self.kb.frame.to_dict(orient="records")
        (folder / ENTRIES).write_text(json.dumps(entries, ensure_ascii=False),
                                      encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> AnswerPredictor:
        folder = Path(folder)
        doc = json.loads((folder / MODEL).read_text(encoding="utf-8"))
        frame = pd.DataFrame(json.loads((folder / ENTRIES).read_text(encoding="utf-8")),
                             columns=list(COLUMNS))
        kb = KnowledgeBase(frame=frame)
        retriever = Retriever.load_parts(folder, kb, doc["info"]["kind"], doc["retriever"])
        retriever.weights = doc["info"]["weights"]
        cal = doc.get("calibrator")
        obj = cls(info=doc["info"], kb=kb, retriever=retriever,
                  calibrator=Calibrator.from_json(cal) if cal else None)
        obj.path = folder
        return obj
