"""Training a table's model: check, clean, search under the budget, evaluate, report.

This is the body of ``bizforge.train`` for tables (and, through the text family's
hooks, for texts): it returns a :class:`~bizforge.families.base.Trained`; the shared
pipeline saves and publishes it. Each step is a named helper so it reads top to
bottom.

>>> trained = fit(TabularFamily(), DataSource("churn.csv"), target="Churn",   # doctest: +SKIP
...               task="auto", options=TabularOptions(), test=None, time_limit=60)
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any

from bizforge.clean import Recipe, profile
from bizforge.clean.overrides import column_notes, plan_drops
from bizforge.clean.totals import without_total_rows
from bizforge.errors import DataError
from bizforge.families.base import DataSource, Progress, Trained
from bizforge.families.tabular import report as rep
from bizforge.families.tabular.options import TabularOptions
from bizforge.families.tabular.predictor import Predictor
from bizforge.families.text import parts as tx
from bizforge.split import split
from bizforge.train import search

__all__ = ["Held", "fit"]


@dataclass
class Held:
    """The training and held-out frames and where the held-out rows came from."""

    train: Any
    test: Any
    source: str
    notes: list[str]


def fit(family, source: DataSource, *, target: str, task: str, options: TabularOptions,
        test: DataSource | None, time_limit: float, seed: int = 0, lang: str = "en",
        progress: Progress | None = None) -> Trained:
    """Fit ``family``'s model of ``source[target]`` and evaluate it on held-out rows.

    ``family`` supplies the hooks where texts differ from tables: ``prepare`` (the data
    as read), ``resolve`` (the task), ``columns`` (text column,
    candidates, dropped columns) and ``samples`` (the report's example rows).
    """
    started = time.perf_counter()
    emit = progress or (lambda event: None)
    ds = family.prepare(source.dataset(), options)
    emit({"event": "stage", "stage": "inspect"})
    prof = profile(ds, target=target, lang=lang)
    plan_drops(prof, options.keep, options.drop)  # a misspelt --keep/--drop fails now
    features, texts = tx.text_features(ds.schema, target)
    spec = family.resolve(ds.frame, target, task, features, texts)
    text_col, candidates, drop = family.columns(ds, spec, features, texts, options)
    held = _hold_out(ds, spec, target, test, seed)
    notes = held.notes + [w["message"] for w in spec.warnings]
    notes += [w["message"] for w in prof.meta.get("warnings") or []]  # from reading the file

    plan = plan_drops(prof, options.keep, drop)
    recipe, X, X_test = _clean(ds, held, target, plan, text_col, emit)
    result = search(X, held.train[target], spec, time_limit=time_limit, seed=seed,
                    metric=options.metric, candidates=candidates, progress=progress,
                    infer_limit=options.infer_limit)
    calibrator, novelty = tx.fit_reject(result, spec, options.reject, options.unknown_label, X,
                                        spec.encode(held.train[target]), options.reject_drop)
    grouped = result.scheme.get("grouped")
    if grouped:
        notes.append(f"validation kept related rows on one side — {grouped['by']}; "
                     f"{grouped['groups']:,} groups — so validation scores are not inflated "
                     "by texts the models saw in training.")
    fit_seconds = time.perf_counter() - started

    emit({"event": "stage", "stage": "evaluate"})
    y_test = spec.encode(held.test[target])
    value, distance, distance_without = tx.value_and_distance(result, calibrator, novelty,
                                                              X_test, y_test)
    threshold = rep.business_threshold(spec, result, y_test, value, options)
    info = rep.info(ds, spec, recipe, seed, time_limit)
    if calibrator is not None:
        info["reject"] = calibrator.to_dict()
    predictor = Predictor(recipe, result, novelty=novelty,
                          threshold=None if threshold is None else threshold.threshold, info=info)
    test_metrics, figures = rep.test_metrics(spec, y_test, value, threshold, lang)
    info["drift_reference"] = _drift_reference(predictor, recipe, held.train, X_test)
    if text_col is not None:
        test_metrics.update(tx.text_metrics(spec, y_test, value, calibrator, distance,
                                            distance_without))
        importance = None
        reasons = tx.misclassified(predictor, held.test, text_col, y_test, value)
    else:
        importance, reasons = rep.explanations(predictor, result.dominant, X_test, held.test,
                                               recipe)
    training = tx.finetune_record(result)
    rep.add_figures(figures, importance, training, lang)

    metrics = rep.metrics_doc(spec, result, test_metrics, fit_seconds, threshold, held.source,
                              len(held.train), len(held.test), recipe, plan.kept)
    notes += column_notes(recipe.dropped, plan.kept, lang)
    if training is not None:  # the curve itself is in the member's model.json and TensorBoard
        metrics["finetune"] = {k: v for k, v in training.items() if k != "curve"}
    report = rep.model_report(metrics, result, threshold, figures, importance, reasons, recipe,
                              prof, lang, notes, held, training)
    return Trained(predictor, metrics, report, prof, notes)


def _drift_reference(predictor: Predictor, recipe: Recipe, train_frame: Any,
                     X_test: Any) -> dict[str, Any]:
    """Bucket counts of the training inputs and of the held-out predicted classes: what
    the server's drift monitor compares served rows with (no raw values)."""
    from bizforge.clean.drift import reference

    labels = None
    if predictor.spec.is_classification and len(X_test):
        labels = predictor.value_and_labels(X_test)[1]
    return reference(train_frame, {step.column: step.kind for step in recipe.steps_}, labels)


def _hold_out(ds, spec, target: str, test: DataSource | None, seed: int) -> Held:
    """The test rows: the ``test`` data, or a seeded 20% split (stratified for classes).

    Total rows (合计, Total, Summe ...: :mod:`bizforge.clean.totals`) are left out of both.
    """
    frame, totals = _rows(ds, spec, target)
    if test is None:
        strat = target if spec.is_classification else None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            train_frame, test_frame = split(frame, test_size=0.2, stratify=strat, seed=seed)
        return Held(train_frame, test_frame,
                    "stratified 20% split" if strat else "random 20% split",
                    [str(w.message) for w in caught] + _totals_note(totals))
    test_ds = test.dataset()
    if target not in test_ds.frame.columns:
        raise DataError(f"the test file has no target column '{target}'.", column=target,
                        path=test_ds.source, fix="use a test file with the same columns.")
    test_frame, test_totals = _rows(test_ds, spec, target)
    return Held(frame, test_frame, str(test_ds.source or "test frame"),
                _totals_note(totals + test_totals))


def _rows(ds, spec, target: str):
    """(the rows to learn from or score: target present, total rows out; how many totals)."""
    frame, totals = ds.frame, 0
    if not ds.meta.get("sampled"):  # a sample's sums would not match its totals
        frame, totals = without_total_rows(ds.frame, ds.schema)
    return frame[spec.keep_mask(frame[target])], totals


def _totals_note(totals: int) -> list[str]:
    if not totals:
        return []
    note = (f"{totals} total row(s) (合计/Total/Summe ...) were left out of training and "
            "testing: their numbers are sums of other rows.")
    return [note]


def _clean(ds, held: Held, target: str, plan, text_col, emit):
    """(recipe fitted on the training rows, training features, test features)."""
    plan.drop.pop(text_col, None)  # the text itself is never dropped (ids/PII are for tables)
    emit({"event": "stage", "stage": "clean"})
    # Bad numbers in training rows become missing (the profile reported them);
    # at prediction time the same recipe refuses them, naming the column.
    recipe = Recipe(on_bad_number="missing").fit(held.train, ds.schema, target=target,
                                                 drop=plan.drop, keep=plan.keep)
    X = recipe.transform(held.train)
    X_test = recipe.transform(held.test)
    recipe.on_bad_number = "error"
    if X.shape[1] == 0:
        raise DataError("no usable feature columns are left after cleaning "
                        f"(dropped: {', '.join(f'{c} ({r})' for c, r in recipe.dropped.items())}).",
                        fix="add feature columns, or check the findings of `bizforge inspect`.")
    return recipe, X, X_test

