"""resolve_task: validate the target column and decide what kind of prediction it is.

Rules (``task="auto"``):

- a boolean or text target -> classification;
- a numeric target whose non-missing values are all whole numbers with at most
  :data:`MAX_AUTO_CLASSES` distinct values -> classification (0/1 flags, 1-5 ratings);
- any other numeric target (fractions, or many distinct whole numbers) -> regression.

Two classes make a ``binary`` problem, more make ``multiclass``. Rows whose
target is missing are dropped and counted. A class seen in a single row cannot
be validated or learnt: those rows are dropped with a warning, unless that
leaves fewer than two classes (then DataError). Pass ``task=`` explicitly to
override the automatic choice.
"""

from __future__ import annotations

import difflib
from typing import Any

import numpy as np
import pandas as pd

from bizforge.errors import DataError, UsageError
from bizforge.tasks.spec import DEFAULT_METRIC, TASKS, TaskSpec, is_missing_label

__all__ = ["MAX_AUTO_CLASSES", "POSITIVE_LABELS", "resolve_task"]

MAX_AUTO_CLASSES = 20
# Labels that name the positive class of a binary target, compared as lower-case text.
POSITIVE_LABELS = ("1", "true", "yes", "y", "t", "positive", "pos", "是", "正", "正面", "有")


def resolve_task(
    frame: pd.DataFrame, target: str, task: str = "auto", *, text_only: bool = False
) -> TaskSpec:
    """Validate ``frame[target]`` and return the :class:`TaskSpec` to train for.

    ``text_only`` says the only feature is free text (the caller knows the
    schema): then ``auto`` picks text classification for a class-like target.

    >>> frame = pd.DataFrame({"x": range(6), "Churn": ["No", "Yes", "No", "No", "Yes", "No"]})
    >>> spec = resolve_task(frame, "Churn")
    >>> (spec.kind, spec.problem, spec.classes, spec.positive, spec.metric)
    ('tabular-classification', 'binary', ['No', 'Yes'], 'Yes', 'roc_auc')
    """
    task = _check_task(task)
    if target not in frame.columns:
        raise _missing_target(frame, target)
    values = frame[target].reset_index(drop=True)
    missing = is_missing_label(values)
    present = values[~missing]
    warnings: list[dict[str, str]] = []
    dropped = {"missing_target": int(missing.sum()), "rare_class": 0}
    if present.empty:
        raise DataError(
            f"target '{target}' is constant: every value is missing.",
            column=target,
            fix="choose a column that holds the outcome to predict.",
        )
    if dropped["missing_target"]:
        warnings.append(
            {
                "kind": "missing_target",
                "message": f"{dropped['missing_target']} rows with a missing '{target}' "
                "were left out of training.",
            }
        )
    if present.nunique() < 2:
        raise DataError(
            f"target '{target}' is constant: all {len(present)} rows have the same value.",
            column=target,
            fix="choose a column whose value differs between rows.",
        )

    if task == "auto":
        if _looks_like_classes(present):
            kind = "text-classification" if text_only else "tabular-classification"
        else:
            kind = "tabular-regression"
    else:
        kind = task

    if kind == "tabular-regression":
        numbers = _regression_values(present, target)
        if np.unique(numbers).size < 2:
            raise DataError(f"target '{target}' is constant.", column=target)
        return TaskSpec(kind, "regression", target, dropped=dropped, warnings=warnings)

    labels = present.map(_as_label)
    counts = labels.value_counts()
    if len(counts) < 2:
        raise DataError(
            f"target '{target}' is constant: all {len(present)} rows have the same value.",
            column=target,
            fix="choose a column whose value differs between rows.",
        )
    rare = counts[counts < 2]
    if len(rare):
        dropped["rare_class"] = int(rare.sum())
        if len(counts) - len(rare) < 2:
            raise DataError(
                f"target '{target}' has only one class with more than one row "
                f"({_classes(len(rare))} with a single row).",
                column=target,
                fix="collect more rows of the other classes, or merge rare classes.",
            )
        warnings.append(
            {
                "kind": "rare_class",
                "message": f"{_classes(len(rare))} of '{target}' with a single row: "
                "too rare to learn or validate, so left out of training "
                f"({dropped['rare_class']} {'row' if dropped['rare_class'] == 1 else 'rows'}).",
            }
        )
        counts = counts[counts >= 2]
    classes = sorted(counts.index.tolist(), key=_sort_key)
    problem = "binary" if len(classes) == 2 else "multiclass"
    positive = None
    if problem == "binary":
        positive = _positive_class(classes, counts)
        classes = [c for c in classes if c != positive] + [positive]
    return TaskSpec(
        kind,
        problem,
        target,
        classes=classes,
        positive=positive,
        metric=DEFAULT_METRIC[problem],
        dropped=dropped,
        warnings=warnings,
    )


def _classes(n: int) -> str:
    return f"{n} class" if n == 1 else f"{n} classes"


def _check_task(task: str) -> str:
    name = str(task).strip().lower()
    if name == "auto" or name in TASKS:
        return name
    raise UsageError(f"unknown task '{task}'.", fix=f"use one of: auto, {', '.join(TASKS)}.")


def _missing_target(frame: pd.DataFrame, target: str) -> DataError:
    names = [str(c) for c in frame.columns]
    close = [n for n in names if n.lower() == str(target).lower()]
    close += [
        n for n in difflib.get_close_matches(str(target), names, n=3, cutoff=0.6) if n not in close
    ]
    hint = f" Did you mean: {', '.join(repr(n) for n in close)}?" if close else ""
    return DataError(
        f"target column '{target}' is not in the data.{hint}",
        column=str(target),
        fix=f"pass one of the {len(names)} columns as the target (see `bizforge inspect`).",
    )


def _looks_like_classes(values: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(values.dtype):
        return True
    numbers = pd.to_numeric(values, errors="coerce") if values.dtype == object else values
    if not pd.api.types.is_numeric_dtype(numbers.dtype) or numbers.isna().any():
        return True  # text labels
    numbers = numbers.to_numpy(dtype="float64")
    if not np.all(np.isfinite(numbers)):
        return False
    whole = np.all(numbers == np.round(numbers))
    return bool(whole and np.unique(numbers).size <= MAX_AUTO_CLASSES)


def _regression_values(values: pd.Series, target: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(values.dtype):
        raise DataError(
            f"target '{target}' is true/false, not a number; regression needs numbers.",
            column=target,
            fix="use --task tabular-classification (or auto).",
        )
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")
    bad = ~np.isfinite(numbers)
    if bad.any():
        raise DataError(
            f"target '{target}' has {int(bad.sum())} values that are not numbers; "
            "regression needs a numeric target.",
            column=target,
            fix="clean those values, or use --task tabular-classification.",
        )
    return numbers


def _as_label(value: Any) -> Any:
    """Labels as plain Python values; whole floats (1.0) become ints; text is stripped."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return value.strip()
    return value


def _sort_key(label: Any) -> tuple:
    if isinstance(label, bool):
        return (0, int(label), "")
    if isinstance(label, (int, float)):
        return (1, label, "")
    return (2, 0, str(label))


def _positive_class(classes: list[Any], counts: pd.Series) -> Any:
    named = [c for c in classes if str(c).strip().lower() in POSITIVE_LABELS]
    if len(named) == 1:
        return named[0]
    # No conventional name: the rarer class is the one a business wants to find.
    low, high = classes
    return low if counts[low] < counts[high] else high
