"""Example and test questions, and the held-out figures of a retriever.

A questions table has ``query`` (or ``question``) and ``entry_id`` (the right
entries, several joined by ``|``). Figures: hit@1, hit@5, MRR@10, and the
hand-over on the same questions asked as they are and with their right entries
removed from the knowledge base (then the right move is to hand over).

>>> read_queries(pd.DataFrame({"query": ["q"], "entry_id": ["a|b"]}), {"a": 0, "b": 1}
...              ).gold
[{0, 1}]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bizforge.errors import DataError
from bizforge.families.answer.kb import split_ids
from bizforge.families.answer.retrieval import Retriever, gather
from bizforge.families.answer.tuning import (
    Calibrator,
    calibration_features,
    fuse,
    gold_mask,
    rank_metrics,
    ranks,
)

__all__ = ["Questions", "Scored", "handover_figures", "read_queries", "score_questions"]

QUERY_COLUMNS = ("query", "question", "text")


@dataclass
class Questions:
    texts: list[str]
    gold: list[set[int]]

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, idx) -> Questions:
        return Questions([self.texts[i] for i in idx], [self.gold[i] for i in idx])

    def __add__(self, other: Questions | None) -> Questions:
        if other is None:
            return self
        return Questions(self.texts + other.texts, self.gold + other.gold)


def read_queries(frame: pd.DataFrame, positions: dict[str, int], path: str | None = None,
                 option: str = "--queries") -> Questions:
    """The questions and the positions of their right entries; DataError naming unknown ids."""
    where = f"{option} '{path}'" if path else f"the {option} table"
    cols = {str(c).strip().lower(): c for c in frame.columns}
    qcol = next((cols[c] for c in QUERY_COLUMNS if c in cols), None)
    if qcol is None or "entry_id" not in cols:
        missing = "query" if qcol is None else "entry_id"
        raise DataError(f"{where} has no '{missing}' column (columns: "
                        f"{', '.join(map(str, frame.columns))}).", column=missing, path=path,
                        fix="give it a 'query' column of questions and an 'entry_id' column "
                            "of the right entries ('a|b' for several).")
    texts, gold, unknown, blank = [], [], {}, []
    for row, (q, ids) in enumerate(zip(frame[qcol], frame[cols["entry_id"]])):
        q = "" if pd.isna(q) else " ".join(str(q).split())
        wanted = split_ids(ids)
        if not q or not wanted:
            blank.append(row)
            continue
        for i in wanted:
            if i not in positions:
                unknown.setdefault(i, row)
        texts.append(q)
        gold.append({positions[i] for i in wanted if i in positions})
    if unknown:
        names = list(unknown)
        raise DataError(f"{where}: {len(names)} entry ids are not in the knowledge base "
                        f"({', '.join(names[:5])}{', ...' if len(names) > 5 else ''}; first on "
                        f"row {min(unknown.values()) + 2}).", column="entry_id", path=path,
                        rows=sorted(unknown.values()),
                        fix="use the entry_id values of the knowledge base, or remove those "
                            "rows.")
    if not texts:
        raise DataError(f"{where} has no question with an entry_id.", column="query", path=path,
                        fix="fill the 'query' and 'entry_id' columns.")
    return Questions(texts, gold)


@dataclass
class Scored:
    """Candidates, channel features and fused scores of some questions."""

    ids: np.ndarray
    feats: np.ndarray
    fused: np.ndarray


def score_questions(retriever: Retriever, texts: list[str], channels: list[str],
                    weights: np.ndarray, store: bool = True, batch: int = 256) -> Scored:
    parts = []
    for start in range(0, len(texts), batch):
        scores = retriever.channel_scores(texts[start:start + batch], store=store)
        parts.append(gather(scores, channels))
    width = max(p[0].shape[1] for p in parts)
    ids = np.concatenate([np.pad(i, ((0, 0), (0, width - i.shape[1])), constant_values=-1)
                          for i, _ in parts])
    feats = np.concatenate([np.pad(f, ((0, 0), (0, width - f.shape[1]), (0, 0)),
                                   constant_values=np.nan) for _, f in parts])
    return Scored(ids, feats, fuse(feats, weights))


def mixed_set(scored: Scored, gold: list[set[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Calibration rows: each question as asked, then with its right entries removed."""
    X1, top1 = calibration_features(scored.ids, scored.fused, scored.feats)
    y1 = np.array([t in g for t, g in zip(top1, gold)], dtype=float)
    removed = gold_mask(scored.ids, gold)
    X0, _ = calibration_features(scored.ids, scored.fused, scored.feats, removed)
    return np.vstack([X1, X0]), np.concatenate([y1, np.zeros(len(X0))])


def handover_figures(scored: Scored, gold: list[set[int]], calibrator: Calibrator,
                     threshold: float) -> dict[str, Any]:
    """Answered share and precision as asked; handed-over share with the entries removed."""
    X, y = mixed_set(scored, gold)
    conf = calibrator.confidence(X)
    n = len(gold)
    asked, gone = conf[:n] >= threshold, conf[n:] >= threshold
    right = y[:n].astype(bool)
    answered_right = int((asked & right).sum())
    return {
        "answered": float(asked.mean()) if n else None,
        "answered_precision": answered_right / int(asked.sum()) if asked.any() else None,
        "handover_removed": float(1.0 - gone.mean()) if n else None,
        "mixed_precision": (answered_right / int(asked.sum() + gone.sum())
                            if (asked.sum() + gone.sum()) else None),
        "threshold": threshold,
    }


def figures(scored: Scored, gold: list[set[int]]) -> dict[str, Any]:
    return rank_metrics(ranks(scored.ids, scored.fused, gold))
