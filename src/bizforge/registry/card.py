"""The model card: what a version is, how well it did and what it was trained on.

Built once at publish time from the artifact's own files (``model.json``,
``metrics.json``, ``manifest.json`` and ``profile.json`` when present) and
stored with the version, so listing models never opens artifacts. Only
summaries go in: column names, roles and counts, never cell values.

>>> card = build_card(Path("models/churn"))     # doctest: +SKIP
>>> card["task"], card["metric"], card["metrics"]["roc_auc"]   # doctest: +SKIP
('tabular-classification', 'roc_auc', 0.87)
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

from bizforge.errors import IntegrityError

__all__ = ["build_card", "headline_score", "json_safe"]

_LEADERBOARD_ROWS = 10


def json_safe(value: Any) -> Any:
    """``value`` with NaN/inf as None, so every database's JSON type accepts it."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def _read(path: Path, *, required: bool) -> dict[str, Any]:
    if not path.is_file():
        if required:
            raise IntegrityError(f"'{path}' is missing; this is not a bizforge model folder.",
                                 fix="publish the folder written by `bizforge train`.")
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise IntegrityError(f"'{path}' is not valid JSON.",
                             fix="publish the folder written by `bizforge train`.") from None
    return data if isinstance(data, dict) else {}


def _scalars(metrics: dict[str, Any]) -> dict[str, float | int]:
    """The plain numbers of a metrics block (curves and matrices stay in metrics.json)."""
    return {k: v for k, v in metrics.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)}


def _data_summary(info: dict[str, Any], metrics: dict[str, Any],
                  profile: dict[str, Any]) -> dict[str, Any]:
    schema = [c for c in info.get("input_schema") or [] if isinstance(c, dict)]
    summary: dict[str, Any] = {
        "fingerprint": info.get("data_fingerprint"),
        "rows": metrics.get("rows"),
        "columns": len(schema),
        "roles": dict(Counter(str(c.get("role")) for c in schema)),
        "input_columns": [{k: c.get(k) for k in ("name", "role", "missing", "unique")}
                          for c in schema],
        "dropped_columns": metrics.get("dropped_columns") or {},
        "kept_columns": metrics.get("kept_columns") or {},  # kept against the findings' advice
    }
    if profile:
        findings = [f for f in profile.get("findings") or [] if isinstance(f, dict)]
        summary["profile"] = {
            "rows": profile.get("rows"),
            "findings": dict(Counter(str(f.get("kind")) for f in findings)),
        }
    return summary


def build_card(directory: Path) -> dict[str, Any]:
    """The card of the artifact in ``directory`` (IntegrityError if model.json is absent)."""
    info = _read(directory / "model.json", required=True)
    metrics = _read(directory / "metrics.json", required=False)
    manifest = _read(directory / "manifest.json", required=False)
    profile = _read(directory / "profile.json", required=False)
    task = info.get("task") if isinstance(info.get("task"), dict) else {}
    files = manifest.get("files") if isinstance(manifest.get("files"), dict) else {}
    board = [r for r in metrics.get("leaderboard") or [] if isinstance(r, dict)]
    card = {
        "task": task.get("kind") or metrics.get("task"),
        "problem": task.get("problem") or metrics.get("problem"),
        "target": task.get("target") or metrics.get("target"),
        "classes": task.get("classes") or metrics.get("classes"),
        "positive": task.get("positive"),
        "metric": metrics.get("metric") or task.get("metric"),
        "metrics": _scalars(metrics.get("test") or {}),
        "threshold": info.get("threshold"),
        "validation": metrics.get("validation"),
        "leaderboard": [{k: r.get(k) for k in ("name", "score", "weight")}
                        for r in board[:_LEADERBOARD_ROWS]],
        "data": _data_summary(info, metrics, profile),
        "config": info.get("config") or {},
        "libraries": info.get("libraries") or {},
        "bizforge_version": info.get("bizforge_version"),
        "trained": info.get("created"),
        "comparison": metrics.get("comparison"),  # champion vs challenger (bizforge retrain)
        "files": len(files),
        "bytes": sum(int(f.get("bytes") or 0) for f in files.values() if isinstance(f, dict)),
    }
    return json_safe(card)


def headline_score(card: dict[str, Any]) -> float | None:
    """The held-out value of the card's main metric (None when it was not measured)."""
    value = (card.get("metrics") or {}).get(card.get("metric") or "")
    return float(value) if isinstance(value, (int, float)) else None
