"""Choose the forecasters by rolling-origin backtests under a time budget.

:func:`select` runs every candidate on each backtest window (cheapest first;
a candidate whose measured cost no longer fits in what is left of the budget
is skipped and reported), builds the ensemble on the stacked windows (the mean
of the models that beat the naive benchmarks; see :func:`_ensemble`) and the
conformal intervals from the ensemble's own window errors, scaled by each series'
seasonal naive error. Which members join each series' mean, and which backtest
rows calibrate the intervals, follow :mod:`.admission`. :func:`forecast` then
produces the chosen ensemble's forecast from the end of any panel.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bizforge.families.forecast.admission import (
    admitted,
    interval_scale,
    lengths,
    mask,
    scale_lags,
)
from bizforge.families.forecast.ar import MAX_ROWS, GlobalAR, long_season, rows_for, usable
from bizforge.families.forecast.backtest import Intervals, greedy_ensemble, wape, window_origins
from bizforge.families.forecast.gbm import GlobalGBM
from bizforge.families.forecast.hierarchy import METHODS, Hierarchy, projection
from bizforge.families.forecast.panel import Panel
from bizforge.families.forecast.stats import (
    FORECASTERS,
    combine,
    forecast_one,
    seasonal_pooled,
)

__all__ = ["Selection", "forecast", "select"]

GBM = "global_gbm"
AR = "global_ar"  # hourly data: a day inside a week (see ar.py); fitted once for the backtests
POOLED = "seasonal_pooled"  # needs the whole panel (a season's shape shared across series)
# Cheapest first, except the Theta family right after the naive pair: the M3 winner should
# not be the model a tight budget leaves out (M3 quarterly lost it to seasonal ratio and
# LightGBM), and the global model before the slow statsmodels fits (it was the best single
# model on M3 quarterly and monthly backtests, and the budget used to leave it out).
# The recursive global model, where the data has one (hours in a week), comes first after
# the benchmarks: it is the one that knows the long season.
ORDER = ["naive", "seasonal_naive", AR, "theta", "dotm", "ets", "shd", "seasonal_ratio", POOLED,
         "croston", "tsb", GBM, "stl_ets", "arima"]
BENCHMARKS = ("naive", "seasonal_naive")
PROBE = 20  # series a one-series model is timed on before its backtests are started
# a 95% split-conformal interval needs 2 / 0.05 - 1 calibration rows for finite bounds
MIN_CALIBRATION = 39


@dataclass
class Selection:
    horizon: int
    season: int
    weights: dict[str, float]
    intervals: Intervals
    leaderboard: list[dict[str, Any]]
    skipped: list[dict[str, str]] = field(default_factory=list)
    covariates: list[str] = field(default_factory=list)
    windows: list[dict[str, Any]] = field(default_factory=list)
    gbm: GlobalGBM | None = None
    combine: str = "weighted"             # or "median" of the members in ``weights``
    ar_rows: int = MAX_ROWS               # training rows of the recursive model (budget)
    seasonal: bool = False                # seasonal naive beat naive: see admission.py
    scale_lags: np.ndarray | None = None  # per series: the lag of the intervals' scale
    hierarchy: Hierarchy | None = None
    reconcile: str | None = None          # the chosen method
    projection: np.ndarray | None = None  # G: bottom series from every node's forecast
    reconcile_scores: dict[str, float] = field(default_factory=dict)


def _stat_forecasts(panel: Panel, name: str, horizon: int, season: int,
                    intermittent: np.ndarray) -> np.ndarray:
    out = np.full((len(panel.series_ids), horizon), np.nan)
    only = FORECASTERS[name].intermittent_only
    for i in range(len(panel.series_ids)):
        y = panel.series(i)
        if y.size == 0:
            continue
        use = name if (not only or intermittent[i]) else "seasonal_naive"
        out[i] = forecast_one(use, y, horizon, season)
    return out


def _intermittent(panel: Panel) -> np.ndarray:
    return np.array([(panel.series(i) == 0).mean() > 0.3 if panel.series(i).size else False
                     for i in range(len(panel.series_ids))])


def _candidate(panel: Panel, name: str, horizon: int, season: int, covariates: list[str],
               seed: int, fitted: dict[str, Any] | None = None
               ) -> tuple[np.ndarray, GlobalGBM | None]:
    if name == AR:  # ``fitted``: the model fitted before the earliest backtest window
        model = (fitted or {}).get(AR) or GlobalAR(horizon, season, long_season(
            panel.freq, season), seed, (fitted or {}).get("ar_rows", MAX_ROWS)).fit(panel)
        return model.forecast(panel), None
    if name == GBM:
        model = GlobalGBM(horizon, season, covariates, seed).fit(panel)
        cov = {c: _future_cov(panel, c, horizon) for c in covariates} if covariates else None
        return model.forecast(panel, cov), model
    if name == POOLED:
        return _pooled(panel, horizon, season), None
    return _stat_forecasts(panel, name, horizon, season, _intermittent(panel)), None


def _pooled(panel: Panel, horizon: int, season: int) -> np.ndarray:
    out = seasonal_pooled(panel.values, horizon, season)
    for i in np.flatnonzero(~np.isfinite(out).all(axis=1)):  # too short, or gaps: per series
        y = panel.series(i)
        out[i] = forecast_one("seasonal_naive", y, horizon, season) if y.size else np.nan
    return out


def _future_cov(panel: Panel, name: str, horizon: int) -> np.ndarray:
    """Covariates of the periods after a backtest cut: known in advance, so read from the
    full grid the panel was cut from (kept on ``panel.future``), else zeros."""
    if name in panel.future and panel.future[name].shape[1] >= horizon:
        return panel.future[name][:, :horizon]
    return np.zeros((len(panel.series_ids), horizon))


def select(panel: Panel, *, horizon: int, season: int, time_limit: float,
           windows: int = 4, covariates: list[str] | None = None, seed: int = 0,
           candidates: list[str] | None = None,
           progress: Callable[[dict[str, Any]], None] | None = None,
           hierarchy: Hierarchy | None = None, reconcile: str = "auto") -> Selection:
    """Backtest the candidates on ``panel`` and choose the ensemble (see module docstring).

    With a ``hierarchy`` (``panel`` then holds its aggregates after the bottom series),
    the ensemble's backtest forecasts are reconciled by each method (or the one named by
    ``reconcile``) and the method with the lowest WAPE over every node is kept.
    """
    emit = progress or (lambda e: None)
    covariates = covariates or []
    started = time.perf_counter()
    names = [n for n in (candidates or ORDER) if n in ORDER]
    intermittent = _intermittent(panel).any()
    names = [n for n in names if intermittent or not (n in FORECASTERS and
                                                      FORECASTERS[n].intermittent_only)]
    if season <= 1 or len(panel.series_ids) < 3 or not panel.is_calendar:
        # one shape shared across series needs their seasons in phase: a calendar
        names = [n for n in names if n != POOLED]
    if not usable(panel.freq, season, lengths(panel), horizon):
        names = [n for n in names if n != AR]
    else:  # the recursive model is the global one here; the direct one would learn from
        # (origins x horizon) rows, 960,000 for 48 hours, and one window took 48 s
        names = [n for n in names if n != GBM]
    T = panel.values.shape[1]
    min_train = max(8, 2 * horizon)
    origins = window_origins(T, horizon, windows, min_train,
                             seasonal_train=2 * season if season > 1 else 0)
    if not origins:
        origins = [max(3, T - horizon)]
    # a model fitted once for every backtest window (and the intervals' extra ones) sees
    # only the history before the earliest of them
    first = min([o for o in _extra_origins(origins, horizon) if o >= min_train] + origins)
    fitted: dict[str, Any] = {"ar_rows": rows_for(time_limit)}
    cuts = []
    for o in origins:
        cut = panel.cut(o)
        cut.future = {c: panel.covariates[c][:, o: o + horizon] for c in covariates}
        actual = panel.values[:, o: o + horizon].copy()
        # A series that starts after the cut (or one period before it) cannot be
        # forecast from there: its periods are not scored in this window.
        actual[[cut.series(i).size < 2 for i in range(len(panel.series_ids))]] = np.nan
        if actual.shape[1] < horizon:
            actual = np.hstack([actual, np.full((actual.shape[0], horizon - actual.shape[1]),
                                                np.nan)])
        cuts.append((o, cut, actual))
    actual_all = np.vstack([a for _, _, a in cuts])
    results: dict[str, np.ndarray] = {}
    leaderboard, skipped = [], []
    emit({"event": "search_start", "candidates": len(names)})
    for name in names:
        elapsed = time.perf_counter() - started
        left = time_limit - elapsed
        if leaderboard and left < 0.05 * time_limit:
            skipped.append({"name": name, "reason": "the time limit ran out"})
            continue
        guess = _probe_seconds(name, cuts[-1][1], horizon, season) * len(cuts)
        if leaderboard and guess > left:
            skipped.append({"name": name, "reason": f"{len(cuts)} backtest windows would "
                            f"take about {guess:.0f} s (timed on {PROBE} series); "
                            f"{max(left, 0):.0f} s were left"})
            continue
        emit({"event": "candidate_start", "name": name})
        t0, preds = time.perf_counter(), []
        if name == AR:  # its cost is this one fit; each window only forecasts
            fitted[AR] = GlobalAR(horizon, season, long_season(panel.freq, season),
                                  seed, fitted["ar_rows"]).fit(panel.cut(first))
        for k, (_, cut, _) in enumerate(cuts):
            preds.append(_candidate(cut, name, horizon, season, covariates, seed, fitted)[0])
            spent = time.perf_counter() - t0
            if k == 0 and leaderboard and name not in fitted and spent * len(cuts) > left:
                skipped.append({"name": name, "reason": f"{len(cuts)} backtest windows would "
                                f"take about {spent * len(cuts):.0f} s; "
                                f"{max(left, 0):.0f} s were left"})
                preds = None
                break
        if preds is None:
            continue
        stacked = np.vstack(preds)
        results[name] = stacked
        seconds = time.perf_counter() - t0
        leaderboard.append({"name": name, "score": wape(actual_all, stacked),
                            "fit_seconds": round(seconds, 2),
                            "per_window": [wape(a, p) for (_, _, a), p in
                                           zip(cuts, preds, strict=True)]})
        emit({"event": "candidate_end", "name": name, "elapsed": time.perf_counter() - started})
    weights, how = _ensemble(results, actual_all, n_windows=len(cuts))
    seasonal = _seasonal(results, actual_all, season)
    final_keep = admitted(lengths(panel), list(weights), season, seasonal)
    n, parts, same = len(panel.series_ids), [], []
    for k, (_, cut, _) in enumerate(cuts):
        keep = admitted(lengths(cut), list(weights), season, seasonal)
        parts.append(combine(mask([results[m][k * n:(k + 1) * n] for m in weights], keep),
                             how, list(weights.values())))
        same.append((keep == final_keep).all(axis=1))
    ens = np.vstack(parts)
    chosen = None
    if hierarchy is not None:
        chosen = _choose_reconciliation(hierarchy, reconcile, ens, actual_all, len(cuts))
        ens = chosen["reconciled"]
    lags = scale_lags(panel, season)
    scales = np.concatenate([interval_scale(cut, lags) for _, cut, _ in cuts])
    if not np.isfinite(scales).any():  # no window long enough for the season's lag
        lags = np.ones_like(lags)
        scales = np.concatenate([interval_scale(cut, lags) for _, cut, _ in cuts])
    # one more window of the chosen members costs about what one backtest window did
    cost = sum(r["fit_seconds"] for r in leaderboard if r["name"] in weights) / len(cuts)
    more, more_keep = _more_errors(panel, cuts, origins, min_train, horizon, season,
                                   covariates, seed, weights, how, chosen, seasonal,
                                   final_keep, lags, started + time_limit - cost, fitted)
    errors = _calibration_rows(
        np.vstack([(actual_all - ens) / scales[:, None], more]),
        np.concatenate([np.concatenate(same) & np.isfinite(scales), more_keep]))
    for row in leaderboard:
        row["weight"] = round(weights.get(row["name"], 0.0), 4)
    leaderboard.sort(key=lambda r: r["score"])
    leaderboard.insert(0, {"name": "ensemble", "score": wape(actual_all, ens),
                           "fit_seconds": 0.0, "weight": 1.0})
    window_rows = [{"origin": str(panel.index[o]), "wape": wape(a, ens[k * len(a):(k + 1) * len(a)])}
                   for k, (o, _, a) in enumerate(cuts)]
    emit({"event": "ensemble_done", "elapsed": time.perf_counter() - started})
    out = Selection(horizon, season, weights, Intervals.fit(errors, horizon), leaderboard,
                    skipped, covariates, window_rows, combine=how, seasonal=seasonal,
                    scale_lags=lags, ar_rows=fitted["ar_rows"])
    leaderboard[0]["combine"] = how
    if chosen is not None:
        out.hierarchy, out.reconcile = hierarchy, chosen["method"]
        out.projection, out.reconcile_scores = chosen["G"], chosen["scores"]
        leaderboard[0]["reconcile"] = chosen["method"]
    return out


def _probe_seconds(name: str, cut: Panel, horizon: int, season: int) -> float:
    """A one-series model's cost of one window, timed on ``PROBE`` series spread over the
    panel (0 for the others, and when the panel is that small): a slow model (ARIMA on
    1,428 series) is not started when it cannot finish."""
    n = len(cut.series_ids)
    if name not in FORECASTERS or n <= PROBE:
        return 0.0
    t0 = time.perf_counter()
    for i in np.linspace(0, n - 1, PROBE).astype(int):
        y = cut.series(int(i))
        if y.size:
            forecast_one(name, y, horizon, season)
    return (time.perf_counter() - t0) * n / PROBE


def _seasonal(results: dict[str, np.ndarray], actual: np.ndarray, season: int) -> bool:
    """Seasonal naive beat naive on the backtests (both ran, and the data has a season)."""
    return bool(season > 1 and "naive" in results and "seasonal_naive" in results
                and wape(actual, results["seasonal_naive"]) < wape(actual, results["naive"]))


def _calibration_rows(errors: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """The rows whose members ran as in the final forecast and whose scale has the final
    lag; all rows with a scale when fewer than ``MIN_CALIBRATION`` are left."""
    if keep.sum() >= MIN_CALIBRATION:
        return errors[keep]
    return errors[np.isfinite(errors).any(axis=1)]


def _more_errors(panel: Panel, cuts, origins: list[int], min_train: int, horizon: int,
                 season: int, covariates: list[str], seed: int, weights: dict[str, float],
                 how: str, chosen: dict[str, Any] | None, seasonal: bool,
                 final_keep: np.ndarray, lags: np.ndarray, start_by: float,
                 fitted: dict[str, Any] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The chosen ensemble's scaled errors on windows half-way between the selection's
    (and one before the oldest): the intervals' quantiles come from twice as many
    windows as the choice of models, which only the chosen members pay for. A window
    is started only before ``start_by`` (perf_counter seconds), so the budget holds.
    Returns the errors and which rows may calibrate (see :func:`_calibration_rows`)."""
    out = []
    for o in (o for o in _extra_origins(origins, horizon) if o >= min_train):
        if time.perf_counter() > start_by:
            break
        cut = panel.cut(o)
        cut.future = {c: panel.covariates[c][:, o: o + horizon] for c in covariates}
        actual = panel.values[:, o: o + horizon].copy()
        if actual.shape[1] < horizon:
            continue
        actual[[cut.series(i).size < 2 for i in range(len(panel.series_ids))]] = np.nan
        keep = admitted(lengths(cut), list(weights), season, seasonal)
        preds = [_candidate(cut, n, horizon, season, covariates, seed, fitted)[0]
                 for n in weights]
        ens = combine(mask(preds, keep), how, list(weights.values()))
        if chosen is not None:
            ens = chosen["hierarchy"].S @ (chosen["G"] @ np.nan_to_num(ens))
        scale = interval_scale(cut, lags)
        out.append(((actual - ens) / scale[:, None],
                    (keep == final_keep).all(axis=1) & np.isfinite(scale)))
    if not out:
        return np.zeros((0, horizon)), np.zeros(0, dtype=bool)
    return np.vstack([e for e, _ in out]), np.concatenate([k for _, k in out])


