"""Exponential smoothing (ETS without a season) in NumPy, a millisecond per series.

Simple (level), Holt (level and trend) and damped-trend Holt smoothing with
additive errors, the three non-seasonal ETS models AutoETS chooses among: every
smoothing-parameter combination of a grid runs through the recursion at once,
each model keeps its lowest one-step squared error, and the models compete on
AICc as in AutoETS. The starting level and trend come from a least-squares line
over the first ten periods (Hyndman et al.'s heuristic) instead of being
optimised. Seasonal series are handled by the caller (classical decomposition;
see :func:`.stats._deseasonalised`).

>>> import numpy as np
>>> y = 10 + 0.5 * np.arange(30) + np.tile([0.2, -0.2], 15)
>>> np.round(ets_forecast(y, 2), 1).tolist()  # Holt wins on AICc
[25.0, 25.5]
"""

from __future__ import annotations

import numpy as np

__all__ = ["ets_forecast", "fit_models"]

_ALPHAS = np.linspace(0.02, 0.98, 17)
_BETAS = np.array([0.01, 0.05, 0.1, 0.2, 0.4])  # fractions of alpha (beta <= alpha)
_PHIS = np.array([0.8, 0.85, 0.9, 0.95, 0.98])


def _grid(kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if kind == "simple":
        return _ALPHAS, np.zeros_like(_ALPHAS), np.ones_like(_ALPHAS)
    phis = np.array([1.0]) if kind == "holt" else _PHIS
    a, b, p = np.meshgrid(_ALPHAS, _BETAS, phis, indexing="ij")
    return a.ravel(), (a * b).ravel(), p.ravel()


def _start(y: np.ndarray) -> tuple[float, float]:
    k = min(10, len(y))
    slope, intercept = np.polyfit(np.arange(k, dtype=float), y[:k], 1) if k > 1 else (0.0, y[0])
    return float(intercept - slope), float(slope)  # the state one period before y[0]


def _run(y, alpha, beta, phi, trend: bool):
    l0, b0 = _start(y)
    level = np.full(alpha.shape, l0)
    slope = np.full(alpha.shape, b0 if trend else 0.0)
    sse = np.zeros(alpha.shape)
    for v in y:
        pred = level + phi * slope
        err = v - pred
        sse += err * err
        level = pred + alpha * err
        slope = phi * slope + beta * err
    return sse, level, slope


_MEMO: dict[tuple[bytes, int], dict] = {}  # ETS and Comb S-H-D fit the same three models


def fit_models(y: np.ndarray, h: int) -> dict[str, tuple[float, np.ndarray]]:
    """{model: (AICc, h forecasts)} for ``simple``, ``holt`` and ``damped``."""
    y = np.asarray(y, dtype=float)
    key = (y.tobytes(), h)
    if key not in _MEMO:
        if len(_MEMO) > 20000:
            _MEMO.clear()
        _MEMO[key] = _fit_models(y, h)
    return _MEMO[key]


def _fit_models(y: np.ndarray, h: int) -> dict[str, tuple[float, np.ndarray]]:
    n = len(y)
    out = {}
    for kind, k in (("simple", 2), ("holt", 4), ("damped", 5)):
        if kind != "simple" and n < 10:
            continue
        alpha, beta, phi = _grid(kind)
        sse, level, slope = _run(y, alpha, beta, phi, kind != "simple")
        i = int(np.argmin(sse))
        steps = np.cumsum(phi[i] ** np.arange(1, h + 1))
        fc = level[i] + steps * slope[i]
        aicc = (n * np.log(max(sse[i], 1e-12) / n) + 2 * (k + 1)
                + (2 * (k + 1) * (k + 2) / (n - k - 2) if n - k - 2 > 0 else np.inf))
        out[kind] = (float(aicc), fc)
    return out


def ets_forecast(y: np.ndarray, h: int) -> np.ndarray:
    """The forecasts of the model with the lowest AICc."""
    fits = fit_models(y, h)
    return min(fits.values(), key=lambda r: r[0])[1]
