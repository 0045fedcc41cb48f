"""The one module that ties every stage together: ingest -> clean -> split -> train
-> evaluate -> (register).

>>> run = train("customers.csv", target="Churn", time_limit=60)   # doctest: +SKIP
>>> run.metrics["test"]["roc_auc"], run.path                      # doctest: +SKIP
(0.853, PosixPath('models/churn-20261125-101500'))
"""

from __future__ import annotations

import hashlib
import platform
import re
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bizforge import __version__
from bizforge import pipeline_text as tx
from bizforge.clean import Profile, Recipe, profile
from bizforge.errors import DataError, UsageError
from bizforge.frame import Dataset
from bizforge.ingest import read
from bizforge.manifest import write_manifest
from bizforge.models.text_common import check_language
from bizforge.serve.predictor import Predictor
from bizforge.split import split
from bizforge.tasks import resolve_task
from bizforge.train import search
from bizforge.train.portfolio import text_candidates

__all__ = ["Run", "train"]

METRICS_FILE = "metrics.json"
REPORT_FILE = "report.html"
EXPLAIN_ROWS = 5


@dataclass
class Run:
    """The result of :func:`train`: the fitted pipeline, held-out metrics, leaderboard, report."""

    predictor: Predictor
    metrics: dict[str, Any]
    report: Any
    profile: Profile
    path: Path | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def leaderboard(self) -> list[dict[str, Any]]:
        return self.metrics["leaderboard"]

    def __repr__(self) -> str:
        return f"Run({self.metrics['task']}, {self.metrics['metric']}, path={self.path})"


