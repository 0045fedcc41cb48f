"""Training a forecaster: hold out the last periods, backtest, choose, evaluate, refit.

Held-out metrics come from ``--test`` (the next ``horizon`` periods of the
same series) or, without one, from the last ``horizon`` periods of every
series, which the backtests never see. Without ``--test`` the chosen ensemble
is then refitted on the whole history, so the saved model forecasts the
periods after the data.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from bizforge.errors import DataError
from bizforge.families.forecast import engine
from bizforge.families.forecast.admission import interval_scale, scale_lags
from bizforge.families.forecast.backtest import LEVELS, coverage, mase, naive_scale, smape, wape
from bizforge.families.forecast.hierarchy import Hierarchy, extend_panel, nests
from bizforge.families.forecast.options import ForecastOptions
from bizforge.families.forecast.panel import (
    FILL_RULE,
    Panel,
    as_long,
    build_panel,
    check_horizon,
    read_layout,
    season_length,
)
from bizforge.families.forecast.predictor import ForecastPredictor

__all__ = ["DEFAULT_HORIZON", "fit_forecast"]

DEFAULT_HORIZON = {"D": 14, "B": 10, "W": 12, "M": 12, "Q": 4, "int": 12, "h": 24, "H": 24}


def default_horizon(freq: str) -> int:
    return DEFAULT_HORIZON.get(freq.split("-")[0].rstrip("SE") or freq, 12)


def flag_columns(frame: pd.DataFrame, exclude: set[str]) -> list[str]:
    """0/1 columns (holiday, promotion flags): assumed known in advance."""
    out = []
    for c in frame.columns:
        if c in exclude:
            continue
        s = pd.to_numeric(frame[c], errors="coerce")
        if s.notna().mean() > 0.99 and set(s.dropna().unique()) <= {0, 1}:
            out.append(c)
    return out


def _covariates(frame: pd.DataFrame, options: ForecastOptions, target: str | None,
                time_col: str, ids: list[str]) -> list[str]:
    if options.covariate is not None:
        missing = [c for c in options.covariate if c not in frame.columns]
        if missing:
            raise DataError(f"there is no covariate column '{missing[0]}'.", column=missing[0],
                            fix=f"use one of: {', '.join(map(str, frame.columns[:20]))}.")
        return list(options.covariate)
    return flag_columns(frame, {target, time_col, *ids})


def _from_test(panel: Panel, test: pd.DataFrame, covs: list[str],
               horizon: int) -> tuple[np.ndarray, dict[str, np.ndarray] | None]:
    """The test table's target values and covariates on the ``horizon`` periods after the
    panel's end (the test table read into a panel once)."""
    if panel.time_column not in test.columns and panel.id_columns:
        rows = as_long(test, panel.id_columns, future=True)  # the history's layout
        if rows is not None:
            test = rows[0].rename(columns={rows[2]: panel.time_column, rows[1]: panel.target})
    tp = build_panel(test, target=panel.target, time=panel.time_column,
                     ids=panel.id_columns or None, covariates=covs)
    periods = panel.future_index(horizon)
    actual = np.full((len(panel.series_ids), horizon), np.nan)
    grid = {c: np.zeros((len(panel.series_ids), horizon)) for c in covs}
    where = {p: k for k, p in enumerate(periods)}
    row_of = {s: i for i, s in enumerate(panel.series_ids)}
    for j, sid in enumerate(tp.series_ids):
        for k, p in enumerate(tp.index):
            if sid not in row_of or p not in where:
                continue
            cell = (row_of[sid], where[p])
            actual[cell] = tp.values[j, k]
            for c in covs:
                grid[c][cell] = np.nan_to_num(tp.covariates[c][j, k])
    if np.isnan(actual).all():
        raise DataError("the test file has no rows in the periods after the training data "
                        f"(expected {periods[0]} ... {periods[-1]}).",
                        fix="give the next --horizon periods of the same series as --test.")
    return actual, grid or None


