"""tfidf_linear: TF-IDF + logistic regression, saved without pickle, exact re-implementation."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from bizforge.errors import DataError, UsageError
from bizforge.models import Model, get_model
from bizforge.models.text_common import TextWarning
from bizforge.models.text_tfidf.vectorizer import TfidfFeatures

POS = ["great room", "friendly staff", "clean and quiet", "lovely view", "excellent breakfast"]
NEG = ["dirty room", "rude staff", "noisy at night", "broken shower", "cold breakfast"]
ZH_POS = ["房间很干净", "服务很好", "早餐不错", "位置方便", "非常满意"]
ZH_NEG = ["房间很脏", "服务太差", "早餐难吃", "隔音不好", "非常失望"]


def reviews(n: int = 80, seed: int = 0, pos=POS, neg=NEG, sep=" "):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    y[:2] = [0, 1]
    texts = [sep.join(rng.choice(pos if v else neg, 2)) for v in y]
    return pd.DataFrame({"review": pd.array(texts, dtype="str")}), y


def tfidf(problem: str = "binary", **params) -> Model:
    return get_model("tfidf_linear")(problem, **params)


def test_english_reviews_are_learned_with_word_ngrams():
    X, y = reviews()
    model = tfidf().fit(X, y)
    assert model.language_ == "en" and model.features_.analyzer == "word"
    assert "rude staff" in model.features_.vocabulary
    assert (model.predict(X) == y).all()


def test_save_load_gives_identical_probabilities_without_pickle(tmp_path):
    X, y = reviews()
    model = tfidf().fit(X, y)
    model.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "model.json", "text_model.safetensors", "vocabulary.json"]
    loaded = Model.load(tmp_path)
    assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded.explain_text(["rude staff"]) == model.explain_text(["rude staff"])


def test_transform_equals_sklearn_before_save_and_after_load(tmp_path):
    train = ["The room was great", "great, great staff!", "rude staff and a dirty room",
             "not good at all", "good value"]
    new = ["great room, rude staff", "nothing known here", "", "GOOD good good"]
    ref = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(train)
    X = pd.DataFrame({"review": pd.array(train, dtype="str")})
    model = tfidf(min_df=1).fit(X, np.array([1, 1, 0, 0, 1]))
    assert model.features_.terms == sorted(ref.vocabulary_, key=ref.vocabulary_.get)
    expected = ref.transform(new)
    got = model.features_.transform(new)
    assert np.array_equal(got.indptr, expected.indptr)
    assert np.array_equal(got.indices, expected.indices)
    assert np.array_equal(got.data, expected.data)
    model.save(tmp_path)
    again = Model.load(tmp_path).features_.transform(new)
    assert np.array_equal(again.data, expected.data) and np.array_equal(again.indices,
                                                                        expected.indices)


def test_char_ngrams_equal_sklearn_on_chinese():
    train = ["房间很干净，服务很好", "早餐  难吃\n隔音不好", "非常满意!", "位置方便"]
    new = ["服务很好，早餐难吃", "全新的句子"]
    ref = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=False).fit(train)
    feats, _ = TfidfFeatures.fit(train, "char", sublinear=False)
    assert feats.terms == sorted(ref.vocabulary_, key=ref.vocabulary_.get)
    assert (feats.transform(new) != ref.transform(new)).nnz == 0


def test_chinese_texts_use_character_ngrams():
    X, y = reviews(pos=ZH_POS, neg=ZH_NEG, sep="，")
    model = tfidf().fit(X, y)
    assert model.language_ == "zh" and model.features_.analyzer == "char"
    assert {"脏", "很干净"} <= set(model.features_.vocabulary)
    assert (model.predict(X) == y).all()


@pytest.mark.parametrize(("analyzer", "term"), [("jieba", "干净"), ("char+jieba", "\x1f干净")])
def test_jieba_words_can_be_chosen_for_chinese(analyzer, term):
    X, y = reviews(pos=ZH_POS, neg=ZH_NEG, sep="，")
    model = tfidf(analyzer=analyzer).fit(X, y)
    assert term in model.features_.vocabulary
    assert (model.predict(X) == y).all()


def test_analyzer_parameter_overrides_the_language():
    X, y = reviews()
    model = tfidf(analyzer="char").fit(X, y)
    assert model.features_.analyzer == "char" and "ude" in model.features_.vocabulary


def test_a_named_language_replaces_the_detected_one_and_is_saved(tmp_path):
    X, y = reviews()  # English texts
    model = tfidf(language="mixed").fit(X, y)
    assert model.language_ == "mixed" and model.features_.analyzer == "char"
    model.save(tmp_path)
    assert Model.load(tmp_path).language_ == "mixed"


def test_an_unknown_language_is_a_usage_error_naming_the_choices():
    X, y = reviews()
    with pytest.raises(UsageError, match="'fr' is not one of zh, en, mixed"):
        tfidf(language="fr").fit(X, y)


def test_unknown_analyzer_is_a_usage_error():
    X, y = reviews()
    with pytest.raises(UsageError, match="analyzer 'bpe'"):
        tfidf(analyzer="bpe").fit(X, y)


def test_explanations_name_terms_of_the_text_strongest_first():
    X, y = reviews()
    model = tfidf().fit(X, y)
    texts = ["Rude staff and a dirty room", "The view was lovely"]
    out = model.explain_text(texts, k=3)
    assert len(out) == 2
    for text, terms in zip(texts, out):
        assert 1 <= len(terms) <= 3
        weights = [w for _, w in terms]
        assert weights == sorted(weights, reverse=True) and min(weights) > 0
        assert all(token in text.lower() for token, _ in terms)
    assert out[0][0][0] in {"rude", "dirty", "rude staff", "dirty room"}


def test_explanations_for_multiclass_follow_the_predicted_class():
    rng = np.random.default_rng(1)
    words = [["card", "lost"], ["refund", "money"], ["password", "login"]]
    y = np.repeat([0, 1, 2], 30)
    texts = [" ".join([*rng.choice(words[c], 2), "please", "help"]) for c in y]
    model = tfidf("multiclass").fit(pd.DataFrame({"q": pd.array(texts, dtype="str")}), y)
    (terms,) = model.explain_text(["I lost my card, please help"], k=2)
    assert model.predict(pd.DataFrame({"q": ["I lost my card, please help"]}))[0] == 0
    assert {t for t, _ in terms} <= {"lost", "card", "my card", "lost my"}


def test_class_absent_from_training_gets_near_zero_probability():
    X, y = reviews()
    model = tfidf("multiclass", n_classes=3).fit(X, y)
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 3) and proba[:, 2].max() < 1e-3


def test_empty_and_missing_texts_are_counted_and_predicted():
    X, y = reviews()
    X.loc[X.index[:3], "review"] = ""
    X.loc[X.index[3], "review"] = None
    with pytest.warns(TextWarning, match="4 of 80 training texts in column 'review' are empty"):
        model = tfidf().fit(X, y)
    assert model.warnings_[0]["kind"] == "empty" and model.warnings_[0]["count"] == 4
    proba = model.predict_proba(pd.DataFrame({"review": ["", None]}))
    assert np.isfinite(proba).all()


def test_no_words_at_all_is_a_data_error_naming_the_column():
    X = pd.DataFrame({"review": pd.array(["", " ", "!", "?"] * 5, dtype="str")})
    with pytest.raises(DataError, match="column 'review' has no words") as err, \
            pytest.warns(TextWarning, match="10 of 20 training texts"):
        tfidf(analyzer="word").fit(X, np.array([0, 1] * 10))
    assert err.value.column == "review"


def test_a_100000_character_text_is_cut_with_a_counted_warning():
    X, y = reviews()
    X.loc[X.index[0], "review"] = "great " * 20_000  # 120,000 characters
    with pytest.warns(TextWarning, match="1 of 80 texts in column 'review' were longer than "
                      "20000 characters"):
        model = tfidf().fit(X, y)
    assert model.warnings_[0]["kind"] == "truncated"
    with pytest.warns(TextWarning, match="1 of 1 texts"):
        proba = model.predict_proba(pd.DataFrame({"review": ["x" * 100_000]}))
    assert np.isfinite(proba).all()


def test_emoji_and_control_characters_do_not_break_fit_save_or_load(tmp_path):
    X, y = reviews()
    odd = ["great room 😀👍", "rude\x00staff\x07", "dirty \ud800room", "lovely\u200bview\r\n"]
    X["review"] = X["review"].astype(object)  # arrow strings cannot even hold a lone surrogate
    X.loc[X.index[:4], "review"] = odd
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to warn about: these are kept or blanked
        model = tfidf(analyzer="char").fit(X, y)
    assert "😀" in model.features_.vocabulary and "\x00" not in model.features_.vocabulary
    model.save(tmp_path)
    json.loads((tmp_path / "vocabulary.json").read_text(encoding="utf-8"))
    test = pd.DataFrame({"review": pd.Series(odd, dtype=object)})
    assert np.array_equal(Model.load(tmp_path).predict_proba(test), model.predict_proba(test))


def test_frame_without_text_column_is_a_data_error():
    with pytest.raises(DataError, match="needs a text column"):
        tfidf().fit(pd.DataFrame({"x": np.arange(10.0)}), np.array([0, 1] * 5))


def test_text_column_parameter_and_the_longest_default():
    X, y = reviews()
    X["code"] = pd.array(["a"] * len(X), dtype="str")
    assert tfidf().fit(X, y).text_column_ == "review"
    model = tfidf(text_column="code", analyzer="char").fit(X, y)
    assert model.text_column_ == "code"
    missing = tfidf(text_column="body")
    with pytest.raises(DataError, match="text column 'body'"):
        missing.fit(X, y)


def test_other_columns_join_and_contributions_sum_to_log_odds():
    X, y = reviews()
    X["noise"] = pd.array(["same words here"] * len(X), dtype="str")
    X["score"] = y * 2.0 + np.random.default_rng(2).normal(0, 0.1, len(X))
    X["plan"] = pd.Categorical(np.where(y == 1, "a", "b"))
    model = tfidf(text_column="noise", analyzer="word").fit(X, y)
    assert (model.predict(X) == y).all()
    contrib = model.contributions(X)
    assert contrib.shape == (len(X), X.shape[1] + 1)
    p1 = model.predict_proba(X)[:, 1]
    assert np.allclose(contrib.sum(axis=1), np.log(p1 / (1 - p1)), atol=1e-6)
    assert np.all(contrib[:, list(X.columns).index("review")] == 0.0)


def test_c_is_tuned_on_a_holdout_unless_given():
    X, y = reviews(120)
    tuned = tfidf().fit(X, y)
    assert tuned.head_info_["C"] in {float(c) for c in tuned.head_info_["tried"]}
    assert len(tuned.head_info_["tried"]) >= 2 and tuned.head_info_["refit"]
    fixed = tfidf(C=2.0).fit(X, y)
    assert fixed.head_info_ == {"C": 2.0, "tried": {}, "refit": True, "rows": 120}


def test_c_is_chosen_on_given_validation_rows_and_fits_all_training_rows():
    X, y = reviews(120)
    Xv, yv = reviews(60, seed=5)
    model = tfidf().fit(X, y, valid=(Xv, yv))
    info = model.head_info_
    assert info["tuned_on"] == "valid" and info["rows"] == 120 and info["refit"]
    tried = {float(c): loss for c, loss in info["tried"].items()}
    assert len(tried) >= 2 and info["C"] == min(tried, key=tried.get)
    p = model.predict_proba(Xv)[np.arange(len(yv)), yv]
    assert tried[info["C"]] == pytest.approx(-np.mean(np.log(p)), rel=1e-6)
    assert tfidf().fit(X, y).head_info_["tuned_on"] == "holdout"


def test_tiny_budget_skips_tuning_and_still_predicts():
    X, y = reviews(120)
    model = tfidf().fit(X, y, budget=0.01)
    assert model.head_info_["tried"] == {} and (model.predict(X) == y).mean() > 0.9


def test_a_warm_started_multiclass_fit_reaches_the_optimum_as_a_cold_one_does():
    from sklearn.linear_model import LogisticRegression

    from bizforge.models.text_tfidf.head import _fit_lr

    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 300)
    D = rng.normal(size=(300, 12)) + np.eye(4)[y] @ rng.normal(size=(4, 12))
    cold = _fit_lr(D, y, 4, 1.0, None, 0, 1)
    warm: dict = {}
    _fit_lr(D, y, 4, 0.3, None, 0, 1, warm)  # a neighbouring C first, as in the C walk
    assert warm["coef"].shape == (4, 12)
    started = _fit_lr(D, y, 4, 1.0, None, 0, 1, warm)
    optimum = LogisticRegression(C=1.0, tol=1e-12, max_iter=100_000).fit(D, y).coef_
    # Both stop within lbfgs's tolerance of the optimum (measured: 0.013 cold, 0.018 warm).
    assert np.abs(cold[0] - optimum).max() < 0.05 and np.abs(started[0] - optimum).max() < 0.05
    assert (D @ started[0].T + started[1]).argmax(1).tolist() == \
        (D @ cold[0].T + cold[1]).argmax(1).tolist()


def test_word_spans_cut_chinese_with_jieba_and_keep_other_scripts_whole():
    from bizforge.models.text_common import word_spans

    def words(text, language):
        return [text[a:b] for a, b in word_spans(text, language)]

    assert words("物流很快，包装也很好", "zh") == ["物流", "很快", "包装", "也", "很", "好"]
    assert words("Доставка быстрая, 物流很快great", "mixed") == [
        "Доставка", "быстрая", "物流", "很快", "great"]
    assert words("배송이 빨라요", "mixed") == ["배송이", "빨라요"]
    assert words("don't go", "en") == ["don't", "go"]
