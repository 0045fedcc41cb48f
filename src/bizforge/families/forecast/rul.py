"""Remaining useful life from run-to-failure sensor histories.

Each training unit (engine, pump, machine) was run until it failed, so its
remaining life at every cycle is known: its last cycle minus this one,
capped at ``rul_cap`` (early in life the wear cannot be seen in the sensors;
the literature caps at 125-130 cycles). Features are computed from the
history up to each cycle only — the sensors' rolling means, spread and slope
over several windows, and the drift from the unit's own first cycles — and
one LightGBM model learns the capped life from them. Validation and test
split by unit, never by row; a held-out unit is scored as a unit in service
would be: cut at random points of its life and asked for the life left.

>>> phm_score([10.0], [0.0]) > phm_score([0.0], [10.0])   # late costs more than early
True
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from bizforge.errors import DataError
from bizforge.families.base import Action, FamilyPredictor

__all__ = ["RulPredictor", "features", "fit_rul", "phm_score"]

WINDOWS = (5, 10, 20, 30)
BASELINE = 15   # a unit's first cycles: its own "healthy" reading
CUTS_PER_UNIT = 10
RUL_FILE = "rul.json"
BOOSTER_FILE = "rul_gbm.txt"


def phm_score(pred, true) -> float:
    """PHM08 score: exp(-d/13)-1 for early (d<0), exp(d/10)-1 for late predictions."""
    d = np.asarray(pred, dtype=float) - np.asarray(true, dtype=float)
    return float(np.sum(np.where(d < 0, np.exp(-d / 13) - 1, np.exp(d / 10) - 1)))


def sensor_columns(frame: pd.DataFrame, unit: str, cycle: str) -> list[str]:
    """Numeric columns that vary (constant sensors carry no wear)."""
    out = []
    for c in frame.columns:
        if c in (unit, cycle):
            continue
        s = pd.to_numeric(frame[c], errors="coerce")
        if s.notna().mean() > 0.9 and s.std(skipna=True) > 1e-9 * (1 + abs(s.mean())):
            out.append(c)
    return out


def features(frame: pd.DataFrame, unit: str, cycle: str, sensors: list[str]) -> pd.DataFrame:
    """Per-row features from each unit's history up to that row (rows sorted by unit, cycle)."""
    keys = frame[unit].to_numpy()
    t = frame[cycle].astype(float).reset_index(drop=True)
    cols: dict[str, Any] = {"cycle": t.to_numpy()}

    def rolling(values: pd.Series, w: int, how: str, min_periods: int = 1) -> pd.Series:
        r = values.groupby(keys, sort=False).rolling(w, min_periods=min_periods)
        out = getattr(r, how)() if how != "var" else r.var(ddof=0)
        return out.reset_index(level=0, drop=True).sort_index()

    mt = {w: rolling(t, w, "mean", 3) for w in (10, 30)}
    vt = {w: rolling(t, w, "var", 3).replace(0, np.nan) for w in (10, 30)}
    for s in sensors:
        x = pd.to_numeric(frame[s], errors="coerce").astype(float).reset_index(drop=True)
        base = x.groupby(keys, sort=False).transform(lambda v: v.iloc[:BASELINE].mean())
        cols[s] = x.to_numpy()
        for w in WINDOWS:
            mean = rolling(x, w, "mean")
            cols[f"{s}_mean{w}"] = mean.to_numpy()
            cols[f"{s}_drift{w}"] = (mean - base).to_numpy()
        cols[f"{s}_std10"] = rolling(x, 10, "std", 2).to_numpy()
        for w in (10, 30):
            cov = rolling(x * t, w, "mean", 3) - rolling(x, w, "mean", 3) * mt[w]
            cols[f"{s}_slope{w}"] = (cov / vt[w]).to_numpy()
    return pd.DataFrame(cols, index=frame.index)


def _sorted(frame: pd.DataFrame, unit: str, cycle: str) -> pd.DataFrame:
    for c in (unit, cycle):
        if c not in frame.columns:
            raise DataError(f"there is no column '{c}'.", column=c,
                            fix=f"name the unit and cycle columns with --id-column and "
                                f"--time-column (columns: {', '.join(map(str, frame.columns[:12]))}).")
    cyc = pd.to_numeric(frame[cycle], errors="coerce")
    bad = np.flatnonzero(cyc.isna().to_numpy())
    if bad.size:
        raise DataError(f"{bad.size} value(s) of the cycle column '{cycle}' are not numbers.",
                        column=cycle, rows=(bad + 1).tolist(),
                        fix="give the cycle (or hours) as a number on every row.")
    out = frame.assign(**{cycle: cyc}).sort_values([unit, cycle], kind="stable")
    return out.reset_index(drop=True)


