"""End to end: train on a small table, save, load, predict — and the errors on the way."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from bizforge.cli import app
from bizforge.errors import DataError, IntegrityError
from bizforge.pipeline import train
from bizforge.samples import CHURN_TARGET, churn_table
from bizforge.serve import load_model

runner = CliRunner()
TIME = 4.0


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    data = root / "customers.csv"
    churn_table(400, seed=3).to_csv(data, index=False)
    run = train(data, CHURN_TARGET, time_limit=TIME, out=root / "model", cost_fp=1, cost_fn=5)
    return root, data, run


def test_run_reports_held_out_metrics(trained):
    _, _, run = trained
    test = run.metrics["test"]
    for key in ("roc_auc", "accuracy", "f1", "precision", "recall"):
        assert 0.0 <= test[key] <= 1.0
    assert test["roc_auc"] > 0.6  # the sample data carries real signal
    assert run.metrics["task"] == "tabular-classification"
    assert run.metrics["rows"] == {"train": 320, "test": 80}
    assert 0.0 < run.metrics["threshold"]["threshold"] < 1.0


def test_search_honours_the_time_limit(trained):
    _, _, run = trained
    search_seconds = max(r["fit_seconds"] for r in run.leaderboard)
    assert search_seconds <= TIME * 1.10 + 0.5


def test_artifact_has_manifest_and_no_pickle(trained):
    _, _, run = trained
    manifest = json.loads((run.path / "manifest.json").read_text())
    files = [p for p in run.path.rglob("*") if p.is_file() and p.name != "manifest.json"]
    assert sorted(manifest["files"]) == sorted(str(p.relative_to(run.path)) for p in files)
    for p in files:
        assert p.suffix not in {".pkl", ".pickle", ".joblib"}
        assert not p.read_bytes().startswith(b"\x80"), f"{p} looks like a pickle"
    assert (run.path / "report.html").exists() and (run.path / "metrics.json").exists()


def test_pii_column_is_dropped_and_never_in_the_report(trained):
    _, data, run = trained
    assert run.predictor.recipe.dropped.get("手机号") == "pii"
    phones = pd.read_csv(data, dtype=str)["手机号"].head(20)
    html = (run.path / "report.html").read_text(encoding="utf-8")
    assert not any(p in html for p in phones)


def test_loaded_model_predicts_like_the_trained_one(trained):
    _, data, run = trained
    rows = pd.read_csv(data).head(30)
    loaded = load_model(run.path)
    np.testing.assert_allclose(
        loaded.predict_proba(rows).to_numpy(), run.predictor.predict_proba(rows).to_numpy()
    )
    assert set(loaded.predict(rows)) <= {"是", "否"}


def test_raw_rows_without_target_are_scored_with_reasons(trained):
    _, _, run = trained
    rows = churn_table(3, seed=11).drop(columns=[CHURN_TARGET])
    scored = load_model(run.path).score(rows, explain=True)
    assert list(scored.columns[-3:]) == ["prediction", "probability", "reasons"]
    assert all(" = " in r for r in scored["reasons"])


def test_tampered_artifact_is_refused(trained, tmp_path):
    import shutil

    _, _, run = trained
    copy = tmp_path / "copy"
    shutil.copytree(run.path, copy)
    with open(copy / "recipe.json", "r+b") as f:
        f.seek(10)
        byte = f.read(1)
        f.seek(10)
        f.write(bytes([byte[0] ^ 1]))
    with pytest.raises(IntegrityError, match="recipe.json"):
        load_model(copy)
    result = runner.invoke(app, ["predict", str(copy), str(trained[1]), "-o", str(tmp_path / "o.csv")])
    assert result.exit_code == 4


def test_missing_required_column_at_prediction_names_it(trained):
    _, _, run = trained
    rows = churn_table(3, seed=11).drop(columns=["合约类型"])
    with pytest.raises(DataError, match="合约类型"):
        run.predictor.predict(rows)


def test_text_in_numeric_column_at_prediction_names_it(trained):
    _, _, run = trained
    rows = churn_table(3, seed=11)
    rows["月费"] = rows["月费"].astype(str)
    rows.loc[1, "月费"] = "about forty"
    with pytest.raises(DataError, match="月费"):
        run.predictor.predict(rows)


def test_cli_predict_writes_every_row(trained, tmp_path):
    _, data, run = trained
    out = tmp_path / "scored.csv"
    result = runner.invoke(app, ["predict", str(run.path), str(data), "-o", str(out), "--explain"])
    assert result.exit_code == 0, result.output
    scored = pd.read_csv(out)
    assert len(scored) == 400 and scored["reasons"].notna().all()


def test_cli_train_writes_json_and_summary(tmp_path):
    data = tmp_path / "c.csv"
    churn_table(200, seed=5).to_csv(data, index=False)
    js = tmp_path / "runs" / "m.json"  # its folder does not exist yet: it is made
    args = ["train", str(data), "--target", CHURN_TARGET, "--time-limit", "6",
            "--out", str(tmp_path / "m"), "--json", str(js)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    doc = json.loads(js.read_text(encoding="utf-8"))
    assert {"task", "metric", "test", "leaderboard", "fit_seconds", "threshold"} <= set(doc)
    assert "report.html" in result.output


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda f: f.assign(**{CHURN_TARGET: "否"}), CHURN_TARGET),
        (lambda f: f.drop(columns=[CHURN_TARGET]), CHURN_TARGET),
    ],
)
def test_cli_train_bad_target_exits_3(tmp_path, change, needle):
    data = tmp_path / "c.csv"
    change(churn_table(60, seed=5)).to_csv(data, index=False)
    result = runner.invoke(app, ["train", str(data), "--target", CHURN_TARGET,
                                 "--time-limit", "2", "--out", str(tmp_path / "m")])
    assert result.exit_code == 3, result.output
    assert needle in result.output and "Traceback" not in result.output


def test_test_file_missing_a_column_exits_3(tmp_path):
    data, test = tmp_path / "train.csv", tmp_path / "test.csv"
    churn_table(120, seed=5).to_csv(data, index=False)
    churn_table(40, seed=6).drop(columns=["城市"]).to_csv(test, index=False)
    result = runner.invoke(app, ["train", str(data), "--target", CHURN_TARGET, "--test", str(test),
                                 "--time-limit", "2", "--out", str(tmp_path / "m")])
    assert result.exit_code == 3, result.output
    assert "城市" in result.output


def test_cli_predict_streams_chunks_with_the_same_result(trained, tmp_path):
    _, data, run = trained
    whole, chunked = tmp_path / "whole.parquet", tmp_path / "chunked.csv"
    assert runner.invoke(app, ["predict", str(run.path), str(data), "-o", str(whole)]).exit_code == 0
    result = runner.invoke(app, ["predict", str(run.path), str(data), "-o", str(chunked),
                                 "--chunk-rows", "37"])
    assert result.exit_code == 0, result.output
    a, b = pd.read_parquet(whole), pd.read_csv(chunked)
    assert len(b) == 400
    np.testing.assert_allclose(a["probability"].to_numpy(), b["probability"].to_numpy())
    assert list(a["prediction"]) == list(b["prediction"])


def test_cli_predict_failure_leaves_no_partial_output(trained, tmp_path):
    _, data, run = trained
    bad = tmp_path / "bad.csv"
    frame = pd.read_csv(data, dtype=str)
    frame.loc[300, "月费"] = "about forty"
    frame.to_csv(bad, index=False)
    out = tmp_path / "scored.csv"
    result = runner.invoke(app, ["predict", str(run.path), str(bad), "-o", str(out),
                                 "--chunk-rows", "100"])
    assert result.exit_code == 3 and "月费" in result.output
    assert not out.exists() and not list(tmp_path.glob("*.partial"))


def test_cli_predict_streams_into_a_folder_it_makes(trained, tmp_path):
    _, data, run = trained
    out = tmp_path / "new" / "scored.csv"
    result = runner.invoke(app, ["predict", str(run.path), str(data), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out)) == 400


@pytest.mark.parametrize(("name", "needle"), [(".", "is a folder"),
                                              ("scored.docx", "unknown suffix '.docx'")])
def test_cli_predict_refuses_an_output_it_cannot_write_before_loading(tmp_path, name, needle):
    # The model folder does not exist: the refusal naming -o shows the check came first.
    data = tmp_path / "rows.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(data)
    result = runner.invoke(app, ["predict", str(tmp_path / "no-model"), str(data),
                                 "-o", str(tmp_path / name)])
    assert result.exit_code == 3 and needle in result.output and "no-model" not in result.output
