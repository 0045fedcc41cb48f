"""Statistical forecasters, one series at a time.

Theta, DOTM and ETS are NumPy (:mod:`.theta`, :mod:`.dotm`, :mod:`.smoothing`); STL and
ARIMA go through statsmodels.

Each forecaster maps ``(y, horizon, season)`` to ``horizon`` point forecasts.
Long seasons (52 weeks, 365 days) are handled as the Theta method does: when
the series is seasonal (autocorrelation test at the season lag), it is
divided by classical multiplicative seasonal indices, forecast without
seasonality, and multiplied back — so ETS and ARIMA work on weekly data
without 52 seasonal states.

statsforecast is the library the issue names; it cannot be installed next to
pandas 3 / SciPy 1.17 (2.1.x caps pandas < 3, 2.0.x caps SciPy < 1.16), so
these wrap statsmodels, and ``bench/forecast.py`` runs statsforecast's models
as anchors in a virtual environment of their own.

>>> import numpy as np
>>> y = np.tile([10.0, 12, 14, 12], 6)
>>> FORECASTERS["seasonal_naive"].fn(y, 4, 4).tolist()
[10.0, 12.0, 14.0, 12.0]
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["FORECASTERS", "Forecaster", "combine", "forecast_one", "is_seasonal",
           "seasonal_pooled"]


@dataclass(frozen=True)
class Forecaster:
    name: str
    fn: Callable[[np.ndarray, int, int], np.ndarray]
    min_length: Callable[[int, int], int]   # (horizon, season) -> shortest usable history
    intermittent_only: bool = False
    # season -> shortest history from which the forecast follows the season (None: never)
    season_from: Callable[[int], int] | None = None


def _naive(y, h, m):
    return np.repeat(y[-1], h).astype(float)


def _seasonal_naive(y, h, m):
    if m <= 1 or len(y) < m:
        return _naive(y, h, m)
    last = y[-m:]
    return np.array([last[i % m] for i in range(h)], dtype=float)


def _seasonal_ratio(y, h, m, window=8):
    """Seasonal naive scaled by how the last ``window`` periods compare with the same
    periods one season earlier (a store growing 5% a year forecasts 5% above last year)."""
    if m <= 1 or len(y) < m + window or (y[-window - m:-m] <= 0).any():
        return _seasonal_naive(y, h, m)
    ratio = y[-window:].mean() / y[-window - m:-m].mean()
    return _seasonal_naive(y, h, m) * ratio


def is_seasonal(y: np.ndarray, m: int) -> bool:
    """The Theta method's test: the lag-``m`` autocorrelation is significant at 90%."""
    if m <= 1 or len(y) < 2 * m:
        return False
    from statsmodels.tsa.stattools import acf

    r = acf(y, nlags=m, fft=True)
    limit = 1.645 * np.sqrt((1 + 2 * np.sum(r[1:m] ** 2)) / len(y))
    return bool(abs(r[m]) > limit)


def _seasonal_indices(y: np.ndarray, m: int) -> np.ndarray | None:
    """Classical multiplicative indices (length m, aligned to y[0]) or None."""
    if not is_seasonal(y, m) or (y <= 0).any():
        return None
    from statsmodels.tsa.seasonal import seasonal_decompose

    dec = seasonal_decompose(y, model="multiplicative", period=m, two_sided=True)
    return np.asarray(dec.seasonal[:m], dtype=float)


def _deseasonalised(fn):
    """Fit ``fn`` on the seasonally adjusted series and multiply the season back."""
    def wrapped(y, h, m):
        idx = _seasonal_indices(y, m)
        if idx is None:
            return fn(y, h)
        n = len(y)
        season = idx[np.arange(n) % m]
        ahead = idx[np.arange(n, n + h) % m]
        return fn(y / season, h) * ahead
    return wrapped


