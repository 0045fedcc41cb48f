"""FAQ tables, past tickets and document passages as knowledge-base rows (:mod:`.kb` columns).

Every source becomes the same shape, :data:`KB_COLUMNS`:

- ``entry_id``: the entry's id (text). An FAQ's or ticket table's own id column
  when there is one; generated (``faq-1``, ``ticket-1``, ... by row) where it
  is missing or blank; ``source#n`` for document passages;
- ``text``: what a question is matched against (the FAQ question, the ticket's
  question, the passage);
- ``answer``: what is answered (the passage itself for documents);
- ``alternatives``: other phrasings of the question (a list; in a table one
  cell with several joined by ``|``);
- ``category``, ``source``, ``heading``: for filtering, citing and reports.

Column names are found in English or Chinese (``question``/``问题``,
``answer``/``答案``, ``alternatives``/``相似问题``, ``category``/``分类``, ``id``)
unless named; a missing one is a :class:`DataError` naming the columns there are.

>>> faq = pd.DataFrame({"question": ["How do I pay?"], "answer": ["By card."],
...                     "alternatives": ["payment methods | can I pay cash"]})
>>> from_faq(faq).loc[0, "alternatives"]
['payment methods', 'can I pay cash']
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from bizforge.errors import DataError
from bizforge.families.answer.kb import COLUMNS

__all__ = ["KB_COLUMNS", "concat", "find_column", "from_faq", "from_passages", "from_tickets"]

KB_COLUMNS = list(COLUMNS)  # the one KB shape, defined by :mod:`.kb`

_NAMES = {
    "question": ("question", "questions", "q", "query", "title", "subject", "问题", "问", "标题",
                 "客户问题", "咨询内容"),
    "answer": ("answer", "answers", "a", "reply", "response", "resolution", "答案", "回答", "答",
               "回复", "处理结果"),
    "alternatives": ("alternatives", "alternative", "paraphrases", "variants", "similar",
                     "相似问题", "相似问", "其他问法"),
    "category": ("category", "topic", "intent", "分类", "类别", "类目"),
    "id": ("id", "entry_id", "faq_id", "ticket_id", "ticket", "编号", "工单号"),
}


def _find(frame: pd.DataFrame, role: str, named: str | None, required: bool) -> str | None:
    if named is not None:
        if named not in frame.columns:
            raise DataError(f"column '{named}' (the {role} column) is not in the table.",
                            column=named,
                            fix=f"name one of: {', '.join(map(str, frame.columns))}.")
        return named
    lower = {str(c).strip().lower(): c for c in frame.columns}
    for candidate in _NAMES[role]:
        if candidate in lower:
            return lower[candidate]
    if required:
        raise DataError(f"the table has no {role} column (columns: "
                        f"{', '.join(map(str, frame.columns))}).",
                        fix=f"name it, e.g. a column called '{_NAMES[role][0]}', or pass "
                            f"its name.")
    return None


def find_column(frame: pd.DataFrame, role: str) -> str | None:
    """The column playing ``role`` (question, answer, alternatives, category, id), or None.

    >>> find_column(pd.DataFrame(columns=["编号", "问题"]), "id")
    '编号'
    """
    return _find(frame, role, None, False)


def _text(series: pd.Series) -> pd.Series:
    return series.map(lambda v: "" if v is None or (isinstance(v, float) and pd.isna(v))
                      else str(v).strip())


def _split_alternatives(value: object) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    return [part.strip() for part in str(value).split("|") if part.strip()]


def _ids(frame: pd.DataFrame, column: str | None, prefix: str) -> list[str]:
    """The id column's values, with generated ``prefix-<row>`` ids where blank; unique."""
    given = _text(frame[column]).tolist() if column is not None else [""] * len(frame)
    ids = [value or f"{prefix}-{row}" for row, value in enumerate(given, start=1)]
    seen: dict[str, int] = {}
    for i, value in enumerate(ids):  # repeated ids get a suffix: an id names one entry
        if value in seen:
            seen[value] += 1
            ids[i] = f"{value}~{seen[value]}"
        else:
            seen[value] = 1
    return ids


def _table(frame: pd.DataFrame, prefix: str, question: str | None, answer: str | None,
           alternatives: str | None, category: str | None, id_column: str | None,
           source: str) -> pd.DataFrame:
    q = _find(frame, "question", question, True)
    a = _find(frame, "answer", answer, True)
    alt = _find(frame, "alternatives", alternatives, False)
    cat = _find(frame, "category", category, False)
    ident = _find(frame, "id", id_column, False)
    out = pd.DataFrame({
        "entry_id": _ids(frame, ident, prefix),
        "text": _text(frame[q]).to_numpy(),
        "answer": _text(frame[a]).to_numpy(),
        "alternatives": (frame[alt].map(_split_alternatives).to_numpy() if alt is not None
                         else [[] for _ in range(len(frame))]),
        "category": _text(frame[cat]).to_numpy() if cat is not None else "",
        "source": source,
        "heading": "",
    })
    return out[KB_COLUMNS]


def from_faq(frame: pd.DataFrame, *, question: str | None = None, answer: str | None = None,
             alternatives: str | None = None, category: str | None = None,
             id_column: str | None = None, source: str = "faq") -> pd.DataFrame:
    """An FAQ table (question, answer, optional alternatives/category/id) as a KB frame."""
    return _table(frame, "faq", question, answer, alternatives, category, id_column, source)


def from_tickets(frame: pd.DataFrame, *, question: str | None = None,
                 answer: str | None = None, category: str | None = None,
                 id_column: str | None = None, source: str = "tickets") -> pd.DataFrame:
    """Past tickets (the customer's question, the agent's answer) as a KB frame; ticket
    ids ``ticket-<row>`` are generated where the table has none."""
    return _table(frame, "ticket", question, answer, None, category, id_column, source)


def from_passages(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`~bizforge.families.answer.documents.read_folder`'s passages as a KB frame:
    a passage is both what is matched and what is answered."""
    return pd.DataFrame({
        "entry_id": frame["entry_id"].astype(str).to_numpy(),
        "text": frame["text"].to_numpy(),
        "answer": frame["text"].to_numpy(),
        "alternatives": [[] for _ in range(len(frame))],
        "category": "",
        "source": frame["source"].to_numpy(),
        "heading": frame["heading"].to_numpy(),
    })[KB_COLUMNS]


def concat(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Several KB frames as one; an ``entry_id`` used twice is a DataError naming it."""
    out = pd.concat([f[KB_COLUMNS] for f in frames], ignore_index=True)
    repeated = out["entry_id"][out["entry_id"].duplicated()].unique().tolist()
    if repeated:
        raise DataError(f"entry ids {', '.join(map(str, repeated[:5]))} are used by more than "
                        "one entry.", column="entry_id",
                        fix="give every entry its own id (or leave the id column out to have "
                            "ids generated).")
    return out
