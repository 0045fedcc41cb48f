"""``bizforge answer-add NAME FILE``: new and edited entries become a new version.

A served knowledge base is never edited in place. :func:`add_entries` takes
the entries of the version ``NAME`` resolves to (production, else the newest),
merges ``FILE`` into them and trains a new version with the same options
through the registry, so it can be compared, promoted and rolled back like
any other:

- a table row whose ``entry_id`` exists replaces that entry; a row without an
  id replaces the entry with the same question (case and spacing ignored), or
  is added with a new id ``added-<n>``;
- a document (or folder, or zip) replaces every passage of the same source
  file, so an updated manual does not leave its old passages behind;
- ``remove`` names entries to leave out.

The example questions of the old version's ``--queries`` (when that file is
still there) and the labelled questions from stored feedback
(:func:`~bizforge.families.answer.feedback.feedback_queries`) are the new
version's ``--queries``.

Needs from the family's predictor: ``kb`` (its entries: a
:class:`~bizforge.families.answer.kb.KnowledgeBase` or a frame) and
``info["options"]`` (the options it was trained with).

>>> add_entries("faq", "new_answers.csv").version                  # doctest: +SKIP
4
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from bizforge.errors import DataError, ModelError
from bizforge.families.answer.kb import COLUMNS, read_kb

__all__ = ["Added", "add_entries", "current_entries", "merge_entries", "read_entries"]

_DOCUMENT_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".docx", ".pdf", ".zip"}


@dataclass
class Added:
    """What :func:`add_entries` did."""

    based_on: str
    version: int
    added: int
    edited: int
    removed: int
    entries: int
    queries: int


def current_entries(predictor: Any) -> pd.DataFrame:
    """The entries a loaded answer model was trained on (columns :data:`COLUMNS`)."""
    kb = getattr(predictor, "kb", None)
    frame = getattr(kb, "frame", kb)
    if not isinstance(frame, pd.DataFrame):
        raise ModelError(f"{getattr(predictor, 'family', 'this')} model keeps no knowledge-base "
                         "entries to add to.",
                         fix="answer-add works on models trained with --task answer.")
    return read_kb(frame).frame


def _normal(text: Any) -> str:
    return re.sub(r"\W+", " ", str(text or "").lower()).strip()


def read_entries(path: str | Path) -> tuple[pd.DataFrame, bool]:
    """``(entries, documents)``: a table of entries, or passages of documents (True)."""
    from bizforge.families.answer.documents import read_folder
    from bizforge.families.answer.sources import find_column, from_faq, from_passages

    path = Path(path)
    if path.is_dir() or path.suffix.lower() in _DOCUMENT_SUFFIXES:
        frame, _findings = read_folder(path)
        return from_passages(frame), True
    from bizforge.ingest import read

    table = read(path).frame
    has_ids = find_column(table, "id") is not None
    try:
        entries = from_faq(table, source=path.name)
    except DataError:
        entries = read_kb(table, path=str(path)).frame
    if not has_ids:
        entries["entry_id"] = None
    return entries, False


def merge_entries(old: pd.DataFrame, new: pd.DataFrame, *, documents: bool = False,
                  remove: tuple[str, ...] | list[str] = ()) -> tuple[pd.DataFrame, dict[str, int]]:
    """``old`` with ``new`` merged in (see the module docstring) and the counts of what
    changed: ``{"added", "edited", "removed"}``."""
    old = old.copy()
    missing = sorted(set(remove) - set(old["entry_id"]))
    if missing:
        raise DataError(f"--remove names entries the model does not have: "
                        f"{', '.join(missing[:5])}.", column="entry_id",
                        fix="use the entry ids of the model (see its report).")
    counts = {"added": 0, "edited": 0, "removed": 0}
    if remove:
        old = old[~old["entry_id"].isin(remove)]
        counts["removed"] = len(remove)
    if documents:
        replaced = old["source"].isin(set(new["source"]))
        counts["edited"] = int(new["source"].nunique() - len(set(new["source"]) - set(
            old["source"])))
        counts["added"] = len(set(new["source"]) - set(old["source"]))
        merged = pd.concat([old[~replaced], new], ignore_index=True)
        return merged[list(COLUMNS)], counts
    by_question = {_normal(t): i for i, t in zip(old["entry_id"], old["text"], strict=True)}
    ids = set(old["entry_id"])
    rows = {entry_id: row for entry_id, row in zip(old["entry_id"],
                                                    old.to_dict("records"), strict=True)}
    next_id = 1
    for row in new.to_dict("records"):
        given = row.get("entry_id")
        given = given if isinstance(given, str) and given.strip() else None
        entry_id = given or by_question.get(_normal(row["text"]))
        if entry_id is None:
            while f"added-{next_id}" in ids:
                next_id += 1
            entry_id = f"added-{next_id}"
            ids.add(entry_id)
        row["entry_id"] = entry_id
        counts["edited" if entry_id in rows else "added"] += 1
        rows[entry_id] = {**rows.get(entry_id, {}), **row}
    merged = pd.DataFrame(list(rows.values()))
    return merged[list(COLUMNS)], counts


def _write_table(frame: pd.DataFrame, path: Path) -> Path:
    out = frame.copy()
    out["alternatives"] = out["alternatives"].map(
        lambda v: " | ".join(v) if isinstance(v, (list, tuple)) else (v or ""))
    out.to_csv(path, index=False, encoding="utf-8")
    return path


def _queries(options: dict[str, Any], registry: Any, name: str, entries: pd.DataFrame,
             folder: Path) -> tuple[Path | None, int]:
    from bizforge.families.answer.feedback import feedback_queries

    parts = []
    old = options.get("queries")
    if old and Path(old).is_file():
        from bizforge.ingest import read

        parts.append(read(old).frame)
    learned = feedback_queries(registry, name, known=set(entries["entry_id"]))
    if len(learned):
        parts.append(learned)
    if not parts:
        return None, 0
    frame = pd.concat(parts, ignore_index=True)
    frame.to_csv(folder / "queries.csv", index=False, encoding="utf-8")
    return folder / "queries.csv", len(frame)


def add_entries(name: str, file: str | Path, *, registry: Any = None,
                remove: tuple[str, ...] | list[str] = (), time_limit: float = 60.0,
                seed: int = 0, progress: Any = None) -> Added:
    """Merge ``file`` into model ``name``'s entries and publish the retrained version."""
    from bizforge.families import load_folder
    from bizforge.pipeline import train
    from bizforge.registry import Registry

    registry = registry or Registry()
    old_mv = registry.get(name)
    predictor = registry.load(old_mv, load_folder)
    old = current_entries(predictor)
    new, documents = read_entries(file)
    merged, counts = merge_entries(old, new, documents=documents, remove=tuple(remove))
    options = {k: v for k, v in dict((predictor.info or {}).get("options") or {}).items()
               if v is not None}
    with tempfile.TemporaryDirectory(prefix="bizforge-answer-add-") as tmp:
        folder = Path(tmp)
        queries, n_queries = _queries(options, registry, old_mv.name, merged, folder)
        options.pop("queries", None)
        if queries is not None:
            options["queries"] = str(queries)
        run = train(_write_table(merged, folder / "entries.csv"), task=old_mv.task or "answer",
                    time_limit=time_limit, seed=seed, out=folder / "model", progress=progress,
                    **options)
        mv = registry.publish(run.path, old_mv.name)
    return Added(based_on=old_mv.ref, version=mv.version, entries=len(merged),
                 queries=n_queries, **counts)