@_deseasonalised
def _ets(y, h):
    """AutoETS without seasonality: simple, Holt or damped Holt smoothing, the lowest AICc
    (NumPy, :mod:`.smoothing`; statsmodels' fits took 40-90 ms a series)."""
    from bizforge.families.forecast.smoothing import ets_forecast

    return ets_forecast(y, h)


@_deseasonalised
def _shd(y, h):
    """The M3 competition's "Comb S-H-D": the mean of simple, Holt and damped smoothing."""
    from bizforge.families.forecast.smoothing import fit_models

    fits = fit_models(y, h)
    return np.mean([fc for _, fc in fits.values()], axis=0)


@_deseasonalised
def _arima(y, h):
    """A small AutoARIMA: (p, 1, q) with p, q <= 1 plus a drift, by AICc."""
    from statsmodels.tsa.arima.model import ARIMA

    best, best_aicc = None, np.inf
    for order in ((0, 1, 1), (1, 1, 0), (1, 1, 1)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                fit = ARIMA(y, order=order, trend="t").fit()
            except Exception:  # noqa: BLE001  (a non-invertible start is common; skip it)
                continue
        if fit.aicc < best_aicc:
            best, best_aicc = fit, fit.aicc
    if best is None:
        return _naive(y, h, 1)
    return np.asarray(best.forecast(h), dtype=float)


def _theta(y, h, m):
    """The Theta method (SES with half the drift on deseasonalised data; :mod:`.theta`)."""
    from bizforge.families.forecast.theta import theta_forecast

    return theta_forecast(y, h, m)


def _dotm(y, h, m):
    """The dynamic optimised Theta model (theta and alpha fitted; :mod:`.dotm`)."""
    from bizforge.families.forecast.dotm import dotm_forecast

    return dotm_forecast(y, h, m)


def _stl_ets(y, h, m):
    """STL decomposition (MSTL for one season) + ETS on the seasonally adjusted part."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing
    from statsmodels.tsa.seasonal import STL

    if m <= 1 or len(y) < 2 * m:
        return _ets(y, h, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = STL(y, period=m, robust=True).fit()
        adjusted = y - res.seasonal
        fit = ExponentialSmoothing(adjusted, trend="add", damped_trend=True,
                                   initialization_method="estimated").fit()
    season = res.seasonal[-m:]
    return np.asarray(fit.forecast(h), dtype=float) + np.array([season[i % m] for i in range(h)])


def _croston(y, h, m, alpha=0.1):
    """Croston's method (SBA-corrected): demand size over interval, both smoothed."""
    nz = np.flatnonzero(y != 0)
    if nz.size == 0:
        return np.zeros(h)
    size, interval, last = float(y[nz[0]]), float(nz[0] + 1), nz[0]
    for i in nz[1:]:
        size += alpha * (y[i] - size)
        interval += alpha * ((i - last) - interval)
        last = i
    return np.repeat((1 - alpha / 2) * size / interval, h)


def _tsb(y, h, m, alpha=0.1, beta=0.1):
    """TSB: smooths the probability of demand every period, so obsolete items fade out."""
    nz = np.flatnonzero(y != 0)
    if nz.size == 0:
        return np.zeros(h)
    prob, size = float(nz.size / len(y)), float(y[nz].mean())
    for v in y:
        prob += beta * ((v != 0) - prob)
        if v != 0:
            size += alpha * (v - size)
    return np.repeat(prob * size, h)


def _one_season(m: int) -> int:  # seasonal naive needs one season of history
    return m


def _two_seasons(m: int) -> int:  # the season test and the decomposition need two
    return 2 * m


FORECASTERS: dict[str, Forecaster] = {f.name: f for f in (
    Forecaster("naive", _naive, lambda h, m: 1),
    Forecaster("seasonal_naive", _seasonal_naive, lambda h, m: max(1, m), season_from=_one_season),
    # too short for the ratio: seasonal naive, which still follows the season
    Forecaster("seasonal_ratio", _seasonal_ratio, lambda h, m: m + 8 if m > 1 else 10**9,
               season_from=_one_season),
    Forecaster("theta", _theta, lambda h, m: 6, season_from=_two_seasons),
    Forecaster("dotm", _dotm, lambda h, m: 6, season_from=_two_seasons),
    Forecaster("shd", lambda y, h, m: _shd(y, h, m), lambda h, m: 10, season_from=_two_seasons),
    Forecaster("ets", lambda y, h, m: _ets(y, h, m), lambda h, m: 6, season_from=_two_seasons),
    Forecaster("stl_ets", _stl_ets, lambda h, m: 2 * m if m > 1 else 10**9, season_from=_two_seasons),
    Forecaster("arima", lambda y, h, m: _arima(y, h, m), lambda h, m: 12, season_from=_two_seasons),
    Forecaster("croston", _croston, lambda h, m: 4, intermittent_only=True),
    Forecaster("tsb", _tsb, lambda h, m: 4, intermittent_only=True),
)}


def forecast_one(name: str, y: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """``name``'s forecast of ``y``; seasonal naive (or naive) when the series is too short
    for it or the fit fails, so every series always gets a forecast."""
    f = FORECASTERS[name]
    if len(y) >= f.min_length(horizon, season):
        try:
            out = f.fn(np.asarray(y, dtype=float), horizon, season)
            if np.all(np.isfinite(out)):
                return out
        except (ValueError, np.linalg.LinAlgError):
            pass
    return _seasonal_naive(np.asarray(y, dtype=float), horizon, season)


def seasonal_pooled(values: np.ndarray, horizon: int, season: int, window: int = 13,
                    own: float = 0.7, half: int = 13) -> np.ndarray:
    """Last season's shape, shared across series, scaled to each series' recent growth.

    ``values`` is the panel grid (series x periods, aligned on one calendar). For
    each forecast period, a series' seasonal index is its value one season earlier
    over its mean of the ``2 * half`` periods around it; that index is shrunk
    towards the median index of all series (``own`` of its own, the rest shared), so
    one store's odd week a year ago is not copied forward. The forecast is the
    shrunk index times that surrounding mean, times the growth of the last
    ``window`` periods over the same periods a season earlier. Series without a
    season and ``window`` periods of history get :func:`forecast_one`'s seasonal
    naive.
    """
    n_series, n = values.shape
    out = np.full((n_series, horizon), np.nan)
    if season <= 1 or n < season + window:
        return out
    at = np.arange(n - season, n - season + horizon)
    at = np.where(at < n, at, at - season)  # a horizon past one season reuses the shape
    # Series that start late have all-NaN slices here: NaN, then seasonal naive (caller).
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        base = np.stack([np.nanmean(values[:, max(t - half, 0): min(t + half, n)], axis=1)
                         for t in at], axis=1)
        index = values[:, at] / base
        shared = np.nanmedian(np.where(np.isfinite(index), index, np.nan), axis=0)
        blended = own * index + (1 - own) * shared
        growth = (np.nanmean(values[:, n - window:], axis=1)
                  / np.nanmean(values[:, n - window - season: n - season], axis=1))
        out = base * blended * growth[:, None]
    return out


def combine(forecasts: list[np.ndarray], how: str, weights: list[float]) -> np.ndarray:
    """The ensemble's point forecast: ``median`` of the members, or their weighted mean.

    A member's NaN (a series it was kept out of) is left out of that series' combination
    and the other members' weights rescaled; a cell no member forecasts stays NaN.
    """
    stack = np.stack(forecasts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN cells
        if how == "median":
            return np.nanmedian(stack, axis=0)
        w = np.asarray(weights, dtype=float).reshape((-1,) + (1,) * (stack.ndim - 1))
        have = np.isfinite(stack)
        total = np.where(have, w, 0.0).sum(axis=0)
        out = np.where(have, stack * w, 0.0).sum(axis=0)
        return np.where(total > 0, out / np.where(total > 0, total, 1.0), np.nan)
