"""The recommend family end to end on tiny data: train, save/load, requests, batch, report."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from recommend_data import item_table, two_groups

from bizforge.errors import DataError, UsageError
from bizforge.families import DataSource, family_for_task
from bizforge.families.recommend import RecommendFamily, RecommendOptions, RecommendPredictor
from bizforge.families.recommend.api import RecommendRequest, RecommendResponse, SimilarResponse

OPTIONS = {"user_column": "user_id", "item_column": "item_id", "rating_column": "rating",
           "time_column": "ts"}


def _train(frame, test=None, **extra):
    options = RecommendOptions(**OPTIONS, **extra)
    return RecommendFamily().train(DataSource(frame), target=None, task="recommend",
                                   options=options, test=test, time_limit=30, seed=0)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("items")
    item_table().to_csv(folder / "items.csv", index=False)
    return _train(two_groups(), items_file=str(folder / "items.csv"), relevant_min=4)


@pytest.fixture(scope="module")
def plain():
    return _train(two_groups())


def test_the_family_answers_task_recommend():
    assert family_for_task("recommend") is RecommendFamily


def test_an_interactions_table_is_recognised():
    assert RecommendFamily.recognise(DataSource(two_groups()), None) > 0.5


def test_a_table_without_user_and_item_columns_is_not_recognised():
    frame = pd.DataFrame({"age": [1, 2], "churn": [0, 1]})
    assert RecommendFamily.recognise(DataSource(frame), "churn") == 0.0


def test_metrics_hold_the_test_figures_at_10(trained):
    test = trained.metrics["test"]
    assert {"recall_10", "ndcg_10", "map_10", "hit_10"} <= set(test)
    assert test["ndcg_10"] > trained.metrics["baseline"]["ndcg_10"]


def test_relevant_min_adds_the_thresholded_figures(trained):
    assert "ndcg_10_ge4" in trained.metrics["test"]


def test_metrics_are_plain_json(trained):
    assert json.loads(json.dumps(trained.metrics, allow_nan=False)) == trained.metrics


def test_validating_by_time_chooses_a_recency_weighting_and_says_so(plain):
    assert plain.metrics["data"]["validation_by_time"]
    assert any(n.startswith("recency weighting") for n in plain.metrics["notes"])
    assert "half_life" in plain.predictor.info


def test_without_times_there_is_no_recency_weighting():
    trained = RecommendFamily().train(
        DataSource(two_groups().drop(columns=["ts"])), target=None, task="recommend",
        options=RecommendOptions(user_column="user_id", item_column="item_id"), test=None,
        time_limit=10, seed=0)
    assert not any(n.startswith("recency") for n in trained.metrics["notes"])
    assert trained.predictor.info["half_life"] is None


def test_a_test_file_is_used_as_given():
    frame = two_groups()
    later = frame.groupby("user_id").tail(2)
    result = _train(frame.drop(later.index), test=DataSource(later))
    assert result.metrics["data"]["test_pairs"] == len(later)
    assert result.metrics["data"]["validation_by_time"] is True


def _history(predictor, user):
    row = predictor.index.user_pos[user]
    return {predictor.index.items[i] for i in predictor.history[row].indices}


def test_a_known_user_gets_items_of_their_group_and_not_their_own(trained):
    answer = trained.predictor.recommend("u0", k=3)
    own = _history(trained.predictor, "u0")
    assert answer["path"] == "history"
    assert all(r["item"] not in own for r in answer["items"])
    assert all(int(r["item"][1:]) < 10 or r["item"] == "i20" for r in answer["items"])


def test_reasons_name_an_item_from_the_users_history(trained):
    own = _history(trained.predictor, "u0")
    item = trained.predictor.recommend("u0", k=1)["items"][0]
    assert item["because"] in own or item["via"] == "attributes"
    assert item["reason"].startswith(("because you liked", "similar to"))


def test_an_unknown_user_with_items_is_folded_in(trained):
    answer = trained.predictor.recommend("stranger", items=["i11", "i12"], k=3)
    assert answer["path"] == "fold-in"
    assert all(10 <= int(r["item"][1:]) < 20 for r in answer["items"])


def test_an_unknown_user_without_items_gets_popular_items_and_a_note(trained):
    answer = trained.predictor.recommend("stranger", k=3)
    assert answer["path"] == "popular" and len(answer["items"]) == 3
    assert any("popular" in note for note in answer["notes"])


def test_k_larger_than_the_catalogue_returns_what_there_is_with_a_note(trained):
    answer = trained.predictor.recommend("u0", k=500)
    assert 0 < len(answer["items"]) < 21
    assert any("only" in note for note in answer["notes"])


def test_excluded_items_are_never_offered(trained):
    first = trained.predictor.recommend("u0", k=1)["items"][0]["item"]
    again = trained.predictor.recommend("u0", k=3, exclude=[first])
    assert first not in [r["item"] for r in again["items"]]


def test_include_limits_the_offer(trained):
    answer = trained.predictor.recommend("u0", k=5, include=["i15", "i16"], exclude_seen=False)
    assert {r["item"] for r in answer["items"]} <= {"i15", "i16"}


def test_categories_limit_the_offer(trained):
    answer = trained.predictor.recommend("u0", k=5, categories=["B"])
    assert answer["items"] and all(r["categories"] == ["B"] for r in answer["items"])


def test_categories_without_item_attributes_are_refused(plain):
    with pytest.raises(UsageError, match="categories"):
        plain.predictor.recommend("u0", categories=["B"])


def test_diversity_spreads_the_list_over_categories(trained):
    answer = trained.predictor.recommend("u0", k=2, diversity=1)
    assert sorted(r["categories"][0] for r in answer["items"]) == ["A", "B"]


def test_a_new_item_is_reached_through_its_attributes(trained):
    answer = trained.predictor.recommend("u0", k=20)
    new = [r for r in answer["items"] if r["item"] == "i20"]
    assert new and new[0]["via"] == "attributes"


def test_similar_for_a_new_item_uses_attributes(trained):
    answer = trained.predictor.similar("i20", k=3)
    assert answer["path"] == "attributes"
    assert all(int(r["item"][1:]) < 10 for r in answer["items"])


def test_similar_for_a_known_item_is_collaborative(trained):
    answer = trained.predictor.similar("i3", k=3)
    assert answer["path"] == "collaborative"
    assert all(int(r["item"][1:]) < 10 or r["item"] == "i20" for r in answer["items"])


def test_similar_for_an_unknown_item_names_the_field(trained):
    with pytest.raises(DataError, match="i999") as err:
        trained.predictor.similar("i999")
    assert err.value.to_dict()["loc"] == ["body", "item"]


def test_save_and_load_give_the_same_recommendations(trained, tmp_path):
    trained.predictor.save(tmp_path)
    again = RecommendPredictor.load(tmp_path)
    assert again.recommend("u5", k=5) == trained.predictor.recommend("u5", k=5)
    assert again.recommend(None, items=["i1"], k=5) == trained.predictor.recommend(
        None, items=["i1"], k=5)


def test_a_plain_request_answers_from_the_shortlist_as_full_scoring_would(trained, monkeypatch):
    predictor = trained.predictor
    assert predictor.shortlist is not None
    exclude = [] if predictor.reranker is not None else ["i1"]
    quick = [predictor.recommend(f"u{u}", k=4, exclude=exclude) for u in range(40)]
    monkeypatch.setattr(predictor, "shortlist", None)
    full = [predictor.recommend(f"u{u}", k=4, exclude=exclude) for u in range(40)]
    assert [[r["item"] for r in a["items"]] for a in quick] == [
        [r["item"] for r in a["items"]] for a in full]
    def described(answers):  # everything but the score (float32 kept, float64 scored)
        return [[{k: v for k, v in r.items() if k != "score"} for r in a["items"]]
                for a in answers]

    assert described(quick) == described(full)


def test_remembered_answers_only_what_is_a_lookup(trained):
    predictor = trained.predictor
    assert predictor.remembered("u3", k=4) == predictor.recommend("u3", k=4)
    assert predictor.remembered("nobody", k=4) is None
    assert predictor.remembered(None, items=["i1"], k=4) is None
    assert predictor.remembered("u3", k=4, categories=["A"]) is None
    assert predictor.remembered("u3", k=4, diversity=2) is None
    assert predictor.remembered("u3", k=4, exclude_seen=False) is None


def test_the_shortlist_survives_save_and_load(trained, tmp_path):
    trained.predictor.save(tmp_path)
    again = RecommendPredictor.load(tmp_path)
    assert (again.shortlist[0] == trained.predictor.shortlist[0]).all()


def test_shortlists_left_out_in_training_are_computed_when_loaded(trained, tmp_path):
    p = trained.predictor
    late = RecommendPredictor(info=p.info, index=p.index, history=p.history, members=p.members,
                              specs=p.specs, reasons=p.reasons, attributes=p.attributes,
                              content=p.content, reranker=p.reranker, item_side=p.item_side,
                              user_side=p.user_side, shortlist=False)
    assert late.shortlist is None
    late.save(tmp_path)
    again = RecommendPredictor.load(tmp_path)
    assert (again.shortlist[0] == p.shortlist[0]).all()


def test_saved_files_are_json_safetensors_and_lightgbm_text(trained, tmp_path):
    trained.predictor.save(tmp_path)
    names = {p.name for p in tmp_path.iterdir()}
    assert {"arrays.safetensors", "model.json"} <= names <= {
        "arrays.safetensors", "model.json", "ranker.txt"}


def test_actions_are_recommend_and_similar(trained):
    assert [a.name for a in trained.predictor.actions()] == ["recommend", "similar"]


def test_the_recommend_action_answers_in_its_response_schema(trained):
    action = trained.predictor.actions()[0]
    body = action.handle(action.request(user="u1", k=2))
    assert RecommendResponse.model_validate(body).path == "history"


def test_the_similar_action_answers_in_its_response_schema(trained):
    action = trained.predictor.actions()[1]
    assert SimilarResponse.model_validate(action.handle(action.request(item="i2"))).items


@pytest.mark.parametrize("bad", [{"user": 1.5}, {"user": True}, {"items": [[1]]},
                                 {"k": 0}, {"colour": "red"}])
def test_requests_of_the_wrong_type_are_refused_naming_the_field(bad):
    with pytest.raises(ValidationError) as err:
        RecommendRequest(**bad)
    assert err.value.errors()[0]["loc"][0] == next(iter(bad))


def test_batch_scoring_writes_k_rows_per_user(trained):
    out = trained.predictor.score(pd.DataFrame({"user_id": ["u0", "u30"]}))
    assert out.groupby("user_id").size().tolist() == [10, 10]
    assert list(out.columns) == ["user_id", "rank", "item", "score", "reason", "path"]


def test_batch_scoring_folds_in_unknown_users_from_their_rows(trained):
    frame = pd.DataFrame({"user_id": ["new", "new"], "item_id": ["i11", "i12"]})
    out = trained.predictor.score(frame)
    assert set(out["path"]) == {"fold-in"}


def test_batch_scoring_without_the_user_column_is_refused(trained):
    with pytest.raises(DataError, match="user_id"):
        trained.predictor.score(pd.DataFrame({"customer": ["u0"]}))


def test_the_report_shows_examples_with_reasons(trained, tmp_path):
    html = trained.report.save(tmp_path / "report.html").read_text(encoding="utf-8")
    assert "because you liked" in html and "Heavy and light users" in html


def test_the_report_is_available_in_chinese(tmp_path):
    from bizforge.families.recommend.report import RecommendReport

    html = RecommendReport(metrics={"k": 10, "test": {"recall_10": 0.5}}, lang="zh").to_html()
    assert "测试集表现" in html


def test_the_chinese_report_has_chinese_headers_reasons_and_segments(trained):
    from bizforge.families.recommend.report import RecommendReport

    english = trained.report
    html = RecommendReport(metrics=english.metrics, examples=english.examples,
                           findings=english.findings, lang="zh", name="m").to_html()
    for text in ("指标", "含义", "候选模型", "轻度用户", "因为你喜欢", "级别"):
        assert text in html
    for text in (">meaning<", ">candidate<", "light (", "because you liked", ">severity<"):
        assert text not in html


def test_a_kept_reranker_survives_save_and_load(monkeypatch, tmp_path):
    from bizforge.families.recommend import rerank

    monkeypatch.setattr(rerank, "MIN_GAIN", -1.0)  # keep it whatever it scores
    predictor = _train(two_groups()).predictor
    assert predictor.reranker is not None
    predictor.save(tmp_path)
    again = RecommendPredictor.load(tmp_path)
    assert again.recommend("u3", k=5) == predictor.recommend("u3", k=5)


def test_a_catalogue_smaller_than_k_trains_and_reports():
    frame = two_groups()
    small = frame[frame["item_id"].isin([f"i{i}" for i in range(6)] + ["i10", "i11"])]
    result = _train(small)
    assert 0 <= result.metrics["test"]["coverage_10"] <= 1
    assert result.metrics["test"]["ndcg_10"] > 0


def test_side_file_attributes_become_reranker_features(monkeypatch, tmp_path):
    from bizforge.families.recommend import rerank

    monkeypatch.setattr(rerank, "MIN_GAIN", -1.0)
    items = item_table(extra_new_item=False).assign(price=[float(i) for i in range(20)])
    items.to_csv(tmp_path / "items.csv", index=False)
    users = pd.DataFrame({"user_id": [f"u{u}" for u in range(40)], "age": range(20, 60)})
    users.to_csv(tmp_path / "users.csv", index=False)
    predictor = _train(two_groups(), items_file=str(tmp_path / "items.csv"),
                       users_file=str(tmp_path / "users.csv")).predictor
    assert {"item.price", "user.age"} <= set(predictor.reranker.names)
    predictor.save(tmp_path / "m")
    again = RecommendPredictor.load(tmp_path / "m")
    assert again.recommend("stranger", items=["i1"], k=4) == predictor.recommend(
        "stranger", items=["i1"], k=4)


def test_a_missing_side_file_is_refused_naming_the_option(tmp_path):
    with pytest.raises(DataError, match="--users-file"):
        _train(two_groups(), users_file=str(tmp_path / "nope.csv"))


def test_ease_in_its_dual_form_survives_save_and_load(monkeypatch, tmp_path):
    import numpy as np

    from bizforge.families.recommend import search

    # 12 users, 60 items: fewer users than items, so EASE is solved users x users
    rng = np.random.default_rng(0)
    frame = pd.DataFrame([{"user_id": f"u{u}", "item_id": f"i{(u % 2) * 30 + i}",
                           "rating": int(rng.integers(1, 40))}
                          for u in range(12) for i in rng.choice(30, 12, replace=False)])
    monkeypatch.setattr(search, "_grid_for",
                        lambda train, limit, sequence=False: [("ease", {"l2": 10.0,
                                                                        "binary": True})])
    options = RecommendOptions(user_column="user_id", item_column="item_id",
                               rating_column="rating")
    trained = RecommendFamily().train(DataSource(frame), target=None, task="recommend",
                                      options=options, test=None, time_limit=30, seed=0)
    member = trained.predictor.members[0].scorer
    assert member.name == "ease" and "K" in member.arrays_
    trained.predictor.save(tmp_path)
    again = RecommendPredictor.load(tmp_path)
    assert again.recommend("u3", k=5) == trained.predictor.recommend("u3", k=5)
    asked = again.recommend(None, items=["i31", "i32"], k=5)
    assert asked == trained.predictor.recommend(None, items=["i31", "i32"], k=5)
    assert all(int(r["item"][1:]) >= 30 for r in asked["items"])  # the user's own group


def test_with_times_the_sequence_scorer_is_chosen_where_order_matters_and_saved(tmp_path):
    # every user walks one cycle of items (i, i+1, ...): what comes next is in the order only
    rng = np.random.default_rng(0)
    frame = pd.DataFrame([{"user_id": f"u{u}", "item_id": f"i{(start + n) % 30}",
                           "rating": 5, "ts": 1_700_000_000 + 60 * n}
                          for u, start in enumerate(rng.integers(0, 30, 80)) for n in range(10)])
    trained = _train(frame)
    board = {row["name"].split("(")[0] for row in trained.metrics["leaderboard"]}
    assert "sequence" in board
    assert trained.metrics["blend"][0]["scorer"] == "sequence"
    trained.predictor.save(tmp_path)
    again = RecommendPredictor.load(tmp_path)
    assert again.recommend("u3", k=5) == trained.predictor.recommend("u3", k=5)
    asked = again.recommend(None, items=["i7"], k=1)
    assert asked["path"] == "fold-in" and asked["items"][0]["item"] == "i8"
