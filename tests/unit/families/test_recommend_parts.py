"""Metrics, holdout, rules and scorers of the recommend family, on tiny data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from recommend_data import two_groups

from bizforge.errors import UsageError
from bizforge.families.recommend.data import prepare
from bizforge.families.recommend.metrics import beyond_accuracy, ranking_metrics, top_k
from bizforge.families.recommend.options import RecommendOptions
from bizforge.families.recommend.rules import allowed_mask, pick
from bizforge.families.recommend.scorers import SCORERS, make_scorer
from bizforge.families.recommend.search import fit_scorer
from bizforge.families.recommend.sequence import order_matrix
from bizforge.families.recommend.split import Index, holdout, later_than_training


@pytest.fixture(scope="module")
def interactions() -> pd.DataFrame:
    return two_groups()


def test_ndcg_of_a_single_hit_at_rank_two():
    m = ranking_metrics(np.array([[5, 7, 9]]), [{7}], k=3)
    assert m["ndcg"] == pytest.approx(1 / np.log2(3))


def test_recall_is_divided_by_at_most_k():
    m = ranking_metrics(np.array([[0, 1]]), [set(range(10))], k=2)
    assert m["recall"] == 1.0


def test_users_without_held_out_items_are_not_counted():
    assert ranking_metrics(np.array([[0], [1]]), [{0}, set()], k=1)["users"] == 1


def test_top_k_never_returns_an_excluded_item():
    scores = np.array([[3.0, 2.0, 1.0]])
    assert top_k(scores, sp.csr_matrix([[1, 0, 0]]), 2).tolist() == [[1, 2]]


def test_coverage_and_popularity_bias():
    out = beyond_accuracy(np.array([[0], [0]]), np.array([3.0, 1.0]))
    assert out == {"coverage": 0.5, "popularity_bias": 1.5}


def test_holdout_by_time_takes_the_latest(interactions):
    pairs = prepare(interactions, RecommendOptions()).pairs
    _, held = holdout(pairs, 2, by_time=True)
    latest = pairs.sort_values("time").groupby("user").tail(2)
    assert set(zip(held.user, held.item)) == set(zip(latest.user, latest.item))


def test_holdout_keeps_at_least_half_of_each_history(interactions):
    pairs = prepare(interactions, RecommendOptions()).pairs
    train, _ = holdout(pairs, 100, by_time=False)
    assert train.groupby("user").size().min() >= 3


def test_a_later_test_set_is_recognised(interactions):
    pairs = prepare(interactions, RecommendOptions()).pairs
    train, held = holdout(pairs, 2, by_time=True)
    assert later_than_training(train, held)
    assert not later_than_training(held, train)


def test_rules_exclude_and_include_items():
    mask = allowed_mask(4, seen=np.array([0]), exclude_seen=True, exclude=[1], include=[0, 1, 2])
    assert mask.tolist() == [False, False, True, False]


def test_diversity_caps_items_of_one_main_category():
    chosen = pick(np.array([4.0, 3.0, 2.0, 1.0]), np.ones(4, bool), 3, 1,
                  [["a", "b"], ["a"], ["b"], ["c"]])
    assert chosen == [0, 2, 3]


def _matrix(interactions):
    pairs = prepare(interactions, RecommendOptions()).pairs
    index = Index.of(pairs)
    return index, index.matrix(pairs)


@pytest.mark.parametrize("name", sorted(set(SCORERS) - {"popularity"}))
def test_each_scorer_prefers_the_users_own_group(interactions, name):
    index, X = _matrix(interactions)
    params = {"iterations": 200, "learning_rate": 0.1} if name == "bpr" else {}
    order = order_matrix(index, prepare(interactions, RecommendOptions()).pairs)
    scorer = fit_scorer(name, {"factors": 8, **params}, X, order)
    user = index.user_pos["u0"]
    scores = scorer.score(np.array([user]), X[[user]])[0]
    group_a = [index.item_pos[f"i{i}"] for i in range(10)]
    group_b = [index.item_pos[f"i{i}"] for i in range(10, 20)]
    assert scores[group_a].mean() > scores[group_b].mean()


@pytest.mark.parametrize("name", ["als", "bpr", "userknn", "rp3beta", "ease", "userease"])
def test_an_unknown_user_is_scored_from_the_items_sent(interactions, name):
    index, X = _matrix(interactions)
    scorer = make_scorer(name, factors=8, iterations=50).fit(X)
    history = sp.csr_matrix(([1.0, 1.0], ([0, 0], [index.item_pos["i11"], index.item_pos["i12"]])),
                            shape=(1, X.shape[1]))
    scores = scorer.score(np.array([-1]), history)[0]
    group_b = [index.item_pos[f"i{i}"] for i in range(10, 20)]
    assert np.argmax(scores) in group_b


def test_scorer_arrays_round_trip_to_the_same_scores(interactions):
    _, X = _matrix(interactions)
    scorer = make_scorer("ease", l2=10.0).fit(X)
    again = SCORERS["ease"].from_arrays(scorer.params, dict(scorer.arrays_))
    rows = np.arange(3)
    assert np.array_equal(scorer.score(rows, X[rows]), again.score(rows, X[rows]))


def test_user_knn_scores_the_same_in_chunks(interactions, monkeypatch):
    from bizforge.families.recommend.scorers import UserKNN

    _, X = _matrix(interactions)
    scorer = make_scorer("userknn", neighbours=5).fit(X)
    rows = np.arange(X.shape[0])
    whole = scorer.score(rows, X)
    monkeypatch.setattr(UserKNN, "CELLS", 3 * X.shape[0])  # three users at a time
    assert np.allclose(scorer.score(rows, X), whole)


def test_user_knn_is_not_its_own_neighbour():
    X = sp.csr_matrix(np.array([[1, 1, 0, 0], [1, 1, 1, 0], [0, 0, 0, 1]], dtype=np.float32))
    scores = make_scorer("userknn", neighbours=1, shrink=0.0).fit(X).score(np.array([0]), X[[0]])
    assert scores[0, 2] > 0  # from user 1, its nearest other user


def test_rp3beta_keeps_at_most_its_neighbours_per_item(interactions):
    _, X = _matrix(interactions)
    scorer = make_scorer("rp3beta", neighbours=3).fit(X)
    assert np.diff(scorer._sim().indptr).max() <= 3
    assert scorer._sim().diagonal().sum() == 0  # an item is no neighbour of itself


def test_ease_without_dropout_is_plain_ease(interactions):
    _, X = _matrix(interactions)
    plain = make_scorer("ease", l2=10.0).fit(X).arrays_["B"]
    assert np.allclose(make_scorer("ease", l2=10.0, dropout=0.0).fit(X).arrays_["B"], plain)
    assert not np.allclose(make_scorer("ease", l2=10.0, dropout=0.3).fit(X).arrays_["B"], plain)


def test_ease_is_tried_only_where_its_fit_fits_the_time():
    from bizforge.families.recommend.search import default_grid

    assert "ease" in {name for name, _ in default_grid(1500, time_limit=30)}
    assert "ease" not in {name for name, _ in default_grid(5000, time_limit=30)}
    assert "ease" in {name for name, _ in default_grid(5000, time_limit=3000)}


def test_recency_weighting_halves_per_half_life_of_later_interactions():
    from bizforge.families.recommend.split import recency_weighted

    pairs = pd.DataFrame({"user": ["a", "a", "b"], "item": ["x", "y", "x"], "weight": 1.0,
                          "time": [5.0, 1.0, 3.0]})
    assert recency_weighted(pairs, 1)["weight"].tolist() == [1.0, 0.5, 1.0]
    assert recency_weighted(pairs, None) is pairs


def test_an_unknown_scorer_lists_the_valid_ones():
    with pytest.raises(UsageError, match="ease"):
        make_scorer("svd")


def test_ease_refuses_a_catalogue_too_large(monkeypatch):
    from bizforge.families.recommend import scorers

    monkeypatch.setattr(scorers, "EASE_MAX_ITEMS", 2)
    with pytest.raises(UsageError, match="EASE"):
        make_scorer("ease").fit(sp.csr_matrix(np.ones((3, 4), dtype=np.float32)))
    # fewer users than items: the users x users (dual) form fits under the same limit
    assert "K" in make_scorer("ease").fit(sp.csr_matrix(np.ones((2, 4), np.float32))).arrays_


def _ease_by_hand(X, l2, p):
    gram = (X.T @ X).toarray().astype(np.float64)
    gram[np.diag_indices(X.shape[1])] += l2 + p / (1 - p) * np.diag(gram)
    P = np.linalg.inv(gram)
    B = -P / np.diag(P)
    np.fill_diagonal(B, 0.0)
    return B


def test_ease_with_fewer_users_than_items_is_the_same_model_in_its_dual_form():
    rng = np.random.default_rng(0)
    X = sp.random(30, 80, density=0.1, random_state=1, format="csr", dtype=np.float32)
    X.data[:] = rng.random(X.nnz) + 0.5
    model = make_scorer("ease", l2=2.0, dropout=0.25).fit(X)
    assert "B" not in model.arrays_  # never the items x items matrix
    B = _ease_by_hand(X, 2.0, 0.25)
    rows = np.arange(5)
    assert np.allclose(model.score(rows, X[:5]), X[:5] @ B, atol=1e-4)
    assert np.allclose(model.neighbours(3), B[3], atol=1e-4)
    unseen = sp.csr_matrix(X[7].toarray())  # a user known only by the history sent
    assert np.allclose(model.score(np.array([-1]), unseen), unseen @ B, atol=1e-4)


def test_binary_counts_every_interaction_once_whatever_its_weight():
    X = sp.csr_matrix(np.array([[5, 1, 0, 0], [1, 0, 9, 0], [0, 2, 1, 1], [1, 1, 0, 3]],
                               dtype=np.float32))
    ones = X.copy()
    ones.data[:] = 1.0
    for name in ("ease", "rp3beta"):
        plain = make_scorer(name, l2=1.0).fit(ones).score(np.arange(4), ones)
        binary = make_scorer(name, l2=1.0, binary=True).fit(X).score(np.arange(4), X)
        assert np.allclose(binary, plain)
        weighted = make_scorer(name, l2=1.0).fit(X).score(np.arange(4), X)
        assert not np.allclose(weighted, plain)


def test_the_grid_tries_ease_with_few_users_and_bare_occurrences_on_counts():
    from bizforge.families.recommend.search import default_grid, graded

    assert "ease" not in {n for n, _ in default_grid(15000, time_limit=30)}
    assert "ease" in {n for n, _ in default_grid(15000, time_limit=30, n_users=1500)}
    binary = [n for n, p in default_grid(1000, 30, n_users=500, counts=True) if p.get("binary")]
    assert set(binary) == {"ease", "rp3beta"}
    assert not any(p.get("binary") for _, p in default_grid(1000, 30, n_users=500))
    assert graded(sp.csr_matrix(np.array([[1.0, 2.5, 0.3]], dtype=np.float32)))
    assert not graded(sp.csr_matrix(np.array([[1.0, 0.5, 1.0]], dtype=np.float32)))


def _ranker_data(n_users=200, n=20, seed=0):
    """Candidates in blend order whose relevant items sit last; feature 0 marks them."""
    rng = np.random.default_rng(seed)
    cand = np.tile(np.arange(n), (n_users, 1))
    relevant = [set(rng.choice(np.arange(n // 2, n), 3, replace=False).tolist())
                for _ in range(n_users)]
    marks = np.array([[float(i in rel) for i in row] for row, rel in zip(cand, relevant)])
    noise = rng.normal(size=marks.shape)
    return cand, np.column_stack([marks.ravel() + 0.1 * noise.ravel(), noise.ravel()]), relevant


def test_a_reranker_that_beats_the_blend_is_kept():
    from bizforge.families.recommend.rerank import fit_reranker

    cand, features, relevant = _ranker_data()
    model, result = fit_reranker(cand, features, relevant, 10, ["signal", "noise"])
    assert model is not None and result["ndcg_reranked"] > result["ndcg_blend"]


def test_a_reranker_without_signal_is_not_kept():
    from bizforge.families.recommend.rerank import fit_reranker

    cand, features, relevant = _ranker_data()
    model, _ = fit_reranker(cand, features[:, 1:], [set(range(3)) for _ in relevant], 10,
                            ["noise"])
    assert model is None


def test_side_features_code_few_level_texts_and_skip_long_ones():
    from bizforge.families.recommend.side import side_features

    frame = pd.DataFrame({"id": ["a", "b"], "tier": ["gold", "silver"],
                          "note": [f"text {i}" for i in range(2)]})
    names, values = side_features(frame, "id", ["a", "b"])
    assert names == ["tier", "note"] and values.shape == (2, 2)
    frame = pd.DataFrame({"id": [str(i) for i in range(60)], "note": [f"t{i}" for i in range(60)]})
    assert side_features(frame, "id", ["1"])[0] == []


def test_where_the_fixed_guess_leaves_ease_out_the_machines_speed_decides(monkeypatch):
    from bizforge.families.recommend import search

    X = sp.csr_matrix((np.ones(5, np.float32), ([0, 1, 2, 3, 4], [0, 1, 2, 3, 4])),
                      shape=(5000, 4000))
    monkeypatch.setattr(search, "inversion_speed", lambda: 1e-12)  # a fast machine
    assert "ease" in {n for n, _ in search._grid_for(X, 30)}
    monkeypatch.setattr(search, "inversion_speed", lambda: 1e-9)  # a slow one
    assert "ease" not in {n for n, _ in search._grid_for(X, 30)}
    assert 0 < search.ease_seconds(4000, 5000, per_cube=1e-12) < 0.1


def test_the_inversion_speed_is_measured_and_reused():
    from bizforge.families.recommend.search import inversion_speed

    first = inversion_speed()
    assert 0 < first < 1e-6
    assert inversion_speed() == first


def _chain(n_users=60, n_items=30, length=8, seed=0) -> pd.DataFrame:
    """Every user walks the items in one cycle (i, i+1, ...) from a random start, in time."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame([{"user": f"u{u}", "item": f"i{(start + n) % n_items}", "ts": 100 * n}
                         for u, start in enumerate(rng.integers(0, n_items, n_users))
                         for n in range(length)])


