"""Input drift: a compact reference of the training inputs, tallies on its bins, and PSI.

At training time :func:`reference` summarises every input column the recipe
uses on a few buckets — numbers on the training deciles, categories on their
most frequent training values (the rest is ``other``), free text on its length
and language — plus the predicted-class mix of the held-out rows. It goes
into the artifact's ``model.json``. A :class:`Tally` counts served rows on the
same buckets (counts only: never a raw value, and a category not in the
reference is counted as ``other``, so no unseen value is ever stored), and
:func:`compare` scores each feature with the population stability index (PSI)
and a chi-square test, ranked, with what to do.

>>> ref = reference(frame, {"tenure": "numeric", "plan": "categorical"})  # doctest: +SKIP
>>> tally = Tally(ref); tally.add(served_frame, labels)                  # doctest: +SKIP
>>> compare(ref, tally.to_dict())["drifted"]                              # doctest: +SKIP
['tenure']
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["MIN_ROWS", "PSI_DRIFT", "PSI_WATCH", "Tally", "compare", "merge", "reference"]

REFERENCE_FORMAT = 1
BINS = 10  # deciles of the training values
TOP = 20  # categories kept by name; the rest is OTHER
OTHER, MISSING = "(other)", "(missing)"
TEXT_LENGTH_EDGES = [20.0, 50.0, 100.0, 200.0, 500.0, 1000.0]
LANGUAGES = ["zh", "en", "other"]
# Usual PSI reading: < 0.1 stable, 0.1-0.2 worth watching, >= 0.2 shifted.
PSI_WATCH, PSI_DRIFT = 0.1, 0.2
MIN_ROWS = 100  # fewer served rows than this: too noisy to call anything drifted
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")


# -- buckets ---------------------------------------------------------------------------
def _numbers(values: pd.Series) -> np.ndarray:
    values = pd.Series(values)
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.to_numpy("float64", na_value=np.nan)
    try:  # the server's rows: floats and None already (None becomes NaN)
        return np.asarray(values.to_numpy(object), dtype="float64")
    except (TypeError, ValueError):
        pass
    # Text numbers ("1,234.5", "12%") read as the recipe reads them, so training and
    # serving (where the server has already turned them into floats) land in one bucket.
    from bizforge.ingest.numbers import parse_numbers

    return parse_numbers(values.astype(object)).values.to_numpy("float64")


def _language(text: Any) -> str:
    text = str(text)
    cjk, latin = len(_CJK.findall(text)), len(_LATIN.findall(text))
    if cjk and cjk * 3 >= latin:  # one Chinese character carries about a word
        return "zh"
    return "en" if latin else "other"


def _bucket(spec: dict[str, Any], values: pd.Series) -> np.ndarray:
    """The bucket index of every value (the last bucket is MISSING)."""
    kind = spec["kind"]
    if kind in ("numeric", "text_length"):
        if kind == "numeric":
            x = _numbers(values)
        else:
            x = np.array([np.nan if _missing(v) else len(str(v)) for v in values], "float64")
        index = np.searchsorted(np.asarray(spec["edges"], "float64"), x, side="right")
        return np.where(np.isnan(x), len(spec["labels"]) - 1, index)
    labels = spec["labels"]
    position = {label: i for i, label in enumerate(labels)}
    other, missing = position[OTHER], position[MISSING]
    if kind == "language":
        return np.array([missing if _missing(v) else position.get(_language(v), other)
                         for v in values], dtype="int64")
    return np.array([missing if _missing(v) else position.get(str(v), other) for v in values],
                    dtype="int64")


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _counts(spec: dict[str, Any], values: pd.Series) -> np.ndarray:
    return np.bincount(_bucket(spec, values), minlength=len(spec["labels"])).astype("int64")


def _numeric_spec(values: pd.Series) -> dict[str, Any]:
    x = _numbers(values)
    x = x[np.isfinite(x)]
    edges = np.unique(np.quantile(x, np.linspace(0, 1, BINS + 1)[1:-1])) if len(x) else []
    labels = ([f"< {edges[0]:g}"] if len(edges) else ["all"]) + [
        f">= {lo:g}" if hi is None else f"{lo:g} to {hi:g}"
        for lo, hi in zip(edges, [*edges[1:], None])] + [MISSING]
    return {"kind": "numeric", "edges": [float(e) for e in edges], "labels": labels}


def _category_spec(values: pd.Series) -> dict[str, Any]:
    present = pd.Series([str(v) for v in values if not _missing(v)], dtype=object)
    top = present.value_counts().index[:TOP].tolist()
    return {"kind": "categorical", "labels": [*top, OTHER, MISSING]}


def _text_specs(column: str) -> dict[str, dict[str, Any]]:
    edges = TEXT_LENGTH_EDGES
    labels = [f"< {edges[0]:g} chars"] + [
        f">= {lo:g} chars" if hi is None else f"{lo:g} to {hi:g} chars"
        for lo, hi in zip(edges, [*edges[1:], None])] + [MISSING]
    return {f"{column} (length)": {"kind": "text_length", "column": column, "edges": edges,
                                   "labels": labels},
            f"{column} (language)": {"kind": "language", "column": column,
                                     "labels": [*LANGUAGES[:-1], OTHER, MISSING]}}


def reference(frame: pd.DataFrame, kinds: dict[str, str],
              predictions: Any = None) -> dict[str, Any]:
    """The drift reference of training rows ``frame`` for columns ``{column: kind}``
    (kinds as the recipe names them; dates are not monitored) and the predicted labels
    of held-out rows (classification) — counts per bucket, nothing else."""
    features: dict[str, dict[str, Any]] = {}
    for column, kind in kinds.items():
        if column not in frame.columns:
            continue
        if kind == "numeric":
            specs = {column: _numeric_spec(frame[column])}
        elif kind in ("categorical", "boolean"):
            specs = {column: _category_spec(frame[column])}
        elif kind == "text":
            specs = _text_specs(column)
        else:
            continue
        for name, spec in specs.items():
            spec.setdefault("column", column)
            spec["counts"] = _counts(spec, frame[spec["column"]]).tolist()
            features[name] = spec
    out: dict[str, Any] = {"format": REFERENCE_FORMAT, "rows": len(frame), "features": features}
    if predictions is not None:
        labels = pd.Series([str(p) for p in predictions], dtype=object)
        classes = sorted(labels.unique().tolist())
        spec = {"kind": "categorical", "column": None, "labels": [*classes, OTHER, MISSING]}
        spec["counts"] = _counts(spec, labels).tolist()
        out["prediction"] = spec
    return out


# -- serving tallies -------------------------------------------------------------------
class Tally:
    """Counts of served rows on a reference's buckets (what the server keeps and flushes).

    :meth:`add` only appends the rows' values to per-column lists; they are counted
    together, vectorised, every ``fold_rows`` rows and on :meth:`to_dict`, so a
    one-row request pays a few list appends, not a pass over every feature.
    """

    def __init__(self, ref: dict[str, Any], *, fold_rows: int = 512):
        self.ref = ref
        self.fold_rows = fold_rows
        self.columns = sorted({spec["column"] for spec in ref["features"].values()})
        self.clear()

    def clear(self) -> None:
        self.rows = 0
        self.counts = {name: np.zeros(len(spec["labels"]), "int64")
                       for name, spec in self.ref["features"].items()}
        pred = self.ref.get("prediction")
        self.predicted = None if pred is None else np.zeros(len(pred["labels"]), "int64")
        self._values: dict[str, list] = {column: [] for column in self.columns}
        self._labels: list = []
        self._queued = 0

    def add(self, rows: Any, labels: Any = None) -> None:
        """Count rows given as a DataFrame or as ``{column: values}`` (raw input values),
        with their predicted labels (classification)."""
        n = len(rows) if isinstance(rows, pd.DataFrame) else len(next(iter(rows.values()), []))
        for column in self.columns:
            if column in rows:
                values = rows[column]
                self._values[column].extend(
                    values.tolist() if isinstance(values, pd.Series) else values)
            else:  # counted as missing: a column the request did not carry
                self._values[column].extend([None] * n)
        if labels is not None:
            self._labels.extend(labels)
        self.rows += n
        self._queued += n
        if self._queued >= self.fold_rows:
            self.fold()

    def fold(self) -> None:
        """Count the queued rows."""
        if not self._queued:
            return
        for name, spec in self.ref["features"].items():
            values = pd.Series(self._values[spec["column"]], dtype=object)
            self.counts[name] += _counts(spec, values)
        if self.predicted is not None and self._labels:
            self.predicted += _counts(self.ref["prediction"],
                                      pd.Series([str(v) for v in self._labels], dtype=object))
        self._values = {column: [] for column in self.columns}
        self._labels, self._queued = [], 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready counts: ``{"rows", "features": {name: [..]}, "prediction": [..]}``."""
        self.fold()
        return {"rows": int(self.rows),
                "features": {n: c.tolist() for n, c in self.counts.items()},
                "prediction": None if self.predicted is None else self.predicted.tolist()}


