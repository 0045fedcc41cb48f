"""Recipe JSON round trip: the replay after save/load is identical."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from bizforge.clean.recipe import FORMAT_VERSION, Recipe
from bizforge.errors import ModelError
from bizforge.frame import ColumnInfo, Role, Schema


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [f"C{i:03d}" for i in range(8)],
            "tenure": pd.array([1, 5, None, 7, 2, 9, 4, 3], dtype="Int64"),
            "charges": ["29.85", " ", "1,889.5", "¥12", "5", "6", "7", "8"],
            "plan": ["a", "b", "a", "c", None, "a", "b", "a"],
            "partner": ["Yes", "No", "Yes", "No", "No", "Yes", None, "No"],
            "since": ["2024-01-0" + str(d) for d in range(1, 9)],
            "review": ["ok", "call 13800138000", None, "好", "bad", "fine", "great", "meh"],
            "churn": ["No", "Yes", "No", "No", "Yes", "No", "No", "Yes"],
        }
    )


def _schema(frame) -> Schema:
    roles = {
        "id": Role.ID,
        "tenure": Role.NUMERIC,
        "charges": Role.NUMERIC,
        "plan": Role.CATEGORICAL,
        "partner": Role.BOOLEAN,
        "since": Role.DATETIME,
        "review": Role.TEXT,
        "churn": Role.BOOLEAN,
    }
    return Schema([ColumnInfo(c, roles[c], str(frame[c].dtype)) for c in frame])


def _fitted() -> Recipe:
    frame = _frame()
    return Recipe(rare_min_count=2).fit(frame.iloc[:6], _schema(frame), target="churn")


def test_transform_after_save_and_load_is_identical(tmp_path):
    recipe = _fitted()
    new_rows = _frame().iloc[5:].assign(plan=["a", "zzz", None])
    before = recipe.transform(new_rows)
    loaded = Recipe.load(recipe.save(tmp_path / "recipe.json"))
    pd.testing.assert_frame_equal(loaded.transform(new_rows), before)
    assert loaded.output_columns == recipe.output_columns
    assert loaded.dropped == recipe.dropped and loaded.features == recipe.features


def test_from_dict_of_to_dict_replays_identically():
    recipe = _fitted()
    copy = Recipe.from_dict(json.loads(json.dumps(recipe.to_dict())))
    pd.testing.assert_frame_equal(copy.transform(_frame()), recipe.transform(_frame()))
    assert copy.describe() == recipe.describe() and copy.fill == recipe.fill


def test_saved_json_is_strict_and_carries_format_and_version(tmp_path):
    path = _fitted().save(tmp_path / "r.json")
    text = path.read_text(encoding="utf-8")
    assert "NaN" not in text
    data = json.loads(text)
    assert data["format"] == "bizforge.recipe" and data["version"] == FORMAT_VERSION
    assert data["params"]["rare_min_count"] == 2 and data["target"] == "churn"
    assert data["dropped"] == {"id": "id"}


def test_saved_json_holds_no_raw_personal_data(tmp_path):
    text = _fitted().save(tmp_path / "r.json").read_text(encoding="utf-8")
    assert "13800138000" not in text and "C001" not in text


def test_newer_format_version_is_refused_with_the_fix():
    data = _fitted().to_dict()
    data["version"] = FORMAT_VERSION + 1
    with pytest.raises(ModelError, match="upgrade bizforge"):
        Recipe.from_dict(data)


def test_loading_something_that_is_not_a_recipe_is_a_model_error(tmp_path):
    path = tmp_path / "other.json"
    path.write_text('{"hello": 1}', encoding="utf-8")
    with pytest.raises(ModelError, match="not a bizforge recipe"):
        Recipe.load(path)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelError, match="not valid JSON"):
        Recipe.load(path)


def test_loaded_recipe_keeps_numbers_as_text_and_missing_rules(tmp_path):
    loaded = Recipe.load(_fitted().save(tmp_path / "r.json"))
    row = {"tenure": [3], "charges": ["1,000"], "since": ["2024-03-01"], "partner": ["maybe"]}
    out = loaded.transform(pd.DataFrame(row))
    assert out["charges"].iloc[0] == 1000.0 and np.isnan(out["partner"].iloc[0])
    assert out["plan"].isna().iloc[0] and out["review"].iloc[0] == ""