def _params(seed: int) -> dict[str, Any]:
    return {"objective": "l2", "learning_rate": 0.05, "num_leaves": 15, "min_data_in_leaf": 40,
            "feature_fraction": 0.7, "bagging_fraction": 0.8, "bagging_freq": 1,
            "lambda_l2": 1.0, "seed": seed, "verbose": -1, "num_threads": 1,
            "deterministic": True}


def _until(deadline: float):
    """A LightGBM callback that stops boosting at ``deadline`` (perf_counter seconds),
    keeping the rounds done so far: the budget holds even on a busy machine."""
    import lightgbm as lgb

    def callback(env) -> None:
        if time.perf_counter() > deadline:
            raise lgb.callback.EarlyStopException(env.iteration, env.evaluation_result_list)
    callback.order = 40
    return callback


def _cuts(frame: pd.DataFrame, unit: str, seed: int) -> np.ndarray:
    """Row positions where held-out units are 'in service': random points of each life."""
    rng = np.random.default_rng(seed)
    picks = []
    for _, rows in frame.groupby(unit, sort=False).indices.items():
        lo = min(len(rows) - 1, 30)
        picks.extend(rows[rng.integers(lo, len(rows), size=min(CUTS_PER_UNIT, len(rows)))])
    return np.asarray(sorted(set(picks)))


def _check_failures(frame: pd.DataFrame, unit: str, cycle: str) -> None:
    """Refuse histories that stop at the end of observation rather than at failures.

    Run-to-failure units end at different cycles (their lives differ); when most of
    them stop at one and the same cycle, the table was cut by the observation window
    and no unit's last row is a failure, so no remaining life can be derived.
    """
    last = frame.groupby(unit)[cycle].max()
    common = last.value_counts()
    if len(last) >= 5 and common.iloc[0] > len(last) / 2:
        raise DataError(f"the units never fail: {int(common.iloc[0])} of {len(last)} units "
                        f"stop at the same cycle {common.index[0]:g}, the end of observation "
                        "rather than a failure; rul learns from units run to failure (each "
                        "unit's last row is its failure).", column=unit,
                        fix="keep only the units that failed, with their rows up to the "
                            "failure, or forecast the sensors with --task forecast instead.")


def interval_bins(pred: np.ndarray, resid: np.ndarray, n_bins: int = 4,
                  min_rows: int = 100) -> dict[str, Any] | None:
    """Residual quantiles per band of predicted life (a conformal interval conditioned on
    the prediction): most history rows sit early in life at the cap, where the model is
    nearly exact, and would make one interval for all far too narrow near failure. Bands
    are quantiles of the out-of-fold predictions; None when there are too few rows."""
    if len(pred) < n_bins * min_rows:
        return None
    edges = np.unique(np.quantile(pred, np.linspace(0, 1, n_bins + 1)[1:-1]))
    band = np.searchsorted(edges, pred, side="right")
    out: dict[str, Any] = {"edges": edges.tolist()}
    for level in (80, 95):
        a = (1 - level / 100) / 2
        out[str(level)] = [[float(np.quantile(resid[band == b], a)),
                            float(np.quantile(resid[band == b], 1 - a))]
                           if (band == b).any() else [0.0, 0.0]
                           for b in range(len(edges) + 1)]
    return out


def bin_interval(bins: dict[str, Any], pred: np.ndarray,
                 level: str) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) around ``pred`` from the residual quantiles of each prediction's band."""
    band = np.searchsorted(np.asarray(bins["edges"]), pred, side="right")
    q = np.asarray(bins[level])[band]
    return pred + q[:, 0], pred + q[:, 1]