def _extra_origins(origins: list[int], horizon: int) -> list[int]:
    """The intervals' extra windows: half-way between the selection's, and one before."""
    step = origins[1] - origins[0] if len(origins) > 1 else horizon
    return sorted({o - max(1, step // 2) for o in origins} - set(origins))


def _ensemble(results: dict[str, np.ndarray], actual: np.ndarray,
              within: float = 2.0, n_windows: int = 1) -> tuple[dict[str, float], str]:
    """(members and weights, how they combine).

    The mean of every model that beats the naive benchmarks (naive and seasonal naive)
    on the stacked backtest windows and in at least half of the ``n_windows`` windows
    (``actual`` stacks them, equal blocks of rows; M4 hourly: Theta and DOTM beat seasonal
    naive over the four windows through one of them, and their share of the mean cost
    4.5 sMAPE points on the held-out hours): combinations of the models that beat the benchmarks
    are what beat the M3 winner (Theta) in the literature, and a plain mean, unlike
    weights fitted to the backtests, does not chase the noise of a few windows. A model
    whose forecasts equal another's (seasonal naive without a season) counts once. When
    the benchmarks ran and no model beats them, the better benchmark alone (M4 hourly
    without the global recursive model: seasonal naive, not a median of models that all
    lost to it); when exactly one beats them, that model alone (M4 hourly: the recursive
    model, not a median with the models that lost). When they were not run, the median of the competitive models (backtest WAPE
    within ``within`` times the best) when there are at least three, else the greedy
    forward selection's weights.
    """
    ok: dict[str, np.ndarray] = {}
    for n, f in results.items():  # a model that fell back to another one counts once
        if np.isfinite(f[~np.isnan(actual)]).all() and not any(
                np.allclose(f, g, equal_nan=True) for g in ok.values()):
            ok[n] = f
    scores = {n: wape(actual, f) for n, f in ok.items()}
    bench = [scores[n] for n in BENCHMARKS if n in scores]
    beat = [n for n in ok if n not in BENCHMARKS and bench and scores[n] < min(bench)]
    if beat and n_windows > 1:
        blocks = np.array_split(np.arange(len(actual)), n_windows)
        per = {n: np.array([wape(actual[b], ok[n][b]) for b in blocks]) for n in ok}
        floor = np.min([per[n] for n in BENCHMARKS if n in per], axis=0)
        beat = [n for n in beat if 2 * (per[n] < floor).sum() >= n_windows]
    if len(beat) >= 2:
        return {n: 1 / len(beat) for n in beat}, "mean"
    if bench and not beat:
        return {min((n for n in BENCHMARKS if n in scores), key=scores.get): 1.0}, "mean"
    if bench and len(beat) == 1:  # the one model that beats them, alone (M4 hourly)
        return {beat[0]: 1.0}, "mean"
    best = min(scores.values()) if scores else np.nan
    keep = [n for n in ok if scores[n] <= within * best]
    if len(keep) >= 3:
        return {n: 1 / len(keep) for n in keep}, "median"
    return greedy_ensemble(results, actual), "weighted"


def _choose_reconciliation(hierarchy: Hierarchy, method: str, ens: np.ndarray,
                           actual: np.ndarray, n_windows: int) -> dict[str, Any]:
    """Reconcile each backtest window's ensemble forecast by every method (or the named
    one); keep the lowest WAPE over all nodes. MinT's error covariance is estimated from
    the same windows' base errors (cells x nodes)."""
    nodes = len(hierarchy.nodes)
    base = ens.reshape(n_windows, nodes, -1)
    act = actual.reshape(n_windows, nodes, -1)
    errors = (act - base).transpose(0, 2, 1).reshape(-1, nodes)
    scores, best = {}, None
    for name in (METHODS if method == "auto" else (method,)):
        G = projection(hierarchy, name, errors)
        rec = np.stack([hierarchy.S @ (G @ np.nan_to_num(b)) for b in base])
        scores[name] = wape(act, rec)
        if best is None or scores[name] < scores[best["method"]] - 1e-12:
            best = {"method": name, "G": G, "reconciled": rec.reshape(ens.shape)}
    best["scores"], best["hierarchy"] = scores, hierarchy
    return best


def forecast(panel: Panel, selection: Selection, *, seed: int = 0,
             future_cov: dict[str, np.ndarray] | None = None
             ) -> tuple[np.ndarray, dict[str, np.ndarray], GlobalGBM | None]:
    """(ensemble, per-member forecasts, fitted global model) from the end of ``panel``."""
    members, gbm = {}, None
    for name in selection.weights:
        if name == GBM:
            gbm = GlobalGBM(selection.horizon, selection.season, selection.covariates,
                            seed).fit(panel)
            members[name] = gbm.forecast(panel, future_cov)
        elif name == POOLED:
            members[name] = _pooled(panel, selection.horizon, selection.season)
        elif name == AR:
            members[name] = _candidate(panel, AR, selection.horizon, selection.season, [],
                                       seed, {"ar_rows": selection.ar_rows})[0]
        else:
            members[name] = _stat_forecasts(panel, name, selection.horizon, selection.season,
                                            _intermittent(panel))
    names = list(selection.weights)
    keep = admitted(lengths(panel), names, selection.season, selection.seasonal)
    members = dict(zip(names, mask([members[n] for n in names], keep), strict=True))
    point = combine([members[n] for n in names], selection.combine,
                    list(selection.weights.values()))
    if selection.projection is not None:
        point = selection.hierarchy.S @ (selection.projection @ np.nan_to_num(point))
    return point, members, gbm
