"""The dynamic optimised Theta model (DOTM) in NumPy.

Fiorucci et al. (2016) write the Theta method as a state-space model and free
the two numbers the classic method fixes: the weight ``theta`` of the long-run
trend line (the classic method uses 2, i.e. half the slope) and the smoothing
weight ``alpha``; and the trend line's intercept ``A_t`` and slope ``B_t`` are
refitted as each observation arrives (least squares over ``y_1..y_t``, updated
in O(1)) instead of once over the whole history. The forecast ``h`` steps after
period ``t`` is

    level_t + (1 - 1/theta) * B_t * (h - 1 + (1 - (1 - alpha)**(t + 1)) / alpha)

with ``level_t`` the simple exponential smoothing of the (seasonally adjusted)
series. ``alpha`` and ``theta`` minimise the one-step squared errors; every pair
of a grid is run through the recursion at once (one pass over the series), so a
series costs about a millisecond. Seasonality is handled as in :mod:`.theta`
(classical decomposition when the lag-``m`` autocorrelation is significant).

>>> import numpy as np
>>> y = 100 + 2.0 * np.arange(40)
>>> np.round(dotm_forecast(y, 3, 1)).tolist()  # the trend, nearly in full
[180.0, 182.0, 184.0]
"""

from __future__ import annotations

import numpy as np

__all__ = ["dotm_forecast"]

_ALPHAS = np.linspace(0.02, 0.98, 25)
_THETAS = np.array([1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 6.0, 10.0, 20.0])


def _run(y: np.ndarray, alpha: np.ndarray, w: np.ndarray):
    """One pass over ``y`` for every (alpha, w = 1 - 1/theta) pair (flat arrays).

    Returns (sum of squared one-step errors, final level, final slope)."""
    n = len(y)
    level = np.full(alpha.shape, y[0])
    mean, slope = y[0], 0.0
    sse = np.zeros(alpha.shape)
    q = 1.0 - alpha
    qt = q.copy()  # (1 - alpha) ** t, t = 1 after the first observation
    for t in range(1, n):  # y[t] is observation t + 1
        pred = level + w * slope * (1.0 - qt * q) / alpha
        err = y[t] - pred
        sse += err * err
        level = alpha * y[t] + q * level
        # running least-squares slope over periods 1..t+1 (the update keeps it exact)
        k = t + 1
        slope = ((k - 2) * slope + 6.0 * (y[t] - mean) / k) / (k + 1)
        mean = (t * mean + y[t]) / k
        qt = qt * q
    return sse, level, slope, qt


def _fit_forecast(y: np.ndarray, h: int) -> np.ndarray:
    a, th = np.meshgrid(_ALPHAS, _THETAS, indexing="ij")
    alpha, w = a.ravel(), 1.0 - 1.0 / th.ravel()
    sse, level, slope, qt = _run(y, alpha, w)
    k = int(np.argmin(sse))
    steps = np.arange(h, dtype=float) + (1.0 - qt[k] * (1.0 - alpha[k])) / alpha[k]
    return level[k] + w[k] * slope * steps


def dotm_forecast(y: np.ndarray, h: int, m: int) -> np.ndarray:
    """DOTM's ``h`` forecasts of ``y`` (season length ``m``; 1 for none)."""
    from bizforge.families.forecast.theta import seasonally_adjusted

    return seasonally_adjusted(
        y, h, m, lambda z, k: _fit_forecast(z, k) if len(z) > 2 else np.repeat(z[-1], k))
