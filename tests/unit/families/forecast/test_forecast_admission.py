"""Members kept out of a series' mean when its history is too short for their season."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bizforge.families.forecast.admission import admitted, interval_scale, scale_lags
from bizforge.families.forecast.backtest import Intervals
from bizforge.families.forecast.engine import Selection, _seasonal, forecast
from bizforge.families.forecast.panel import Panel
from bizforge.families.forecast.stats import combine, forecast_one

SEASON = 12


def _panel(values: np.ndarray) -> Panel:
    return Panel([str(i) for i in range(len(values))], pd.RangeIndex(values.shape[1]),
                 values, "int")


def _seasonal_panel(periods: int, n: int = 3) -> Panel:
    rng = np.random.default_rng(0)
    shape = 1 + 0.5 * np.sin(2 * np.pi * np.arange(periods) / SEASON)
    return _panel(np.vstack([100 * (i + 1) * shape * (1 + 0.02 * rng.standard_normal(periods))
                             for i in range(n)]))


def _selection(seasonal: bool) -> Selection:
    return Selection(4, SEASON, {"theta": 0.5, "seasonal_naive": 0.5},
                     Intervals.fit(np.zeros((1, 4)), 4), [], combine="mean", seasonal=seasonal)


def test_a_model_that_cannot_estimate_the_season_stays_out_of_a_seasonal_mean():
    panel = _seasonal_panel(20)  # under two seasons: Theta cannot test for the season
    point, members, _ = forecast(panel, _selection(seasonal=True))
    assert np.isnan(members["theta"]).all()
    expected = np.vstack([forecast_one("seasonal_naive", panel.series(i), 4, SEASON)
                          for i in range(3)])
    np.testing.assert_allclose(point, expected)


def test_without_a_season_in_the_data_every_member_stays_in_the_mean():
    panel = _seasonal_panel(20)
    point, members, _ = forecast(panel, _selection(seasonal=False))
    assert np.isfinite(members["theta"]).all()
    np.testing.assert_allclose(point, (members["theta"] + members["seasonal_naive"]) / 2)


def test_with_two_seasons_of_history_the_decomposing_models_are_admitted():
    keep = admitted(np.array([20, 24, 30]), ["theta", "seasonal_naive", "naive"], SEASON, True)
    assert keep.tolist() == [[False, True, True], [True, True, True], [True, True, True]]
    only_blind = admitted(np.array([10]), ["theta", "ets"], SEASON, True)
    assert only_blind.all()  # no member knows the season: all of them stay


def test_the_data_is_seasonal_when_seasonal_naive_beats_naive_on_the_backtests():
    actual = np.array([[10.0, 20, 10, 20]])
    results = {"naive": np.full((1, 4), 20.0), "seasonal_naive": actual + 1}
    assert _seasonal(results, actual, 2)
    assert not _seasonal(results, actual, 1)
    assert not _seasonal({"naive": actual + 1, "seasonal_naive": actual + 2}, actual, 2)


def test_the_mean_leaves_out_members_without_a_forecast_for_a_series():
    a, b = np.array([[1.0, 2], [3, 4]]), np.array([[np.nan, np.nan], [5, 6]])
    np.testing.assert_allclose(combine([a, b], "mean", [0.5, 0.5]), [[1, 2], [4, 5]])
    np.testing.assert_allclose(combine([a, b], "median", [0.5, 0.5]), [[1, 2], [4, 5]])


def test_intervals_scale_with_how_much_a_series_moves_from_one_season_to_the_next():
    t = np.arange(3 * SEASON)
    calm = 100 + np.sin(2 * np.pi * t / SEASON) + 0.1 * np.random.default_rng(0).random(t.size)
    moving = 100 + np.sin(2 * np.pi * t / SEASON) + 10 * (-1.0) ** (t // SEASON)
    panel = _panel(np.vstack([calm, moving, np.zeros(3 * SEASON)]))
    scale = interval_scale(panel, scale_lags(panel, SEASON))
    assert scale[1] > 10 * scale[0]
    assert scale[2] == 1.0  # a constant zero series still gets a usable scale


def test_a_backtest_too_short_for_the_final_lag_is_not_scaled_in_another_unit():
    panel = _seasonal_panel(30)  # longer than a season: the seasonal lag
    lags = scale_lags(panel, SEASON)
    assert (lags == SEASON).all()
    assert np.isnan(interval_scale(panel.cut(SEASON), lags)).all()
    assert np.isfinite(interval_scale(panel.cut(SEASON), lags, fallback=True)).all()
