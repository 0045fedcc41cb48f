"""Explanations in the user's own columns.

A model sees recipe features (``signup__year``, ``signup__month``, ...); a
manager knows the original columns (``signup``). Contributions (SHAP values
for trees, ``Model.contributions(X)``: shape ``(n, p + 1)``, last column the
bias) are summed per source column, which is exact for additive attributions,
then ranked by size::

    Contract = Month-to-month  +0.21

Values of sensitive columns (personal data; the caller names them) print as
``(masked)``; any text value is also scanned for personal data and long text
is shortened, so an explanation never leaks a phone number from a free-text
column.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from bizforge.errors import UsageError

__all__ = [
    "MASKED",
    "MISSING",
    "aggregate_contributions",
    "aggregate_importance",
    "format_reason",
    "format_reasons",
    "global_importance",
    "sources_from_features",
    "top_reasons",
]

MASKED = "(masked)"
MISSING = "(missing)"
MAX_TEXT = 40


def sources_from_features(features: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """``{feature name: original column}`` from ``recipe.features``.

    >>> sources_from_features([{"name": "signup__year", "kind": "numeric", "source": "signup"}])
    {'signup__year': 'signup'}
    """
    return {f["name"]: f.get("source") or f["name"] for f in features}


def _source_list(feature_names: Sequence[str], sources: Any) -> list[str]:
    if sources is None:
        return [str(n) for n in feature_names]
    if isinstance(sources, Mapping):
        return [str(sources.get(n, n)) for n in feature_names]
    sources = [str(s) for s in sources]
    if len(sources) != len(feature_names):
        raise UsageError(
            f"{len(sources)} source columns for {len(feature_names)} features.",
            fix="pass one source per feature, or a {feature: source} mapping (recipe.features).",
        )
    return sources


def _select_class(contrib: Any, class_index: Any) -> np.ndarray:
    """2-D contributions; a 3-D (n, classes, p + 1) array is reduced to one class per row."""
    c = np.asarray(contrib, dtype=np.float64)
    if c.ndim == 3:
        if class_index is None:
            raise UsageError(
                "multiclass contributions need the class to explain.",
                fix="pass class_index (e.g. the predicted class of each row).",
            )
        idx = np.broadcast_to(np.asarray(class_index, dtype=np.int64), (c.shape[0],))
        c = c[np.arange(c.shape[0]), idx, :]
    if c.ndim != 2:
        raise UsageError(f"contributions must have shape (rows, features + 1), got {c.shape}.")
    return c


def aggregate_contributions(
    contrib: Any,
    feature_names: Sequence[str],
    sources: Any = None,
    *,
    class_index: Any = None,
) -> tuple[list[str], np.ndarray]:
    """Sum feature contributions per original column: ``(columns, (n, columns) array)``.

    The bias column is dropped; columns keep the order of their first feature.

    >>> cols, v = aggregate_contributions([[0.1, 0.2, 0.3, 9.0]], ["a__year", "a__month", "b"],
    ...                                   {"a__year": "a", "a__month": "a"})
    >>> cols, v.round(2).tolist()
    (['a', 'b'], [[0.3, 0.3]])
    """
    c = _select_class(contrib, class_index)
    names = list(feature_names)
    if c.shape[1] != len(names) + 1:
        raise UsageError(
            f"contributions have {c.shape[1]} columns; expected {len(names)} features + 1 bias.",
            fix="pass model.contributions(X) and the model's feature names in the same order.",
        )
    src = _source_list(names, sources)
    columns = list(dict.fromkeys(src))
    where = {col: i for i, col in enumerate(columns)}
    # One matrix product sums every feature into its source column at once.
    onehot = np.zeros((len(names), len(columns)))
    onehot[np.arange(len(names)), [where[s] for s in src]] = 1.0
    return columns, c[:, :-1] @ onehot


def _pii_free(text: str) -> str:
    """Mask personal data inside free text (phone numbers in a comment, ...)."""
    # Imported here so that loading explanations does not load the whole clean stage.
    from bizforge.clean.pii import mask_text

    return mask_text(text, mode="mask")


def _display_value(value: Any, sensitive: bool) -> Any:
    """A JSON-friendly, safe-to-show value."""
    if sensitive:
        return MASKED
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        return str(pd.Timestamp(value))
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, str):
        value = _pii_free(value)
        if len(value) > MAX_TEXT:
            value = value[: MAX_TEXT - 1] + "…"
    elif not isinstance(value, (int, float, bool)):
        value = str(value)
    return value


def top_reasons(
    contrib: Any,
    feature_names: Sequence[str],
    sources: Any,
    raw_rows: pd.DataFrame,
    k: int = 3,
    *,
    sensitive: Iterable[str] = (),
    class_index: Any = None,
) -> list[list[dict[str, Any]]]:
    """The ``k`` largest reasons of every row, in original columns.

    ``sources`` is a ``{feature: column}`` mapping (see
    :func:`sources_from_features`) or a list aligned with ``feature_names``.
    ``raw_rows`` are the original input rows in the same order as ``contrib``.
    Each reason is ``{"column", "value", "contribution"}``, ordered by
    ``|contribution|``; values of ``sensitive`` columns are ``"(masked)"``.

    >>> raw = pd.DataFrame({"Contract": ["Month-to-month"], "tenure": [2]})
    >>> top_reasons([[0.21, -0.4, 0.5]], ["Contract", "tenure"], None, raw, k=1)
    [[{'column': 'tenure', 'value': 2, 'contribution': -0.4}]]
    """
    columns, values = aggregate_contributions(contrib, feature_names, sources,
                                              class_index=class_index)
    if len(raw_rows) != values.shape[0]:
        raise UsageError(
            f"{len(raw_rows)} raw rows for {values.shape[0]} rows of contributions.",
            fix="pass the original rows that were scored, in the same order.",
        )
    if k < 1:
        raise UsageError(f"k must be at least 1, got {k}.")
    hidden = set(sensitive)
    k = min(k, len(columns))
    # Stable sort on -|v| keeps the column order for ties, so output is deterministic.
    order = np.argsort(-np.abs(values), axis=1, kind="stable")[:, :k]
    present = {c for c in columns if c in raw_rows.columns}
    raw = raw_rows.reset_index(drop=True)
    out: list[list[dict[str, Any]]] = []
    for i in range(values.shape[0]):
        reasons = []
        for j in order[i]:
            col = columns[j]
            value = raw.at[i, col] if col in present else None
            reasons.append({
                "column": col,
                "value": _display_value(value, col in hidden),
                "contribution": float(values[i, j]),
            })
        out.append(reasons)
    return out


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.6g}"
    return str(value)


def format_reason(reason: Mapping[str, Any], digits: int = 2) -> str:
    """``"Contract = Month-to-month  +0.21"``: column, value, signed contribution.

    >>> format_reason({"column": "Contract", "value": "Month-to-month", "contribution": 0.2134})
    'Contract = Month-to-month  +0.21'
    """
    value = reason.get("value")
    shown = MISSING if value is None else _format_value(value)
    c = float(reason["contribution"])
    sign = f"{c:+.{digits}f}"
    if c != 0 and abs(c) < 0.5 * 10 ** (-digits):  # would print as +0.00
        sign = f"{c:+.{digits}g}"
    return f"{reason['column']} = {shown}  {sign}"


def format_reasons(reasons: Sequence[Mapping[str, Any]], sep: str = "; ") -> str:
    """All reasons of one row on one line."""
    return sep.join(format_reason(r) for r in reasons)


def global_importance(
    contrib: Any,
    feature_names: Sequence[str] | None = None,
    sources: Any = None,
) -> dict[str, float]:
    """Mean |contribution| per original column, largest first.

    Contributions are summed per source column before the absolute value, so
    derived features that cancel out do not inflate their column. 3-D
    multiclass contributions ``(n, classes, p + 1)`` are averaged over classes.

    >>> global_importance([[0.5, -0.1, 0.0], [-0.3, 0.1, 0.0]], ["a", "b"])
    {'a': 0.4, 'b': 0.1}
    """
    c = np.asarray(contrib, dtype=np.float64)
    if feature_names is None:
        width = c.shape[-1] - 1
        feature_names = [f"f{i}" for i in range(width)]
    if c.ndim == 3:
        per_class = [
            aggregate_contributions(c[:, j, :], feature_names, sources) for j in range(c.shape[1])
        ]
        columns = per_class[0][0]
        mean_abs = np.mean([np.abs(v).mean(axis=0) for _, v in per_class], axis=0)
    else:
        columns, v = aggregate_contributions(c, feature_names, sources)
        mean_abs = np.abs(v).mean(axis=0)
    order = np.argsort(-mean_abs, kind="stable")
    return {columns[i]: float(mean_abs[i]) for i in order}


def aggregate_importance(
    values: Sequence[float],
    feature_names: Sequence[str],
    sources: Any = None,
) -> dict[str, float]:
    """Sum a model's per-feature importances (``feature_importances_``) per original column.

    For models without contributions. Largest first.

    >>> aggregate_importance([2.0, 1.0, 4.0], ["d__year", "d__month", "x"],
    ...                      {"d__year": "d", "d__month": "d"})
    {'x': 4.0, 'd': 3.0}
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    if len(v) != len(feature_names):
        raise UsageError(f"{len(v)} importances for {len(feature_names)} features.")
    columns, summed = aggregate_contributions(np.r_[v, 0.0][None, :], feature_names, sources)
    order = np.argsort(-summed[0], kind="stable")
    return {columns[i]: float(summed[0, i]) for i in order}
