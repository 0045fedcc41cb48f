"""Parts of the answer family: tokens, windows, fusion tuning, calibration threshold."""

from __future__ import annotations

import numpy as np

from bizforge.families.answer.dense import windows
from bizforge.families.answer.lexical import Lexical, words
from bizforge.families.answer.predictor import sentence_spans
from bizforge.families.answer.tuning import (
    choose_threshold,
    rank_metrics,
    ranks,
    tune_weights,
    wilson_lower,
)


def test_english_words_are_lower_cased_and_chinese_cut_by_jieba():
    assert words("Reset PASSWORD!") == ["reset", "password"]
    assert "密码" in words("怎么重置密码")


def test_bm25_scores_an_entry_by_its_best_text():
    lex = Lexical([0, 0, 1], 2).fit(["pay by card", "payment methods", "reset password"])
    s = lex.scores("payment methods")
    assert s[0] > 0 and s[1] == 0


def test_long_texts_are_cut_at_sentence_ends():
    parts = windows("第一句话。" * 100, max_chars=50)
    assert all(len(p) <= 50 for p in parts) and "".join(parts) == "第一句话。" * 100


def test_sentence_spans_cover_english_and_chinese_sentences():
    text = "One thing. Two things! 第三。"
    assert [text[s:e].strip() for s, e in sentence_spans(text)] == ["One thing.", "Two things!",
                                                                   "第三。"]


def test_ranks_count_wrong_entries_above_the_best_right_one():
    ids = np.array([[0, 1, 2], [0, 1, 2]])
    fused = np.array([[0.9, 0.5, 0.1], [0.9, 0.5, 0.1]])
    r = ranks(ids, fused, [{1}, {5}])
    assert r[0] == 2 and np.isinf(r[1])
    assert rank_metrics(r)["mrr_10"] == 0.25


def test_tuned_fusion_is_never_worse_than_the_best_single_channel():
    rng = np.random.default_rng(0)
    q, c = 60, 10
    ids = np.tile(np.arange(c), (q, 1))
    gold = [{int(i)} for i in rng.integers(0, c, q)]
    good = rng.random((q, c))
    noisy = rng.random((q, c))
    for i, g in enumerate(gold):
        good[i, next(iter(g))] += 0.5
    feats = np.stack([noisy, good], axis=2).astype(np.float32)
    w, board = tune_weights(ids, feats, gold, ["noisy", "good"])
    best_single = max(r["hit_1"] for r in board[:2])
    assert board[-1]["hit_1"] >= best_single and w[1] == 1.0


def test_the_threshold_keeps_answered_precision_at_the_minimum_by_its_lower_bound():
    conf = np.linspace(1.0, 0.01, 100)
    right = np.ones(100)
    right[[3, 40, 41, 42, 60, 61, 62, 63, 64, 65, 66, 67, 68]] = 0
    point = choose_threshold(conf, right, 0.9)
    answered = conf >= point["threshold"]
    hits, n = right[answered].sum(), answered.sum()
    assert point["precision"] == hits / n and hits / n > 0.9  # the bound is below the share
    assert float(wilson_lower(np.array(hits), np.array(n))) >= 0.9
    below = conf < point["threshold"]  # every lower threshold: its bound under the minimum
    for m in range(n + 1, 101):
        assert float(wilson_lower(np.array(right[:m].sum()), np.array(m))) < 0.9
    assert below.sum() == 100 - n
    assert choose_threshold(conf, np.zeros(100), 0.9)["threshold"] > 1


def test_a_few_lucky_answers_do_not_set_the_threshold():
    conf = np.array([0.99, 0.98, 0.5, 0.4, 0.3, 0.2])
    right = np.array([1, 1, 0, 1, 0, 0], dtype=float)  # 2 of 2 at the top: bound 0.67 < 0.9
    assert choose_threshold(conf, right, 0.9)["threshold"] > 1


def test_the_threshold_hands_over_the_share_asked_of_questions_without_an_entry():
    conf = np.linspace(1.0, 0.5, 200)
    removed = np.linspace(0.0, 0.9, 100)
    point = choose_threshold(conf, np.ones(200), 0.9, removed=removed, min_handover=0.9)
    assert (removed < point["threshold"]).mean() >= 0.9 and point["handover"] >= 0.9
    assert (removed < np.nextafter(point["threshold"], 0)).mean() < 0.9 + 0.011
    loose = choose_threshold(conf, np.ones(200), 0.9, removed=removed, min_handover=0.0)
    assert loose["threshold"] < point["threshold"] and loose["answered"] == 1.0