def fit_forecast(frame: pd.DataFrame, *, target: str | None, options: ForecastOptions,
                 test: pd.DataFrame | None, time_limit: float, seed: int,
                 progress) -> dict[str, Any]:
    """Everything the family's ``train`` needs: predictor, metrics, per-series table, plots."""
    started = time.perf_counter()
    from bizforge.families.forecast.panel import guess_columns

    frame, target, time_col, ids, layout = read_layout(frame, target, options.time_column,
                                                       options.id_column)
    time_col, ids = guess_columns(frame, target, time_col, ids)
    covs = _covariates(frame, options, target, time_col, ids)
    panel = build_panel(frame, target=target, time=time_col, ids=ids, covariates=covs)
    panel.findings[:0] = layout
    horizon = options.horizon or default_horizon(panel.freq)
    season = options.season_length or season_length(panel.freq)
    short = check_horizon(panel, horizon)
    T = panel.values.shape[1]
    if test is not None:
        train_panel = panel
        actual, future_cov = _from_test(panel, test, covs, horizon)
        test_source = "test file"
    else:
        if T <= horizon + 3:
            raise DataError(f"the history has {T} periods; holding out the last {horizon} "
                            "for the test leaves too little to train on.",
                            fix="pass a smaller --horizon, or give a --test file.")
        train_panel = panel.cut(T - horizon)
        actual = panel.values[:, T - horizon:]
        future_cov = ({c: panel.covariates[c][:, T - horizon:] for c in covs}
                      if covs else None)
        test_source = f"last {horizon} periods of every series"
    train_panel.future = future_cov or {}
    hierarchy, method = _hierarchy(frame, panel, ids, options)
    if hierarchy is not None:
        panel, train_panel = extend_panel(panel, hierarchy), extend_panel(train_panel, hierarchy)
        actual = _with_aggregates(actual, hierarchy)
        if future_cov:
            future_cov = train_panel.future
    budget = max(1.0, time_limit - (time.perf_counter() - started))
    selection = engine.select(train_panel, horizon=horizon, season=season,
                              time_limit=0.7 * budget, windows=options.backtest_windows,
                              covariates=covs, seed=seed, progress=progress,
                              hierarchy=hierarchy, reconcile=method)
    point, members, gbm = engine.forecast(train_panel, selection, seed=seed,
                                          future_cov=future_cov)
    lags = (selection.scale_lags if selection.scale_lags is not None
            else scale_lags(train_panel, season))
    levels = interval_scale(train_panel, lags, fallback=True)
    test_metrics = _metrics(train_panel, actual, point, levels, selection, season)
    if hierarchy is not None:  # the headline figures are the user's own (bottom) series
        m = hierarchy.n_bottom
        test_metrics = {**_metrics(train_panel, actual[:m], point[:m], levels[:m], selection,
                                   season),
                        "wape_all_nodes": test_metrics["wape"],
                        "wape_aggregates": wape(actual[m:], point[m:]),
                        "reconcile": selection.reconcile}
    per_series = _per_series(train_panel, actual, point)
    if test is None:  # refit on the whole history for the saved model
        final_panel = panel
        point_f, members, gbm = engine.forecast(final_panel, selection, seed=seed)
        final_levels = interval_scale(final_panel, lags, fallback=True)
    else:
        final_panel, final_levels = train_panel, levels
    spec = {"task": "forecast", "horizon": horizon, "season": season,
            "weights": selection.weights, "combine": selection.combine,
            "intervals": selection.intervals.to_dict(), "interval_scale": "seasonal_mae",
            "covariates": covs, "levels": final_levels.tolist(), "fill_rule": FILL_RULE,
            "short_series": short}
    if hierarchy is not None:
        spec["reconcile"] = {"method": selection.reconcile, "bottom": hierarchy.n_bottom,
                             "id_parts": max(1, len(ids)),
                             "backtest_wape": selection.reconcile_scores}
    predictor = ForecastPredictor(spec, final_panel, members, gbm,
                                  projection=selection.projection)
    return {"predictor": predictor, "panel": panel, "train_panel": train_panel,
            "selection": selection, "test": test_metrics, "per_series": per_series,
            "actual": actual, "point": point, "levels": levels, "horizon": horizon,
            "test_source": test_source, "fit_seconds": time.perf_counter() - started,
            "covariates": covs}


def _hierarchy(frame: pd.DataFrame, panel: Panel, ids: list[str],
               options: ForecastOptions) -> tuple[Hierarchy | None, str]:
    """The hierarchy to reconcile over and the method (``auto``: chosen on backtests)."""
    asked = options.reconcile
    if asked == "none" or len(panel.series_ids) < 2 or not ids:
        return None, "auto"
    if asked is None and not nests(frame, ids):
        return None, "auto"
    return Hierarchy.from_ids(panel.series_ids, len(ids)), asked or "auto"


def _with_aggregates(values: np.ndarray, hierarchy: Hierarchy) -> np.ndarray:
    S = hierarchy.S[hierarchy.n_bottom:]
    sums = S @ np.nan_to_num(values)
    sums[(S @ (~np.isnan(values)).astype(float)) == 0] = np.nan
    return np.vstack([values, sums])


def _metrics(panel: Panel, actual: np.ndarray, point: np.ndarray, levels: np.ndarray,
             selection, season: int) -> dict[str, Any]:
    scales = np.array([naive_scale(panel.series(i), season) for i in range(len(levels))])
    out = {"wape": wape(actual, point), "mase": mase(actual, point, scales),
           "smape": smape(actual, point), "n": int((~np.isnan(actual)).sum()),
           "series": len(levels)}
    for level in LEVELS:
        lo, hi = selection.intervals.around(point, levels, level)
        out[f"coverage_{level}"] = coverage(actual, lo, hi)
    return out


def _per_series(panel: Panel, actual: np.ndarray, point: np.ndarray) -> list[dict[str, Any]]:
    rows = []
    for i, sid in enumerate(panel.series_ids):
        rows.append({"series": sid, "wape": wape(actual[i:i + 1], point[i:i + 1]),
                     "smape": smape(actual[i:i + 1], point[i:i + 1]),
                     "volume": float(np.nansum(np.abs(actual[i])))})
    rows.sort(key=lambda r: -(r["wape"] if np.isfinite(r["wape"]) else -1))
    return rows
