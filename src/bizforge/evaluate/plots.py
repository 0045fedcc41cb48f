"""Evaluation charts as plotly figures, rendered offline into one HTML fragment.

Each ``*_figure`` function is pure: arrays in, a ``plotly.graph_objects.Figure``
out, labelled in English or Chinese. :func:`figures_html` embeds plotly.js
inline exactly once (on the first chart), so a report that holds the fragment
opens with no network and no CDN.

Curves are thinned to a few hundred points and scatter plots to a sample of
rows, so a report on a million test rows stays a few megabytes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from sklearn import metrics as skm

from bizforge.errors import UsageError
from bizforge.evaluate import strings as _strings  # noqa: F401  (registers the eval.* texts)
from bizforge.evaluate.metrics import as_proba, calibration_bins, cumulative_gain
from bizforge.i18n import check_lang, pct, t

__all__ = [
    "calibration_figure",
    "classification_figures",
    "confusion_figure",
    "figures_html",
    "gain_figure",
    "importance_figure",
    "pr_figure",
    "predicted_actual_figure",
    "regression_figures",
    "residuals_figure",
    "roc_figure",
    "training_curve_figure",
]

MAX_CURVE_POINTS = 400
MAX_SCATTER_POINTS = 2000
_BLUE, _GREY, _ORANGE = "#2563eb", "#9ca3af", "#d97706"


def _layout(fig: go.Figure, title: str, x: str, y: str, *, square: bool = False) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.02},
        template="plotly_white",
        height=400,
        margin={"l": 60, "r": 20, "t": 50, "b": 55},
        legend={"orientation": "h", "y": -0.18},
        xaxis_title=x,
        yaxis_title=y,
    )
    if square:
        fig.update_xaxes(range=[0, 1])
        fig.update_yaxes(range=[0, 1.02])
    return fig


def _thin(*arrays: np.ndarray, limit: int = MAX_CURVE_POINTS) -> list[np.ndarray]:
    """Keep at most ``limit`` evenly spaced points (always the first and last)."""
    n = len(arrays[0])
    if n <= limit:
        return [np.round(a, 5) for a in arrays]
    idx = np.unique(np.linspace(0, n - 1, limit).round().astype(np.int64))
    return [np.round(a[idx], 5) for a in arrays]


def _binary(is_pos: Any, p_pos: Any) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(is_pos).astype(np.int64).ravel()
    p = np.asarray(p_pos, dtype=np.float64).ravel()
    if len(y) != len(p) or len(y) == 0:
        raise UsageError(f"need as many labels as scores, got {len(y)} and {len(p)}.")
    return y, p


def roc_figure(is_pos: Any, p_pos: Any, *, lang: str = "en") -> go.Figure:
    """ROC curve of a binary classifier (``is_pos`` 0/1, ``p_pos`` the score).

    >>> roc_figure([0, 1, 0, 1], [0.1, 0.8, 0.4, 0.6]).layout.title.text
    'ROC curve'
    """
    check_lang(lang)
    y, p = _binary(is_pos, p_pos)
    fig = go.Figure()
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", name=t("eval.plot.random", lang),
                    line={"dash": "dash", "color": _GREY})
    if 0 < y.sum() < len(y):
        fpr, tpr, _ = skm.roc_curve(y, p)
        auc = skm.auc(fpr, tpr)
        fpr, tpr = _thin(fpr, tpr)
        auc_text = t("eval.plot.auc", lang, auc=f"{auc:.3f}")
        fig.add_scatter(x=fpr, y=tpr, mode="lines", line={"color": _BLUE},
                        name=f"{t('eval.plot.model', lang)} ({auc_text})")
    return _layout(fig, t("eval.plot.roc", lang), t("eval.plot.fpr", lang),
                   t("eval.plot.tpr", lang), square=True)


def pr_figure(is_pos: Any, p_pos: Any, *, lang: str = "en") -> go.Figure:
    """Precision-recall curve with the base rate (what random flagging achieves)."""
    check_lang(lang)
    y, p = _binary(is_pos, p_pos)
    rate = float(y.mean())
    fig = go.Figure()
    fig.add_scatter(x=[0, 1], y=[rate, rate], mode="lines", line={"dash": "dash", "color": _GREY},
                    name=t("eval.plot.base_rate", lang, rate=pct(rate)))
    if y.sum() > 0:
        precision, recall, _ = skm.precision_recall_curve(y, p)
        ap = skm.average_precision_score(y, p)
        recall, precision = _thin(recall, precision)
        fig.add_scatter(x=recall, y=precision, mode="lines", line={"color": _BLUE, "shape": "hv"},
                        name=f"{t('eval.plot.model', lang)} (AP {ap:.3f})")
    return _layout(fig, t("eval.plot.pr", lang), t("eval.plot.recall", lang),
                   t("eval.plot.precision", lang), square=True)


def calibration_figure(is_pos: Any, p_pos: Any, *, label: str = "1", bins: int = 10,
                       lang: str = "en") -> go.Figure:
    """Reliability diagram: mean predicted probability vs observed rate in ``bins`` bins."""
    check_lang(lang)
    y, p = _binary(is_pos, p_pos)
    table = calibration_bins(y, p, bins=bins)
    fig = go.Figure()
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line={"dash": "dash", "color": _GREY},
                    name=t("eval.plot.perfect", lang))
    fig.add_scatter(
        x=np.round(table["predicted"], 4), y=np.round(table["observed"], 4),
        mode="lines+markers", line={"color": _BLUE}, name=t("eval.plot.model", lang),
        customdata=table["count"],
        hovertemplate="%{x:.3f} → %{y:.3f} (%{customdata} " + t("eval.plot.cases", lang) + ")",
    )
    return _layout(fig, t("eval.plot.calibration", lang), t("eval.plot.mean_predicted", lang),
                   t("eval.plot.observed", lang, label=label), square=True)


def gain_figure(is_pos: Any, p_pos: Any, *, label: str = "1", lang: str = "en") -> go.Figure:
    """Cumulative gain (left) and lift (right): how many positives the top-scored share holds."""
    check_lang(lang)
    y, p = _binary(is_pos, p_pos)
    x, g = cumulative_gain(y, p)
    x, g = _thin(x, g)
    fig = make_subplots(rows=1, cols=2, subplot_titles=(t("eval.plot.gain", lang),
                                                        t("eval.plot.lift", lang)))
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line={"dash": "dash", "color": _GREY},
                    name=t("eval.plot.random", lang), row=1, col=1)
    fig.add_scatter(x=x, y=g, mode="lines", line={"color": _BLUE},
                    name=t("eval.plot.model", lang), row=1, col=1)
    keep = x > 0
    fig.add_scatter(x=x[keep], y=np.round(g[keep] / x[keep], 4), mode="lines",
                    line={"color": _ORANGE}, name=t("eval.plot.lift", lang), row=1, col=2)
    fig.add_hline(y=1, line={"dash": "dash", "color": _GREY}, row=1, col=2)
    _layout(fig, t("eval.plot.gain", lang) + " / " + t("eval.plot.lift", lang), "", "")
    for col in (1, 2):
        fig.update_xaxes(title_text=t("eval.plot.population", lang), range=[0, 1], row=1, col=col)
    fig.update_yaxes(title_text=t("eval.plot.captured", lang, label=label), row=1, col=1)
    fig.update_yaxes(title_text=t("eval.plot.lift", lang), row=1, col=2)
    return fig


def confusion_figure(matrix: Sequence[Sequence[int]], labels: Sequence[Any], *,
                     threshold: float | None = None, lang: str = "en") -> go.Figure:
    """Heatmap of a confusion matrix (rows = actual, columns = predicted) with counts."""
    check_lang(lang)
    m = np.asarray(matrix, dtype=np.int64)
    names = [str(x) for x in labels]
    if m.shape != (len(names), len(names)):
        raise UsageError(f"confusion matrix shape {m.shape} does not match {len(names)} labels.")
    title = (t("eval.plot.confusion", lang, threshold=f"{threshold:.3g}") if threshold is not None
             else t("eval.plot.confusion_multi", lang))
    fig = go.Figure(go.Heatmap(z=m, x=names, y=names, colorscale="Blues", showscale=False,
                               text=m, texttemplate="%{text}", hoverinfo="skip"))
    _layout(fig, title, t("eval.plot.predicted", lang), t("eval.plot.actual", lang))
    fig.update_xaxes(type="category")
    fig.update_yaxes(type="category", autorange="reversed")
    return fig


def importance_figure(importance: Mapping[str, float], *, top: int = 20,
                      lang: str = "en") -> go.Figure:
    """Horizontal bars of the ``top`` most important original columns, largest on top."""
    check_lang(lang)
    items = sorted(importance.items(), key=lambda kv: -abs(kv[1]))[:top]
    names = [str(k) for k, _ in items][::-1]
    values = [round(float(v), 5) for _, v in items][::-1]
    fig = go.Figure(go.Bar(x=values, y=names, orientation="h", marker_color=_BLUE))
    _layout(fig, t("eval.plot.importance", lang), t("eval.plot.importance_axis", lang), "")
    fig.update_layout(height=max(300, 28 * len(names) + 120), showlegend=False)
    fig.update_yaxes(type="category")
    return fig


def training_curve_figure(points: Sequence[Mapping[str, Any]], *,
                          lang: str = "en") -> go.Figure:
    """Training loss (left axis) and validation accuracy (right axis) of a fine-tune,
    against the training examples seen; ``points`` as the fine-tune records them
    (``examples``, ``train_loss``, ``valid_accuracy``; None where not measured).

    >>> fig = training_curve_figure([{"examples": 32, "train_loss": 0.7, "valid_accuracy": None},
    ...                              {"examples": 64, "train_loss": 0.5, "valid_accuracy": 0.8}])
    >>> [len(d.x) for d in fig.data]
    [2, 1]
    """
    check_lang(lang)

    def series(key: str) -> tuple[list, list]:
        kept = [p for p in points if p.get(key) is not None]
        return [int(p["examples"]) for p in kept], [round(float(p[key]), 5) for p in kept]

    fig = go.Figure()
    x, y = series("train_loss")
    fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=t("eval.plot.train_loss", lang),
                             line={"color": _BLUE}))
    x, y = series("valid_accuracy")
    fig.add_trace(go.Scatter(x=x, y=y, mode="lines+markers", yaxis="y2",
                             name=t("eval.plot.valid_accuracy", lang),
                             line={"color": _ORANGE}))
    _layout(fig, t("eval.plot.training", lang), t("eval.plot.examples_seen", lang),
            t("eval.plot.train_loss", lang))
    fig.update_layout(yaxis2={"title": t("eval.plot.valid_accuracy", lang), "overlaying": "y",
                              "side": "right", "showgrid": False},
                      margin={"l": 60, "r": 60, "t": 50, "b": 55})
    return fig


def _sample(n: int, limit: int = MAX_SCATTER_POINTS) -> np.ndarray:
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(0).choice(n, size=limit, replace=False))


def _regression_arrays(y: Any, pred: Any) -> tuple[np.ndarray, np.ndarray]:
    yt = np.asarray(y, dtype=np.float64).ravel()
    yp = np.asarray(pred, dtype=np.float64).ravel()
    if len(yt) != len(yp) or len(yt) == 0:
        raise UsageError(f"need as many targets as predictions, got {len(yt)} and {len(yp)}.")
    idx = _sample(len(yt))
    return np.round(yt[idx], 6), np.round(yp[idx], 6)


def residuals_figure(y: Any, pred: Any, *, lang: str = "en") -> go.Figure:
    """Residual (actual - predicted) against the prediction; a flat cloud around 0 is good."""
    check_lang(lang)
    yt, yp = _regression_arrays(y, pred)
    fig = go.Figure(go.Scatter(x=yp, y=yt - yp, mode="markers", showlegend=False,
                               marker={"size": 5, "opacity": 0.5, "color": _BLUE}))
    fig.add_hline(y=0, line={"dash": "dash", "color": _GREY})
    return _layout(fig, t("eval.plot.residuals", lang), t("eval.plot.pred_value", lang),
                   t("eval.plot.residual", lang))


def predicted_actual_figure(y: Any, pred: Any, *, lang: str = "en") -> go.Figure:
    """Predicted against actual values with the diagonal of perfect predictions."""
    check_lang(lang)
    yt, yp = _regression_arrays(y, pred)
    lo, hi = float(min(yt.min(), yp.min())), float(max(yt.max(), yp.max()))
    fig = go.Figure()
    fig.add_scatter(x=[lo, hi], y=[lo, hi], mode="lines", line={"dash": "dash", "color": _GREY},
                    name=t("eval.plot.ideal", lang))
    fig.add_scatter(x=yt, y=yp, mode="markers", name=t("eval.plot.model", lang),
                    marker={"size": 5, "opacity": 0.5, "color": _BLUE})
    return _layout(fig, t("eval.plot.pred_actual", lang), t("eval.plot.actual_value", lang),
                   t("eval.plot.pred_value", lang))


def classification_figures(
    y_true_idx: Any,
    proba: Any,
    *,
    classes: Sequence[Any] | None = None,
    threshold: float = 0.5,
    positive: int = 1,
    importance: Mapping[str, float] | None = None,
    lang: str = "en",
) -> list[go.Figure]:
    """The standard chart set: binary -> ROC, PR, calibration, gain/lift, confusion
    (at ``threshold``), importance; multiclass -> confusion (argmax), importance."""
    p = as_proba(proba)
    y = np.asarray(y_true_idx).astype(np.int64)
    k = p.shape[1]
    labels = [str(c) for c in (classes if classes is not None else range(k))]
    figs: list[go.Figure] = []
    if k == 2:
        is_pos = (y == positive).astype(np.int64)
        p_pos = p[:, positive]
        figs += [
            roc_figure(is_pos, p_pos, lang=lang),
            pr_figure(is_pos, p_pos, lang=lang),
            calibration_figure(is_pos, p_pos, label=labels[positive], lang=lang),
            gain_figure(is_pos, p_pos, label=labels[positive], lang=lang),
        ]
        pred = np.where(p_pos >= threshold, positive, 1 - positive)
        cm = skm.confusion_matrix(y, pred, labels=[0, 1])
        figs.append(confusion_figure(cm, labels, threshold=threshold, lang=lang))
    else:
        cm = skm.confusion_matrix(y, np.argmax(p, axis=1), labels=list(range(k)))
        figs.append(confusion_figure(cm, labels, lang=lang))
    if importance:
        figs.append(importance_figure(importance, lang=lang))
    return figs


def regression_figures(y: Any, pred: Any, *, importance: Mapping[str, float] | None = None,
                       lang: str = "en") -> list[go.Figure]:
    """Residuals, predicted-vs-actual and (when given) importance."""
    figs = [residuals_figure(y, pred, lang=lang), predicted_actual_figure(y, pred, lang=lang)]
    if importance:
        figs.append(importance_figure(importance, lang=lang))
    return figs


def figures_html(figures: Sequence[go.Figure], *, id_prefix: str = "bf-chart") -> str:
    """One self-contained HTML fragment: plotly.js inline once, then every chart.

    No ``<script src=...>`` and no CDN: the first chart carries the library.
    Chart ids are ``{id_prefix}-{i}`` so the output is reproducible.

    >>> html = figures_html([roc_figure([0, 1], [0.2, 0.7])])
    >>> html.count("plotly.js v") == 1 and "<script src" not in html
    True
    """
    parts = []
    for i, fig in enumerate(figures):
        parts.append(
            '<div class="bf-chart">'
            + fig.to_html(
                full_html=False,
                include_plotlyjs=(i == 0),
                div_id=f"{id_prefix}-{i}",
                config={"displaylogo": False, "responsive": True},
                default_height=f"{int(fig.layout.height or 400)}px",
            )
            + "</div>"
        )
    return (
        '<div class="bf-charts" style="display:grid;gap:1rem;'
        'grid-template-columns:repeat(auto-fit,minmax(460px,1fr))">' + "".join(parts) + "</div>"
    )
