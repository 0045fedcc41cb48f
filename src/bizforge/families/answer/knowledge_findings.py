"""Findings on a knowledge base (a :mod:`~bizforge.families.answer.kb` frame).

The same :class:`~bizforge.clean.findings.Finding` shape as the table findings:
column, kind, severity, a message with up to five 1-based example rows, the
fix; never a personal value. Kinds and thresholds:

- ``empty_answer`` (warning): an entry with no answer text; it cannot be answered.
- ``duplicate_entries`` (info): the same question with the same answer more than
  once (compared after lower-casing and collapsing spaces and punctuation).
- ``near_duplicate_entries`` (info): questions at least :data:`NEAR_SAME` alike
  (cosine of character 2-4-gram TF-IDF, which works for Chinese as for
  English) whose answers are alike too: merge them, or make one an alternative
  phrasing of the other.
- ``contradicting_entries`` (warning): the same or a near-same question with
  answers less than :data:`ANSWERS_DIFFER` alike: the bot would answer either.
- ``passage_too_long`` (info): above :data:`TOO_LONG` characters; the encoder
  reads only about the first 512 tokens, so the rest is found by BM25 alone.
- ``passage_too_short`` (info): an answer under :data:`TOO_SHORT` characters
  ("Yes.", "see above") says little without its question.
- ``personal_data`` (warning): phone numbers, e-mails, ID and card numbers in
  answers, questions or alternatives (past tickets especially). They are masked
  before training by default (:func:`mask_entries`, the shared masking code).

Near-duplicates are looked for among the first :data:`MAX_PAIRS_ROWS` entries
(pairwise similarity grows with the square); the finding says when it stopped.

>>> kb = pd.DataFrame({"entry_id": ["1", "2"], "text": ["How to pay?", "how to pay"],
...                    "answer": ["By card.", "Cash only."]})
>>> [f.kind for f in check(kb)]
['contradicting_entries', 'passage_too_short']
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from bizforge.clean.findings import EXAMPLE_ROWS, Finding
from bizforge.clean.pii import mask_frame, scan_frame
from bizforge.i18n import add_messages, rows_phrase, t

__all__ = ["ANSWERS_DIFFER", "MAX_PAIRS_ROWS", "NEAR_SAME", "TOO_LONG", "TOO_SHORT", "check",
           "mask_entries", "review", "similar_pairs"]

NEAR_SAME = 0.85
ANSWERS_DIFFER = 0.5
TOO_LONG = 4000
TOO_SHORT = 15
MAX_PAIRS_ROWS = 20_000
_CHUNK = 2000
_NORMAL = re.compile(r"[\W_]+", re.UNICODE)

add_messages("en", {
    "kb.empty_answer.message": "{count} entries have no answer ({rows}).",
    "kb.empty_answer.fix": "write the answers, or remove these entries.",
    "kb.duplicate.message": "{count} entries repeat another entry's question and answer "
                            "({rows}).",
    "kb.duplicate.fix": "remove the copies; they are kept once for training.",
    "kb.near_duplicate.message": "{count} pairs of entries ask nearly the same question with "
                                 "nearly the same answer (entries {pairs}).",
    "kb.near_duplicate.fix": "merge each pair into one entry; keep the other wording as an "
                             "alternative phrasing.",
    "kb.contradicting.message": "{count} pairs of entries ask the same question but answer it "
                                "differently (entries {pairs}).",
    "kb.contradicting.fix": "decide which answer is right and remove or correct the other; "
                            "until then either may be given.",
    "kb.too_long.message": "{count} passages are longer than {limit} characters ({rows}).",
    "kb.too_long.fix": "split them into shorter entries: the encoder reads only the start of "
                       "a long passage.",
    "kb.too_short.message": "{count} answers are shorter than {limit} characters ({rows}).",
    "kb.too_short.fix": "check that they answer the question on their own.",
    "kb.pii.message": "column '{column}' holds personal data: {kinds} in {count} entries "
                      "({rows}).",
    "kb.pii.fix": "it is masked before training (phone numbers as 138****8000 ...); remove it "
                  "from the knowledge base if it should not be there at all.",
    "kb.pairs_capped": " Only the first {rows} entries were compared.",
})
add_messages("zh", {
    "kb.empty_answer.message": "{count} 个条目没有答案（{rows}）。",
    "kb.empty_answer.fix": "请补上答案，或删除这些条目。",
    "kb.duplicate.message": "{count} 个条目的问题和答案与另一个条目完全重复（{rows}）。",
    "kb.duplicate.fix": "请删除重复条目；训练时只保留一条。",
    "kb.near_duplicate.message": "{count} 对条目的问题和答案几乎相同（条目 {pairs}）。",
    "kb.near_duplicate.fix": "请把每对合并为一个条目，另一种问法作为相似问题保留。",
    "kb.contradicting.message": "{count} 对条目问的是同一个问题，答案却不同（条目 {pairs}）。",
    "kb.contradicting.fix": "请确定哪个答案正确，删除或改正另一个；在此之前两者都可能被回答。",
    "kb.too_long.message": "{count} 个段落超过 {limit} 个字符（{rows}）。",
    "kb.too_long.fix": "请拆成较短的条目：编码器只读取长段落的开头部分。",
    "kb.too_short.message": "{count} 个答案短于 {limit} 个字符（{rows}）。",
    "kb.too_short.fix": "请确认这些答案脱离问题也能看懂。",
    "kb.pii.message": "列 '{column}' 含有个人信息：{kinds}，共 {count} 个条目（{rows}）。",
    "kb.pii.fix": "训练前会自动遮盖（如 138****8000）；如果这些信息本不该出现在知识库中，请删除。",
    "kb.pairs_capped": " 只比较了前 {rows} 个条目。",
})


def _normal(text: Any) -> str:
    return _NORMAL.sub(" ", str(text or "").lower()).strip()


def _rows(positions: Any) -> list[int]:
    return [int(p) + 1 for p in list(positions)[:EXAMPLE_ROWS]]


def _finding(kind: str, key: str, severity: str, lang: str, column: str | None,
             positions: Any, **kw: Any) -> Finding:
    positions = list(positions)
    return Finding(column=column, kind=kind, severity=severity,
                   message=t(f"kb.{key}.message", lang, **kw),
                   fix=t(f"kb.{key}.fix", lang), count=len(positions), rows=_rows(positions))


def similar_pairs(texts: list[str], threshold: float = NEAR_SAME) -> list[tuple[int, int, float]]:
    """Pairs ``(i, j, cosine)`` with ``i < j`` whose character-n-gram TF-IDF cosine is at
    least ``threshold`` (computed in blocks of rows so memory stays small)."""
    matrix = _tfidf(texts) if len(texts) >= 2 else None
    if matrix is None:
        return []
    pairs: list[tuple[int, int, float]] = []
    for start in range(0, matrix.shape[0], _CHUNK):
        block = (matrix[start:start + _CHUNK] @ matrix.T).tocoo()
        keep = (block.data >= threshold) & (block.row + start < block.col)
        pairs.extend(zip((block.row[keep] + start).tolist(), block.col[keep].tolist(),
                         block.data[keep].tolist(), strict=True))
    return sorted(pairs)


def _tfidf(texts: list[str]):
    """Row-normalised character 2-4-gram TF-IDF of ``texts`` (None if no text has any)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    try:
        return TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4),
                               sublinear_tf=True).fit_transform(texts)
    except ValueError:  # nothing but empty texts
        return None


