"""``bizforge train --task recommend`` and ``bizforge predict`` on a tiny interactions file."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from bizforge.cli import app
from unit.families.recommend_data import two_groups

runner = CliRunner()
COLUMNS = ["--task", "recommend", "--user-column", "user_id", "--item-column", "item_id"]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rec")
    frame = two_groups()
    later = frame.groupby("user_id").tail(2)
    frame.drop(later.index).to_csv(folder / "train.csv", index=False)
    later.to_csv(folder / "test.csv", index=False)
    result = runner.invoke(app, ["train", str(folder / "train.csv"), *COLUMNS,
                                 "--rating-column", "rating", "--time-column", "ts",
                                 "--test", str(folder / "test.csv"), "--relevant-min", "4",
                                 "--time-limit", "20", "--out", str(folder / "m"),
                                 "--json", str(folder / "m.json")])
    assert result.exit_code == 0, result.output
    return folder


def test_train_writes_the_ranking_metrics_the_checks_read(model):
    test = json.loads((model / "m.json").read_text(encoding="utf-8"))["test"]
    assert {"recall_10", "ndcg_10", "map_10", "ndcg_10_ge4"} <= set(test)


def test_train_prints_the_headline_metric(model):
    result = runner.invoke(app, ["train", str(model / "train.csv"), *COLUMNS,
                                 "--time-limit", "10", "--out", str(model / "m2")])
    assert result.exit_code == 0 and "ndcg_10" in result.output


def test_a_table_with_one_user_exits_3_with_the_fix(tmp_path):
    pd.DataFrame({"user_id": ["a"] * 3, "item_id": ["x", "y", "z"]}).to_csv(
        tmp_path / "one.csv", index=False)
    result = runner.invoke(app, ["train", str(tmp_path / "one.csv"), *COLUMNS,
                                 "--out", str(tmp_path / "m")])
    assert result.exit_code == 3 and "1 users" in result.output and "fix:" in result.output


def test_an_item_column_all_missing_exits_3_naming_it(tmp_path):
    pd.DataFrame({"user_id": ["a", "b", "c"], "item_id": [None, None, None]}).to_csv(
        tmp_path / "blank.csv", index=False)
    result = runner.invoke(app, ["train", str(tmp_path / "blank.csv"), *COLUMNS,
                                 "--out", str(tmp_path / "m")])
    assert result.exit_code == 3 and "item_id" in result.output and "Traceback" not in (
        result.output)


def test_negative_quantities_are_left_out_with_a_finding_and_training_goes_on(tmp_path):
    frame = two_groups().assign(qty=1)
    frame.loc[:4, "qty"] = -2  # returns
    frame.to_csv(tmp_path / "returns.csv", index=False)
    result = runner.invoke(app, ["train", str(tmp_path / "returns.csv"), *COLUMNS,
                                 "--rating-column", "qty", "--time-limit", "10",
                                 "--out", str(tmp_path / "m"), "--json", str(tmp_path / "m.json")])
    assert result.exit_code == 0, result.output
    findings = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))["findings"]
    assert any(f["kind"] == "negative" and f["count"] == 5 for f in findings)


def test_predict_writes_the_top_k_of_each_user(model, tmp_path):
    pd.DataFrame({"user_id": ["u1", "u25"]}).to_csv(tmp_path / "users.csv", index=False)
    result = runner.invoke(app, ["predict", str(model / "m"), str(tmp_path / "users.csv"),
                                 "-o", str(tmp_path / "out.csv")])
    assert result.exit_code == 0, result.output
    out = pd.read_csv(tmp_path / "out.csv")
    assert out.groupby("user_id").size().to_dict() == {"u1": 10, "u25": 10}