def train(
    data: str | Path | pd.DataFrame | Dataset,
    target: str,
    *,
    task: str = "auto",
    test: str | Path | pd.DataFrame | Dataset | None = None,
    time_limit: float = 60.0,
    metric: str | None = None,
    cost_fp: float | None = None,
    cost_fn: float | None = None,
    benefit_tp: float = 0.0,
    out: str | Path | None = None,
    lang: str = "en",
    seed: int = 0,
    drop: dict[str, str] | None = None,
    text_column: str | None = None,
    backbone: str | None = None,
    text_language: str | None = None,
    reject: str | None = None,
    unknown_label: str | None = None,
    reject_drop: float | None = None,
    candidates: list | None = None,
    progress: Callable[[dict[str, Any]], None] | None = None,
    infer_limit: float | str | None = "auto",
) -> Run:
    """Read, check, clean, train under ``time_limit`` seconds, evaluate, save.

    Held-out metrics come from ``test`` or, when absent, a seeded 20% split
    (stratified for classification) that the search never sees. The saved
    folder (``out``, default ``models/<target>-<time>``) holds the whole
    pipeline with a manifest of sha256 sums; it is written to a temporary
    folder first and moved into place only when complete.

    Text classification (``task="text-classification"``, or ``auto`` when the
    only feature is free text) classifies ``text_column`` with TF-IDF, frozen
    embeddings and a fine-tuned ``backbone``, with defaults for the language of the
    texts (detected; ``text_language`` "zh", "en" or "mixed" names it); ``reject="auto"`` calibrates a
    confidence below which the answer is ``"unknown"`` (``unknown_label`` names
    the data's own "none of these" class, e.g. ``oos``; ``reject_drop``: the
    in-scope accuracy, measured on validation rows, that the threshold may give up
    to hand out-of-scope messages to a person, default 0.03). ``candidates`` replaces
    the default portfolio (``(backend, params)`` pairs, as for ``search``);
    ``infer_limit`` caps the ensemble's prediction seconds per row (``"auto"``:
    16 µs for tables, none for text; see ``bizforge.train.cost``).
    """
    from bizforge.evaluate import explain as ex
    from bizforge.evaluate.threshold import choose_threshold, evaluate_threshold

    started = time.perf_counter()
    emit = progress or (lambda event: None)
    if time_limit <= 0:
        raise UsageError(f"time limit must be positive, got {time_limit}.",
                         fix="pass --time-limit in seconds, e.g. 60.")
    tx.check_reject(reject, unknown_label, reject_drop)  # before minutes of training
    check_language(text_language)
    _check_out(out)
    ds = _dataset(data)
    if text_column is not None:
        ds = tx.force_text(ds, text_column)
    emit({"event": "stage", "stage": "inspect"})
    prof = profile(ds, target=target, lang=lang)
    features, texts = tx.text_features(ds.schema, target)
    spec = resolve_task(ds.frame, target, task,
                        text_only=bool(texts) and len(texts) == len(features))
    text_col = None
    if spec.kind == "text-classification":
        text_col = tx.pick_text_column(ds.frame, texts, text_column)
        language = text_language or ds.schema[text_col].language
        candidates = candidates or text_candidates(language, backbone,
                                                   pinned=text_language is not None)
        if backbone is not None:  # a bad --backbone fails now, not as a skipped candidate
            from bizforge.models.text_hf.net import open_tokenizer

            open_tokenizer(backbone)
        drop = {**{c: "not used by text classification" for c in features if c != text_col},
                **(drop or {})}
    elif backbone is not None or text_language is not None:
        option = "--backbone" if backbone is not None else "--text-language"
        raise UsageError(f"{option} applies to text classification.",
                         fix=f"add --task text-classification, or drop {option}.")
    frame = ds.frame[spec.keep_mask(ds.frame[target])]
    if test is None:
        strat = target if spec.is_classification else None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            train_frame, test_frame = split(frame, test_size=0.2, stratify=strat, seed=seed)
        notes = [str(w.message) for w in caught]
        test_source = "stratified 20% split" if strat else "random 20% split"
    else:
        test_ds = _dataset(test)
        if target not in test_ds.frame.columns:
            raise DataError(f"the test file has no target column '{target}'.", column=target,
                            path=test_ds.source, fix="use a test file with the same columns.")
        test_frame = test_ds.frame[spec.keep_mask(test_ds.frame[target])]
        train_frame, notes, test_source = frame, [], str(test_ds.source or "test frame")
    notes += [w["message"] for w in spec.warnings]
    notes += [w["message"] for w in prof.meta.get("warnings") or []]  # from reading the file

    drops = {**prof.drop_suggestions(), **(drop or {})}
    drops.pop(text_col, None)  # the text itself is never dropped (ids/PII are for tables)
    emit({"event": "stage", "stage": "clean"})
    # Bad numbers in training rows become missing (the profile reported them);
    # at prediction time the same recipe refuses them, naming the column.
    recipe = Recipe(on_bad_number="missing").fit(train_frame, ds.schema, target=target, drop=drops)
    X = recipe.transform(train_frame)
    X_test = recipe.transform(test_frame)
    recipe.on_bad_number = "error"
    if X.shape[1] == 0:
        raise DataError("no usable feature columns are left after cleaning "
                        f"(dropped: {', '.join(f'{c} ({r})' for c, r in recipe.dropped.items())}).",
                        fix="add feature columns, or check the findings of `bizforge inspect`.")

    result = search(X, train_frame[target], spec, time_limit=time_limit, seed=seed,
                    metric=metric, candidates=candidates, progress=progress,
                    infer_limit=infer_limit)
    calibrator, novelty = tx.fit_reject(result, spec, reject, unknown_label, X,
                                        spec.encode(train_frame[target]), reject_drop)
    grouped = result.scheme.get("grouped")
    if grouped:
        notes.append(f"validation kept related rows on one side — {grouped['by']}; "
                     f"{grouped['groups']:,} groups — so validation scores are not inflated "
                     "by texts the models saw in training.")
    fit_seconds = time.perf_counter() - started

    emit({"event": "stage", "stage": "evaluate"})
    y_test = spec.encode(test_frame[target])
    value, distance, distance_without = tx.value_and_distance(result, calibrator, novelty,
                                                              X_test, y_test)
    threshold = None
    if spec.problem == "binary":
        pos = spec.positive_index
        choice = choose_threshold(result.oof_y == pos, result.oof[:, pos], cost_fp=cost_fp,
                                  cost_fn=cost_fn, benefit_tp=benefit_tp,
                                  without_costs="default")
        threshold = evaluate_threshold(choice, y_test == pos, value[:, pos])
    elif cost_fp is not None or cost_fn is not None:
        raise UsageError("--cost-fp/--cost-fn apply to binary classification only.",
                         fix="drop the cost options for this task.")
    info = _info(ds, spec, recipe, seed, time_limit)
    if calibrator is not None:
        info["reject"] = calibrator.to_dict()
    predictor = Predictor(recipe, result, novelty=novelty,
                          threshold=None if threshold is None else threshold.threshold, info=info)
    test_metrics, figures = _test_metrics(spec, y_test, value, threshold, lang)
    info["drift_reference"] = _drift_reference(predictor, recipe, train_frame, X_test)

    member = result.dominant
    sources = ex.sources_from_features(recipe.features)
    if text_col is not None:
        test_metrics.update(tx.text_metrics(spec, y_test, value, calibrator, distance,
                                            distance_without))
        importance = None
        reasons = tx.misclassified(predictor, test_frame, text_col, y_test, value)
    else:
        importance, reasons = _explanations(predictor, member, X_test, test_frame, sources)
    if figures is not None and importance:
        from bizforge.evaluate.plots import importance_figure
        figures.append(importance_figure(importance, lang=lang))
    training = tx.finetune_record(result)
    if training is not None and figures is not None:
        from bizforge.evaluate.plots import training_curve_figure
        figures.append(training_curve_figure(training["curve"], lang=lang))

    metrics = _metrics_doc(spec, result, test_metrics, fit_seconds, threshold, test_source,
                           len(train_frame), len(test_frame), recipe)
    if training is not None:  # the curve itself is in the member's model.json and TensorBoard
        metrics["finetune"] = {k: v for k, v in training.items() if k != "curve"}
    report = _report(metrics, result, threshold, figures, importance, reasons, recipe, prof,
                     lang, member.name, notes, test_source, len(train_frame), len(test_frame),
                     training)
    path = _save(predictor, metrics, report, out, target)
    emit({"event": "saved", "path": str(path)})
    return Run(predictor, metrics, report, prof, path, notes)


