"""explore(): more candidates while time remains and the ensemble improves."""

from __future__ import annotations

import numpy as np

from bizforge.train.explore import PATIENCE, candidate_stream, explore


def test_candidate_stream_is_seeded():
    a, b = candidate_stream(seed=3), candidate_stream(seed=3)
    assert [next(a).params for _ in range(6)] == [next(b).params for _ in range(6)]


def _kinds(n: int = 10) -> set[tuple[str, str]]:
    draws = candidate_stream(seed=0)
    return {(c.backend, c.params.get("boosting", "gbdt")) for c in (next(draws) for _ in range(n))}


def test_stream_draws_forests_and_mlps_beside_boosting():
    assert {("lightgbm", "gbdt"), ("lightgbm", "rf"), ("mlp", "gbdt")} <= _kinds()


def test_stream_leaves_out_xgboost_when_it_is_not_installed(monkeypatch):
    from bizforge.models import xgb

    monkeypatch.setattr(xgb, "available", lambda: False)
    assert ("xgboost", "gbdt") not in _kinds()


def each(attempt):
    """explore's ``attempts`` from a one-candidate function, run lazily (as locally)."""
    return lambda stream: (attempt(c) for c in stream)


def test_exploration_stops_after_patience_candidates_without_gain():
    tried = []
    report = explore(each(lambda c: tried.append(c) or c), lambda: 0.8, lambda: 100.0)
    assert len(tried) == PATIENCE and report["stopped"] == "no gain"


def test_exploration_goes_on_while_the_ensemble_improves():
    gains = iter(np.linspace(0.80, 0.90, 12))  # the first value is the starting score
    tried = []
    report = explore(each(lambda c: tried.append(c) or c), lambda: next(gains, 0.9), lambda: 100.0)
    assert report["improved"] == 11 and len(tried) == 11 + PATIENCE


def test_exploration_stops_when_the_time_is_spent():
    left = iter([5.0, 5.0, 0.0])
    report = explore(each(lambda c: c), lambda: 0.8, lambda: next(left))
    assert report == {"tried": 2, "improved": 0, "stopped": "time", "gain": 0.0}


def test_exploration_closes_the_attempts_it_stops_reading():
    closed = []

    def attempts(stream):
        try:
            yield from stream
        finally:
            closed.append(True)  # a cluster cancels its running candidates here

    explore(attempts, lambda: 0.8, lambda: 100.0)
    assert closed == [True]