def test_the_order_matrix_ranks_each_users_latest_first():
    pairs = prepare(_chain(n_users=2), RecommendOptions(time_column="ts")).pairs
    index = Index.of(pairs)
    order = order_matrix(index, pairs)
    row = order[index.user_pos["u0"]]
    latest = index.items[row.indices[np.argmin(row.data)]]
    assert sorted(row.data.tolist()) == list(range(1, 9))
    assert latest == pairs[pairs["user"] == "u0"].sort_values("time")["item"].iloc[-1]


def test_the_order_matrix_needs_times():
    pairs = prepare(_chain(n_users=2).drop(columns="ts"), RecommendOptions()).pairs
    assert order_matrix(Index.of(pairs), pairs) is None


def test_the_sequence_scorer_recommends_what_came_next_after_the_latest_items():
    pairs = prepare(_chain(), RecommendOptions(time_column="ts")).pairs
    index = Index.of(pairs)
    order = order_matrix(index, pairs)
    scorer = fit_scorer("sequence", {}, index.matrix(pairs), order)
    rows = np.arange(len(index.users))
    scores = scorer.score(rows, order)
    scores[order.nonzero()] = -np.inf  # as the recommendations leave out what was chosen
    latest = [int(order[r].indices[np.argmin(order[r].data)]) for r in rows]
    following = [index.item_pos[f"i{(int(index.items[i][1:]) + 1) % 30}"] for i in latest]
    assert np.mean(scores.argmax(axis=1) == np.array(following)) > 0.9


