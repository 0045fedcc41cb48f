"""The model report (HTML, zh/en, no personal data) and the metrics.json document."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from plotly.offline import get_plotlyjs

from bizforge.errors import UsageError
from bizforge.evaluate.explain import top_reasons
from bizforge.evaluate.metrics import classification_metrics, regression_metrics
from bizforge.evaluate.plots import classification_figures
from bizforge.evaluate.report import (
    ModelReport,
    headline,
    metrics_document,
    render_report,
    save_report,
)
from bizforge.evaluate.threshold import choose_threshold

LEADERBOARD = [
    {"name": "ensemble", "params": {}, "score": 0.85, "fit_seconds": 0.0,
     "predict_seconds": 0.02, "weight": None},
    {"name": "lightgbm", "params": {"num_leaves": np.int64(31)}, "score": np.float64(0.84),
     "fit_seconds": 3.2, "predict_seconds": 0.01, "weight": 0.7},
]


@pytest.fixture
def binary_run():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 100)
    p = np.clip(0.35 * y + 0.65 * rng.random(100), 0, 1)
    choice = choose_threshold(y, p, cost_fp=10, cost_fn=100)
    metrics = classification_metrics(y, p, classes=["No", "Yes"], threshold=choice.threshold)
    return y, p, choice, metrics


def _report(binary_run, lang="en", **kw):
    _, _, choice, metrics = binary_run
    raw = pd.DataFrame({"Contract": ["Month-to-month", "Two year"],
                        "id_card": ["110101199003074514"] * 2})
    reasons = top_reasons([[0.3, 0.9, 0.0], [-0.2, 0.5, 0.0]], ["Contract", "id_card"], None, raw,
                          k=2, sensitive={"id_card"})
    samples = [{"row": i + 1, "prediction": "Yes", "reasons": r} for i, r in enumerate(reasons)]
    figures = kw.pop("figures", [])
    return render_report(metrics, LEADERBOARD, choice, figures, {"Contract": 0.3, "tenure": 0.2},
                         samples, ["Dropped 'customerID' (identifier)."],
                         {"target": "Churn", "train_rows": 80, "dropped": {"customerID": "id"}},
                         lang=lang, name="churn", **kw)


def test_report_is_written_in_chinese_when_asked(binary_run):
    html = _report(binary_run, lang="zh")
    expected = ("模型报告：churn", "结论摘要", "测试集表现", "判定阈值",
                "尝试过的模型", "预测解释示例")
    for text in expected:
        assert text in html
    assert '<html lang="zh-CN">' in html


def test_report_never_shows_a_sensitive_value(binary_run):
    html = _report(binary_run)
    assert "110101199003074514" not in html
    assert "id_card = (masked)  +0.90" in html
    assert "Contract = Month-to-month  +0.30" in html


def test_headline_states_gain_and_cost_against_default(binary_run):
    _, _, choice, metrics = binary_run
    gain = next(g for g in metrics["gain"] if g["top"] == 0.3)
    sentences = headline(metrics, choice, "en")
    assert f"it finds {gain['captured']:.1%} of all 'Yes' cases" in sentences[1]
    assert sentences[1].startswith("Among the 30% of cases")
    assert f"threshold {choice.threshold:.3g}" in sentences[2]
    assert "against" in sentences[2] and "at the default threshold 0.5" in sentences[2]


def test_headline_without_costs_explains_the_f1_choice(binary_run):
    y, p, _, metrics = binary_run
    sentences = headline(metrics, choose_threshold(y, p), "en")
    assert any("maximise F1" in s for s in sentences)


def test_regression_headline_reports_errors_and_r2():
    m = regression_metrics([1.0, 2.0, 3.0, 4.0], [1.5, 2.0, 3.0, 4.0])
    expected = (
        "On 4 held-out rows the predictions are off by 0.1250 on average (RMSE 0.2500); "
        "the model explains 95.0% of the variation in the target."
    )
    assert headline(m, None, "en") == [expected]


def _intent_metrics() -> dict:
    m = classification_metrics(np.array([0, 1, 2, 2, 1, 0]), np.eye(3)[[0, 1, 2, 1, 1, 0]],
                               classes=["balance", "card", "oos"])
    m.update({"reject_threshold": 0.4123, "coverage": 0.5, "accepted_accuracy": 1.0,
              "in_scope_accuracy": 0.75, "oos_recall": 0.5})
    return m


def test_headline_says_what_is_handed_to_a_person():
    sentences = headline(_intent_metrics(), None, "en")
    assert ("Below a confidence of 0.412 it hands the message to a person: it answers 50.0% of "
            "the held-out messages itself, 100.0% of them correctly.") in sentences
    assert ("Of the messages that fit a known class it answers 75.0% correctly; of those that fit "
            "none, it hands 50.0% to a person.") in sentences
    zh = headline(_intent_metrics(), None, "zh")
    assert any("转给人工" in s and "0.412" in s for s in zh)
    plain = {k: v for k, v in _intent_metrics().items() if k != "reject_threshold"}
    assert not any("person" in s for s in headline(plain, None, "en"))


def test_report_table_lists_the_rejection_figures():
    html = render_report(_intent_metrics(), [], None, [], None, [], [], {}, lang="en")
    for label in ("In-scope accuracy", "Out-of-scope recall", "Answered share"):
        assert label in html


def test_report_with_charts_is_self_contained(binary_run):
    y, p, choice, _ = binary_run
    figs = classification_figures(y, p, classes=["No", "Yes"], threshold=choice.threshold)
    html = _report(binary_run, figures=figs)
    assert html.count(get_plotlyjs()) == 1
    assert not re.search(r"<(script|link|img)[^>]*(src|href)\s*=", html)
    assert "https://cdn" not in html.replace(get_plotlyjs(), "")


def test_leaderboard_lists_every_candidate(binary_run):
    html = _report(binary_run)
    assert "<td>lightgbm</td>" in html and "<td>ensemble</td>" in html
    assert '<td class="num">0.700</td>' in html


def test_unknown_language_raises_usage_error(binary_run):
    with pytest.raises(UsageError, match="unknown language 'fr'"):
        _report(binary_run, lang="fr")


def test_save_report_writes_utf8_file(tmp_path, binary_run):
    report = ModelReport(binary_run[3], lang="zh", name="流失")
    path = report.save(tmp_path / "out" / "report.html")
    assert "模型报告：流失" in path.read_text(encoding="utf-8")
    assert [p.name for p in path.parent.iterdir()] == ["report.html"]


def test_save_report_replaces_existing_file(tmp_path):
    target = tmp_path / "r.html"
    save_report("old", target)
    save_report("new", target)
    assert target.read_text(encoding="utf-8") == "new"


def test_metrics_document_has_the_contract_keys(binary_run):
    _, _, choice, metrics = binary_run
    doc = metrics_document(task="tabular-classification", metric="roc_auc", test=metrics,
                           leaderboard=LEADERBOARD, fit_seconds=12.5, threshold=choice,
                           classes=["No", "Yes"])
    assert {"task", "metric", "test", "leaderboard", "fit_seconds", "threshold"} <= set(doc)
    assert {"roc_auc", "accuracy", "f1", "precision", "recall"} <= set(doc["test"])
    assert doc["threshold"]["threshold"] == choice.threshold
    assert doc["leaderboard"][1]["params"] == {"num_leaves": 31}
    assert doc["classes"] == ["No", "Yes"]
    assert json.loads(json.dumps(doc)) == doc


def test_regression_metrics_document_has_null_threshold():
    test = regression_metrics([1.0, 2.0, 3.0], [1.0, 2.5, 3.0])
    doc = metrics_document(task="tabular-regression", metric="rmse", test=test,
                           leaderboard=[], fit_seconds=1.0)
    assert {"rmse", "mae", "r2"} <= set(doc["test"]) and doc["threshold"] is None


def test_metrics_document_rejects_incomplete_test_metrics():
    with pytest.raises(UsageError, match="lack roc_auc"):
        metrics_document(task="tabular-classification", metric="roc_auc",
                         test={"accuracy": 1.0, "f1": 1.0, "precision": 1.0, "recall": 1.0},
                         leaderboard=[], fit_seconds=1.0)


def test_metrics_document_turns_nan_into_null():
    test = {"roc_auc": float("nan"), "accuracy": 1.0, "f1": 1.0, "precision": 1.0, "recall": 1.0}
    doc = metrics_document(task="tabular-classification", metric="roc_auc", test=test,
                           leaderboard=[], fit_seconds=1.0)
    assert doc["test"]["roc_auc"] is None


def test_threshold_table_says_when_counts_come_from_test_rows(binary_run):
    from bizforge.evaluate.threshold import evaluate_threshold

    y, p, choice, metrics = binary_run
    html = render_report(metrics, [], evaluate_threshold(choice, y, p), [], None, [], [], {})
    assert "measured on 100 held-out test rows" in html


def test_multiclass_report_states_accuracy_in_plain_words():
    proba = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6], [0.5, 0.4, 0.1]])
    metrics = classification_metrics([0, 1, 2, 1], proba, classes=["a", "b", "c"])
    html = render_report(metrics, [], None, [], None, [[]], [], {}, lang="en")
    assert "picks the right class for 75.0% of cases" in html


def test_per_class_table_puts_the_weakest_class_first_and_lists_confusions():
    m = _intent_metrics()
    m["per_class"] = {"balance": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 2},
                      "card": {"precision": 0.667, "recall": 1.0, "f1": 0.8, "support": 2},
                      "oos": {"precision": 1.0, "recall": 0.5, "f1": 0.667, "support": 2}}
    m["top_confusions"] = [{"true": "oos", "predicted": "card", "count": 1}]
    html = render_report(m, [], None, [], None, [], [], {}, lang="en")
    body = html[html.index("Per class"):]
    assert body.index(">oos<") < body.index(">card<") < body.index(">balance<")
    assert "Most frequent confusions" in body and "Predicted as" in body
    zh = render_report(m, [], None, [], None, [], [], {}, lang="zh")
    assert "各类别表现" in zh and "最常见的混淆" in zh
    plain = {k: v for k, v in m.items() if k not in ("per_class", "top_confusions")}
    assert "Per class" not in render_report(plain, [], None, [], None, [], [], {}, lang="en")
