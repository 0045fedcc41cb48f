"""Which members join a series' ensemble forecast, and the scale of its intervals.

A member chosen on the backtests still may not know the season of a series whose
history is too short for it: Theta, ETS and the other decomposing models need two
seasons to test for and estimate the season, and forecast without it below that
(seasonal naive and the global model need one). When the data is seasonal (seasonal
naive beat naive on the backtests), such a member is kept out of that series' mean:
the backtest windows of a short history cannot show what missing the season costs
(none of them may hold last year's peak), so their score does not vouch for it. A
series no member can forecast with its season keeps them all.

The intervals' errors are divided by each series' in-sample seasonal naive error
(the MASE denominator), so a series that moves a lot from one year to the next gets
wider intervals than a calm one of the same size. Only backtest rows whose members
ran as they do in the final forecast (the same ones knowing the season), and whose
history was long enough for the same lag as the final one, calibrate them: a window
cut before the season could be estimated has larger errors than the final forecast
will, and a scale at another lag is another unit.

>>> import numpy as np
>>> admitted(np.array([60, 120]), ["theta", "seasonal_naive"], 52, seasonal=True).tolist()
[[False, True], [True, True]]
"""

from __future__ import annotations

import numpy as np

from bizforge.families.forecast.backtest import mean_change
from bizforge.families.forecast.gbm import LEVEL_WINDOW
from bizforge.families.forecast.panel import Panel
from bizforge.families.forecast.stats import FORECASTERS

__all__ = ["admitted", "interval_scale", "lengths", "mask", "scale_lags"]

# members that are not one-series forecasters: from one season on (seasonal naive fallback,
# last season's lags)
ONE_SEASON = ("seasonal_pooled", "global_gbm", "global_ar")


def lengths(panel: Panel) -> np.ndarray:
    return np.array([panel.series(i).size for i in range(len(panel.series_ids))])


def _uses_season(name: str, n: np.ndarray, season: int) -> np.ndarray | None:
    if name in ONE_SEASON:
        return n >= season
    f = FORECASTERS[name].season_from if name in FORECASTERS else None
    return None if f is None else n >= f(season)


def admitted(n: np.ndarray, members: list[str], season: int, seasonal: bool) -> np.ndarray:
    """(series, members) booleans: which members join each series' combination."""
    keep = np.ones((len(n), len(members)), dtype=bool)
    if not seasonal or season <= 1:
        return keep
    for j, name in enumerate(members):
        uses = _uses_season(name, n, season)
        if uses is not None:
            keep[:, j] = uses
    keep[~keep.any(axis=1)] = True
    return keep


def mask(forecasts: list[np.ndarray], keep: np.ndarray) -> list[np.ndarray]:
    """The members' forecasts with NaN for the series each one is kept out of."""
    return [np.where(keep[:, [j]], f, np.nan) for j, f in enumerate(forecasts)]


def scale_lags(panel: Panel, season: int) -> np.ndarray:
    """Each series' lag for :func:`interval_scale`: the season when its (final) history is
    longer than one, else 1; the backtest rows are scaled with the same lag."""
    return np.where((season > 1) & (lengths(panel) > season), season, 1)


def interval_scale(panel: Panel, lags: np.ndarray, fallback: bool = False) -> np.ndarray:
    """Each series' mean absolute difference at its lag (seasonal naive's in-sample error,
    the MASE denominator); its recent level where that is zero, 1 where both are. NaN
    where the history is not longer than the lag, unless ``fallback`` (then the level)."""
    out = np.full(len(panel.series_ids), np.nan)
    for i in range(len(panel.series_ids)):
        y, lag = panel.series(i), int(lags[i])
        if y.size <= lag and not fallback:
            continue
        s = mean_change(y, lag)
        if not s > 0 and y.size:
            s = float(np.mean(np.abs(y[-LEVEL_WINDOW:])))
        out[i] = s if s > 0 else 1.0
    return out