# -- helpers -------------------------------------------------------------------------
def _dataset(data: Any) -> Dataset:
    return data if isinstance(data, Dataset) else read(data)


def _test_metrics(spec, y_test, value, threshold, lang):
    from bizforge.evaluate.metrics import classification_metrics, regression_metrics
    from bizforge.evaluate.plots import classification_figures, regression_figures

    if not spec.is_classification:
        return regression_metrics(y_test, value), regression_figures(y_test, value, lang=lang)
    kwargs = {"classes": [str(c) for c in spec.classes]}
    if spec.problem == "binary":
        kwargs.update(threshold=threshold.threshold, positive=spec.positive_index)
    test = classification_metrics(y_test, value, **kwargs)
    return test, classification_figures(y_test, value, lang=lang, **kwargs)


def _explanations(predictor, member, X_test, test_frame, sources):
    from bizforge.evaluate import explain as ex

    if not member.tags.explains:
        return ex.aggregate_importance(member.feature_importances_, member.columns, sources), []
    sample = X_test.iloc[: min(len(X_test), 2000)]
    contrib = member.contributions(sample)
    importance = ex.global_importance(contrib, member.columns, sources)
    rows = test_frame.iloc[:EXPLAIN_ROWS]
    labels = predictor.predict(rows)
    reasons = [
        {"row": i + 1, "prediction": str(label), "reasons": r}
        for i, (label, r) in enumerate(zip(labels, predictor.explain(rows), strict=True))
    ]
    return importance, reasons


def _metrics_doc(spec, result, test, fit_seconds, threshold, test_source, n_train, n_test, recipe):
    from bizforge.evaluate.report import metrics_document

    return metrics_document(
        task=spec.kind,
        metric=result.metric,
        test=test,
        leaderboard=result.leaderboard,
        fit_seconds=round(fit_seconds, 2),
        threshold=threshold,
        problem=spec.problem,
        target=spec.target,
        classes=[str(c) for c in spec.classes],
        validation=result.scheme,
        test_source=test_source,
        rows={"train": n_train, "test": n_test},
        dropped_columns=recipe.dropped,
        not_used=[dict(s) for s in result.skipped],
        bizforge_version=__version__,
    )