def _pairs_text(frame: pd.DataFrame, pairs: list[tuple[int, int]]) -> str:
    ids = frame["entry_id"].astype(str).to_numpy() if "entry_id" in frame else None
    shown = [f"{ids[i]}/{ids[j]}" if ids is not None else f"{i + 1}/{j + 1}"
             for i, j in pairs[:EXAMPLE_ROWS]]
    more = f" (+{len(pairs) - EXAMPLE_ROWS})" if len(pairs) > EXAMPLE_ROWS else ""
    return ", ".join(shown) + more


def _duplicates(frame: pd.DataFrame, answers: pd.Series, lang: str) -> list[Finding]:
    out = []
    keys = frame["text"].map(_normal) + "\x00" + answers.map(_normal)
    repeated = np.flatnonzero(keys.duplicated().to_numpy() & (frame["text"].map(_normal) != ""))
    if len(repeated):
        out.append(_finding("duplicate_entries", "duplicate", "info", lang, "text", repeated,
                            count=len(repeated), rows=rows_phrase(_rows(repeated),
                                                                  len(repeated), lang)))
    limit = min(len(frame), MAX_PAIRS_ROWS)
    questions = frame["text"].iloc[:limit].map(_normal).tolist()
    near, contra = [], []
    first = ~keys.iloc[:limit].duplicated().to_numpy()
    pairs = [(i, j) for i, j, _ in similar_pairs(questions)
             if first[i] and first[j]]  # exact copies are reported above
    if pairs:
        involved = sorted({p for pair in pairs for p in pair})
        where = {p: n for n, p in enumerate(involved)}
        matrix = _tfidf([_normal(answers.iloc[p]) for p in involved])
        for i, j in pairs:
            a, b = _normal(answers.iloc[i]), _normal(answers.iloc[j])
            if not a or not b or matrix is None:
                alike = 1.0 if a == b else 0.0
            else:
                alike = float(matrix[where[i]].multiply(matrix[where[j]]).sum())
            (contra if alike < ANSWERS_DIFFER else near).append((i, j))
    capped = t("kb.pairs_capped", lang, rows=f"{limit:,}") if limit < len(frame) else ""
    for kind, key, severity, pairs in (("near_duplicate_entries", "near_duplicate", "info", near),
                                       ("contradicting_entries", "contradicting", "warning",
                                        contra)):
        if pairs:
            finding = _finding(kind, key, severity, lang, "answer",
                               sorted({p for pair in pairs for p in pair}),
                               count=len(pairs), pairs=_pairs_text(frame, pairs))
            finding.count = len(pairs)
            finding.message += capped
            out.append(finding)
    return out


