"""Evaluate a trained model: held-out metrics, the business threshold, charts,
explanations in the original columns, and the report a manager reads.

>>> from bizforge.evaluate import classification_metrics
>>> classification_metrics([0, 1], [0.2, 0.9])["accuracy"]
1.0

Names load lazily, so the server can import ``bizforge.evaluate.explain``
for per-prediction reasons without importing plotly or scikit-learn.
"""

from __future__ import annotations

import importlib

_LAZY = {
    "classification_metrics": "metrics",
    "regression_metrics": "metrics",
    "cumulative_gain": "metrics",
    "gain_table": "metrics",
    "calibration_bins": "metrics",
    "ThresholdChoice": "threshold",
    "choose_threshold": "threshold",
    "evaluate_threshold": "threshold",
    "apply_threshold": "threshold",
    "confusion_counts": "threshold",
    "classification_figures": "plots",
    "regression_figures": "plots",
    "figures_html": "plots",
    "sources_from_features": "explain",
    "aggregate_contributions": "explain",
    "top_reasons": "explain",
    "format_reason": "explain",
    "format_reasons": "explain",
    "global_importance": "explain",
    "aggregate_importance": "explain",
    "ModelReport": "report",
    "render_report": "report",
    "save_report": "report",
    "metrics_document": "report",
    "headline": "report",
}

__all__ = list(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f"bizforge.evaluate.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'bizforge.evaluate' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