def test_the_sequence_scorer_folds_in_an_unknown_user_from_the_items_sent():
    pairs = prepare(_chain(), RecommendOptions(time_column="ts")).pairs
    index = Index.of(pairs)
    scorer = fit_scorer("sequence", {"recent": 3}, index.matrix(pairs),
                        order_matrix(index, pairs))
    sent = sp.csr_matrix(([1.0], ([0], [index.item_pos["i4"]])), shape=(1, len(index.items)))
    assert index.items[int(scorer.score(np.array([-1]), sent)[0].argmax())] == "i5"


def test_the_sequence_scorer_is_not_fitted_without_times():
    with pytest.raises(ValueError, match="times"):
        fit_scorer("sequence", {}, sp.csr_matrix(np.eye(3, dtype=np.float32)), None)


def test_the_grid_tries_the_sequence_scorer_only_with_times():
    from bizforge.families.recommend.search import default_grid

    assert "sequence" in {n for n, _ in default_grid(1000, 30, n_users=500, sequence=True)}
    assert "sequence" not in {n for n, _ in default_grid(1000, 30, n_users=500)}


def test_userease_is_not_its_own_neighbour():
    # only user 0 chose item 3: nobody else's row can recommend it to user 0
    X = sp.csr_matrix(np.array([[1, 1, 0, 1], [1, 1, 1, 0], [0, 1, 1, 0]], dtype=np.float32))
    scores = make_scorer("userease", l2=1.0).fit(X).score(np.array([0, 1]), X[[0, 1]])
    assert scores[0, 3] == 0.0 and scores[1, 3] != 0.0


