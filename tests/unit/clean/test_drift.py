"""The drift reference, tallies and PSI on tiny frames built here."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from bizforge.clean.drift import OTHER, Tally, compare, merge, reference


def _frame(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"age": rng.normal(40, 10, n).round(),
                         "plan": rng.choice(["basic", "plus", "max"], n),
                         "note": rng.choice(["很好", "great service", "😀", ""], n)})


KINDS = {"age": "numeric", "plan": "categorical", "note": "text"}


def test_rows_drawn_like_the_training_rows_are_stable():
    ref = reference(_frame(seed=0), KINDS)
    tally = Tally(ref)
    tally.add(_frame(seed=1))
    report = compare(ref, tally.to_dict())
    assert report["drifted"] == [] and all(f["psi"] < 0.1 for f in report["features"])


def test_a_shifted_numeric_column_is_the_only_one_flagged():
    ref = reference(_frame(seed=0), KINDS)
    shifted = _frame(seed=1)
    shifted["age"] += 30
    tally = Tally(ref)
    tally.add(shifted)
    assert compare(ref, tally.to_dict())["drifted"] == ["age"]


def test_an_unseen_category_is_counted_as_other_and_never_stored():
    ref = reference(_frame(), KINDS)
    tally = Tally(ref)
    tally.add({"age": [30.0], "plan": ["张三 13800138000"], "note": ["ok"]})
    summary = tally.to_dict()
    labels = ref["features"]["plan"]["labels"]
    assert summary["features"]["plan"][labels.index(OTHER)] == 1
    assert "13800138000" not in json.dumps(summary, ensure_ascii=False)


def test_text_without_letters_falls_in_the_other_language_bucket():
    ref = reference(_frame(), KINDS)
    tally = Tally(ref)
    tally.add({"note": ["😀 !!"]})
    spec = ref["features"]["note (language)"]
    assert tally.to_dict()["features"]["note (language)"][spec["labels"].index(OTHER)] == 1


def test_numbers_written_as_text_land_in_the_same_bucket_as_numbers():
    ref = reference(pd.DataFrame({"spend": ["1,200.5", "80", "3,000"] * 40}),
                    {"spend": "numeric"})
    as_text, as_number = Tally(ref), Tally(ref)
    as_text.add(pd.DataFrame({"spend": ["1,200.5"]}))
    as_number.add({"spend": [1200.5]})
    assert as_text.to_dict()["features"] == as_number.to_dict()["features"]


def test_merged_summaries_add_up_their_counts():
    ref = reference(_frame(), KINDS)
    a, b = Tally(ref), Tally(ref)
    a.add(_frame(50, seed=2))
    b.add(_frame(70, seed=3))
    merged = merge([a.to_dict(), b.to_dict()])
    assert merged["rows"] == 120 and sum(merged["features"]["plan"]) == 120
