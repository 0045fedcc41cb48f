"""The business threshold: known answers, a brute-force cross-check, input validation."""

from __future__ import annotations

import numpy as np
import pytest

from bizforge.errors import UsageError
from bizforge.evaluate.threshold import ThresholdChoice, choose_threshold, confusion_counts


def _brute_force(y, p, cost_fp, cost_fn, benefit_tp):
    """Loop over every distinct score (plus 'flag nobody'); the highest threshold wins ties."""
    y = np.asarray(y)
    candidates = [np.nextafter(p.max(), np.inf), *sorted(set(p.tolist()), reverse=True)]
    best = None
    for t in candidates:
        c = confusion_counts(y, p, t)
        cost = cost_fp * c["fp"] + cost_fn * c["fn"] - benefit_tp * c["tp"]
        if best is None or cost < best[1]:
            best = (t, cost)
    return best


def test_costly_misses_lower_the_threshold_to_catch_every_positive():
    # Positives score 0.3 and 0.8; negatives 0.1, 0.2, 0.6. A miss costs 10, a false
    # alarm 1: flagging >= 0.3 catches both positives for one false alarm (cost 1),
    # while 0.5 misses the 0.3 positive (cost 10 + 1).
    y = [0, 0, 1, 0, 1]
    p = [0.1, 0.2, 0.3, 0.6, 0.8]
    c = choose_threshold(y, p, cost_fp=1, cost_fn=10)
    assert c.threshold == 0.3
    assert c.counts == {"tp": 2, "fp": 1, "tn": 2, "fn": 0}
    assert c.cost_per_1000 == pytest.approx(1000 * 1 / 5)
    assert c.default_counts == {"tp": 1, "fp": 1, "tn": 2, "fn": 1}
    assert c.default_cost_per_1000 == pytest.approx(1000 * 11 / 5)
    assert c.savings_per_1000 == pytest.approx(2000.0)
    assert c.criterion == "cost"


def test_costly_false_alarms_can_mean_flagging_nobody():
    c = choose_threshold([0, 1, 0], [0.9, 0.5, 0.7], cost_fp=100, cost_fn=1)
    assert c.counts["tp"] + c.counts["fp"] == 0
    assert c.threshold > 0.9
    assert "flag nobody" in c.notes[0]


def test_benefit_turns_cost_into_profit():
    c = choose_threshold([1, 1, 0], [0.9, 0.4, 0.2], cost_fp=1, cost_fn=0, benefit_tp=5)
    assert c.threshold == 0.4
    assert c.profit_per_1000 == pytest.approx(1000 * 10 / 3)
    assert c.cost_per_1000 == pytest.approx(-1000 * 10 / 3)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vectorised_choice_equals_brute_force_loop(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 120)
    # Rounded scores force many ties, the case a sort-and-cumsum gets wrong most easily.
    p = np.round(np.clip(0.3 * y + 0.7 * rng.random(120), 0, 1), 2)
    c = choose_threshold(y, p, cost_fp=3, cost_fn=7, benefit_tp=1)
    threshold, cost = _brute_force(y, p, 3, 7, 1)
    assert c.threshold == threshold
    assert c.cost_per_1000 == pytest.approx(1000 * cost / 120)
    assert c.counts == confusion_counts(y, p, c.threshold)


def test_without_costs_threshold_maximises_f1():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 80)
    p = np.clip(0.25 * y + 0.75 * rng.random(80), 0, 1)
    c = choose_threshold(y, p)
    f1s = []
    for t in sorted(set(p.tolist())):
        k = confusion_counts(y, p, t)
        f1s.append(2 * k["tp"] / (2 * k["tp"] + k["fp"] + k["fn"]))
    assert c.criterion == "f1"
    assert c.f1 == pytest.approx(max(f1s))
    assert c.f1 >= c.default_f1
    assert c.cost_per_1000 is None and c.default_cost_per_1000 is None
    assert c.default_counts == confusion_counts(y, p, 0.5)


def test_without_positives_f1_choice_keeps_default():
    c = choose_threshold([0, 0, 0], [0.2, 0.6, 0.4])
    assert c.threshold == 0.5 and "no positive rows" in c.notes[0]


def test_to_dict_round_trips():
    c = choose_threshold([0, 1, 1, 0], [0.2, 0.7, 0.4, 0.5], cost_fp=1, cost_fn=4)
    d = c.to_dict()
    assert d["profit_per_1000"] == -d["cost_per_1000"]
    assert ThresholdChoice.from_dict(d) == c


def test_negative_cost_raises_usage_error():
    with pytest.raises(UsageError, match="--cost-fp must be a number >= 0"):
        choose_threshold([0, 1], [0.2, 0.8], cost_fp=-1, cost_fn=5)


def test_only_one_cost_raises_usage_error():
    with pytest.raises(UsageError, match="give both"):
        choose_threshold([0, 1], [0.2, 0.8], cost_fn=5)


def test_benefit_without_costs_raises_usage_error():
    with pytest.raises(UsageError, match="benefit-tp was given without"):
        choose_threshold([0, 1], [0.2, 0.8], benefit_tp=5)


def test_all_zero_costs_raise_usage_error():
    with pytest.raises(UsageError, match="all costs are zero"):
        choose_threshold([0, 1], [0.2, 0.8], cost_fp=0, cost_fn=0)


def test_probabilities_outside_unit_interval_raise_usage_error():
    with pytest.raises(UsageError, match="between 0 and 1"):
        choose_threshold([0, 1], [-0.2, 1.3], cost_fp=1, cost_fn=1)


def test_labels_other_than_zero_one_raise_usage_error():
    with pytest.raises(UsageError, match="must be 0 .negative. or 1"):
        choose_threshold([0, 2], [0.2, 0.8])


def test_evaluate_threshold_measures_the_choice_on_test_rows():
    from bizforge.evaluate.threshold import evaluate_threshold

    chosen = choose_threshold([0, 0, 1, 0, 1], [0.1, 0.2, 0.3, 0.6, 0.8], cost_fp=1, cost_fn=10)
    on_test = evaluate_threshold(chosen, [1, 0, 1, 0], [0.35, 0.4, 0.2, 0.1])
    assert on_test.threshold == chosen.threshold and on_test.basis == "test"
    assert on_test.counts == {"tp": 1, "fp": 1, "tn": 1, "fn": 1}
    assert on_test.cost_per_1000 == pytest.approx(1000 * (1 + 10) / 4)
    assert on_test.default_counts == {"tp": 0, "fp": 0, "tn": 2, "fn": 2}
    assert on_test.default_cost_per_1000 == pytest.approx(1000 * 20 / 4)