def test_userease_arrays_round_trip_to_the_same_scores(interactions):
    _, X = _matrix(interactions)
    scorer = make_scorer("userease", l2=10.0).fit(X)
    again = SCORERS["userease"].from_arrays(scorer.params, dict(scorer.arrays_))
    rows = np.array([0, 5, -1])
    np.testing.assert_array_equal(again.score(rows, X[[0, 5, 7]]), scorer.score(rows, X[[0, 5, 7]]))


def test_userease_refuses_too_many_users(monkeypatch):
    from bizforge.families.recommend import userease

    monkeypatch.setattr(userease, "MAX_USERS", 2)
    with pytest.raises(UsageError, match="3 x 3"):
        make_scorer("userease").fit(sp.csr_matrix(np.eye(3, dtype=np.float32)))


def test_the_grid_tries_userease_only_with_few_users():
    from bizforge.families.recommend.search import default_grid

    assert "userease" in {n for n, _ in default_grid(1000, 30, n_users=500)}
    assert "userease" not in {n for n, _ in default_grid(1000, 30, n_users=20000)}


def test_bm25_counts_rare_items_more_and_long_histories_less():
    from bizforge.families.recommend.scorers import bm25, bm25_stats

    # item 0 chosen by every user, item 2 by one; user 1 has the longest history
    X = sp.csr_matrix(np.array([[1, 1, 0], [1, 1, 1], [1, 0, 0], [1, 0, 0]], dtype=np.float32))
    stats = bm25_stats(X)
    assert stats["bm25_idf"][0] == 0.0  # chosen by everyone: says nothing about a user
    assert stats["bm25_idf"][2] > stats["bm25_idf"][1] > 0.0
    W = bm25(X, stats, b=1.0).toarray()
    assert W[0, 1] > W[1, 1]  # the same item weighs less in the longer history
    flat = bm25(X, stats, b=0.0).toarray()
    assert flat[0, 1] == pytest.approx(flat[1, 1])  # b=0: the history's length ignored


def test_als_with_bm25_folds_in_an_unknown_user_as_it_weighed_the_training_users(interactions):
    index, X = _matrix(interactions)
    scorer = make_scorer("als", factors=8, iterations=30, bm25=1.0).fit(X)
    assert {"bm25_idf", "bm25_mean"} <= set(scorer.arrays_)
    user = index.user_pos["u0"]
    known = scorer.score(np.array([user]), X[[user]])[0]
    sent = scorer.score(np.array([-1]), X[[user]])[0]  # the same history, as a stranger
    assert np.corrcoef(known, sent)[0, 1] > 0.95
    again = SCORERS["als"].from_arrays(scorer.params, dict(scorer.arrays_))
    assert np.array_equal(again.score(np.array([-1]), X[[user]]), sent[None, :])
