"""The recipe reads numbers and times at prediction the way training read them."""

from __future__ import annotations

import pandas as pd
import pytest

from bizforge.clean.recipe import Recipe
from bizforge.ingest import read


@pytest.fixture
def german(tmp_path):
    rows = "\n".join(f"{i};{i % 7 + 1},{i % 10}0;{'ja' if i % 2 else 'nein'}" for i in range(40))
    path = tmp_path / "train.csv"
    path.write_text("Nr;Preis;Kauf\n" + rows + "\n", encoding="utf-8")
    return read(path)


def _fit(ds):
    return Recipe(rare_min_count=1).fit(ds, target="Kauf")


def test_the_recipe_records_the_decimal_comma(german):
    recipe = _fit(german)
    assert recipe.decimal == ","
    assert Recipe.from_dict(recipe.to_dict()).decimal == ","


@pytest.mark.parametrize("rows", [2, 300])  # the server's small path and the batch path
def test_new_rows_are_read_with_the_training_mark(german, rows):
    recipe = _fit(german)
    new = pd.DataFrame({"Nr": ["1"] * rows, "Preis": ["1.500", "12,50"] * (rows // 2)})
    assert recipe.transform(new)["Preis"].tolist()[:2] == [1500.0, 12.5]


def test_read_decimal_changes_how_new_rows_are_read(german):
    recipe = _fit(german).read_decimal(".")
    new = pd.DataFrame({"Nr": ["1"], "Preis": ["1.5"]})
    assert recipe.transform(new)["Preis"].tolist() == [1.5]


def test_numbers_with_a_unit_are_read_at_prediction(tmp_path):
    path = tmp_path / "homes.csv"
    rows = "\n".join(f"{50 + i}平米,{'是' if i % 2 else '否'}" for i in range(30))
    path.write_text("面积,成交\n" + rows + "\n", encoding="utf-8")
    recipe = Recipe(rare_min_count=1).fit(read(path), target="成交")
    assert recipe.transform(pd.DataFrame({"面积": ["89平米", "120"]}))["面积"].tolist() == [
        89.0,
        120.0,
    ]


def test_a_unix_time_column_becomes_date_parts(tmp_path):
    path = tmp_path / "events.csv"
    rows = "\n".join(f"{1700000000 + i * 86400},{i % 3}" for i in range(30))
    path.write_text("created_at,n\n" + rows + "\n", encoding="utf-8")
    recipe = Recipe(rare_min_count=1).fit(read(path))
    out = recipe.transform(pd.DataFrame({"created_at": [1700000000], "n": [1]}))
    assert out["created_at__year"].tolist() == [2023.0]
    assert out["created_at__month"].tolist() == [11.0]