def _pii(frame: pd.DataFrame, lang: str) -> list[Finding]:
    out = []
    columns = [c for c in ("text", "answer", "alternatives") if c in frame]
    view = frame[columns].copy()
    if "alternatives" in view:
        view["alternatives"] = view["alternatives"].map(
            lambda v: " | ".join(v) if isinstance(v, (list, tuple, np.ndarray)) else v)
    for column, found in scan_frame(view, sample=None).items():
        rows = [r + 1 for r in found.rows[:EXAMPLE_ROWS]]  # the scan counts from 0
        out.append(Finding(
            column=column, kind="personal_data", severity="warning",
            message=t("kb.pii.message", lang, column=column,
                      kinds=", ".join(sorted(found.kinds)), count=found.count,
                      rows=rows_phrase(rows, found.count, lang)),
            fix=t("kb.pii.fix", lang), count=found.count, rows=rows))
    return out


def check(frame: pd.DataFrame, lang: str = "en") -> list[Finding]:
    """The findings on a KB frame (``text`` required; ``answer``, ``entry_id``,
    ``alternatives`` used when present). When no entry has an answer (document passages)
    the texts are what is answered."""
    def text(column: str) -> pd.Series:
        return frame[column].map(lambda v: "" if v is None or (isinstance(v, float) and
                                                              pd.isna(v)) else str(v).strip())

    answers = text("answer") if "answer" in frame else None
    if answers is None or not (answers != "").any():
        answers = text("text")  # passages (or questions alone) answer themselves
    findings: list[Finding] = []
    empty = np.flatnonzero((answers == "").to_numpy())
    if len(empty):
        findings.append(_finding("empty_answer", "empty_answer", "warning", lang, "answer",
                                 empty, count=len(empty),
                                 rows=rows_phrase(_rows(empty), len(empty), lang)))
    findings.extend(_duplicates(frame, answers, lang))
    lengths = answers.str.len().to_numpy()
    for kind, key, mask, limit in (
            ("passage_too_long", "too_long", lengths > TOO_LONG, TOO_LONG),
            ("passage_too_short", "too_short", (lengths > 0) & (lengths < TOO_SHORT), TOO_SHORT)):
        where = np.flatnonzero(mask)
        if len(where):
            findings.append(_finding(kind, key, "info", lang, "answer", where, count=len(where),
                                     limit=limit, rows=rows_phrase(_rows(where), len(where),
                                                                   lang)))
    findings.extend(_pii(frame, lang))
    return findings


def mask_entries(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The KB frame with personal data masked in ``text``, ``answer`` and ``alternatives``
    (the shared :func:`~bizforge.clean.pii.mask_frame`, mask mode), and its audit."""
    from bizforge.clean.pii import mask_text

    columns = [c for c in ("text", "answer") if c in frame]
    out, audit = mask_frame(frame, mode="mask", columns=columns)
    out = out.copy()
    if "alternatives" in out:
        out["alternatives"] = [
            [mask_text(a) for a in v] if isinstance(v, (list, tuple, np.ndarray)) else v
            for v in out["alternatives"]]
    return out, audit


def review(kb: Any, lang: str = "en", mask: bool = True) -> Any:
    """A :class:`~bizforge.families.answer.kb.KnowledgeBase` with :func:`check`'s findings
    added (as dicts) and, unless ``mask=False``, personal data masked in its entries."""
    found = [f.to_dict() for f in check(kb.frame, lang)]
    if mask and any(f["kind"] == "personal_data" for f in found):
        kb.frame = mask_entries(kb.frame)[0]
    kb.findings = [*kb.findings, *found]
    return kb
