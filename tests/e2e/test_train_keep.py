"""--keep restores a column the findings drop, and the report, metrics and card say so."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from bizforge.cli import app
from bizforge.registry.card import build_card
from bizforge.samples import CHURN_TARGET, churn_table

runner = CliRunner()


@pytest.fixture(scope="module")
def kept_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("keep")
    frame = churn_table(200, seed=5)
    left = (frame[CHURN_TARGET] == frame[CHURN_TARGET].iloc[0]).to_numpy()
    frame["退款金额"] = np.where(left, 80.0, 0.0) + np.random.default_rng(1).uniform(0, 1, 200)
    data = root / "c.csv"
    frame.to_csv(data, index=False)
    args = ["train", str(data), "--target", CHURN_TARGET, "--time-limit", "4",
            "--out", str(root / "m"), "--json", str(root / "m.json"), "--keep", "退款金额",
            "--drop", "城市"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return root, result.output, json.loads((root / "m.json").read_text(encoding="utf-8"))


def test_kept_leakage_column_is_an_input_of_the_model(kept_run):
    root, _, doc = kept_run
    schema = json.loads((root / "m" / "model.json").read_text(encoding="utf-8"))["input_schema"]
    assert "退款金额" in [c["name"] for c in schema]
    assert doc["kept_columns"] == {"退款金额": "leakage"}


def test_dropped_columns_list_their_reasons(kept_run):
    _, _, doc = kept_run
    assert doc["dropped_columns"] == {"客户编号": "id", "手机号": "pii", "城市": "user"}


def test_report_and_summary_say_the_column_was_kept_against_advice(kept_run):
    root, output, _ = kept_run
    report = (root / "m" / "report.html").read_text(encoding="utf-8")
    assert "column &#x27;退款金额&#x27; kept on request (--keep)" in report
    assert "--keep &#x27;客户编号&#x27;" in report  # how to keep a dropped one
    assert "kept on request (--keep)" in " ".join(output.split())


def test_card_lists_the_kept_column(kept_run):
    root, _, _ = kept_run
    assert build_card(root / "m")["data"]["kept_columns"] == {"退款金额": "leakage"}


def test_keep_of_a_column_that_is_not_there_exits_2_before_training(tmp_path):
    data = tmp_path / "c.csv"
    churn_table(60, seed=5).to_csv(data, index=False)
    result = runner.invoke(app, ["train", str(data), "--target", CHURN_TARGET, "--keep", "城",
                                 "--out", str(tmp_path / "m")])
    assert result.exit_code == 2, result.output
    assert "'城' is not a column" in result.output and not (tmp_path / "m").exists()
