"""`bizforge models ...`, `train --name` and `predict NAME@ALIAS`: exit codes and messages."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from typer.testing import CliRunner

from bizforge.cli import app
from bizforge.manifest import write_manifest
from bizforge.registry import Registry

runner = CliRunner()


def _artifact(folder: Path) -> Path:
    folder.mkdir(parents=True)
    info = {"format": 1, "task": {"kind": "tabular-classification", "problem": "binary",
                                  "target": "churn", "metric": "roc_auc"},
            "input_schema": [{"name": "tenure", "role": "numeric"}], "threshold": 0.35,
            "config": {"seed": 0}, "data_fingerprint": "f" * 64, "libraries": {"python": "3"}}
    metrics = {"task": "tabular-classification", "metric": "roc_auc", "target": "churn",
               "test": {"roc_auc": 0.81, "accuracy": 0.7}, "rows": {"train": 8, "test": 2},
               "leaderboard": [{"name": "lightgbm", "score": 0.8, "fit_seconds": 0.1,
                                "weight": 1.0}], "test_source": "split", "threshold": None}
    (folder / "model.json").write_text(json.dumps(info))
    (folder / "metrics.json").write_text(json.dumps(metrics))
    (folder / "weights.txt").write_text("tree\n")
    write_manifest(folder)
    return folder


@pytest.fixture
def published(tmp_path):
    source = _artifact(tmp_path / "run")
    with Registry() as reg:
        reg.publish(source, "churn")
        reg.publish(source, "churn")
        reg.promote("churn", 1)
    return source


def test_list_with_no_models_says_how_to_publish():
    result = runner.invoke(app, ["models", "list"])
    assert result.exit_code == 0 and "no models published yet" in result.output


def test_list_shows_each_model_with_aliases_and_score(published):
    result = runner.invoke(app, ["models", "list"])
    assert result.exit_code == 0
    assert "churn" in result.output and "production->1" in result.output
    assert "0.8100" in result.output


def test_list_json_is_machine_readable(published):
    result = runner.invoke(app, ["models", "list", "--json"])
    (row,) = json.loads(result.stdout)
    assert row["latest"] == 2 and row["aliases"] == {"production": 1}


def test_show_prints_the_card_of_the_default_version(published):
    result = runner.invoke(app, ["models", "show", "churn"])
    assert result.exit_code == 0
    assert result.output.startswith("churn:1")
    assert "roc_auc: 0.8100" in result.output and "threshold: 0.350" in result.output
    assert "versions: 1 (production), 2" in result.output


def test_show_json_of_an_exact_version(published):
    result = runner.invoke(app, ["models", "show", "churn:2", "--json"])
    card = json.loads(result.stdout)
    assert card["version"] == 2 and card["data"]["fingerprint"] == "f" * 64


@pytest.mark.parametrize("ref", ["../x", "/etc/passwd", "%2e%2e%2f", "a/b", "x:abc", "x@"])
def test_bad_references_exit_2_without_traceback(ref):
    result = runner.invoke(app, ["models", "show", ref])
    assert result.exit_code == 2
    assert "error (UsageError)" in result.stderr and "Traceback" not in result.output


def test_unknown_model_exits_4_naming_what_exists(published):
    result = runner.invoke(app, ["models", "show", "sales"])
    assert result.exit_code == 4
    assert "no model named 'sales'" in result.stderr and "churn" in result.stderr


def test_promote_then_rollback_move_the_alias(published):
    result = runner.invoke(app, ["models", "promote", "churn:2", "--alias", "production"])
    assert result.exit_code == 0 and "production -> churn:2" in result.output
    result = runner.invoke(app, ["models", "rollback", "churn"])
    assert result.exit_code == 0 and "production -> churn:1" in result.output


def test_promote_needs_an_exact_version(published):
    result = runner.invoke(app, ["models", "promote", "churn"])
    assert result.exit_code == 2 and "names no version" in result.stderr


def test_promote_of_a_tampered_version_exits_4(published):
    path = Registry().get("churn:2").path
    (path / "weights.txt").write_text("evil\n")
    result = runner.invoke(app, ["models", "promote", "churn:2"])
    assert result.exit_code == 4
    assert "IntegrityError" in result.stderr and "weights.txt" in result.stderr


def test_delete_of_an_aliased_version_is_refused_then_forced(published):
    result = runner.invoke(app, ["models", "delete", "churn:1"])
    assert result.exit_code == 2 and "--force" in result.stderr
    result = runner.invoke(app, ["models", "delete", "churn:1", "--force"])
    assert result.exit_code == 0 and "deleted churn:1" in result.output
    assert [v.version for v in Registry().versions("churn")] == [2]


def test_delete_of_an_unknown_version_exits_4(published):
    result = runner.invoke(app, ["models", "delete", "churn:9"])
    assert result.exit_code == 4 and "no version 9" in result.stderr


# -- train --name and predict NAME@ALIAS -------------------------------------------------
def _fake_run(path: Path):
    metrics = json.loads((path / "metrics.json").read_text())
    return SimpleNamespace(path=path, metrics=metrics, warnings=[])


def test_train_with_name_publishes_the_run(tmp_path, monkeypatch):
    import bizforge.pipeline

    run = _fake_run(_artifact(tmp_path / "run"))
    monkeypatch.setattr(bizforge.pipeline, "train", lambda *a, **k: run)
    (tmp_path / "data.csv").write_text("tenure,churn\n1,yes\n")
    result = runner.invoke(app, ["train", str(tmp_path / "data.csv"), "--target", "churn",
                                 "--name", "churn"])
    assert result.exit_code == 0, result.output
    assert "published churn:1" in result.output
    assert Registry().get("churn").version == 1


def test_train_with_a_bad_name_fails_before_training(tmp_path, monkeypatch):
    import bizforge.pipeline

    def never(*a, **k):
        raise AssertionError("trained despite a bad --name")

    monkeypatch.setattr(bizforge.pipeline, "train", never)
    result = runner.invoke(app, ["train", "data.csv", "--target", "churn", "--name", "../x"])
    assert result.exit_code == 2 and "not a valid model name" in result.stderr


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from bizforge.pipeline import train
    from bizforge.samples import CHURN_TARGET, churn_table

    root = tmp_path_factory.mktemp("cli-models")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BIZFORGE_HOME", str(root / "home"))
        run = train(churn_table(200), CHURN_TARGET, time_limit=5, out=root / "model")
    data = root / "new.csv"
    churn_table(10, seed=4).drop(columns=[CHURN_TARGET]).to_csv(data, index=False)
    return run.path, data


def test_predict_takes_a_registry_name_with_alias(trained, tmp_path):
    model, data = trained
    with Registry() as reg:
        reg.publish(model, "churn")
        reg.promote("churn", 1, alias="staging")
    out = tmp_path / "scored.csv"
    result = runner.invoke(app, ["predict", "churn@staging", str(data), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out)) == 10


def test_predict_with_a_tampered_registry_model_exits_4(trained, tmp_path):
    model, data = trained
    with Registry() as reg:
        mv = reg.publish(model, "churn")
    (mv.path / "recipe.json").write_text("{}")
    result = runner.invoke(app, ["predict", "churn", str(data), "-o", str(tmp_path / "o.csv")])
    assert result.exit_code == 4 and "recipe.json" in result.stderr
    assert not (tmp_path / "o.csv").exists()