def fit_rul(frame: pd.DataFrame, *, unit: str, cycle: str, cap: float, time_limit: float,
            seed: int, progress: Callable[[dict], None] | None = None) -> dict[str, Any]:
    """Grouped holdout by unit, grouped CV for the boosting rounds and intervals, final fit."""
    import lightgbm as lgb
    from sklearn.model_selection import GroupKFold

    started = time.perf_counter()
    emit = progress or (lambda e: None)
    frame = _sorted(frame, unit, cycle)
    units = frame[unit].astype(str)
    if units.nunique() < 5:
        raise DataError(f"only {units.nunique()} unit(s); remaining life needs the histories "
                        "of at least 5 units run to failure.", column=unit,
                        fix="add more units' histories.")
    life = frame.groupby(unit)[cycle].transform("max")
    if (frame.groupby(unit)[cycle].count() < 5).all():
        raise DataError("every unit has fewer than 5 cycles.", column=cycle,
                        fix="give each unit's whole run to failure.")
    _check_failures(frame, unit, cycle)
    rul = np.minimum(life - frame[cycle], cap).to_numpy(dtype=float)
    sensors = sensor_columns(frame, unit, cycle)
    if not sensors:
        raise DataError("no sensor column varies; nothing shows wear.",
                        fix="include the sensor readings as numeric columns.")
    emit({"event": "stage", "stage": "features"})
    X = features(frame, unit, cycle, sensors)
    rng = np.random.default_rng(seed)
    uniq = np.array(sorted(units.unique()))
    test_units = set(rng.choice(uniq, size=max(1, round(0.2 * len(uniq))), replace=False))
    is_test = units.isin(test_units).to_numpy()
    Xtr, ytr, gtr = X[~is_test], rul[~is_test], units[~is_test].to_numpy()
    emit({"event": "search_start", "candidates": 1})
    emit({"event": "candidate_start", "name": "lightgbm_rul"})
    n_folds = min(5, len(set(gtr)))
    folds = GroupKFold(n_splits=n_folds)
    oof, rounds = np.full(len(ytr), np.nan), []
    # Folds share 60% of the budget; the two final fits (test model, saved model) the rest.
    cv_end = started + 0.6 * time_limit
    for k, (a, b) in enumerate(folds.split(Xtr, ytr, gtr)):
        deadline = time.perf_counter() + (cv_end - time.perf_counter()) / (n_folds - k)
        booster = lgb.train(_params(seed + k), lgb.Dataset(Xtr.iloc[a], ytr[a]),
                            num_boost_round=3000,
                            valid_sets=[lgb.Dataset(Xtr.iloc[b], ytr[b])],
                            callbacks=[lgb.early_stopping(100, verbose=False),
                                       _until(deadline)])
        rounds.append(booster.best_iteration or booster.current_iteration())
        oof[b] = booster.predict(Xtr.iloc[b], num_iteration=rounds[-1])
    n_rounds = max(1, int(np.median(rounds)))
    fit_end = started + time_limit
    half = time.perf_counter() + (fit_end - time.perf_counter()) * 0.45
    booster = lgb.train(_params(seed), lgb.Dataset(Xtr, ytr), num_boost_round=n_rounds,
                        callbacks=[_until(half)])
    ok = ~np.isnan(oof)
    resid = ytr[ok] - oof[ok]
    quant = {str(level): [float(np.quantile(resid, (1 - level / 100) / 2)),
                          float(np.quantile(resid, 1 - (1 - level / 100) / 2))]
             for level in (80, 95)}
    emit({"event": "candidate_end", "name": "lightgbm_rul",
          "elapsed": time.perf_counter() - started})
    test_frame = frame[is_test].reset_index(drop=True)
    cuts = _cuts(test_frame, unit, seed)
    pred_all = np.clip(booster.predict(X[is_test]), 0, cap)
    true_all = rul[is_test]
    pred, true = pred_all[cuts], true_all[cuts]
    bins = interval_bins(oof[ok], resid)
    lo, hi = bin_interval(bins, pred, "80") if bins else (pred + quant["80"][0],
                                                         pred + quant["80"][1])
    test = {"rmse": float(np.sqrt(np.mean((pred - true) ** 2))),
            "mae": float(np.mean(np.abs(pred - true))),
            "phm_score": phm_score(pred, true), "n": int(len(cuts)),
            "units": len(test_units),
            "rmse_all_cycles": float(np.sqrt(np.mean((pred_all - true_all) ** 2))),
            "coverage_80": float(np.mean((true >= lo) & (true <= hi)))}
    # The saved model learns from every unit, with the rounds the CV chose.
    final = lgb.train(_params(seed), lgb.Dataset(X, rul), num_boost_round=n_rounds,
                      callbacks=[_until(fit_end - 1.0)])
    spec = {"task": "rul", "unit": unit, "cycle": cycle, "sensors": sensors, "cap": cap,
            "intervals": quant, "rounds": n_rounds, "columns": list(X.columns)}
    if bins:
        spec["interval_bins"] = bins
    per_unit = []
    for u, rows in test_frame.groupby(unit, sort=False).indices.items():
        per_unit.append({"unit": str(u), "rmse": float(np.sqrt(np.mean(
            (pred_all[rows] - true_all[rows]) ** 2))), "cycles": int(len(rows))})
    per_unit.sort(key=lambda r: -r["rmse"])
    return {"predictor": RulPredictor(spec, final), "test": test, "per_unit": per_unit,
            "oof_rmse": float(np.sqrt(np.mean(resid ** 2))), "rounds": n_rounds,
            "fit_seconds": time.perf_counter() - started, "test_frame": test_frame,
            "pred_all": pred_all, "true_all": true_all, "sensors": sensors, "unit": unit}