def _report(metrics, result, threshold, figures, importance, reasons, recipe, prof, lang,
            explained_by, notes, test_source, n_train, n_test, training=None):
    from bizforge.evaluate.report import ModelReport

    summary = {"target": result.spec.target, "metric": result.metric, "train_rows": n_train,
               "test_rows": n_test, "test_source": test_source,
               "validation": result.scheme.get("kind", ""), "fit_seconds": metrics["fit_seconds"]}
    findings = [f"{f.column or '-'}: {f.kind}" for f in prof.findings if f.severity != "info"]
    return ModelReport(metrics=metrics["test"], leaderboard=result.leaderboard,
                       threshold=threshold, figures=figures or (), importance=importance,
                       sample_reasons=reasons, recipe_steps=recipe.describe(),
                       data_summary=summary, lang=lang, name=result.spec.target,
                       notes=[*notes, *findings[:10], *_not_used(result.skipped, lang)],
                       explained_by=explained_by,
                       training=training)


def _not_used(skipped, lang: str) -> list[str]:
    """Report notes for the candidates the search skipped or that failed, with why."""
    from bizforge.i18n import t

    return [t("eval.report.not_used", lang, name=s["name"], reason=s["reason"]) for s in skipped]


def _info(ds, spec, recipe, seed, time_limit) -> dict[str, Any]:
    import lightgbm
    import sklearn
    import torch

    schema = [c.to_dict() for c in ds.schema if c.name in recipe.input_columns]
    return {
        "bizforge_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "task": spec.to_dict(),
        "input_schema": schema,
        "config": {"seed": seed, "time_limit": time_limit},
        "data_fingerprint": _fingerprint(ds.frame),
        "libraries": {"python": platform.python_version(), "pandas": pd.__version__,
                      "numpy": np.__version__, "lightgbm": lightgbm.__version__,
                      "scikit-learn": sklearn.__version__, "torch": torch.__version__},
    }


def _drift_reference(predictor: Predictor, recipe: Recipe, train_frame: pd.DataFrame,
                     X_test: pd.DataFrame) -> dict[str, Any]:
    """Bucket counts of the training inputs and of the held-out predicted classes: what
    the server's drift monitor compares served rows with (no raw values)."""
    from bizforge.clean.drift import reference

    labels = None
    if predictor.spec.is_classification and len(X_test):
        labels = predictor.value_and_labels(X_test)[1]
    return reference(train_frame, {step.column: step.kind for step in recipe.steps_}, labels)


def _fingerprint(frame: pd.DataFrame) -> str:
    """sha256 over the row hashes: same data in the same order -> same fingerprint."""
    rows = pd.util.hash_pandas_object(frame.astype("string"), index=False).to_numpy()
    return hashlib.sha256(rows.tobytes()).hexdigest()


def _check_out(out: str | Path | None) -> None:
    """Refuse an ``out`` that is a file or a folder with files in it (never overwritten)."""
    if out is None:
        return
    out, fix = Path(out), "choose a new --out folder, or remove the old one."
    if out.exists() and not out.is_dir():
        raise UsageError(f"the output path '{out}' is a file, not a folder.", fix=fix)
    if out.exists() and any(out.iterdir()):
        raise UsageError(f"the output folder '{out}' exists and is not empty.", fix=fix)


def _save(predictor: Predictor, metrics: dict, report, out, target: str) -> Path:
    import json

    if out is None:
        slug = re.sub(r"[^\w]+", "-", str(target)).strip("-").lower() or "model"
        out = Path("models") / f"{slug}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    out = Path(out)
    _check_out(out)  # again: something may have been written there while training ran
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
    try:
        predictor.save(tmp)
        (tmp / METRICS_FILE).write_text(
            json.dumps(metrics, ensure_ascii=False, indent=1), encoding="utf-8")
        report.save(tmp / REPORT_FILE)
        write_manifest(tmp, extra={"bizforge_version": __version__, "task": metrics["task"]})
        tmp.chmod(0o755)  # mkdtemp makes it private; a model folder is shared like any other
        for f in tmp.rglob("*"):
            f.chmod(0o755 if f.is_dir() else 0o644)
        if out.exists():
            out.rmdir()
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    predictor.path = out
    return out
