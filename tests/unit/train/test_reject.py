"""RejectCalibrator: a confidence threshold for out-of-scope ("none of these") rejection."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bizforge.errors import DataError, NotFittedError, UsageError
from bizforge.train.reject import UNKNOWN, RejectCalibrator, reject_metrics, without_own_class

K, OOS = 6, 5  # five intents and the "none of these" class


def synthetic(n: int = 2000, seed: int = 0, oos_share: float = 0.2):
    """Confident, mostly right in-scope rows; hesitant out-of-scope rows (some called oos)."""
    rng = np.random.default_rng(seed)
    y = np.where(rng.random(n) < oos_share, OOS, rng.integers(0, OOS, n))
    proba = np.zeros((n, K))
    for i, label in enumerate(y):
        if label != OOS:
            right = rng.random() < 0.97
            top = label if right else (label + 1) % OOS
            conf = rng.beta(9, 1.5) if right else rng.beta(3, 3)
        else:
            top = OOS if rng.random() < 0.3 else rng.integers(0, OOS)
            conf = rng.beta(2, 3) * 0.8 + 0.2
        rest = rng.dirichlet(np.ones(K - 1)) * (1 - conf)
        proba[i, np.arange(K) != top] = rest
        proba[i, top] = conf
    return proba, y


def test_meets_the_issue_target_on_new_rows():
    cal = RejectCalibrator().fit(*synthetic(seed=0), unknown_label=OOS)
    proba, y = synthetic(seed=1)
    labels, conf = cal.apply(proba)
    m = reject_metrics(labels, y, unknown_label=OOS)
    assert m["in_scope_accuracy"] >= 0.93 and m["oos_recall"] >= 0.7
    assert np.allclose(conf, proba.max(axis=1)) and cal.strategy_ == "auto"


def test_auto_floor_is_best_in_scope_accuracy_minus_the_drop():
    proba, y = synthetic()
    no_threshold = RejectCalibrator.from_dict({"threshold": 0.0, "unknown_label": OOS})
    best = reject_metrics(no_threshold.apply(proba)[0], y, OOS)["in_scope_accuracy"]
    cal = RejectCalibrator(max_accuracy_drop=0.05).fit(proba, y, unknown_label=OOS)
    assert cal.valid_metrics_["in_scope_accuracy"] >= best - 0.05 - 1e-12
    tighter = RejectCalibrator(max_accuracy_drop=0.0).fit(proba, y, unknown_label=OOS)
    assert tighter.threshold_ <= cal.threshold_
    assert tighter.valid_metrics_["oos_recall"] <= cal.valid_metrics_["oos_recall"]


def test_target_maximises_oos_recall_at_that_in_scope_accuracy():
    proba, y = synthetic()
    cal = RejectCalibrator(target_in_scope_accuracy=0.9).fit(proba, y, unknown_label=OOS)
    assert cal.strategy_ == "target" and cal.valid_metrics_["in_scope_accuracy"] >= 0.9
    # Any higher threshold would break the floor.
    labels, _ = RejectCalibrator.from_dict({**cal.to_dict(), "threshold": cal.threshold_ + 0.02}
                                           ).apply(proba)
    assert reject_metrics(labels, y, OOS)["in_scope_accuracy"] < 0.9


def test_unreachable_target_falls_back_to_the_best_sum():
    proba, y = synthetic()
    cal = RejectCalibrator(target_in_scope_accuracy=0.999).fit(proba, y, unknown_label=OOS)
    assert cal.strategy_ == "best_sum"
    v = cal.valid_metrics_
    for t in (0.0, 0.5, 0.8, 0.95):
        other = RejectCalibrator.from_dict({**cal.to_dict(), "threshold": t})
        m = reject_metrics(other.apply(proba)[0], y, OOS)
        assert v["in_scope_accuracy"] + v["oos_recall"] >= m["in_scope_accuracy"] + \
            m["oos_recall"] - 1e-12


def test_without_unknown_label_it_keeps_95_percent_coverage():
    proba, y = synthetic(oos_share=0.0)
    cal = RejectCalibrator().fit(proba, y)
    assert cal.strategy_ == "coverage" and cal.unknown_label_ is None
    assert cal.valid_metrics_["coverage"] == pytest.approx(0.95, abs=0.002)
    assert cal.valid_metrics_["oos_recall"] is None


def test_without_unknown_label_a_target_bounds_accepted_accuracy():
    proba, y = synthetic(oos_share=0.0)
    cal = RejectCalibrator(target_in_scope_accuracy=0.99).fit(proba, y)
    assert cal.strategy_ == "target"
    assert cal.valid_metrics_["accepted_accuracy"] >= 0.99
    assert cal.valid_metrics_["coverage"] > 0.8


def test_rows_predicted_as_the_unknown_label_are_unknown():
    cal = RejectCalibrator.from_dict({"threshold": 0.5, "unknown_label": 2})
    labels, conf = cal.apply(np.array([[0.1, 0.2, 0.7], [0.8, 0.1, 0.1], [0.45, 0.35, 0.2]]))
    assert labels.tolist() == [UNKNOWN, 0, UNKNOWN] and conf.tolist() == [0.7, 0.8, 0.45]


def test_to_dict_round_trips_through_json():
    proba, y = synthetic()
    cal = RejectCalibrator().fit(proba, y, unknown_label=OOS)
    again = RejectCalibrator.from_dict(json.loads(json.dumps(cal.to_dict())))
    assert np.array_equal(again.apply(proba)[0], cal.apply(proba)[0])
    assert again.strategy_ == cal.strategy_ and again.valid_metrics_ == cal.valid_metrics_


def test_reject_metrics_on_a_hand_example():
    m = reject_metrics([0, UNKNOWN, 1, 0, UNKNOWN], [0, 0, 1, 2, 2], unknown_label=2)
    assert m == {"in_scope_accuracy": 2 / 3, "oos_recall": 0.5, "coverage": 0.6,
                 "accepted_accuracy": 2 / 3}


def test_bad_inputs_are_clear_errors():
    with pytest.raises(DataError, match="shape"):
        RejectCalibrator().fit(np.ones(3), np.array([0, 1, 0]))
    with pytest.raises(DataError, match="class indices"):
        RejectCalibrator().fit(np.full((2, 2), 0.5), np.array([0, 5]))
    with pytest.raises(UsageError, match="unknown_label 7"):
        RejectCalibrator().fit(np.full((2, 2), 0.5), np.array([0, 1]), unknown_label=7)
    with pytest.raises(UsageError, match="target_in_scope_accuracy"):
        RejectCalibrator(1.5).fit(np.full((2, 2), 0.5), np.array([0, 1]))
    with pytest.raises(NotFittedError):
        RejectCalibrator().apply(np.full((2, 2), 0.5))


def with_distance(seed: int):
    """synthetic(), plus unseen out-of-scope rows that look confident but lie far away."""
    proba, y = synthetic(seed=seed)
    rng = np.random.default_rng(seed + 100)
    n_new = 300
    confident = np.zeros((n_new, K))
    confident[np.arange(n_new), rng.integers(0, OOS, n_new)] = rng.beta(9, 1.5, n_new)
    rest = (1 - confident.sum(axis=1)) / (K - 1)
    confident += np.where(confident == 0, rest[:, None], 0)
    proba = np.vstack([proba, confident])
    y = np.concatenate([y, np.full(n_new, OOS)])
    near = rng.normal(0.2, 0.05, len(y))
    distance = np.where(np.arange(len(y)) >= len(y) - n_new, rng.normal(0.45, 0.05, len(y)), near)
    return proba, y, np.clip(distance, 0, 2)


def test_distance_catches_confident_unseen_kinds():
    proba, y, d = with_distance(seed=0)
    plain = RejectCalibrator().fit(proba, y, unknown_label=OOS)
    both = RejectCalibrator().fit(proba, y, unknown_label=OOS, distance=d)
    new_p, new_y, new_d = with_distance(seed=1)
    m_plain = reject_metrics(plain.apply(new_p)[0], new_y, OOS)
    m_both = reject_metrics(both.apply(new_p, new_d)[0], new_y, OOS)
    assert m_both["oos_recall"] > m_plain["oos_recall"] + 0.1
    assert m_both["in_scope_accuracy"] >= m_plain["in_scope_accuracy"] - 0.02
    assert both.uses_distance and not plain.uses_distance


def test_distance_calibrator_needs_distances_and_round_trips():
    proba, y, d = with_distance(seed=0)
    cal = RejectCalibrator().fit(proba, y, unknown_label=OOS, distance=d)
    with pytest.raises(UsageError, match="distance"):
        cal.apply(proba)
    with pytest.raises(DataError, match="one per probability row"):
        cal.apply(proba, d[:-1])
    loaded = RejectCalibrator.from_dict(json.loads(json.dumps(cal.to_dict())))
    assert np.array_equal(loaded.apply(proba, d)[0], cal.apply(proba, d)[0])
    # Farther from the training texts at the same probabilities: less confident.
    _, near = cal.apply(proba, np.zeros(len(y)))
    _, far = cal.apply(proba, np.ones(len(y)))
    assert (far < near).all()


def test_without_own_class_renormalises_the_other_classes():
    out = without_own_class(np.array([[0.6, 0.3, 0.1], [1.0, 0.0, 0.0]]), np.array([0, 0]))
    assert np.allclose(out, [[0.0, 0.75, 0.25], [0.0, 0.5, 0.5]])
    with pytest.raises(DataError, match="class indices"):
        without_own_class(np.full((1, 3), 1 / 3), np.array([3]))


def test_unseen_recall_scores_each_row_as_if_its_class_were_unknown():
    cal = RejectCalibrator.from_dict({"threshold": 0.6, "unknown_label": 3})
    proba = np.array([[0.8, 0.15, 0.05, 0.0],   # hidden class 0 -> 0.75 for class 1: answered
                      [0.5, 0.25, 0.25, 0.0],   # -> 0.5 / 0.5: below 0.6, handed over
                      [0.1, 0.9, 0.0, 0.0],     # hidden class 1 -> 1.0 for class 0: answered
                      [0.2, 0.1, 0.1, 0.6],     # hidden class 2 -> "oos" wins: handed over
                      [0.1, 0.1, 0.1, 0.7]])    # an oos row: not part of the estimate
    y = np.array([0, 0, 1, 2, 3])
    assert cal.unseen_recall(proba, y) == pytest.approx(2 / 4)
    assert cal.unseen_recall(proba[:3], y[:3]) is None  # two in-scope classes say nothing


def test_unseen_recall_with_distances_needs_them_and_uses_them():
    proba, y, d = with_distance(seed=0)
    cal = RejectCalibrator().fit(proba, y, unknown_label=OOS, distance=d)
    with pytest.raises(UsageError, match="distance"):
        cal.unseen_recall(proba, y)
    near = cal.unseen_recall(proba, y, np.full(len(y), 0.2))
    far = cal.unseen_recall(proba, y, np.full(len(y), 0.45))
    assert 0.0 <= near < far <= 1.0


def test_no_drop_keeps_every_right_in_scope_answer():
    proba, y = synthetic()
    cal = RejectCalibrator(max_accuracy_drop=0.0).fit(proba, y, unknown_label=OOS)
    inscope = y != OOS
    plain = float((proba.argmax(axis=1) == y)[inscope].mean())
    assert cal.valid_metrics_["in_scope_accuracy"] == pytest.approx(plain)
    wider = RejectCalibrator(max_accuracy_drop=0.05).fit(proba, y, unknown_label=OOS)
    assert wider.valid_metrics_["oos_recall"] > cal.valid_metrics_["oos_recall"]
