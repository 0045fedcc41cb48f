"""Forecasters, backtest windows, metrics, the ensemble and the intervals."""

from __future__ import annotations

import numpy as np
import pytest

from bizforge.families.forecast.backtest import (
    Intervals,
    greedy_ensemble,
    mase,
    smape,
    wape,
    window_origins,
)
from bizforge.families.forecast.stats import FORECASTERS, forecast_one


def test_seasonal_naive_repeats_the_last_season():
    y = np.tile([1.0, 2, 3, 4], 5)
    assert forecast_one("seasonal_naive", y, 6, 4).tolist() == [1, 2, 3, 4, 1, 2]


@pytest.mark.parametrize("name", ["theta", "ets", "arima", "stl_ets"])
def test_each_statistical_model_follows_a_trend(name):
    y = 50 + 2.0 * np.arange(60) + np.random.default_rng(0).normal(0, 0.5, 60)
    out = forecast_one(name, y, 4, 12)
    assert out.shape == (4,) and out[-1] > y[-5]


def test_croston_forecasts_the_average_demand_rate_of_intermittent_series():
    y = np.array([0, 0, 6, 0, 0, 6, 0, 0, 6, 0, 0, 6.0])
    out = FORECASTERS["croston"].fn(y, 3, 1)
    assert out == pytest.approx([2 * 0.95] * 3, rel=0.1)


def test_a_series_too_short_for_a_model_falls_back_to_naive():
    assert forecast_one("stl_ets", np.array([3.0, 4, 5]), 2, 52).tolist() == [5.0, 5.0]


def test_windows_step_back_by_the_horizon_from_the_end():
    assert window_origins(100, 10, 3, 20) == [70, 80, 90]


def test_windows_shrink_their_step_so_each_keeps_two_seasons():
    assert window_origins(143, 12, 4, 24, seasonal_train=104) == [104, 113, 122, 131]


def test_metrics_on_a_known_case():
    a, p = np.array([[10.0, 20.0]]), np.array([[12.0, 20.0]])
    assert wape(a, p) == pytest.approx(2 / 30)
    assert smape(a, p) == pytest.approx(100 * (2 * 2 / 22) / 2)
    assert mase(a, p, np.array([2.0])) == pytest.approx(0.5)


def test_the_ensemble_weighs_the_better_model_most():
    actual = np.arange(20.0).reshape(4, 5)
    fc = {"good": actual + 0.1, "bad": actual + 5.0}
    weights = greedy_ensemble(fc, actual)
    assert weights == {"good": 1.0}


def test_conformal_intervals_cover_their_share_of_backtest_errors():
    errors = np.random.default_rng(0).normal(0, 1, (2000, 3))
    iv = Intervals.fit(errors, 3)
    lo, hi = iv.around(np.zeros((1, 3)), np.array([1.0]), 80)
    assert lo[0] == pytest.approx([-1.28] * 3, abs=0.1)
    assert hi[0] == pytest.approx([1.28] * 3, abs=0.1)
    assert Intervals.from_dict(iv.to_dict()).bounds[95].shape == (2, 3)


def test_the_median_ensemble_counts_identical_models_once():
    from bizforge.families.forecast.engine import _ensemble

    actual = np.array([[10.0, 10, 10, 10]])
    naive = np.array([[14.0, 14, 14, 14]])
    results = {"seasonal_naive": naive, "seasonal_ratio": naive.copy(),
               "theta": np.array([[11.0, 11, 11, 11]]), "ets": np.array([[9.5, 9.5, 9.5, 9.5]]),
               "arima": np.array([[10.5, 10.5, 10.5, 10.5]])}
    weights, how = _ensemble(results, actual)
    assert how == "mean" and "seasonal_ratio" not in weights  # a copy of seasonal naive
    del results["seasonal_naive"]  # no benchmark run: the median of the competitive models
    weights, how = _ensemble(results, actual)
    assert how == "median" and set(weights) == {"theta", "ets", "arima"}


