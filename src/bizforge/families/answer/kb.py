"""The knowledge-base table every part of the family reads: one row per entry.

Columns (see :data:`COLUMNS`): ``entry_id`` (unique), ``text`` (the question of an
FAQ entry, or a passage of a document), and optional ``answer`` (an FAQ entry's
answer), ``alternatives`` (other phrasings of the question: a list, or one cell
joined by ``|``), ``category``, ``source`` (file) and ``heading`` (section or
title). Common other names are read too (``question`` for ``text``, ``id`` for
``entry_id``, ``title`` for ``heading``). An entry needs a text or an answer.

>>> kb = read_kb(pd.DataFrame({"entry_id": ["a"], "text": ["How do I pay?"]}))
>>> list(kb.frame.columns)
['entry_id', 'text', 'answer', 'alternatives', 'category', 'source', 'heading']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from bizforge.errors import DataError

__all__ = ["COLUMNS", "KnowledgeBase", "read_kb", "split_ids"]

COLUMNS = ("entry_id", "text", "answer", "alternatives", "category", "source", "heading")
ALIASES = {"question": "text", "id": "entry_id", "title": "heading", "faq_id": "entry_id",
           "alternative": "alternatives", "paraphrases": "alternatives", "file": "source"}
_SPLIT = re.compile(r"\s*\|\s*")


def split_ids(value: Any) -> list[str]:
    """``"a|b"`` -> ``["a", "b"]`` (also for alternative phrasings); blank -> []."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [p for p in _SPLIT.split(str(value).strip()) if p]


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return re.sub(r"\s+", " ", str(value)).strip()


@dataclass
class KnowledgeBase:
    """The normalised entries (``frame``, columns :data:`COLUMNS`) and what reading noticed."""

    frame: pd.DataFrame
    findings: list[dict[str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def ids(self) -> list[str]:
        return self.frame["entry_id"].tolist()

    @property
    def has_answers(self) -> bool:
        return bool((self.frame["answer"] != "").any())


def read_kb(frame: pd.DataFrame, path: str | None = None) -> KnowledgeBase:
    """Normalise a table of entries; DataError (naming the column and the fix) when unusable."""
    where = f"the knowledge base '{path}'" if path else "the knowledge base"
    renamed = {}
    for col in frame.columns:
        key = str(col).strip().lower()
        key = ALIASES.get(key, key)
        if key in COLUMNS and key not in renamed.values():
            renamed[col] = key
    df = frame[list(renamed)].rename(columns=renamed) if renamed else frame.iloc[:, :0]
    if len(frame) == 0:
        raise DataError(f"{where} has no entries.", path=path,
                        fix="add rows: entry_id, text (question or passage), and answer.")
    if "text" not in df.columns and "answer" not in df.columns:
        raise DataError(f"{where} has no 'text' column (columns: "
                        f"{', '.join(map(str, frame.columns))}).", column="text", path=path,
                        fix="name the column of questions or passages 'text' (and answers "
                            "'answer').")
    out = pd.DataFrame(index=range(len(df)))
    findings: list[dict[str, Any]] = []
    if "entry_id" in df.columns:
        ids = df["entry_id"].map(_text).tolist()
    else:
        ids = [f"e{i + 1}" for i in range(len(df))]
        findings.append({"kind": "generated_ids", "severity": "info", "column": "entry_id",
                         "message": "the table has no 'entry_id' column; entries were "
                                    "numbered e1, e2, ... in file order.",
                         "fix": "add an entry_id column so answers keep their ids."})
    out["entry_id"] = ids
    for col in ("text", "answer", "category", "source", "heading"):
        out[col] = df[col].map(_text).tolist() if col in df.columns else ""
    alts = (df["alternatives"].tolist() if "alternatives" in df.columns else [[]] * len(df))
    out["alternatives"] = [[_text(a) for a in split_ids(v)] for v in alts]
    blank_id = [i for i, v in enumerate(ids) if not v]
    if blank_id:
        raise DataError(f"{where}: {len(blank_id)} entries have no entry_id (rows "
                        f"{', '.join(str(r + 2) for r in blank_id[:5])}).", column="entry_id",
                        path=path, rows=blank_id, fix="give every entry an id.")
    dup = out["entry_id"][out["entry_id"].duplicated()].unique().tolist()
    if dup:
        raise DataError(f"{where}: entry_id is not unique ({len(dup)} ids repeat: "
                        f"{', '.join(dup[:5])}).", column="entry_id", path=path,
                        fix="give each entry its own id, or merge the repeated entries.")
    empty = (out["text"] == "") & (out["answer"] == "")
    if empty.all():
        raise DataError(f"{where}: every entry's text and answer is blank.", column="text",
                        path=path, fix="fill the 'text' column with questions or passages.")
    if empty.any():
        rows = [int(i) for i in empty[empty].index]
        findings.append({"kind": "blank_entries", "severity": "warning", "column": "text",
                         "count": len(rows),
                         "message": f"{len(rows)} entries have neither text nor answer "
                                    f"({', '.join(out['entry_id'][rows[:5]])}); left out.",
                         "fix": "fill or remove them."})
        out = out[~empty].reset_index(drop=True)
    out["text"] = out["text"].where(out["text"] != "", out["answer"])
    return KnowledgeBase(frame=out[list(COLUMNS)], findings=findings)
