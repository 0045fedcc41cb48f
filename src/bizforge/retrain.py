"""Champion / challenger: train on new labelled rows, compare on the newest ones, maybe promote.

:func:`retrain` keeps the newest ``holdout`` share of the new file's rows (the
last rows, in file order: exports are appended as time goes by) away from
training, trains a challenger on the rest with the champion's target and
metric, scores champion and challenger on those same held-out rows with the
same metric code, writes the comparison into the challenger's ``metrics.json``
(so its model card shows it), publishes the challenger as the next version,
and moves the ``production`` alias to it only when asked and only when it is
better.

>>> result = retrain("churn", "new_rows.csv", promote_if_better=True)   # doctest: +SKIP
>>> result.comparison["better"], result.promoted                         # doctest: +SKIP
(True, True)
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bizforge.errors import DataError, UsageError
from bizforge.frame import Dataset

__all__ = ["LOWER_IS_BETTER", "Retrained", "retrain"]

#: Metrics where a smaller value is the better model.
LOWER_IS_BETTER = frozenset({"log_loss", "rmse", "mae", "brier"})
MIN_HOLDOUT_ROWS = 10


@dataclass
class Retrained:
    """What :func:`retrain` did: the comparison, the published version, the promotion."""

    comparison: dict[str, Any]
    version: int
    promoted: bool


def _score(predictor: Any, frame: Any, target: str, metric: str) -> float:
    """``metric`` of ``predictor`` on labelled ``frame``, computed as training computes it."""
    from bizforge.evaluate.metrics import classification_metrics, regression_metrics

    spec = predictor.spec
    frame = frame[spec.keep_mask(frame[target])]
    value, _ = predictor.value_and_labels(predictor.features(frame.drop(columns=[target])))
    y = spec.encode(frame[target])
    if not spec.is_classification:
        return float(regression_metrics(y, value)[metric])
    kwargs: dict[str, Any] = {"classes": [str(c) for c in spec.classes]}
    if spec.problem == "binary":
        kwargs.update(threshold=predictor.threshold if predictor.threshold is not None else 0.5,
                      positive=spec.positive_index)
    return float(classification_metrics(y, value, **kwargs)[metric])


def _split_newest(ds: Dataset, holdout: float) -> tuple[Dataset, Dataset]:
    if not 0 < holdout < 1:
        raise UsageError(f"--holdout must be between 0 and 1, got {holdout}.",
                         fix="pass a share such as 0.2 (the newest 20% of rows).")
    n_hold = round(len(ds.frame) * holdout)
    if n_hold < MIN_HOLDOUT_ROWS or len(ds.frame) - n_hold < 2 * MIN_HOLDOUT_ROWS:
        raise DataError(f"'{ds.source}' has {len(ds.frame)} rows: too few to train a "
                        f"challenger and keep {holdout:.0%} of them to compare on.",
                        path=ds.source, fix=f"send at least "
                        f"{int(np.ceil(3 * MIN_HOLDOUT_ROWS / min(holdout, 1 - holdout)))} "
                        "labelled rows.")
    head, tail = ds.frame.iloc[:-n_hold], ds.frame.iloc[-n_hold:]
    return (Dataset(head.reset_index(drop=True), ds.schema, dict(ds.meta)),
            Dataset(tail.reset_index(drop=True), ds.schema, dict(ds.meta)))


def _write_comparison(folder: Path, comparison: dict[str, Any]) -> None:
    from bizforge.manifest import MANIFEST, write_manifest

    metrics_path = folder / "metrics.json"
    metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    metrics["comparison"] = comparison
    metrics_path.write_text(json.dumps(metrics, ensure_ascii=False, indent=1), encoding="utf-8")
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    write_manifest(folder, extra={k: v for k, v in manifest.items()
                                  if k not in ("format", "files")})


def retrain(name: str, data: Any, *, registry: Any = None, time_limit: float = 60.0,
            holdout: float = 0.2, promote_if_better: bool = False, seed: int = 0,
            progress: Any = None) -> Retrained:
    """Train a challenger for model ``name`` on labelled ``data`` (see the module docstring)."""
    from bizforge.families import load_folder
    from bizforge.ingest import read
    from bizforge.pipeline import train
    from bizforge.registry import DEFAULT_ALIAS, Registry

    registry = registry or Registry()
    champion_mv = registry.get(name)
    champion = registry.load(champion_mv, load_folder)
    target = (champion.info.get("task") or {}).get("target")
    metric = champion_mv.card.get("metric")
    ds = data if isinstance(data, Dataset) else read(data)
    if target not in ds.frame.columns:
        raise DataError(f"'{ds.source}' has no column '{target}', the target of "
                        f"{champion_mv.ref}.", column=target, path=ds.source,
                        fix=f"send new rows with their outcome in a '{target}' column.")
    fit_part, newest = _split_newest(ds, holdout)
    with tempfile.TemporaryDirectory(prefix="bizforge-retrain-") as tmp:
        run = train(fit_part, target, test=newest, time_limit=time_limit, metric=metric,
                    seed=seed, out=Path(tmp) / "challenger", progress=progress)
        challenger_score = float(run.metrics["test"][metric])
        champion_score = _score(champion, newest.frame, target, metric)
        lower = metric in LOWER_IS_BETTER
        better = (challenger_score < champion_score if lower
                  else challenger_score > champion_score)
        comparison = {
            "champion": champion_mv.ref, "metric": metric,
            "lower_is_better": lower, "champion_score": champion_score,
            "challenger_score": challenger_score, "better": bool(better),
            "holdout_rows": len(newest.frame),
            "holdout": f"the newest {holdout:.0%} of the rows of {ds.source or 'the data'} "
                       "(the last rows in file order), seen by neither model in training",
            "decided": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        _write_comparison(run.path, comparison)
        mv = registry.publish(run.path, champion_mv.name)
    promoted = False
    if promote_if_better and better:
        registry.promote(champion_mv.name, mv.version, DEFAULT_ALIAS)
        promoted = True
    return Retrained(comparison=comparison, version=mv.version, promoted=promoted)
