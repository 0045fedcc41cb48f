"""Rolling-origin backtests, forecast metrics, the ensemble and conformal intervals.

Never a random split: each window cuts the panel at an origin, forecasts the
next ``horizon`` periods from what came before and scores them. Windows step
back from the end by ``horizon`` periods. The ensemble is a greedy forward
selection (with repetition) of the models whose averaged forecast has the
lowest absolute error over every window; its intervals come from the
ensemble's own backtest errors, per step ahead, divided by each series'
scale (its seasonal naive error; split conformal).

>>> import numpy as np
>>> round(wape(np.array([[10.0, 10]]), np.array([[9.0, 12]])), 3)
0.15
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["LEVELS", "Intervals", "coverage", "greedy_ensemble", "mase", "mean_change", "smape", "wape",
           "window_origins"]

LEVELS = (80, 95)


def window_origins(length: int, horizon: int, windows: int, min_train: int,
                   seasonal_train: int = 0) -> list[int]:
    """Origins (periods of history) of up to ``windows`` backtests, oldest first.

    Windows step back by ``horizon`` periods; when that would leave the older windows
    with less than ``seasonal_train`` periods (two seasons, which the seasonal models
    need) while the last one has them, the step shrinks so every window has them: a
    backtest should judge the models as they will run on the full history.

    >>> window_origins(143, 12, 4, 24, seasonal_train=104)
    [104, 113, 122, 131]
    """
    last = length - horizon
    step = horizon
    if seasonal_train and last - horizon * (windows - 1) < seasonal_train <= last:
        step = max(1, (last - seasonal_train) // max(windows - 1, 1))
    out = [last - step * w for w in range(windows - 1, -1, -1)]
    return [o for o in out if o >= min_train]


def wape(actual: np.ndarray, pred: np.ndarray) -> float:
    ok = ~np.isnan(actual) & ~np.isnan(pred)
    denom = np.abs(actual[ok]).sum()
    return float(np.abs(actual[ok] - pred[ok]).sum() / denom) if denom else float("nan")


def smape(actual: np.ndarray, pred: np.ndarray) -> float:
    """Symmetric MAPE in percent (0-200), as in the M competitions."""
    ok = ~np.isnan(actual) & ~np.isnan(pred)
    a, p = actual[ok], pred[ok]
    denom = np.abs(a) + np.abs(p)
    terms = np.where(denom > 0, 2 * np.abs(a - p) / np.where(denom > 0, denom, 1), 0.0)
    return float(100 * terms.mean()) if terms.size else float("nan")


def mase(actual: np.ndarray, pred: np.ndarray, scales: np.ndarray) -> float:
    """Mean absolute error over each series' in-sample seasonal-naive error, averaged."""
    per = []
    for a, p, s in zip(actual, pred, scales, strict=True):
        ok = ~np.isnan(a) & ~np.isnan(p)
        if ok.any() and s > 0:
            per.append(np.abs(a[ok] - p[ok]).mean() / s)
    return float(np.mean(per)) if per else float("nan")


def naive_scale(y: np.ndarray, season: int) -> float:
    """Mean absolute seasonal difference of the history (lag 1 when too short)."""
    return mean_change(y, season if season > 1 and len(y) > season else 1)


def mean_change(y: np.ndarray, lag: int) -> float:
    """Mean absolute difference of ``y`` at ``lag`` (0 when ``y`` is not longer than it)."""
    return float(np.mean(np.abs(y[lag:] - y[:-lag]))) if len(y) > lag else 0.0


def coverage(actual: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    ok = ~np.isnan(actual)
    return float(((actual >= lo) & (actual <= hi))[ok].mean()) if ok.any() else float("nan")


def greedy_ensemble(forecasts: dict[str, np.ndarray], actual: np.ndarray,
                    rounds: int = 25) -> dict[str, float]:
    """Weights (summing to 1) of the forward selection with the lowest total absolute error.

    ``forecasts[name]`` and ``actual`` are stacked backtest windows of equal shape.
    """
    names = [n for n, f in forecasts.items() if np.isfinite(f[~np.isnan(actual)]).all()]
    if not names:
        raise ValueError("no model produced finite backtest forecasts")
    ok = ~np.isnan(actual)
    counts = dict.fromkeys(names, 0)
    total = np.zeros(int(ok.sum()))
    best_err = np.inf
    for r in range(rounds):
        trial = {n: np.abs((total + forecasts[n][ok]) / (r + 1) - actual[ok]).sum()
                 for n in names}
        name = min(trial, key=trial.get)
        if trial[name] >= best_err - 1e-12 and r > 0:
            break
        best_err = trial[name]
        counts[name] += 1
        total += forecasts[name][ok]
    used = sum(counts.values())
    return {n: c / used for n, c in counts.items() if c}


@dataclass
class Intervals:
    """Scaled error quantiles per step ahead: ``bounds[level]`` is (2, horizon)."""

    bounds: dict[int, np.ndarray]

    @classmethod
    def fit(cls, errors: np.ndarray, horizon: int) -> Intervals:
        """``errors``: (n, horizon) of (actual - forecast) / scale from the backtests."""
        bounds = {}
        for level in LEVELS:
            a = (1 - level / 100) / 2
            lo = np.nanquantile(errors, a, axis=0) if errors.size else np.zeros(horizon)
            hi = np.nanquantile(errors, 1 - a, axis=0) if errors.size else np.zeros(horizon)
            bounds[level] = np.vstack([np.nan_to_num(lo), np.nan_to_num(hi)])
        return cls(bounds)

    def around(self, point: np.ndarray, scale_of_series: np.ndarray,
               level: int) -> tuple[np.ndarray, np.ndarray]:
        """(lo, hi) arrays like ``point`` (n_series, horizon)."""
        b = self.bounds[level][:, : point.shape[1]]
        scale = scale_of_series[:, None]
        return point + b[0] * scale, point + b[1] * scale

    def to_dict(self) -> dict:
        return {str(k): v.tolist() for k, v in self.bounds.items()}

    @classmethod
    def from_dict(cls, d: dict) -> Intervals:
        return cls({int(k): np.asarray(v, dtype=float) for k, v in d.items()})
