"""overlap_groups: copies and pieces of longer texts share a group."""

from __future__ import annotations

import numpy as np

from bizforge.split import overlap
from bizforge.split.overlap import overlap_groups


def test_a_phrase_cut_from_a_sentence_joins_the_sentence_group():
    texts = ["the acting is superb , the plot thin .", "the acting is superb",
             "plot thin", "a dull , lifeless film", "lifeless film", "something else entirely"]
    groups, overlapping = overlap_groups(texts)
    assert groups[0] == groups[1] == groups[2]
    assert groups[3] == groups[4] != groups[0]
    assert len({groups[5], groups[0], groups[3]}) == 3
    assert overlapping == 5


def test_copies_match_whatever_the_case_and_spacing_and_words_must_be_whole():
    groups, overlapping = overlap_groups(["Great  Hotel", "great hotel", "eat hot"])
    assert groups[0] == groups[1] != groups[2]
    assert overlapping == 2


def test_chinese_text_is_matched_by_characters():
    groups, _ = overlap_groups(["房间很干净，服务也好", "房间很干净", "早餐难吃"])
    assert groups[0] == groups[1] != groups[2]


def test_single_words_do_not_tie_sentences_together():
    groups, overlapping = overlap_groups(["good", "a good film", "good food here"])
    assert len(set(groups.tolist())) == 3 and overlapping == 0


def test_unrelated_texts_are_groups_of_one_and_empty_input_is_fine():
    groups, overlapping = overlap_groups([f"text number {i} here" for i in range(50)])
    assert len(np.unique(groups)) == 50 and overlapping == 0
    groups, overlapping = overlap_groups([])
    assert groups.size == 0 and overlapping == 0


def test_span_budget_bounds_the_work_and_copies_are_still_found(monkeypatch):
    monkeypatch.setattr(overlap, "MAX_SPANS", 10)
    long = [" ".join(f"w{i}_{j}" for j in range(30)) for i in range(5)]
    groups, _ = overlap_groups(long + [long[4]] + [" ".join(long[4].split()[:3])])
    assert groups[5] == groups[4]  # the copy: its whole text is always indexed
    assert groups[6] != groups[4]  # a piece of a text indexed after the budget ran out
