"""The ``answer`` family: answer questions from a knowledge base, or hand them over.

Training reads the knowledge base (a table of entries, or a folder of
documents), builds a BM25 index (bm25s, jieba words for Chinese) and a dense
index (a bundled sentence encoder in faiss) over each entry's question,
alternative phrasings and answer, tunes the fusion weights on example questions
(``--queries``), calibrates a confidence and picks the hand-over threshold so
that answered questions are right at least ``--min-precision`` of the time, and
evaluates on held-out questions (``--test``, else a share of ``--queries``).

>>> AnswerFamily.tasks
('answer',)
"""

from __future__ import annotations

import zipfile
from pathlib import Path, PurePosixPath

from bizforge.families.answer.kb import KnowledgeBase, read_kb
from bizforge.families.answer.options import AnswerOptions
from bizforge.families.base import DataSource, Family, Progress, Trained
from bizforge.families.catalog import register_family

__all__ = ["AnswerFamily", "load_kb"]

_DOCUMENTS = {".md", ".txt", ".html", ".htm", ".docx", ".pdf", ".rst"}


def _suffixes(path: Path) -> list[str]:
    """The file suffixes in a folder or a .zip (at most 2,000 files); [] when unreadable."""
    if path.is_dir():
        return [p.suffix.lower() for p in path.rglob("*") if p.is_file()][:2000]
    try:
        with zipfile.ZipFile(path) as zf:
            return [PurePosixPath(n).suffix.lower() for n in zf.namelist()
                    if not n.endswith("/")][:2000]
    except (zipfile.BadZipFile, OSError):
        return []


def load_kb(source: DataSource, lang: str = "en", progress: Progress | None = None
            ) -> KnowledgeBase:
    """The knowledge base of ``source`` (a table of entries, or a folder/zip of documents
    read by :mod:`.documents`), with the findings of :mod:`.knowledge_findings` and
    personal data masked (:func:`~bizforge.families.answer.knowledge_findings.review`)."""
    from bizforge.families.answer.knowledge_findings import review

    if source.is_folder or source.is_zip:
        from bizforge.families.answer.documents import read_folder

        frame, findings = read_folder(source.path, progress=progress)
        kb = read_kb(frame, path=str(source.path))
        kb.findings = [*(f.to_dict() for f in findings), *kb.findings]
    else:
        path = None if source.path is None else str(source.path)
        kb = read_kb(source.dataset().frame, path=path)
    return review(kb, lang)


@register_family
class AnswerFamily(Family):
    """BM25 + dense retrieval, fused by validated weights, with a calibrated hand-over."""

    name = "answer"
    tasks = ("answer",)
    Options = AnswerOptions
    needs_target = False

    @classmethod
    def recognise(cls, source: DataSource, target: str | None) -> float:
        hints = getattr(source, "hints", {}) or {}
        if any(k in hints for k in ("queries", "kb_kind", "encoder", "min_precision")):
            return 1.0
        if source.is_folder or source.is_zip:
            names = _suffixes(source.path)
            docs = sum(s in _DOCUMENTS for s in names)
            return 0.4 if names and docs / len(names) > 0.5 else 0.0
        try:
            columns = {str(c).strip().lower() for c in source.dataset().frame.columns}
        except Exception:  # noqa: BLE001  (unreadable: another family may know it)
            return 0.0
        if target:
            return 0.0
        if {"entry_id", "text"} <= columns:
            return 0.9
        if {"question", "answer"} <= columns:
            return 0.8
        return 0.0

    def inspect(self, source: DataSource, *, target: str | None, options: AnswerOptions,
                lang: str = "en") -> KnowledgeBase:
        """The normalised entries and the findings on them."""
        return load_kb(source, lang)

    def train(self, source: DataSource, *, target: str | None, task: str,
              options: AnswerOptions, test: DataSource | None, time_limit: float,
              seed: int = 0, lang: str = "en", progress: Progress | None = None) -> Trained:
        from bizforge.families.answer.fit import fit

        return fit(self, source, task=task, options=options, test=test,
                   time_limit=time_limit, seed=seed, lang=lang, progress=progress)

    @classmethod
    def load(cls, folder: Path):
        from bizforge.families.answer.predictor import AnswerPredictor

        return AnswerPredictor.load(folder)