def test_the_ensemble_is_the_mean_of_the_models_that_beat_the_naive_benchmarks():
    from bizforge.families.forecast.engine import _ensemble

    actual = np.array([[10.0, 10, 10, 10]])
    results = {"naive": np.full((1, 4), 12.0), "seasonal_naive": np.full((1, 4), 13.0),
               "theta": np.full((1, 4), 11.0), "dotm": np.full((1, 4), 9.0),
               "ets": np.full((1, 4), 11.5), "arima": np.full((1, 4), 12.5)}
    weights, how = _ensemble(results, actual)
    assert how == "mean" and weights == {"theta": 0.5, "dotm": 0.5, "ets": 0.5} | {
        "theta": 1 / 3, "dotm": 1 / 3, "ets": 1 / 3}


def test_when_no_model_beats_the_benchmarks_the_better_benchmark_forecasts_alone():
    from bizforge.families.forecast.engine import _ensemble

    actual = np.array([[10.0, 10, 10, 10]])
    results = {"naive": np.full((1, 4), 13.0), "seasonal_naive": np.full((1, 4), 11.0),
               "theta": np.full((1, 4), 11.5), "dotm": np.full((1, 4), 12.0),
               "ets": np.full((1, 4), 12.5)}
    weights, how = _ensemble(results, actual)
    assert weights == {"seasonal_naive": 1.0} and how == "mean"


@pytest.mark.parametrize("season", [1, 4, 12])
def test_the_numpy_theta_method_agrees_with_statsmodels_thetamodel(season):
    import warnings

    from statsmodels.tsa.forecasting.theta import ThetaModel

    from bizforge.families.forecast.stats import is_seasonal
    from bizforge.families.forecast.theta import theta_forecast

    rng = np.random.default_rng(season)
    t = np.arange(72)
    y = (200 + 1.5 * t + rng.normal(0, 4, 72)) * (1 + 0.2 * np.sin(2 * np.pi * t / season))
    seasonal = is_seasonal(y, season)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = ThetaModel(y, period=season if seasonal else None, deseasonalize=seasonal,
                         method="multiplicative").fit().forecast(8)
    assert theta_forecast(y, 8, season) == pytest.approx(np.asarray(ref), rel=0.01)


def test_the_theta_method_extrapolates_half_the_trend():
    y = 100 + 2.0 * np.arange(30)
    out = FORECASTERS["theta"].fn(y, 3, 1)
    assert np.diff(out) == pytest.approx([1.0, 1.0], abs=1e-6)


def test_the_optimised_theta_model_fits_how_much_of_the_trend_to_keep():
    trend = 100 + 2.0 * np.arange(40)
    assert np.diff(FORECASTERS["dotm"].fn(trend, 3, 1)) == pytest.approx([1.9, 1.9], abs=0.01)
    walk = 100 + np.cumsum(np.random.default_rng(0).choice([-3.0, 3.0], 200))
    drift = np.diff(FORECASTERS["dotm"].fn(walk, 3, 1))
    assert abs(drift[0]) < 0.5  # no trend to follow: mostly the level


def test_the_optimised_theta_model_keeps_the_season():
    t = np.arange(48)
    y = (100 + 0.5 * t) * np.tile([0.8, 1.0, 1.2, 1.0], 12)
    out = FORECASTERS["dotm"].fn(y, 4, 4)
    assert out[2] > out[1] > out[0] and out[2] > out[3]



def test_rul_intervals_widen_where_the_predictions_are_less_sure():
    from bizforge.families.forecast.rul import bin_interval, interval_bins

    rng = np.random.default_rng(0)
    pred = np.concatenate([np.full(600, 125.0), rng.uniform(0, 100, 600)])
    resid = np.concatenate([rng.normal(0, 1, 600), rng.normal(0, 20, 600)])
    bins = interval_bins(pred, resid)
    lo, hi = bin_interval(bins, np.array([125.0, 50.0]), "80")
    width = hi - lo
    assert width[0] < 5 and width[1] > 30
    inside = (resid >= bin_interval(bins, pred, "80")[0] - pred) & (
        resid <= bin_interval(bins, pred, "80")[1] - pred)
    assert 0.75 < inside[600:].mean() < 0.85 and 0.75 < inside[:600].mean() < 0.85
    assert interval_bins(pred[:50], resid[:50]) is None
