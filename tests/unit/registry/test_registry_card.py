"""The model card: built from the artifact's own JSON files, summaries only."""

from __future__ import annotations

import json

import pytest

from bizforge.errors import IntegrityError
from bizforge.registry.card import build_card, headline_score, json_safe


def test_card_summarises_task_metrics_and_files(artifact):
    card = build_card(artifact)
    assert card["task"] == "tabular-classification" and card["problem"] == "binary"
    assert card["target"] == "churn" and card["classes"] == ["no", "yes"]
    assert card["leaderboard"] == [{"name": "lightgbm", "score": 0.7, "weight": 1.0}]
    assert card["files"] == 3 and card["bytes"] > 0
    assert card["data"]["input_columns"][1] == {"name": "plan", "role": "categorical",
                                                "missing": 1, "unique": 3}


def test_a_profile_json_adds_finding_counts(artifact):
    profile = {"rows": 200, "findings": [{"kind": "missing"}, {"kind": "missing"},
                                         {"kind": "pii"}]}
    (artifact / "profile.json").write_text(json.dumps(profile))
    card = build_card(artifact)
    assert card["data"]["profile"] == {"rows": 200, "findings": {"missing": 2, "pii": 1}}


def test_non_finite_numbers_become_null(artifact):
    metrics = json.loads((artifact / "metrics.json").read_text())
    metrics["test"]["roc_auc"] = float("nan")
    (artifact / "metrics.json").write_text(json.dumps(metrics))
    card = build_card(artifact)
    assert card["metrics"]["roc_auc"] is None and headline_score(card) is None
    assert json_safe({"a": [float("inf"), 1.0]}) == {"a": [None, 1.0]}


def test_folder_without_model_json_is_not_a_model(tmp_path):
    with pytest.raises(IntegrityError, match="model.json"):
        build_card(tmp_path)


def test_headline_score_is_the_main_metric_on_held_out_rows(artifact):
    assert headline_score(build_card(artifact)) == pytest.approx(0.8)