class RulRequest(BaseModel):
    rows: list[dict[str, Any]] = Field(..., min_length=1, max_length=100_000,
                                       description="Recent rows of one or more units: unit id, "
                                                   "cycle and sensor columns.")


class UnitLife(BaseModel):
    unit: str
    cycle: float
    predicted_rul: float
    lo_80: float
    hi_80: float


class RulResponse(BaseModel):
    units: list[UnitLife]


class RulPredictor(FamilyPredictor):
    """A unit's history so far -> its remaining useful life, with an 80% interval."""

    family = "forecast"
    streams = False  # a unit's cycles are read whole

    def __init__(self, spec: dict[str, Any], booster: Any, info: dict | None = None):
        self.spec, self.booster = spec, booster
        self.info = info or {"task": "rul"}
        self.path = None

    def save(self, folder: Path) -> None:
        folder = Path(folder)
        (folder / RUL_FILE).write_text(json.dumps(self.spec, indent=1), encoding="utf-8")
        (folder / BOOSTER_FILE).write_text(self.booster.model_to_string(), encoding="utf-8")
        (folder / "model.json").write_text(json.dumps(self.info, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> RulPredictor:
        import lightgbm as lgb

        folder = Path(folder)
        spec = json.loads((folder / RUL_FILE).read_text(encoding="utf-8"))
        booster = lgb.Booster(model_str=(folder / BOOSTER_FILE).read_text(encoding="utf-8"))
        info_file = folder / "model.json"
        info = json.loads(info_file.read_text(encoding="utf-8")) if info_file.is_file() else None
        out = cls(spec, booster, info)
        out.path = folder
        return out

    def predict(self, data: Any) -> pd.DataFrame:
        """One row per unit: its id, last cycle, predicted life left and the 80% interval."""
        frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
        unit, cycle, sensors = self.spec["unit"], self.spec["cycle"], self.spec["sensors"]
        missing = [c for c in [unit, cycle, *sensors] if c not in frame.columns]
        if missing:
            raise DataError(f"the histories lack column(s) {', '.join(missing[:5])}.",
                            column=missing[0], fix="give the unit id, cycle and every sensor "
                                                   "column the model was trained on.")
        if frame.empty:
            raise DataError("no rows to predict.", fix="give at least one row per unit.")
        frame = _sorted(frame, unit, cycle)
        X = features(frame, unit, cycle, sensors)[self.spec["columns"]]
        last = frame.groupby(unit, sort=False).tail(1).index
        pred = np.clip(self.booster.predict(X.loc[last]), 0, self.spec["cap"])
        if self.spec.get("interval_bins"):
            lo, hi = bin_interval(self.spec["interval_bins"], pred, "80")
        else:  # a model saved before the intervals depended on the prediction
            lo_q, hi_q = self.spec["intervals"]["80"]
            lo, hi = pred + lo_q, pred + hi_q
        return pd.DataFrame({unit: frame.loc[last, unit].to_numpy(),
                             cycle: frame.loc[last, cycle].to_numpy(),
                             "predicted_rul": pred,
                             "lo_80": np.clip(lo, 0, None), "hi_80": hi})

    def score(self, data: Any, *, explain: bool = False,
              progress: Callable[[int], None] | None = None) -> pd.DataFrame:
        out = self.predict(data)
        if progress:
            progress(len(data))
        return out

    def actions(self) -> list[Action]:
        def handle(request: RulRequest) -> dict[str, Any]:
            table = self.predict(pd.DataFrame(request.rows))
            unit, cycle = self.spec["unit"], self.spec["cycle"]
            # to_dict keeps each column's type (iterrows would turn an int id into 2.0)
            return {"units": [{"unit": str(r[unit]), "cycle": float(r[cycle]),
                               "predicted_rul": float(r["predicted_rul"]),
                               "lo_80": float(r["lo_80"]), "hi_80": float(r["hi_80"])}
                              for r in table.to_dict(orient="records")]}

        return [Action("predict", RulRequest, RulResponse, handle,
                       summary="Remaining useful life of units from their recent rows")]