def merge(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """Add up several :meth:`Tally.to_dict` summaries of one reference."""
    out: dict[str, Any] = {"rows": 0, "features": {}, "prediction": None}
    for summary in summaries:
        out["rows"] += int(summary.get("rows", 0))
        for name, counts in (summary.get("features") or {}).items():
            have = out["features"].get(name)
            out["features"][name] = (list(counts) if have is None or len(have) != len(counts)
                                     else [a + b for a, b in zip(have, counts)])
        pred = summary.get("prediction")
        if pred is not None:
            have = out["prediction"]
            out["prediction"] = (list(pred) if have is None or len(have) != len(pred)
                                 else [a + b for a, b in zip(have, pred)])
    return out


# -- comparison ------------------------------------------------------------------------
def _psi(expected: np.ndarray, actual: np.ndarray) -> float:
    # Half a count added to every bucket: an empty bucket on either side stays finite.
    e = (expected + 0.5) / (expected.sum() + 0.5 * len(expected))
    a = (actual + 0.5) / (actual.sum() + 0.5 * len(actual))
    return float(np.sum((a - e) * np.log(a / e)))


def _score(name: str, spec: dict[str, Any], served: list[int]) -> dict[str, Any]:
    from scipy.stats import chisquare

    expected = np.asarray(spec["counts"], "float64")
    actual = np.asarray(served, "float64")
    psi = _psi(expected, actual)
    keep = expected > 0  # a bucket never seen in training cannot be tested, PSI shows it
    p_value = None
    if actual[keep].sum() > 0 and keep.sum() > 1:
        shares = expected[keep] / expected[keep].sum()
        observed = actual[keep]
        p_value = float(chisquare(observed, shares * observed.sum()).pvalue)
    share_ref = expected / max(expected.sum(), 1)
    share_now = actual / max(actual.sum(), 1)
    moved = int(np.argmax(np.abs(share_now - share_ref)))
    status = "drifted" if psi >= PSI_DRIFT else "watch" if psi >= PSI_WATCH else "stable"
    return {"feature": name, "kind": spec["kind"], "psi": round(psi, 4),
            "p_value": None if p_value is None else float(f"{p_value:.3g}"), "status": status,
            "largest_change": {"bucket": spec["labels"][moved],
                               "training": round(float(share_ref[moved]), 4),
                               "served": round(float(share_now[moved]), 4)}}


def _advice(item: dict[str, Any], name: str) -> str:
    change = item["largest_change"]
    where = (f"'{change['bucket']}' went from {change['training']:.0%} of training rows "
             f"to {change['served']:.0%} of served rows")
    if item["feature"] == "(predictions)":
        return (f"the predicted-class mix moved ({where}); check the input features above, "
                f"and the live outcomes, before trusting the scores.")
    return (f"{where}. Check the source system of this column (a changed form, unit or "
            f"code list?); if the change is real, train a challenger on recent labelled "
            f"rows with `bizforge retrain {name} --data NEW.csv --promote-if-better`.")


def compare(ref: dict[str, Any], served: dict[str, Any], *, name: str = "MODEL",
            min_rows: int = MIN_ROWS) -> dict[str, Any]:
    """Score every feature of ``served`` (a merged tally) against ``ref``, most drifted first.

    Returns ``{"rows", "enough_rows", "features": [...], "prediction", "drifted", "advice"}``.
    """
    rows = int(served.get("rows", 0))
    scored = [_score(n, spec, served["features"][n])
              for n, spec in ref.get("features", {}).items()
              if n in (served.get("features") or {})]
    scored.sort(key=lambda item: item["psi"], reverse=True)
    prediction = None
    if ref.get("prediction") and served.get("prediction") is not None:
        prediction = _score("(predictions)", ref["prediction"], served["prediction"])
    enough = rows >= min_rows
    if not enough:
        for item in [*scored, *([prediction] if prediction else [])]:
            item["status"] = "too few rows"
    drifted = [i["feature"] for i in scored if i["status"] == "drifted"]
    advice = [f"{i['feature']}: {_advice(i, name)}" for i in scored if i["status"] == "drifted"]
    if prediction is not None and prediction["status"] == "drifted":
        advice.append(f"predictions: {_advice(prediction, name)}")
    if not enough:
        advice = [f"only {rows} rows were served in this period; at least {min_rows} are "
                  "needed to call a feature drifted."]
    elif not advice:
        advice = ["no feature has drifted (every PSI is below "
                  f"{PSI_DRIFT}); nothing to do."]
    return {"rows": rows, "enough_rows": enough, "features": scored, "prediction": prediction,
            "drifted": drifted, "advice": advice}
