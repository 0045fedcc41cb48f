"""Explanations are given in original columns, ordered by size, and never leak PII."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bizforge.errors import UsageError
from bizforge.evaluate.explain import (
    aggregate_importance,
    format_reason,
    format_reasons,
    global_importance,
    sources_from_features,
    top_reasons,
)

FEATURES = [
    {"name": "Contract", "kind": "categorical", "source": "Contract"},
    {"name": "signup__year", "kind": "numeric", "source": "signup"},
    {"name": "signup__month", "kind": "numeric", "source": "signup"},
    {"name": "tenure", "kind": "numeric", "source": "tenure"},
]
NAMES = [f["name"] for f in FEATURES]


@pytest.fixture
def raw():
    return pd.DataFrame({
        "Contract": ["Month-to-month", "Two year"],
        "signup": pd.to_datetime(["2021-03-05", "2019-11-20"]),
        "tenure": [2, 48],
        "phone": ["13812345678", "13912345678"],
    })


def test_derived_columns_are_summed_into_their_source(raw):
    contrib = [[0.21, 0.10, 0.15, -0.05, -1.0], [-0.3, 0.0, 0.01, 0.4, -1.0]]
    reasons = top_reasons(contrib, NAMES, sources_from_features(FEATURES), raw, k=3)
    assert [r["column"] for r in reasons[0]] == ["signup", "Contract", "tenure"]
    assert reasons[0][0]["contribution"] == pytest.approx(0.25)
    assert reasons[0][0]["value"] == "2021-03-05 00:00:00"


def test_reasons_are_ordered_by_absolute_contribution(raw):
    contrib = [[0.21, 0.10, 0.15, -0.05, -1.0], [-0.3, 0.0, 0.01, 0.4, -1.0]]
    second = top_reasons(contrib, NAMES, sources_from_features(FEATURES), raw, k=2)[1]
    assert [(r["column"], r["value"]) for r in second] == [("tenure", 48), ("Contract", "Two year")]
    assert second[1]["contribution"] == pytest.approx(-0.3)


def test_format_shows_column_value_and_signed_contribution():
    assert format_reason({"column": "Contract", "value": "Month-to-month",
                          "contribution": 0.2134}) == "Contract = Month-to-month  +0.21"
    tenure = {"column": "tenure", "value": 2, "contribution": -0.4}
    assert format_reason(tenure) == "tenure = 2  -0.40"
    missing = {"column": "x", "value": None, "contribution": 0.001}
    assert format_reason(missing) == "x = (missing)  +0.001"
    assert format_reasons([{"column": "a", "value": 1.5, "contribution": 1}]) == "a = 1.5  +1.00"


def test_sensitive_column_value_is_masked(raw):
    contrib = [[0.0, 0.0, 0.0, 0.0, 0.9, 0.0]] * 2
    reasons = top_reasons(contrib, [*NAMES, "phone"], None, raw, k=1, sensitive={"phone"})
    assert reasons[0][0] == {"column": "phone", "value": "(masked)", "contribution": 0.9}


def test_long_text_values_are_shortened():
    raw = pd.DataFrame({"note": ["word " * 30]})
    value = top_reasons([[0.5, 0.0]], ["note"], None, raw, k=1)[0][0]["value"]
    assert len(value) == 40 and value.endswith("…")


def test_missing_value_becomes_none():
    raw = pd.DataFrame({"x": [np.nan]})
    assert top_reasons([[0.5, 0.0]], ["x"], None, raw, k=1)[0][0]["value"] is None


def test_multiclass_contributions_explain_the_requested_class():
    raw = pd.DataFrame({"a": [1], "b": [2]})
    contrib = np.array([[[0.1, 0.9, 0.0], [0.8, 0.2, 0.0]]])  # (rows, classes, features + 1)
    assert top_reasons(contrib, ["a", "b"], None, raw, k=1, class_index=[1])[0][0]["column"] == "a"
    with pytest.raises(UsageError, match="class_index"):
        top_reasons(contrib, ["a", "b"], None, raw, k=1)


def test_global_importance_is_mean_absolute_per_source_sorted():
    contrib = [[0.2, 0.1, -0.4, 0.0, 0.0], [-0.2, 0.3, 0.3, 0.1, 0.0]]
    imp = global_importance(contrib, NAMES, sources_from_features(FEATURES))
    assert list(imp) == ["signup", "Contract", "tenure"]
    # signup sums its derived features per row before |.|: (|0.1-0.4| + |0.3+0.3|) / 2
    assert imp["signup"] == pytest.approx(0.45)
    assert imp["Contract"] == pytest.approx(0.2)


def test_aggregate_importance_sums_model_importances_per_source():
    imp = aggregate_importance([3.0, 1.0, 1.5, 2.0], NAMES, sources_from_features(FEATURES))
    assert imp == {"Contract": 3.0, "signup": 2.5, "tenure": 2.0}


def test_wrong_contribution_width_raises_usage_error(raw):
    with pytest.raises(UsageError, match="expected 4 features \\+ 1 bias"):
        top_reasons([[0.1, 0.2]], NAMES, None, raw.iloc[:1], k=1)


def test_row_count_mismatch_raises_usage_error(raw):
    with pytest.raises(UsageError, match="2 raw rows for 1 rows"):
        top_reasons([[0.1, 0.2, 0.0, 0.0, 0.0]], NAMES, None, raw, k=1)


def test_personal_data_inside_text_is_masked():
    raw = pd.DataFrame({"comment": ["call 13812345678 now"]})
    value = top_reasons([[0.5, 0.0]], ["comment"], None, raw, k=1)[0][0]["value"]
    assert "13812345678" not in value and value.startswith("call 138")
