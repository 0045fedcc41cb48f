"""SearchResult: the fitted ensemble, its leaderboard and out-of-fold predictions.

Saved as plain files, no pickle::

    ensemble.json                 spec, metric, scheme, weights, members, leaderboard
    members/<i>_<name>/           one member model (refit), written by its own save()
    members/<i>_<name>/fold_<j>/  or its fold models, when it kept them

Out-of-fold predictions are not saved (they belong to the training run, not to
the served artifact): a loaded result has ``oof = None``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bizforge.errors import ModelError, UsageError
from bizforge.tasks.spec import TaskSpec
from bizforge.train.members import Member

__all__ = ["ENSEMBLE_FILE", "SearchResult"]

ENSEMBLE_FILE = "ensemble.json"
FORMAT = 1


class SearchResult:
    """What :func:`bizforge.train.search` found.

    ``leaderboard``: one dict per candidate that finished (name, model, params,
    score, fit_seconds, predict_seconds per 1,000 rows, weight, refit) plus the
    ``"ensemble"`` row, best first. ``members``: the weighted models.
    ``oof``/``oof_y``: the ensemble's out-of-fold predictions and the encoded
    targets of those rows (``oof_index`` = their positions in the training
    frame) — use them to pick thresholds without touching test data.

    >>> result.predict_proba(X_test)[:, 1]       # doctest: +SKIP
    """

    def __init__(
        self,
        spec: TaskSpec,
        metric: str,
        members: list[Member],
        leaderboard: list[dict[str, Any]],
        *,
        scheme: dict[str, Any] | None = None,
        oof: np.ndarray | None = None,
        oof_y: np.ndarray | None = None,
        oof_index: np.ndarray | None = None,
        skipped: list[dict[str, Any]] | None = None,
        seconds: float | None = None,
    ):
        self.spec = spec
        self.metric = metric
        self.members = members
        self.leaderboard = leaderboard
        self.scheme = scheme or {}
        self.oof = oof
        self.oof_y = oof_y
        self.oof_index = oof_index
        self.skipped = skipped or []
        self.seconds = seconds

    def __repr__(self) -> str:
        parts = ", ".join(f"{m.name}={m.weight:.2f}" for m in self.members)
        return f"SearchResult({self.spec.problem}, {self.metric}={self.score:.4f}: {parts})"

    # -- views ---------------------------------------------------------------------
    @property
    def ensemble(self) -> dict[str, float]:
        """Member name -> weight (sums to 1)."""
        return {m.name: m.weight for m in self.members}

    @property
    def models(self) -> dict[str, Member]:
        """Member name -> fitted member (refit model or averaged fold models)."""
        return {m.name: m for m in self.members}

    @property
    def dominant(self) -> Member:
        """The member with the largest weight (explain the ensemble through it)."""
        return max(self.members, key=lambda m: m.weight)

    @property
    def score(self) -> float:
        """The ensemble's validation score in :attr:`metric`."""
        for row in self.leaderboard:
            if row["name"] == "ensemble":
                return float(row["score"])
        return float("nan")

    # -- prediction ----------------------------------------------------------------
    def predict_value(self, X: pd.DataFrame) -> np.ndarray:
        """Weighted average of the members: probabilities, or values for regression."""
        out = None
        for m in self.members:
            part = m.weight * m.predict_value(X)
            out = part if out is None else out + part
        return out

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """(n, n_classes) probabilities; column ``spec.positive_index`` is P(positive)."""
        if self.spec.problem == "regression":
            raise UsageError("predict_proba is for classification; use predict for regression.")
        return self.predict_value(X)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Class indices (decode with ``spec.decode``) or regression values."""
        value = self.predict_value(X)
        return value if self.spec.problem == "regression" else np.argmax(value, axis=1)

    # -- persistence ---------------------------------------------------------------
    def save(self, directory: str | Path) -> Path:
        """Write every member with its own ``save`` plus ``ensemble.json``; returns the folder."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        entries = []
        for i, member in enumerate(self.members):
            rel = f"members/{i}_{_safe(member.name)}"
            parts = member.save(directory / rel)
            entries.append(member.to_dict(rel, parts))
        data = {
            "format": FORMAT,
            "spec": self.spec.to_dict(),
            "metric": self.metric,
            "scheme": self.scheme,
            "members": entries,
            "leaderboard": self.leaderboard,
            "skipped": self.skipped,
            "seconds": self.seconds,
        }
        text = json.dumps(data, indent=1, allow_nan=False, default=_json_default)
        (directory / ENSEMBLE_FILE).write_text(text, encoding="utf-8")
        return directory

    @classmethod
    def load(cls, directory: str | Path, *, classes: dict[str, type] | None = None) -> SearchResult:
        """Read what :meth:`save` wrote. ``classes`` maps unregistered backend names to classes."""
        directory = Path(directory)
        path = directory / ENSEMBLE_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ModelError(
                f"no ensemble at '{path}'.", fix="pass the folder that SearchResult.save wrote."
            ) from None
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ModelError(f"'{path}' is not valid JSON.", fix="train and save again.") from None
        if data.get("format") != FORMAT:
            raise ModelError(
                f"'{path}' has format {data.get('format')!r}; this bizforge reads format {FORMAT}.",
                fix="train and save again with this version.",
            )
        spec = TaskSpec.from_dict(data["spec"])
        members = [
            Member.load(directory / e["path"], e, spec.problem, classes) for e in data["members"]
        ]
        return cls(
            spec,
            data["metric"],
            members,
            data["leaderboard"],
            scheme=data.get("scheme"),
            skipped=data.get("skipped"),
            seconds=data.get("seconds"),
        )


def _safe(name: str) -> str:
    """A folder-safe version of a member name (no path separators or dots)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name)[:60] or "model"


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
