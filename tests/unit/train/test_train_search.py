"""search(): budget, leaderboard, ensemble, problems, progress events, failures."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from bizforge.errors import DataError, ModelError, UsageError
from bizforge.tasks import resolve_task
from bizforge.train import default_candidates, search


def spec_for(y):
    return resolve_task(pd.DataFrame({"target": y}), "target")


def test_time_limit_is_honoured_with_a_slow_model_that_ignores_its_budget(fake_model, make_binary):
    X, y = make_binary(100)
    slow = {"sleep": 0.3, "respect_budget": False}
    candidates = [(fake_model, {**slow, "column": i % 2}) for i in range(6)]
    start = time.perf_counter()
    result = search(X, y, spec_for(y), time_limit=3.0, candidates=candidates)
    wall = time.perf_counter() - start
    assert wall <= 3.3
    assert len(result.leaderboard) >= 2  # at least one candidate and the ensemble row
    assert any("time" in s["reason"] for s in result.skipped)


def test_fit_receives_a_budget_within_the_time_limit(fake_model, make_binary):
    X, y = make_binary(60)
    budgets = []

    class Recording(fake_model):
        def fit(self, X, y, *, valid=None, budget=None, seed=0):
            budgets.append(budget)
            return super().fit(X, y, valid=valid, budget=budget, seed=seed)

    search(X, y, spec_for(y), time_limit=2.0, candidates=[(Recording, {})])
    assert budgets and all(b is not None and 0 < b <= 2.0 for b in budgets)


def test_leaderboard_lists_ensemble_and_candidates_with_scores_and_times(fake_model, binary_data):
    X, y = binary_data
    result = search(
        X,
        y,
        spec_for(y),
        time_limit=10,
        candidates=[(fake_model, {"column": 0}, "by_x1"), (fake_model, {"column": 1}, "by_x2")],
    )
    board = result.leaderboard
    assert board[0]["name"] == "ensemble"
    assert {row["name"] for row in board} == {"ensemble", "by_x1", "by_x2"}
    for row in board:
        assert set(row) >= {"name", "params", "score", "fit_seconds", "predict_seconds", "weight"}
        assert 0.5 < row["score"] <= 1.0
        assert row["fit_seconds"] >= 0 and row["predict_seconds"] >= 0
    assert board[1]["score"] >= board[2]["score"]
    assert sum(row["weight"] for row in board[1:]) == pytest.approx(1.0)
    assert board[1]["params"] in ({"column": 0}, {"column": 1})


def test_ensemble_oof_score_beats_the_best_single_on_complementary_candidates(
    fake_model, binary_data
):
    X, y = binary_data
    result = search(
        X,
        y,
        spec_for(y),
        time_limit=10,
        candidates=[(fake_model, {"column": 0}), (fake_model, {"column": 1})],
    )
    singles = [row["score"] for row in result.leaderboard[1:]]
    assert result.score >= max(singles)
    assert set(result.ensemble) == {"fake", "fake_2"}
    assert sum(result.ensemble.values()) == pytest.approx(1.0)


def test_an_inference_limit_keeps_the_ensemble_to_what_it_can_afford(fake_model, binary_data):
    X, y = binary_data
    cands = [(fake_model, {"column": 0}), (fake_model, {"column": 1})]
    events = []
    capped = search(X, y, spec_for(y), time_limit=10, candidates=cands, infer_limit=1e-12,
                    progress=events.append)
    assert len(capped.ensemble) == 1  # the best single only: no second member fits
    done = [e for e in events if e["event"] == "ensemble_done"]
    assert done and done[0]["predict_us_per_row"] > 0
    free = search(X, y, spec_for(y), time_limit=10, candidates=cands, infer_limit=None)
    assert set(free.ensemble) == {"fake", "fake_2"}


def test_oof_covers_every_row_with_probabilities_for_the_threshold_search(fake_model, binary_data):
    X, y = binary_data
    spec = spec_for(y)
    result = search(X, y, spec, time_limit=10, candidates=[(fake_model, {})])
    assert result.oof.shape == (len(X), 2)
    assert np.allclose(result.oof.sum(axis=1), 1.0)
    assert np.array_equal(result.oof_y, spec.encode(y))


def test_members_are_refitted_on_all_rows_with_the_learnt_iterations(fake_model, binary_data):
    X, y = binary_data
    result = search(X, y, spec_for(y), time_limit=10, candidates=[(fake_model, {"rounds": 40})])
    member = result.members[0]
    assert member.refit and len(member.models) == 1
    assert member.params["rounds"] == 22  # best_iteration_ 20 in every fold, x 1.1
    assert len(member.models[0].feature_names_) == 3


def test_predict_proba_is_the_weighted_average_of_members(fake_model, binary_data):
    X, y = binary_data
    result = search(
        X,
        y,
        spec_for(y),
        time_limit=10,
        candidates=[(fake_model, {"column": 0}), (fake_model, {"column": 1})],
    )
    expected = sum(m.weight * m.predict_proba(X) for m in result.members)
    assert np.allclose(result.predict_proba(X), expected)
    assert result.predict(X).tolist() == np.argmax(expected, axis=1).tolist()


def test_regression_search_scores_rmse_and_averages_predictions(fake_model):
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=80), "b": rng.normal(size=80)})
    y = 3 * X["a"] - 2 * X["b"] + rng.normal(scale=0.1, size=80)
    spec = spec_for(y.to_numpy())
    result = search(
        X,
        y,
        spec,
        time_limit=10,
        candidates=[(fake_model, {"column": 0}), (fake_model, {"column": 1})],
    )
    assert result.metric == "rmse"
    assert result.oof.shape == (80,)
    assert result.score <= min(row["score"] for row in result.leaderboard[1:]) + 1e-12
    pred = result.predict(X)
    assert pred.shape == (80,) and pred.dtype == np.float64


def test_regression_metric_can_be_mae_or_r2(fake_model):
    X = pd.DataFrame({"a": np.arange(40, dtype=float)})
    y = 2.0 * X["a"].to_numpy() + 0.5
    result = search(X, y, spec_for(y), time_limit=10, metric="r2", candidates=[(fake_model, {})])
    assert result.metric == "r2"
    assert result.score == pytest.approx(1.0)


def test_multiclass_search_uses_log_loss_and_three_probability_columns(fake_model):
    rng = np.random.default_rng(0)
    label = rng.integers(0, 3, size=90)
    X = pd.DataFrame({"x": label + rng.normal(scale=0.3, size=90)})
    y = np.array(["low", "mid", "high"])[label]
    spec = spec_for(y)
    result = search(X, y, spec, time_limit=10, candidates=[(fake_model, {})])
    assert result.metric == "log_loss"
    assert result.oof.shape == (90, 3)
    assert result.predict_proba(X).shape == (90, 3)
    accuracy = np.mean(result.predict(X) == spec.encode(y))
    assert accuracy > 0.8


def test_progress_receives_start_end_and_ensemble_events(fake_model, binary_data):
    X, y = binary_data
    events = []
    search(X, y, spec_for(y), time_limit=10, candidates=[(fake_model, {})], progress=events.append)
    kinds = [e["event"] for e in events]
    assert kinds[0] == "search_start" and kinds[-1] == "search_end"
    assert (
        kinds.index("candidate_start") < kinds.index("candidate_end") < kinds.index("ensemble_done")
    )
    end = next(e for e in events if e["event"] == "candidate_end")
    assert end["status"] == "ok" and end["score"] > 0.5 and end["seconds"] >= 0
    elapsed = [e["elapsed"] for e in events]
    assert elapsed == sorted(elapsed) and elapsed[-1] <= 10


def test_a_failing_candidate_is_skipped_and_reported(fake_model, binary_data):
    X, y = binary_data
    result = search(
        X,
        y,
        spec_for(y),
        time_limit=10,
        candidates=[(fake_model, {"fail": True}, "broken"), (fake_model, {})],
    )
    assert [m.name for m in result.members] == ["fake"]
    assert result.skipped[0]["name"] == "broken"
    assert "always fails" in result.skipped[0]["reason"]


def test_all_candidates_failing_raises_model_error_with_reasons(fake_model, binary_data):
    X, y = binary_data
    with pytest.raises(ModelError, match="always fails"):
        search(X, y, spec_for(y), time_limit=10, candidates=[(fake_model, {"fail": True})])


def test_text_columns_are_left_out_for_backends_without_text(fake_model, binary_data):
    X, y = binary_data
    X = X.assign(note=pd.array(["late bill"] * len(X), dtype="str"))
    result = search(X, y, spec_for(y), time_limit=10, candidates=[(fake_model, {})])
    assert "note" not in result.members[0].columns
    assert result.predict_proba(X).shape == (len(X), 2)


def test_large_table_uses_holdout_then_refits_on_all_rows_when_time_allows(fake_model):
    rng = np.random.default_rng(0)
    n = 20_010
    X = pd.DataFrame({"x": rng.normal(size=n)})
    y = np.where(X["x"] + rng.normal(size=n) > 0, 1, 0)
    result = search(X, y, spec_for(y), time_limit=10, candidates=[(fake_model, {})])
    assert result.scheme["kind"] == "holdout"
    assert result.oof.shape == (result.scheme["valid_rows"], 2)
    assert result.oof_index.size == result.oof_y.size == 4002
    member = result.members[0]
    assert member.refit and len(member.models) == 1


def test_failed_refit_falls_back_to_the_fold_models(fake_model, binary_data):
    X, y = binary_data
    events = []
    result = search(
        X,
        y,
        spec_for(y),
        time_limit=10,
        progress=events.append,
        candidates=[(fake_model, {"fail_refit": True})],
    )
    member = result.members[0]
    assert not member.refit and len(member.models) == 5
    refit_end = next(e for e in events if e["event"] == "refit_end")
    assert refit_end["refit"] is False
    assert result.predict_proba(X).shape == (len(X), 2)


def test_data_problem_every_backend_rejects_is_raised_as_data_error(fake_model, binary_data):
    X, y = binary_data
    X = X.assign(when=pd.to_datetime(["2024-01-01"] * len(X)))
    with pytest.raises(DataError, match="'when'") as info:
        search(X, y, spec_for(y), time_limit=10, candidates=[(fake_model, {})])
    assert info.value.column == "when"


def test_length_mismatch_raises_data_error(fake_model, binary_data):
    X, y = binary_data
    with pytest.raises(DataError, match="200 rows but the target has 199"):
        search(X, y[:-1], spec_for(y), time_limit=10, candidates=[(fake_model, {})])


def test_imbalanced_binary_adds_one_class_weighted_lightgbm():
    X = pd.DataFrame({"x": np.arange(100.0)})
    rare = np.array([1] * 5 + [0] * 95)
    even = np.array([1, 0] * 50)
    names_rare = [c.name for c in default_candidates(spec_for(rare), X, rare)]
    names_even = [c.name for c in default_candidates(spec_for(even), X, even)]
    assert "lightgbm_balanced" in names_rare
    assert "lightgbm_balanced" not in names_even
    weighted = [
        c for c in default_candidates(spec_for(rare), X, rare) if "class_weight" in c.params
    ]
    assert len(weighted) == 1


def test_non_positive_time_limit_raises_usage_error(fake_model, binary_data):
    X, y = binary_data
    with pytest.raises(UsageError, match="positive number of seconds"):
        search(X, y, spec_for(y), time_limit=0, candidates=[(fake_model, {})])


def test_text_search_keeps_pieces_of_a_sentence_on_one_side_of_validation():
    rng = np.random.default_rng(0)
    good, bad = ["fine", "warm", "sharp", "lovely"], ["dull", "flat", "tired", "cold"]
    sentences, labels = [], []
    for i in range(300):
        words = rng.choice(good if i % 2 else bad, 3)
        sentences.append(f"film {i} is {words[0]} and {words[1]} , {words[2]} too")
        labels.append(i % 2)
    texts, y = [], []
    for s, label in zip(sentences, labels):
        parts = s.split()
        texts += [s, " ".join(parts[:4]), " ".join(parts[1:6])]
        y += [label] * 3
    X = pd.DataFrame({"review": pd.array(texts, dtype="str")})
    y = np.array(y)
    spec = resolve_task(pd.DataFrame({"target": y}), "target", task="text-classification")
    result = search(X, y, spec, time_limit=20, candidates=[("tfidf_linear", {})])
    assert result.scheme["kind"] == "holdout"
    assert result.scheme["grouped"]["groups"] == 300
    valid = set(result.oof_index.tolist())
    sentence_of = np.arange(len(texts)) // 3
    assert {sentence_of[i] for i in valid}.isdisjoint(
        sentence_of[i] for i in range(len(texts)) if i not in valid)


def test_holdout_text_head_is_refitted_on_all_rows_at_the_chosen_c():
    rng = np.random.default_rng(1)
    good, bad = ["fine", "warm", "sharp", "lovely"], ["dull", "flat", "tired", "cold"]
    texts = [f"it was {' and '.join(rng.choice(good if i % 2 else bad, 2))}" for i in range(400)]
    X = pd.DataFrame({"review": pd.array(texts, dtype="str")})
    y = np.arange(400) % 2
    spec = resolve_task(pd.DataFrame({"target": y}), "target", task="text-classification")
    result = search(X, y, spec, time_limit=30, candidates=[("tfidf_linear", {})])
    assert result.scheme["kind"] == "holdout"
    (member,) = result.members
    (model,) = member.models
    assert member.refit and len(model.rows_) == 400  # training + validation rows
    assert member.params["C"] == model.head_info_["C"]  # the C the holdout chose, not re-tuned
    assert model.head_info_["tried"] == {}


def test_texts_cut_in_validation_rows_raise_no_notice_of_their_own():
    import warnings

    from bizforge.models.text_common import TextWarning

    rng = np.random.default_rng(0)
    words = ["good", "bad", "great", "awful", "fine", "poor"]
    texts = [" ".join(rng.choice(words, 30)) for _ in range(200)]  # all longer than 50
    y = np.array([int(t.count("good") > t.count("bad")) for t in texts])
    X = pd.DataFrame({"review": pd.array(texts, dtype="str")})
    spec = resolve_task(pd.DataFrame({"target": y}), "target", task="text-classification")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = search(X, y, spec, time_limit=20,
                        candidates=[("tfidf_linear", {"max_chars": 50})])
    n_valid = len(result.oof_index)
    counts = {str(w.message).split(" of ")[0] for w in caught if w.category is TextWarning}
    # the fold's training rows, then all rows for the refit; never the validation rows alone
    assert counts == {str(200 - n_valid), "200"}
    (model,) = result.members[0].models
    assert [w["count"] for w in model.warnings_] == [200]


def test_small_tables_fit_on_one_thread_but_text_backends_choose_their_own():
    from bizforge.train.cv import model_params

    spec = resolve_task(pd.DataFrame({"y": [0, 1] * 10}), "y")
    assert model_params({}, spec, cells=2_000)["n_threads"] == 1
    # A text cell is a whole text: the fine-tune picks the free cores itself.
    assert "n_threads" not in model_params({}, spec, cells=2_000, reads_text=True)
    assert model_params({"n_threads": 2}, spec, cells=2_000)["n_threads"] == 2


def test_default_portfolio_goes_on_exploring_while_time_remains(binary_data, monkeypatch):
    import importlib

    from bizforge.train.portfolio import Candidate

    search_module = importlib.import_module("bizforge.train.search")  # the package shadows it

    # A one-candidate portfolio, so that even a busy machine leaves time to explore.
    monkeypatch.setattr(search_module, "default_candidates",
                        lambda spec, X, y: [Candidate("linear", "linear", {})])
    X, y = binary_data
    result = search(X, y, spec_for(y), time_limit=8)
    explored = result.leaderboard[0]["params"]["explored"]
    assert explored["tried"] >= 1
    assert any(row["name"].startswith(("gbm_r", "rf_r", "mlp_r")) for row in result.leaderboard)


def test_a_callers_own_candidates_are_not_extended(fake_model, binary_data):
    X, y = binary_data
    result = search(X, y, spec_for(y), time_limit=5, candidates=[(fake_model, {})])
    assert "explored" not in result.leaderboard[0]["params"]
    assert [row["name"] for row in result.leaderboard] == ["ensemble", "fake"]


def test_a_candidate_whose_libraries_took_the_time_left_is_skipped_not_started(
        fake_model, binary_data, monkeypatch):
    from bizforge.train import cv

    class Heavy(fake_model):
        name = "heavy"

    fits = []

    class Recording(Heavy):
        def fit(self, X, y, *, valid=None, budget=None, seed=0):
            fits.append(budget)
            return super().fit(X, y, valid=valid, budget=budget, seed=seed)

    # Loading the backend's library was planned as quick but takes all the time left (it
    # sleeps past the whole budget, so how fast the first candidate was does not matter).
    monkeypatch.setitem(cv._HEAVY_IMPORTS, "heavy", "a_slow_library")
    monkeypatch.setattr(cv, "IMPORT_SECONDS", 0.01)
    monkeypatch.setattr(cv.importlib, "import_module", lambda name: time.sleep(2.2))
    X, y = binary_data
    result = search(X, y, spec_for(y), time_limit=2.0,
                    candidates=[(fake_model, {}), (Recording, {"column": 1})])
    assert fits == []
    assert result.skipped == [{"name": "heavy", "model": "heavy",
                               "reason": "skipped: not enough time left after loading its "
                                         "libraries"}]
