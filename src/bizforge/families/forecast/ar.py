"""A global recursive LightGBM for data with a season inside a longer one (hours in a week).

Hourly series carry a daily season (24) and a weekly one (168 = 7 x 24): seasonal naive
over a day misses the weekend, Theta/ETS deseasonalise one season only. This model
learns one step ahead from the last day's values, the same hour of each earlier day of
the week and the hours either side of a week back and two weeks back (all divided by the series' mean
absolute level over the last long season, so big and small series share one model), plus
that week's spread, its level against the week before, and the same hour's mean over the
last one and two weeks; it then forecasts the horizon recursively, each
forecast becoming a lag of the next step. One model is fitted for all backtest windows
(on the history before the earliest one, so no window sees its own future) and one on
the full history.

Which data gets it (:func:`long_season`): a frequency whose season sits inside a longer
calendar cycle: hourly data (a calendar at ``h``, or 24 periods to a season on an
integer index, read as hours of a day) -> a week of hours.

>>> long_season("h", 24), long_season("int", 24), long_season("W-SUN", 52)
(168, 168, None)
>>> X, y = _training_rows(np.tile(np.arange(1.0, 5.0), 10), season=2, long=4, stride=1)
>>> X.shape[1] == len(_lags(2, 4)) + 5, len(y)
(True, 35)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from bizforge.families.forecast.panel import Panel

__all__ = ["GlobalAR", "long_season", "rows_for", "usable"]

MAX_ROWS = 200_000  # training rows over all series; more are thinned to every k-th
ROWS_PER_SECOND = 1_500  # of the time limit: a fit of 200,000 rows took 17-30 s on one core
ROUNDS = 300


def long_season(freq: str, season: int) -> int | None:
    """The longer cycle the season sits in (hours in a week), or None."""
    hourly = freq.split("-")[0] in ("h", "H") or (freq == "int" and season == 24)
    return 7 * season if hourly and season == 24 else None


def rows_for(time_limit: float) -> int:
    """Training rows for a budget: two fits (the backtests' and the final one) in about
    a quarter of it."""
    return int(min(MAX_ROWS, max(20_000, ROWS_PER_SECOND * time_limit)))


def usable(freq: str, season: int, lengths: np.ndarray, horizon: int) -> bool:
    """A long season exists and the typical series holds two of them plus the horizon."""
    long = long_season(freq, season)
    return bool(long and lengths.size and np.median(lengths) >= 2 * long + horizon)


def _lags(season: int, long: int) -> list[int]:
    """The last season, the same period of each earlier season in the long one, the
    periods either side of one long season back, and two long seasons back."""
    lags = set(range(1, season + 1)) | {k * season for k in range(2, long // season + 1)}
    return sorted(lags | {long - 1, long, long + 1, 2 * long})


def _features(hist: np.ndarray, season: int, long: int) -> tuple[np.ndarray, np.ndarray]:
    """(features, level) of rows of ``hist`` (rows, 2 * long: the history before the
    period to forecast, the last column one step before it)."""
    n = hist.shape[1]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows give NaN, by design
        level = np.nanmean(np.abs(hist[:, n - long:]), axis=1)
        before = np.nanmean(np.abs(hist[:, n - 2 * long: n - long]), axis=1)
        cols = [hist[:, n - lag] / level for lag in _lags(season, long)]
        same = [n - k * season for k in range(1, 2 * long // season + 1)]
        cols += [np.nanmean(hist[:, n - season:], axis=1) / level,
                 np.nanstd(hist[:, n - long:], axis=1) / level, level / before,
                 # the same period of the season, averaged over one and two long seasons
                 np.nanmean(hist[:, same[: long // season]], axis=1) / level,
                 np.nanmean(hist[:, same], axis=1) / level]
    return np.stack(cols, axis=1), level


def _training_rows(y: np.ndarray, season: int, long: int,
                   stride: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows for every ``stride``-th period of ``y`` counted back from its end (the
    history before each, padded with NaN where the series had not started)."""
    width = 2 * long
    padded = np.concatenate([np.full(width, np.nan), y])
    windows = sliding_window_view(padded, width + 1)[::-1][::stride]
    # a row once every lag exists (a long season and one period of history)
    windows = windows[~np.isnan(windows[:, -1]) & ~np.isnan(windows[:, long - 1])]
    X, level = _features(windows[:, :-1], season, long)
    ok = np.isfinite(level) & (level > 0)
    return X[ok], windows[ok, -1] / level[ok]


@dataclass
class GlobalAR:
    """Fit with :meth:`fit` on a panel; :meth:`forecast` from the end of any panel."""

    horizon: int
    season: int
    long: int
    seed: int = 0
    max_rows: int = MAX_ROWS
    booster_: Any = None

    def fit(self, panel: Panel) -> GlobalAR:
        import lightgbm as lgb

        series = [panel.series(i) for i in range(len(panel.series_ids))]
        total = sum(max(0, y.size - self.long - 1) for y in series)
        stride = max(1, -(-total // self.max_rows))
        parts = [_training_rows(y, self.season, self.long, stride) for y in series
                 if y.size > self.long + 1]
        if not parts:  # no series holds a long season: no model, NaN forecasts
            return self
        X = np.vstack([p[0] for p in parts])
        Y = np.concatenate([p[1] for p in parts])
        params = {"objective": "l1", "learning_rate": 0.05, "num_leaves": 63,
                  "min_data_in_leaf": 50, "feature_fraction": 0.8, "bagging_fraction": 0.8,
                  "bagging_freq": 1, "seed": self.seed, "verbose": -1, "num_threads": 1,
                  "deterministic": True}
        self.booster_ = lgb.train(params, lgb.Dataset(X, Y), num_boost_round=ROUNDS)
        return self

    def forecast(self, panel: Panel) -> np.ndarray:
        """(n_series, horizon) forecasts from the end of each series, step by step."""
        width = 2 * self.long
        n = len(panel.series_ids)
        grid = np.full((n, width + self.horizon), np.nan)
        if self.booster_ is None:
            return grid[:, width:]
        has = np.zeros(n, dtype=bool)
        for i in range(n):
            y = panel.series(i)[-width:]
            if y.size >= 2:
                grid[i, width - y.size: width] = y
                has[i] = True
        for k in range(self.horizon):
            X, level = _features(grid[has, k: k + width], self.season, self.long)
            step = self.booster_.predict(X) * np.where(np.isfinite(level), level, 0.0)
            grid[has, width + k] = step
        out = grid[:, width:]
        out[~has] = np.nan
        return out
