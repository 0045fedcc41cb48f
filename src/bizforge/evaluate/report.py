"""The model report (one self-contained HTML file) and ``metrics.json``.

The report is written for a manager: it opens with plain sentences computed
from the held-out results (how many positives the riskiest 30% of cases hold,
what the business threshold saves per 1,000 cases), then the tables and
charts an analyst checks. Everything is inline (CSS, plotly.js once), so it
opens offline and can be mailed as one file. Values of personal-data columns
never reach it: explanations arrive already masked (see ``explain``).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bizforge import __version__
from bizforge.errors import UsageError
from bizforge.evaluate import strings as _strings  # noqa: F401  (registers the eval.* texts)
from bizforge.evaluate.explain import format_reason
from bizforge.evaluate.plots import figures_html
from bizforge.evaluate.threshold import ThresholdChoice
from bizforge.html import Raw, bar_svg, dl, escape, page, section, table
from bizforge.i18n import check_lang, pct, t
from bizforge.plain import jsonable

__all__ = ["ModelReport", "headline", "jsonable", "metrics_document", "render_report",
           "save_report"]

CLASSIFICATION_KEYS = ("roc_auc", "pr_auc", "accuracy", "balanced_accuracy", "precision",
                       "recall", "f1", "macro_f1", "log_loss", "brier", "in_scope_accuracy",
                       "oos_recall", "unseen_kind_recall_estimate", "coverage",
                       "accepted_accuracy")
REGRESSION_KEYS = ("rmse", "mae", "r2")
REQUIRED_TEST_KEYS = {"classification": ("roc_auc", "accuracy", "f1", "precision", "recall"),
                      "regression": REGRESSION_KEYS}
HEADLINE_SHARE = 0.3  # "the 30% riskiest customers"


def _num(value: Any, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{int(value):,}"
    return f"{float(value):.{digits}f}"


def _money(value: float | None) -> str:
    if value is None:
        return "—"
    value = float(value) + 0.0  # turns -0.0 into 0.0
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def _threshold_dict(threshold: ThresholdChoice | Mapping[str, Any] | float | None) -> dict | None:
    if threshold is None:
        return None
    if isinstance(threshold, ThresholdChoice):
        return threshold.to_dict()
    if isinstance(threshold, Mapping):
        return dict(threshold)
    return {"threshold": float(threshold)}


def _gain_at(metrics: Mapping[str, Any], share: float) -> dict | None:
    rows = metrics.get("gain") or []
    if not rows:
        return None
    return min(rows, key=lambda r: abs(r["top"] - share))


def headline(metrics: Mapping[str, Any], threshold: Any = None, lang: str = "en") -> list[str]:
    """The plain-language sentences that open the report.

    >>> m = {"problem": "binary", "n": 100, "roc_auc": 0.85, "positive_label": "Yes",
    ...      "gain": [{"top": 0.3, "captured": 0.78, "lift": 2.6}]}
    >>> print(headline(m)[1])  # doctest: +NORMALIZE_WHITESPACE
    Among the 30% of cases the model scores highest, it finds 78.0% of all 'Yes'
    cases: 2.6 times as many as picking cases at random.
    """
    check_lang(lang)
    problem = metrics.get("problem")
    out: list[str] = []
    if problem == "regression":
        r2 = metrics.get("r2")
        out.append(t("eval.headline.regression", lang, n=f"{metrics['n']:,}",
                     mae=_num(metrics["mae"]), rmse=_num(metrics["rmse"]),
                     r2=pct(r2) if r2 is not None else "—"))
        return out
    if problem == "multiclass":
        out.append(t("eval.headline.multiclass", lang, n=f"{metrics['n']:,}",
                     accuracy=pct(metrics["accuracy"]), macro_f1=_num(metrics["macro_f1"], 3)))
        return out + _reject_lines(metrics, lang)
    label = metrics.get("positive_label", "1")
    if metrics.get("roc_auc") is not None:
        out.append(t("eval.headline.auc", lang, n=f"{metrics['n']:,}",
                     auc=_num(metrics["roc_auc"], 3)))
    gain = _gain_at(metrics, HEADLINE_SHARE)
    if gain is not None and metrics.get("roc_auc") is not None:
        out.append(t("eval.headline.gain", lang, top=f"{gain['top']:.0%}", label=label,
                     captured=pct(gain["captured"]), lift=f"{gain['lift']:.1f}"))
    th = _threshold_dict(threshold)
    if th and th.get("criterion") == "cost":
        if th.get("benefit_tp"):
            out.append(t("eval.headline.profit", lang, threshold=f"{th['threshold']:.3g}",
                         profit=_money(-th["cost_per_1000"]),
                         default_profit=_money(-th["default_cost_per_1000"])))
        else:
            out.append(t("eval.headline.cost", lang, threshold=f"{th['threshold']:.3g}",
                         cost=_money(th["cost_per_1000"]),
                         default_cost=_money(th["default_cost_per_1000"]),
                         savings=_money(th["default_cost_per_1000"] - th["cost_per_1000"])))
    elif th and th.get("criterion") == "f1":
        out.append(t("eval.headline.f1", lang, threshold=f"{th['threshold']:.3g}",
                     f1=_num(th["f1"], 3), default_f1=_num(th["default_f1"], 3)))
    cm = metrics.get("confusion_matrix")
    if cm and metrics.get("n"):
        matrix = np.asarray(cm["matrix"])
        labels = list(cm["labels"])
        pos = labels.index(label) if label in labels else 1
        flagged = matrix[:, pos].sum() / metrics["n"]  # that column = predicted positive
        out.append(t("eval.headline.flags", lang, flagged=pct(flagged), label=label,
                     precision=pct(metrics["precision"]), recall=pct(metrics["recall"])))
    return out + _reject_lines(metrics, lang)


def _reject_lines(metrics: Mapping[str, Any], lang: str) -> list[str]:
    """With --reject: what the model hands to a person, and what that buys."""
    if metrics.get("reject_threshold") is None or metrics.get("coverage") is None:
        return []
    accepted = metrics.get("accepted_accuracy")
    out = [t("eval.headline.reject", lang, threshold=f"{metrics['reject_threshold']:.3g}",
             coverage=pct(metrics["coverage"]),
             accepted=pct(accepted) if accepted is not None else "—")]
    if metrics.get("oos_recall") is not None and metrics.get("in_scope_accuracy") is not None:
        out.append(t("eval.headline.reject_oos", lang, in_scope=pct(metrics["in_scope_accuracy"]),
                     recall=pct(metrics["oos_recall"])))
    return out


def _metrics_table(metrics: Mapping[str, Any], lang: str) -> Raw:
    keys = REGRESSION_KEYS if metrics.get("problem") == "regression" else CLASSIFICATION_KEYS
    rows = [
        (t(f"eval.metric.{k}", lang), _num(metrics.get(k)), t(f"eval.mean.{k}", lang))
        for k in keys if k in metrics
    ]
    return table(rows, [t("eval.col.metric", lang), t("eval.col.value", lang),
                        t("eval.col.meaning", lang)], numeric=[1])


def _threshold_section(th: Mapping[str, Any], lang: str) -> Raw:
    def col(counts: Mapping[str, int], value: float, cost: float | None, f1: float) -> list:
        n = sum(counts.values()) or 1
        flagged = counts["tp"] + counts["fp"]
        return [f"{value:.4g}", f"{flagged:,} ({pct(flagged / n)})", f"{counts['tp']:,}",
                f"{counts['fp']:,}", f"{counts['tn']:,}", f"{counts['fn']:,}", _money(cost),
                _num(f1, 3)]

    chosen = col(th["counts"], th["threshold"], th.get("cost_per_1000"), th["f1"])
    default = col(th["default_counts"], th.get("default_threshold", 0.5),
                  th.get("default_cost_per_1000"), th["default_f1"])
    names = ["threshold", "flagged", "tp", "fp", "tn", "fn", "cost", "f1"]
    rows = [(t(f"eval.row.{k}", lang), a, b) for k, a, b in zip(names, chosen, default)]
    body = table(rows, ["", t("eval.col.chosen", lang), t("eval.col.default", lang)],
                 numeric=[1, 2])
    basis = "eval.threshold.basis_test" if th.get("basis") == "test" else "eval.threshold.basis"
    notes = [t(basis, lang, n=f"{th['n']:,}")]
    if th.get("criterion") == "cost":
        notes.append(t("eval.threshold.costs", lang, fp=_money(th["cost_fp"]),
                       fn=_money(th["cost_fn"]), tp=_money(th.get("benefit_tp") or 0.0)))
    return Raw(body + "".join(f'<p class="note">{escape(s)}</p>' for s in notes))


def _leaderboard_table(leaderboard: Sequence[Mapping[str, Any]], lang: str,
                       metric: str | None = None) -> Raw:
    rows = [
        (e.get("name", "?"), _num(e.get("score")), _num(e.get("fit_seconds"), 2),
         _num(e.get("predict_seconds"), 3), _num(e.get("weight"), 3))
        for e in leaderboard
    ]
    headers = [t(f"eval.col.{h}", lang) for h in ("candidate", "score", "fit_s", "predict_s",
                                                   "weight")]
    if metric:
        headers[1] += f" ({metric})"
    return table(rows, headers, numeric=[1, 2, 3, 4])


def _importance_block(importance: Mapping[str, float], lang: str, top: int = 15) -> Raw:
    items = list(importance.items())[:top]
    labels = [str(k) for k, _ in items]
    values = [float(v) for _, v in items]
    svg = bar_svg(labels, values, width=560, label_width=180, fmt=lambda v: f"{v:.3g}")
    return Raw(f"<div>{svg}</div>")


def _reasons_table(samples: Sequence[Any], lang: str) -> Raw:
    rows = []
    for i, sample in enumerate(samples):
        if isinstance(sample, Mapping):
            row, prediction, reasons = sample.get("row", i + 1), sample.get("prediction", ""), \
                sample.get("reasons", [])
        else:  # a bare list of reasons, as top_reasons returns per row
            row, prediction, reasons = i + 1, "", sample
        lines = [r if isinstance(r, str) else format_reason(r) for r in reasons]
        rows.append((row, prediction, Raw("<br>".join(escape(s) for s in lines))))
    headers = [t("eval.col.row", lang), t("eval.col.prediction", lang), t("eval.col.reasons", lang)]
    return table(rows, headers, numeric=[0])


def _classes_section(metrics: Mapping[str, Any], lang: str) -> Raw:
    """Precision, recall and F1 of every class (weakest F1 first, so the classes that need
    more examples lead), then the most frequent confusions."""
    per_class = sorted(metrics["per_class"].items(), key=lambda kv: (kv[1]["f1"], kv[0]))
    rows = [(name, _num(v["precision"], 3), _num(v["recall"], 3), _num(v["f1"], 3),
             f"{int(v['support']):,}") for name, v in per_class]
    body = str(table(rows, [t(f"eval.col.{h}", lang) for h in
                            ("class", "precision", "recall", "f1", "support")],
                     numeric=[1, 2, 3, 4]))
    confusions = metrics.get("top_confusions") or []
    if confusions:
        pairs = [(c["true"], c["predicted"], f"{int(c['count']):,}") for c in confusions]
        body += f"<h3>{escape(t('eval.report.confusions', lang))}</h3>" + str(table(
            pairs, [t(f"eval.col.{h}", lang) for h in ("true", "predicted_as", "count")],
            numeric=[2]))
    return Raw(body)


def _training_section(training: Mapping[str, Any], lang: str) -> Raw:
    """The fine-tune's record (what it learned from, why it stopped) and how it is served:
    accuracy and speed of each runtime on the validation rows of the quantisation check."""
    best = (training.get("best_valid") or {}).get("accuracy")
    stop = training.get("stopped_by")
    pairs = [(t("eval.training.backbone", lang), str(training.get("backbone", ""))),
             (t("eval.training.examples", lang), f"{int(training.get('examples_seen') or 0):,}"),
             (t("eval.training.epochs", lang), _num(training.get("epochs"), 2)),
             (t("eval.training.stopped_by", lang),
              t(f"eval.training.stop.{stop}", lang, default=str(stop)))]
    if best is not None:
        pairs.append((t("eval.training.best_valid", lang), _num(best)))
    body = str(dl(pairs))
    served = t(f"eval.training.runtime.onnx_{training.get('runtime')}", lang,
               default=t("eval.training.runtime.torch", lang))
    q = training.get("quantization")
    if not q:
        note = t("eval.training.no_check", lang, runtime=served)
        return Raw(body + f'<p class="note">{escape(note)}</p>')
    rows = [(t(f"eval.training.runtime.{k}", lang, default=k), _num(q["accuracy"].get(k)),
             f"{q['texts_per_second'][k]:,.0f}") for k in q["accuracy"]]
    sentence = t("eval.training.quantization", lang, runtime=served, rows=f"{q['rows']:,}",
                 batch=q["batch_size"], threads=q["threads"],
                 change=f"{100 * q['int8_accuracy_change']:+.1f}",
                 speedup=f"{q['int8_speedup']:.1f}")
    return Raw(body + f"<p>{escape(sentence)}</p>"
               + str(table(rows, [t(f"eval.col.{h}", lang) for h in
                                  ("runtime", "valid_accuracy", "texts_per_s")], numeric=[1, 2])))


def _summary_value(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k} ({v})" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:,.4g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


@dataclass
class ModelReport:
    """Everything the report shows; ``to_html()`` renders it, ``save(path)`` writes it.

    ``sample_reasons``: list of ``{"row", "prediction", "reasons"}`` (reasons as
    dicts from ``explain.top_reasons`` or preformatted strings), or the bare
    per-row lists ``top_reasons`` returns. ``figures``: plotly figures or an
    already rendered fragment from ``plots.figures_html``. ``training``: the record of a
    fine-tuned transformer (``pipeline_text.finetune_record``), shown with its runtimes.
    """

    metrics: Mapping[str, Any]
    leaderboard: Sequence[Mapping[str, Any]] = ()
    threshold: ThresholdChoice | Mapping[str, Any] | float | None = None
    figures: Sequence[Any] | str = ()
    importance: Mapping[str, float] | None = None
    sample_reasons: Sequence[Any] = ()
    recipe_steps: Sequence[str] = ()
    data_summary: Mapping[str, Any] = field(default_factory=dict)
    lang: str = "en"
    name: str = "model"
    notes: Sequence[str] = ()
    explained_by: str | None = None
    training: Mapping[str, Any] | None = None

    def to_html(self) -> str:
        lang = check_lang(self.lang)
        th = _threshold_dict(self.threshold)
        title = t("eval.report.title", lang, name=self.name)
        parts = [f"<h1>{escape(title)}</h1>"]
        sentences = headline(self.metrics, th, lang)
        parts.append(section(t("eval.report.summary", lang),
                             "".join(f"<p>{escape(s)}</p>" for s in sentences)))
        parts.append(section(t("eval.report.metrics", lang), _metrics_table(self.metrics, lang)))
        if th and "counts" in th:
            parts.append(section(t("eval.report.threshold", lang), _threshold_section(th, lang)))
        if self.metrics.get("per_class"):
            parts.append(section(t("eval.report.classes", lang),
                                 _classes_section(self.metrics, lang)))
        if self.leaderboard:
            parts.append(section(t("eval.report.leaderboard", lang),
                                 _leaderboard_table(self.leaderboard, lang,
                                                    self.data_summary.get("metric"))))
        charts = self.figures if isinstance(self.figures, str) else (
            figures_html(self.figures) if self.figures else "")
        if charts:
            parts.append(section(t("eval.report.charts", lang), charts))
        if self.training:
            parts.append(section(t("eval.report.training", lang),
                                 _training_section(self.training, lang)))
        if self.importance:
            parts.append(section(t("eval.report.importance", lang),
                                 _importance_block(self.importance, lang)))
        if self.sample_reasons:
            body = _reasons_table(self.sample_reasons, lang)
            if self.explained_by:
                note = t("eval.report.ensemble_note", lang, name=self.explained_by)
                body = Raw(f'<p class="note">{escape(note)}</p>' + body)
            parts.append(section(t("eval.report.reasons", lang), body))
        if self.recipe_steps:
            items = "".join(f"<li>{escape(s)}</li>" for s in self.recipe_steps)
            parts.append(section(t("eval.report.cleaning", lang), f"<ul>{items}</ul>"))
        if self.data_summary:
            pairs = [(t(f"eval.data.{k}", lang, default=str(k)), _summary_value(v))
                     for k, v in self.data_summary.items()]
            parts.append(section(t("eval.report.data", lang), dl(pairs)))
        notes = [*self.metrics.get("notes", []), *((th or {}).get("notes") or []), *self.notes]
        if notes:
            items = "".join(f"<li>{escape(s)}</li>" for s in notes)
            parts.append(section(t("eval.report.notes", lang), f"<ul>{items}</ul>"))
        footer = t("report.generated", lang, version=__version__)
        parts.append(f'<p class="note">{escape(footer)}</p>')
        return page(title, "".join(parts), lang)

    def save(self, path: str | Path) -> Path:
        return save_report(self.to_html(), path)


def render_report(
    metrics: Mapping[str, Any],
    leaderboard: Sequence[Mapping[str, Any]],
    threshold: ThresholdChoice | Mapping[str, Any] | float | None,
    figures: Sequence[Any] | str,
    importance: Mapping[str, float] | None,
    sample_reasons: Sequence[Any],
    recipe_steps: Sequence[str],
    data_summary: Mapping[str, Any],
    lang: str = "en",
    **kwargs: Any,
) -> str:
    """The report as one HTML string (keyword extras: ``name``, ``notes``, ``explained_by``).

    >>> html = render_report({"problem": "regression", "n": 3, "rmse": 1.0, "mae": 0.5,
    ...                       "r2": 0.9}, [], None, [], None, [], [], {}, lang="zh")
    >>> "测试集表现" in html
    True
    """
    return ModelReport(metrics, leaderboard, threshold, figures, importance, sample_reasons,
                       recipe_steps, data_summary, lang, **kwargs).to_html()


def save_report(html: str, path: str | Path) -> Path:
    """Write ``html`` to ``path`` (UTF-8) atomically: a crash never leaves half a report."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(html)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def metrics_document(
    *,
    task: str,
    metric: str,
    test: Mapping[str, Any],
    leaderboard: Sequence[Mapping[str, Any]],
    fit_seconds: float,
    threshold: ThresholdChoice | Mapping[str, Any] | float | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The ``metrics.json`` document: task, metric, held-out ``test`` metrics, the
    leaderboard, fit seconds and the threshold (a dict with ``"threshold"``, or None
    for regression); ``extra`` keys are added as they are. JSON-safe.

    >>> doc = metrics_document(task="tabular-regression", metric="rmse", leaderboard=[],
    ...                        test={"rmse": 1.0, "mae": 0.5, "r2": 0.8}, fit_seconds=3.2)
    >>> sorted(doc)
    ['fit_seconds', 'leaderboard', 'metric', 'task', 'test', 'threshold']
    """
    regression = test.get("problem") == "regression" or "rmse" in test
    kind = "regression" if regression else "classification"
    missing = [k for k in REQUIRED_TEST_KEYS[kind] if k not in test]
    if missing:
        raise UsageError(
            f"test metrics lack {', '.join(missing)} for a {kind} task.",
            fix="pass the dict from classification_metrics() or regression_metrics().",
        )
    doc = {
        "task": task,
        "metric": metric,
        "test": jsonable(test),
        "leaderboard": jsonable(list(leaderboard)),
        "fit_seconds": float(fit_seconds),
        "threshold": jsonable(_threshold_dict(threshold)),
    }
    overlap = set(extra) & set(doc)
    if overlap:
        raise UsageError(f"extra keys {sorted(overlap)} would overwrite metrics.json fields.")
    doc.update(jsonable(extra))
    json.dumps(doc, allow_nan=False)  # fail here, not in the caller's writer
    return doc
