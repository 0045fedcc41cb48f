"""Files uploaded on the Data page: stored, listed, inspected and previewed with masking.

Each upload lives in ``<home>/console/uploads/<id>/`` as the file (its name made
safe, its suffix kept for the readers) and ``meta.json`` (the name as given, size,
time). Inspecting asks the family that recognises the data (``bizforge.families``);
its findings are cached next to the file as ``inspect.json``.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import shutil
from pathlib import Path
from typing import Any

from bizforge.registry.db import now

__all__ = ["as_document", "column_names", "default_target", "find", "inspect", "list_uploads",
           "mask_preview", "new_folder", "save_meta"]

_ID = re.compile(r"[0-9a-f]{16}")
PREVIEW_ROWS = 8


def new_folder(root: Path) -> Path:
    folder = root / secrets.token_hex(8)
    folder.mkdir(parents=True)
    return folder


def safe_name(name: str) -> str:
    """A file name safe on any disk: letters, digits, CJK, ``._-``; suffix kept."""
    base = Path(name.replace("\\", "/")).name
    cleaned = re.sub(r"[^\w.\-]+", "_", base).strip("._") or "upload"
    return cleaned[-120:]


def save_meta(folder: Path, shown: str, stored: Path, size: int) -> dict[str, Any]:
    meta = {"id": folder.name, "name": shown[:200], "file": stored.name, "size": size,
            "created": now()}
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return meta


def list_uploads(root: Path) -> list[dict[str, Any]]:
    out = []
    if root.is_dir():
        for meta in root.glob("*/meta.json"):
            try:
                out.append(json.loads(meta.read_text(encoding="utf-8")))
            except ValueError:
                continue
    return sorted(out, key=lambda m: m.get("created", ""), reverse=True)


def find(root: Path, upload_id: str) -> tuple[dict[str, Any], Path]:
    """The upload's meta and file path; KeyError for an unknown (or malformed) id."""
    if not _ID.fullmatch(str(upload_id or "")):
        raise KeyError(upload_id)
    folder = root / upload_id
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise KeyError(upload_id) from None
    return meta, folder / meta["file"]


def delete(root: Path, upload_id: str) -> None:
    find(root, upload_id)
    shutil.rmtree(root / upload_id, ignore_errors=True)


def inspect(path: Path, lang: str, task: str | None = None,
            target: str | None = None) -> dict[str, Any]:
    """The findings of the family that recognises the file, or of the one answering ``task``
    (a long table is a table until it is inspected as a forecast, with its target); cached
    per language, task and target."""
    task = None if task in (None, "", "auto") else task
    target = target or None
    asked = "" if task is None and target is None else "." + hashlib.sha256(
        json.dumps([task, target], ensure_ascii=False).encode()).hexdigest()[:12]
    cache = path.parent / f"inspect.{lang}{asked}.json"
    if cache.is_file():
        return json.loads(cache.read_text(encoding="utf-8"))
    from bizforge.families import DataSource
    from bizforge.families.catalog import family_for_task, recognise

    source = DataSource(path)
    family = family_for_task(task) if task else recognise(source, target)
    found = family().inspect(source, target=target, options=family.Options(), lang=lang)
    doc = as_document(found)
    doc = json.loads(json.dumps(doc, ensure_ascii=False, default=str))
    out = {"family": family.name, "task": task or family.tasks[0], "asked": task,
           "target": target, "needs_target": bool(family.needs_target),
           "table": "columns" in doc, "profile": doc}
    cache.write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
    return out


def as_document(found: Any) -> dict[str, Any]:
    """A family's inspect result as a JSON-able document: its ``to_dict()``, else its
    findings and its plain figures (numbers, words, yes/no attributes and properties)."""
    if hasattr(found, "to_dict"):
        return dict(found.to_dict())
    if isinstance(found, dict):
        return dict(found)
    findings = []
    for f in getattr(found, "findings", None) or []:
        item = f.to_dict() if hasattr(f, "to_dict") else f if isinstance(f, dict) else {
            "message": str(f)}
        findings.append({"column": None, "severity": "info", "fix": "", **item})
    doc: dict[str, Any] = {}
    if hasattr(found, "__len__"):
        doc["rows"] = len(found)
    for name in sorted({*vars(found), *(n for n in dir(type(found))
                                       if isinstance(getattr(type(found), n), property))}):
        if name.startswith("_") or name == "findings":
            continue
        try:
            value = getattr(found, name)
        except Exception:  # noqa: BLE001, S112 - a property that fails is left out
            continue
        if isinstance(value, (str, int, float, bool)):
            doc[name] = value
    doc["findings"] = findings
    return doc


def column_names(found: dict[str, Any]) -> list[str]:
    return [str(c.get("name")) for c in found["profile"].get("columns") or []]


def default_target(found: dict[str, Any]) -> str | None:
    """The column inspected as the target, else the last one that could be a target (a
    category, yes/no or a number) when the data's family needs one."""
    if found.get("target"):
        return str(found["target"])
    if not found.get("needs_target", True):
        return None
    for c in reversed(found["profile"].get("columns") or []):
        if c.get("role") in ("categorical", "boolean", "numeric", "category") and not c.get("pii"):
            return str(c.get("name"))
    return None


def mask_preview(path: Path) -> dict[str, Any] | None:
    """The first rows with personal data masked, and which columns held what (a table only)."""
    from bizforge.clean import mask_frame
    from bizforge.ingest import read

    try:
        frame = read(path).frame.head(PREVIEW_ROWS)
    except Exception:  # noqa: BLE001 - not a table (a zip of images): no preview
        return None
    masked, audit = mask_frame(frame, mode="mask")
    return {"columns": [str(c) for c in masked.columns],
            "rows": [["" if v is None else str(v) for v in row]
                     for row in masked.astype(object).where(masked.notna(), None).values.tolist()],
            "audit": audit.get("columns", [])}
