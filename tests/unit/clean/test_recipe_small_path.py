"""A few rows (a server request) go value by value; the result equals the batch path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bizforge.clean.recipe import Recipe
from bizforge.errors import DataError
from bizforge.ingest.infer import infer_schema


def _frame(n: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "fee": [f"{v:,.1f}" if i % 9 else " " for i, v in enumerate(rng.uniform(10, 5000, n))],
            "age": rng.integers(18, 80, n).astype(float),
            "plan": rng.choice(["月付", "一年", "两年"], n),
            "broadband": rng.choice(["是", "否"], n),
            "signup": pd.date_range("2024-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
            "note": rng.choice(["网速太慢", "请回电 13800138000", ""], n),
        }
    )


@pytest.fixture(scope="module")
def recipe():
    train = _frame()
    return Recipe(on_bad_number="missing").fit(train, infer_schema(train))


def test_small_batches_equal_the_batch_path(recipe):
    frame = _frame()
    frame.loc[3, "plan"] = "never seen"
    frame.loc[5, "age"] = np.nan
    whole = recipe.transform(frame)  # 120 rows: the vectorised path
    parts = pd.concat([recipe.transform(frame.iloc[i : i + 7]) for i in range(0, 120, 7)])
    pd.testing.assert_frame_equal(parts, whole)


def test_json_like_values_parse_like_csv_text(recipe):
    rows = pd.DataFrame([{"fee": 1234.5, "age": "42", "plan": "月付", "broadband": True,
                          "signup": "2024-02-01", "note": None}])
    X = recipe.transform(rows)
    assert X.loc[0, "fee"] == 1234.5 and X.loc[0, "age"] == 42.0
    assert X.loc[0, "plan"] == "月付"


def test_bad_number_in_a_small_request_names_column_and_row(recipe):
    recipe = Recipe.from_dict(recipe.to_dict())
    recipe.on_bad_number = "error"
    rows = _frame(3)
    rows.loc[2, "fee"] = "about forty"
    with pytest.raises(DataError, match=r"'fee'.*row 3") as err:
        recipe.transform(rows)
    assert "about forty" not in str(err.value)


def test_large_batches_key_each_distinct_value_like_the_value_by_value_path():
    # 600 rows: keys are computed once per distinct value; object columns mixing
    # spellings ("1", 1, 1.0, " a") and missing values must give the same model frame
    # as a few rows at a time.
    n = 600
    train = pd.DataFrame({
        "plan": (["a", " a", "b", 1, 1.0, "1", None, "", "c"] * 70)[:n],
        "flag": (["yes", "no", " YES", None] * 150)[:n],
        "level": ([True, 1, "x", 2.0, "y"] * 120)[:n],
    }, dtype=object)
    recipe = Recipe(rare_min_count=1, rare_min_share=0.0).fit(train, infer_schema(train))
    frame = train.copy()
    frame.loc[7, "plan"] = "never seen"
    whole = recipe.transform(frame)
    parts = pd.concat([recipe.transform(frame.iloc[i : i + 50]) for i in range(0, n, 50)])
    pd.testing.assert_frame_equal(parts, whole)
    assert whole.loc[1, "plan"] == whole.loc[0, "plan"] == "a"
    assert whole.loc[7, "plan"] == "__other__"
    assert pd.isna(whole.loc[6, "plan"]) and pd.isna(whole.loc[16, "plan"])  # None and ""
    assert whole.loc[2, "flag"] == whole.loc[0, "flag"] == 1.0 and pd.isna(whole.loc[3, "flag"])


def test_large_text_columns_give_the_same_codes_as_the_value_by_value_path():
    # Arrow text columns look up exact spellings in bulk; padded, blank, missing and
    # unseen values must still come out as value by value.
    n = 600
    train = pd.DataFrame({
        "plan": (["月付", " 月付", "一年", "两年 ", None, "", "两年"] * 90)[:n],
        "fee": ([" 12.5", "", "3", None, "1e3", "7"] * 100)[:n],
    }, dtype="str")
    recipe = Recipe(rare_min_count=1, rare_min_share=0.0).fit(train, infer_schema(train))
    frame = train.copy()
    frame.loc[9, "plan"] = "从未见过"
    whole = recipe.transform(frame)
    parts = pd.concat([recipe.transform(frame.iloc[i : i + 50]) for i in range(0, n, 50)])
    pd.testing.assert_frame_equal(parts, whole)
    assert whole.loc[1, "plan"] == "月付" and whole.loc[3, "plan"] == "两年"
    assert whole.loc[9, "plan"] == "__other__" and pd.isna(whole.loc[4, "plan"])
    assert whole.loc[4, "fee"] == 1000.0 and pd.isna(whole.loc[1, "fee"])
