"""Hourly data: the recursive global model that knows a day inside a week (ar.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bizforge.families.forecast.ar import GlobalAR, long_season, rows_for, usable
from bizforge.families.forecast.panel import build_panel


def _hourly_panel(n_series: int = 8, weeks: int = 4, horizon: int = 48, seed: int = 0):
    """Series with a daily shape and quiet weekends (day 5 and 6 of each week), each on its
    own level; the history ends on a Friday evening so the horizon is the weekend."""
    rng = np.random.default_rng(seed)
    t = np.arange(weeks * 168 + 5 * 24 + horizon)
    day = 1 + 0.5 * np.sin(2 * np.pi * t / 24)
    weekend = np.where((t // 24) % 7 >= 5, 0.4, 1.0)
    rows, future = [], []
    for s in range(n_series):
        y = rng.uniform(50, 500) * day * weekend * rng.normal(1, 0.02, t.size)
        hist = y[:-horizon]
        rows.append(pd.DataFrame({"series": f"s{s}", "period": np.arange(1 - hist.size, 1),
                                  "value": hist}))
        future.append(y[-horizon:])
    frame = pd.concat(rows, ignore_index=True)
    panel = build_panel(frame, target="value", time="period", ids=["series"], covariates=[])
    order = [panel.series_ids.index(f"s{s}") for s in range(n_series)]
    return panel, np.vstack(future)[np.argsort(order)]


def test_hourly_data_has_a_week_of_hours_as_its_long_season():
    assert long_season("h", 24) == 168            # a calendar at hours
    assert long_season("int", 24) == 168          # 24 periods to a season: hours of a day
    assert long_season("W-SUN", 52) is None       # weekly, monthly, daily: no such model
    assert long_season("MS", 12) is None and long_season("D", 7) is None
    assert usable("int", 24, np.array([700, 960, 800]), 48)
    assert not usable("int", 24, np.array([200, 300, 250]), 48)  # under two weeks + 48 h
    assert not usable("W-SUN", 52, np.array([2000, 2000]), 13)


def test_the_recursive_model_forecasts_the_weekend_that_seasonal_naive_misses():
    panel, future = _hourly_panel()
    model = GlobalAR(48, 24, 168, max_rows=5000).fit(panel)
    pred = model.forecast(panel)
    last_day = np.vstack([panel.series(i)[-24:] for i in range(len(panel.series_ids))])
    naive24 = np.tile(last_day, 2)
    err = np.abs(pred - future).mean() / np.abs(future).mean()
    err_naive = np.abs(naive24 - future).mean() / np.abs(future).mean()
    assert pred.shape == future.shape and np.isfinite(pred).all()
    assert err < 0.1 < err_naive  # the weekend at 40% of a weekday: naive over a day is off


def test_a_series_shorter_than_a_week_still_gets_a_forecast():
    panel, _ = _hourly_panel(n_series=4)
    short = pd.DataFrame({"series": "tiny", "period": np.arange(-29, 1),
                          "value": np.linspace(5, 8, 30)})
    frame = pd.concat([pd.DataFrame({"series": sid, "period": np.arange(1 - y.size, 1),
                                     "value": y})
                       for sid, y in ((s, panel.series(i)) for i, s in
                                      enumerate(panel.series_ids))] + [short])
    both = build_panel(frame, target="value", time="period", ids=["series"], covariates=[])
    pred = GlobalAR(48, 24, 168, max_rows=3000).fit(both).forecast(both)
    assert np.isfinite(pred).all()


def test_the_training_rows_follow_the_time_limit():
    assert rows_for(10) == 20_000 and rows_for(60) == 90_000 and rows_for(3600) == 200_000


def test_one_model_that_beats_the_benchmarks_forecasts_alone():
    from bizforge.families.forecast.engine import _ensemble

    actual = np.array([[10.0, 10, 10, 10]])
    results = {"naive": np.full((1, 4), 13.0), "seasonal_naive": np.full((1, 4), 11.0),
               "global_ar": np.full((1, 4), 10.2), "theta": np.full((1, 4), 11.5),
               "dotm": np.full((1, 4), 12.0)}
    weights, how = _ensemble(results, actual)
    assert weights == {"global_ar": 1.0} and how == "mean"


def test_the_backtests_of_hourly_data_use_the_recursive_model_fitted_once(monkeypatch):
    from bizforge.families.forecast import engine

    panel, _ = _hourly_panel(n_series=6)
    fits = []
    real_fit = GlobalAR.fit

    def counting(self, p):
        fits.append(p.values.shape[1])
        return real_fit(self, p)

    monkeypatch.setattr(GlobalAR, "fit", counting)
    sel = engine.select(panel, horizon=48, season=24, time_limit=20,
                        candidates=["naive", "seasonal_naive", "global_ar", "global_gbm"])
    names = [r["name"] for r in sel.leaderboard]
    assert "global_ar" in names and "global_gbm" not in names  # the direct one stays out
    origins = [int(w["origin"]) - int(panel.index[0]) for w in sel.windows]
    assert len(fits) == 1 and fits[0] < min(origins)  # one fit, before the earliest window


def test_a_model_that_beats_the_benchmarks_in_only_one_window_of_four_stays_out():
    from bizforge.families.forecast.engine import _ensemble

    # four windows of one series each: "theta" wins the stacked total through window 1
    actual = np.full((4, 2), 100.0)
    snaive = np.array([[130.0] * 2, [104] * 2, [104] * 2, [104] * 2])
    theta = np.array([[101.0] * 2, [106] * 2, [106] * 2, [106] * 2])
    ar = np.array([[120.0] * 2, [102] * 2, [102] * 2, [102] * 2])
    results = {"naive": np.full((4, 2), 150.0), "seasonal_naive": snaive, "theta": theta,
               "global_ar": ar}
    assert _ensemble(results, actual)[0] == {"theta": 0.5, "global_ar": 0.5}  # stacked only
    assert _ensemble(results, actual, n_windows=4)[0] == {"global_ar": 1.0}
