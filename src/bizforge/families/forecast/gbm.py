"""A global gradient-boosted forecaster: one LightGBM model over every series.

Direct multi-horizon: each training row is (series, forecast origin, step k);
its features are the series' recent values, the values one and two seasons
before the target period, rolling level/spread/slope (all divided by the
series' recent level, so big and small stores share one model), the step,
calendar features of the target period and covariates known in advance (a
holiday or promotion flag in the target period). The target is the value k
steps after the origin over the same level.

>>> import numpy as np
>>> rows = _origin_features(np.arange(1.0, 41.0), n=30, horizon=2, season=4, lags=4)
>>> rows.shape
(2, 10)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bizforge.families.forecast.panel import Panel

__all__ = ["GlobalGBM"]

LEVEL_WINDOW = 13
MAX_ORIGINS = 20000  # training origins over all series; more are thinned to every k-th
_BASE = ["step", *[f"lag_{j}" for j in range(1, 5)]]


def _lags(horizon: int, season: int) -> int:
    return int(min(max(horizon, 8), 26))


def _origin_features(y: np.ndarray, n: int, horizon: int, season: int,
                     lags: int) -> np.ndarray:
    """Rows (one per step 1..horizon) for origin ``n`` (``y[:n]`` is known)."""
    hist = y[:n]
    level = np.nanmean(np.abs(hist[-LEVEL_WINDOW:])) + 1e-9
    rec = hist[-lags:][::-1] / level
    rec = np.concatenate([rec, np.full(lags - len(rec), np.nan)])
    tail = hist[-LEVEL_WINDOW:] / level
    slope = _slope(tail)
    common = [np.nanmean(hist[-4:]) / level, np.nanstd(tail), slope]
    rows = []
    for k in range(1, horizon + 1):
        t = n - 1 + k
        seas = []
        for back in (season, 2 * season):
            j = t - back
            seas.append(hist[j] / level if season > 1 and 0 <= j < n else np.nan)
        rows.append([k, *rec, *common, *seas])
    return np.asarray(rows, dtype=float)


def _slope(values: np.ndarray) -> float:
    """Least-squares slope per period (closed form; NaN-free input)."""
    n = len(values)
    if n < 3:
        return 0.0
    x = np.arange(n) - (n - 1) / 2
    return float(np.dot(x, values - values.mean()) / np.dot(x, x))


@dataclass
class GlobalGBM:
    """Fit with :meth:`fit` on a panel; :meth:`forecast` from the end of any panel."""

    horizon: int
    season: int
    covariates: list[str] = field(default_factory=list)
    seed: int = 0
    booster_: Any = None

    @property
    def lags(self) -> int:
        return _lags(self.horizon, self.season)

    def _calendar(self, periods: pd.Index, freq: str) -> np.ndarray:
        if freq == "int":
            pos = np.asarray(periods, dtype=float)
            return np.stack([pos % max(self.season, 1)], axis=1)
        idx = pd.DatetimeIndex(periods)
        return np.stack([idx.isocalendar().week.to_numpy(dtype=float),
                         idx.month.to_numpy(dtype=float),
                         idx.day_of_week.to_numpy(dtype=float)], axis=1)

    def _rows(self, panel: Panel, i: int, n: int, future_cov: dict[str, np.ndarray] | None,
              cal: np.ndarray) -> np.ndarray:
        y = panel.values[i]
        base = _origin_features(y, n, self.horizon, self.season, self.lags)
        covs = [future_cov[c] for c in self.covariates] if future_cov is not None else \
            [_pad(panel.covariates[c][i, n: n + self.horizon], self.horizon)
             for c in self.covariates]
        cov = np.stack(covs, axis=1) if covs else np.zeros((self.horizon, 0))
        return np.hstack([base, cal, cov])

    def fit(self, panel: Panel, budget_seconds: float | None = None) -> GlobalGBM:
        import lightgbm as lgb

        X, Y = [], []
        calendar = self._calendar(_extend(panel, 0, panel.values.shape[1] + self.horizon),
                                  panel.freq)
        spans = []
        for i in range(len(panel.series_ids)):
            ok = np.flatnonzero(~np.isnan(panel.values[i]))
            if ok.size:
                spans.append((i, ok[0], ok[-1] + 1))
        total = sum(max(0, end - 1 - start - max(4, self.lags // 2)) for _, start, end in spans)
        # Thousands of long series (M3 monthly: 140,000 origins) would take minutes to
        # featurise and fit; every k-th origin, counted back from each series' end, keeps
        # the latest ones and the model's cost bounded.
        stride = max(1, -(-total // MAX_ORIGINS))
        for i, start, end in spans:
            y = panel.values[i]
            for n in range(end - 2, start + max(4, self.lags // 2) - 1, -stride):
                rows = self._rows(panel, i, n, None, calendar[n: n + self.horizon])
                level = np.nanmean(np.abs(y[max(start, n - LEVEL_WINDOW): n])) + 1e-9
                target = np.full(self.horizon, np.nan)
                got = y[n: min(end, n + self.horizon)]
                target[: len(got)] = got / level
                keep = ~np.isnan(target)
                X.append(rows[keep])
                Y.append(target[keep])
        X, Y = np.vstack(X), np.concatenate(Y)
        params = {"objective": "l1", "learning_rate": 0.1, "num_leaves": 31,
                  "min_data_in_leaf": 20, "feature_fraction": 0.8, "bagging_fraction": 0.8,
                  "bagging_freq": 1, "seed": self.seed, "verbose": -1, "num_threads": 1,
                  "deterministic": True}
        self.booster_ = lgb.train(params, lgb.Dataset(X, Y), num_boost_round=200)
        return self

    def forecast(self, panel: Panel, future_cov: dict[str, np.ndarray] | None = None,
                 series: list[int] | None = None) -> np.ndarray:
        """(n_series, horizon) forecasts from the end of each series in ``panel``.

        ``future_cov[name]`` is (n_series, horizon): covariates of the forecast periods.
        """
        cal = self._calendar(panel.future_index(self.horizon), panel.freq)
        picks = range(len(panel.series_ids)) if series is None else series
        out = np.full((len(panel.series_ids), self.horizon), np.nan)
        for i in picks:
            y = panel.values[i]
            ok = np.flatnonzero(~np.isnan(y))
            if ok.size < 2:
                continue
            n = ok[-1] + 1
            cov = None if future_cov is None else {c: v[i] for c, v in future_cov.items()}
            if cov is None and self.covariates:
                cov = {c: np.zeros(self.horizon) for c in self.covariates}
            rows = self._rows(panel, i, n, cov, cal)
            level = np.nanmean(np.abs(y[max(ok[0], n - LEVEL_WINDOW): n])) + 1e-9
            out[i] = self.booster_.predict(rows) * level
        return out

    def to_text(self) -> str:
        return self.booster_.model_to_string()

    @classmethod
    def from_text(cls, text: str, *, horizon: int, season: int,
                  covariates: list[str]) -> GlobalGBM:
        import lightgbm as lgb

        return cls(horizon, season, covariates, booster_=lgb.Booster(model_str=text))


def _pad(values: np.ndarray, length: int) -> np.ndarray:
    return np.concatenate([values, np.full(length - len(values), np.nan)])


def _extend(panel: Panel, n: int, horizon: int) -> pd.Index:
    """Periods n..n+horizon-1, running past the panel's end when needed."""
    have = panel.index[n:]
    if len(have) >= horizon:
        return have[:horizon]
    more = panel.future_index(horizon - len(have))
    return have.append(more)
