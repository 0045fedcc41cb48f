"""The evaluation side of a table's (or text's) training: test metrics, the business
threshold, explanations, ``metrics.json`` and the report.

>>> figures = []; add_figures(figures, None, None, "en"); figures   # doctest: +SKIP
[]
"""

from __future__ import annotations

import hashlib
import platform
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from bizforge import __version__
from bizforge.errors import UsageError

__all__ = ["EXPLAIN_ROWS", "add_figures", "business_threshold", "explanations", "info",
           "metrics_doc", "model_report", "test_metrics"]

EXPLAIN_ROWS = 5


def business_threshold(spec, result, y_test, value, options):
    """The binary threshold chosen on out-of-fold scores (costs given or not), checked on
    the test rows; None for other tasks (which refuse the cost options)."""
    from bizforge.evaluate.threshold import choose_threshold, evaluate_threshold

    if spec.problem == "binary":
        pos = spec.positive_index
        choice = choose_threshold(result.oof_y == pos, result.oof[:, pos],
                                  cost_fp=options.cost_fp, cost_fn=options.cost_fn,
                                  benefit_tp=options.benefit_tp, without_costs="default")
        return evaluate_threshold(choice, y_test == pos, value[:, pos])
    if options.cost_fp is not None or options.cost_fn is not None:
        raise UsageError("--cost-fp/--cost-fn apply to binary classification only.",
                         fix="drop the cost options for this task.")
    return None


def test_metrics(spec, y_test, value, threshold, lang):
    """(held-out metrics, figures) for classification or regression."""
    from bizforge.evaluate.metrics import classification_metrics, regression_metrics
    from bizforge.evaluate.plots import classification_figures, regression_figures

    if not spec.is_classification:
        return regression_metrics(y_test, value), regression_figures(y_test, value, lang=lang)
    kwargs = {"classes": [str(c) for c in spec.classes]}
    if spec.problem == "binary":
        kwargs.update(threshold=threshold.threshold, positive=spec.positive_index)
    test = classification_metrics(y_test, value, **kwargs)
    return test, classification_figures(y_test, value, lang=lang, **kwargs)


def explanations(predictor, member, X_test, test_frame, recipe):
    """(global importance by original column, reasons of the first test rows)."""
    from bizforge.evaluate import explain as ex

    sources = ex.sources_from_features(recipe.features)
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


def add_figures(figures, importance, training, lang: str) -> None:
    """Append the importance chart and the fine-tuning curve, when there are any."""
    if figures is not None and importance:
        from bizforge.evaluate.plots import importance_figure
        figures.append(importance_figure(importance, lang=lang))
    if training is not None and figures is not None:
        from bizforge.evaluate.plots import training_curve_figure
        figures.append(training_curve_figure(training["curve"], lang=lang))


def metrics_doc(spec, result, test, fit_seconds, threshold, test_source, n_train, n_test,
                recipe, kept=None):
    """The ``metrics.json`` document."""
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
        kept_columns=dict(kept or {}),  # kept against the findings' advice (--keep)
        not_used=[dict(s) for s in result.skipped],
        bizforge_version=__version__,
    )


def model_report(metrics, result, threshold, figures, importance, reasons, recipe, prof, lang,
                 notes, held, training=None):
    """The HTML report (``report.html``) of a trained table or text model."""
    from bizforge.evaluate.report import ModelReport

    n_train, n_test = len(held.train), len(held.test)
    summary = {"target": result.spec.target, "metric": result.metric, "train_rows": n_train,
               "test_rows": n_test, "test_source": held.source,
               "validation": result.scheme.get("kind", ""), "fit_seconds": metrics["fit_seconds"]}
    findings = [f"{f.column or '-'}: {f.kind}" for f in prof.findings if f.severity != "info"]
    return ModelReport(metrics=metrics["test"], leaderboard=result.leaderboard,
                       threshold=threshold, figures=figures or (), importance=importance,
                       sample_reasons=reasons, recipe_steps=recipe.describe(),
                       data_summary=summary, lang=lang, name=result.spec.target,
                       notes=[*notes, *findings[:10], *_not_used(result.skipped, lang)],
                       explained_by=result.dominant.name,
                       training=training)


def _not_used(skipped, lang: str) -> list[str]:
    """Report notes for the candidates the search skipped or that failed, with why."""
    from bizforge.i18n import t

    return [t("eval.report.not_used", lang, name=s["name"], reason=s["reason"]) for s in skipped]


def info(ds, spec, recipe, seed, time_limit) -> dict[str, Any]:
    """``model.json``'s facts: task, input schema, config, data fingerprint, versions."""
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


def _fingerprint(frame: pd.DataFrame) -> str:
    """sha256 over the row hashes: same data in the same order -> same fingerprint."""
    rows = pd.util.hash_pandas_object(frame.astype("string"), index=False).to_numpy()
    return hashlib.sha256(rows.tobytes()).hexdigest()
