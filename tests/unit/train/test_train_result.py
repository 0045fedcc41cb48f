"""SearchResult save/load (no pickle) and searches with the real backends."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest

from bizforge.errors import ModelError
from bizforge.tasks import resolve_task
from bizforge.train import SearchResult, search


def spec_for(y):
    return resolve_task(pd.DataFrame({"target": y}), "target")


def test_save_load_round_trip_gives_equal_predictions(fake_model, binary_data, tmp_path):
    X, y = binary_data
    result = search(
        X,
        y,
        spec_for(y),
        time_limit=10,
        candidates=[(fake_model, {"column": 0}), (fake_model, {"column": 1})],
    )
    result.save(tmp_path / "ens")
    loaded = SearchResult.load(tmp_path / "ens", classes={"fake": fake_model})
    assert np.array_equal(loaded.predict_proba(X), result.predict_proba(X))
    assert loaded.ensemble == result.ensemble
    assert loaded.leaderboard == result.leaderboard
    assert loaded.spec == result.spec
    assert loaded.oof is None


def test_saved_folder_is_json_and_member_folders_only(fake_model, binary_data, tmp_path):
    X, y = binary_data
    result = search(X, y, spec_for(y), time_limit=10, candidates=[(fake_model, {})])
    result.save(tmp_path)
    data = json.loads((tmp_path / "ensemble.json").read_text(encoding="utf-8"))
    assert data["members"][0]["path"] == "members/0_fake"
    assert data["members"][0]["weight"] == 1.0
    assert (tmp_path / "members" / "0_fake" / "model.json").is_file()
    suffixes = {p.suffix for p in tmp_path.rglob("*") if p.is_file()}
    assert suffixes <= {".json", ".txt", ".safetensors"}


def test_fold_models_are_saved_when_a_member_was_not_refitted(fake_model, binary_data, tmp_path):
    X, y = binary_data

    class NoIterationParam(fake_model):
        iteration_param = None  # reports best_iteration_ but cannot be told how long to train

    result = search(X, y, spec_for(y), time_limit=10, candidates=[(NoIterationParam, {})])
    assert not result.members[0].refit and len(result.members[0].models) == 5
    result.save(tmp_path)
    loaded = SearchResult.load(tmp_path, classes={"fake": NoIterationParam})
    assert np.array_equal(loaded.predict_proba(X), result.predict_proba(X))


def test_loading_a_folder_without_ensemble_raises_model_error(tmp_path):
    with pytest.raises(ModelError, match="no ensemble"):
        SearchResult.load(tmp_path)


def test_real_backends_search_binary_and_round_trip(tmp_path, make_binary):
    X, y = make_binary(160, seed=4)
    spec = spec_for(y)
    result = search(
        X,
        y,
        spec,
        time_limit=20,
        seed=0,
        candidates=[
            ("linear", {"n_threads": 1}),
            ("lightgbm", {"preset": "shallow", "n_threads": 1}),
        ],
    )
    assert {row["name"] for row in result.leaderboard} == {"ensemble", "linear", "lightgbm"}
    assert result.score > 0.8
    result.save(tmp_path)
    loaded = SearchResult.load(tmp_path)
    assert np.allclose(loaded.predict_proba(X), result.predict_proba(X))


def test_real_lightgbm_member_is_refitted_with_the_rounds_learnt_in_cv(make_binary):
    X, y = make_binary(160, seed=5)
    result = search(
        X,
        y,
        spec_for(y),
        time_limit=20,
        candidates=[("lightgbm", {"preset": "shallow", "n_threads": 1})],
    )
    (member,) = result.members
    assert member.refit and len(member.models) == 1
    assert member.params["n_estimators"] == member.models[0].best_iteration_
    assert member.params["preset"] == "shallow"


def test_real_backends_regression_search():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=120), "b": pd.Categorical(rng.choice(["u", "v"], 120))})
    y = 2.0 * X["a"].to_numpy() + (X["b"] == "u").to_numpy() * 1.5 + rng.normal(scale=0.1, size=120)
    result = search(
        X,
        y,
        spec_for(y),
        time_limit=20,
        candidates=[
            ("linear", {"n_threads": 1}),
            ("lightgbm", {"preset": "shallow", "n_threads": 1}),
        ],
    )
    assert result.metric == "rmse"
    assert result.score < 0.5
    assert result.predict(X).shape == (120,)


def test_real_backends_multiclass_search():
    rng = np.random.default_rng(1)
    label = rng.integers(0, 3, size=150)
    X = pd.DataFrame({"x": label + rng.normal(scale=0.4, size=150), "noise": rng.normal(size=150)})
    y = np.array(["bronze", "silver", "gold"])[label]
    spec = spec_for(y)
    result = search(
        X,
        y,
        spec,
        time_limit=20,
        candidates=[
            ("linear", {"n_threads": 1}),
            ("lightgbm", {"preset": "shallow", "n_threads": 1}),
        ],
    )
    assert result.metric == "log_loss"
    assert result.predict_proba(X).shape == (150, 3)
    assert np.mean(result.predict(X) == spec.encode(y)) > 0.8


def test_default_portfolio_honours_a_three_second_limit(make_binary):
    X, y = make_binary(200, seed=2)
    start = time.perf_counter()
    result = search(X, y, spec_for(y), time_limit=3.0)
    assert time.perf_counter() - start <= 3.3
    assert result.score > 0.8
    assert len(result.leaderboard) >= 3
