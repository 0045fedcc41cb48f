"""The saved forecaster: stored forecasts, intervals and (when used) the global model.

Files (no pickle): ``forecast.json`` (series, frequency, horizon, ensemble
weights, interval quantiles, covariates), ``arrays.safetensors`` (the history
grid and each member's forecast from the end of it) and ``global_gbm.txt``
(LightGBM text) when the global model is a member. A request names series and
optionally gives the covariates of the forecast periods; the global model's
part is then recomputed with them, the statistical members' parts are stored.

>>> p = ForecastPredictor.load(folder)                       # doctest: +SKIP
>>> p.predict(["1", "2"]).columns.tolist()                   # doctest: +SKIP
['series', 'period', 'forecast', 'lo_80', 'hi_80', 'lo_95', 'hi_95']
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from bizforge.errors import DataError, UsageError
from bizforge.families.base import Action, DataSource, FamilyPredictor
from bizforge.families.forecast.backtest import LEVELS, Intervals
from bizforge.families.forecast.engine import GBM
from bizforge.families.forecast.gbm import GlobalGBM
from bizforge.families.forecast.hierarchy import Hierarchy
from bizforge.families.forecast.panel import ID_SEP, Panel, parse_times
from bizforge.families.forecast.stats import combine

__all__ = ["ForecastPredictor", "ForecastRequest", "ForecastResponse"]

SPEC_FILE = "forecast.json"
ARRAYS_FILE = "arrays.safetensors"
GBM_FILE = "global_gbm.txt"
MAX_SERIES_PER_REQUEST = 1000


class ForecastRequest(BaseModel):
    series: list[str] = Field(..., min_length=1, max_length=MAX_SERIES_PER_REQUEST,
                              description="Series ids to forecast (several id columns "
                                          "joined by '|').")
    horizon: int | None = Field(None, ge=1, description="Periods ahead (at most the "
                                                        "trained horizon; default: all).")
    future: list[dict[str, Any]] | None = Field(
        None, description="Rows of the forecast periods with the covariates known in "
                          "advance: id column(s), time column and covariate columns.")


class ForecastPoint(BaseModel):
    period: str
    forecast: float
    lo_80: float
    hi_80: float
    lo_95: float
    hi_95: float


class SeriesForecast(BaseModel):
    series: str
    points: list[ForecastPoint]


class ForecastResponse(BaseModel):
    horizon: int
    frequency: str
    series: list[SeriesForecast]


class ForecastPredictor(FamilyPredictor):
    """Forecasts of a panel's series from the end of its training history."""

    family = "forecast"
    streams = False  # a series' history is read whole

    def __init__(self, spec: dict[str, Any], panel: Panel, members: dict[str, np.ndarray],
                 gbm: GlobalGBM | None, info: dict[str, Any] | None = None,
                 projection: np.ndarray | None = None):
        self.spec, self.panel, self.members, self.gbm = spec, panel, members, gbm
        self.projection = projection
        self.hierarchy = None
        if projection is not None:
            r = spec["reconcile"]
            self.hierarchy = Hierarchy.from_ids(panel.series_ids[: r["bottom"]], r["id_parts"])
        self.intervals = Intervals.from_dict(spec["intervals"])
        self.weights: dict[str, float] = spec["weights"]
        self.row_of = {s: i for i, s in enumerate(panel.series_ids)}
        self.levels = np.asarray(spec["levels"], dtype=float)
        self.info = info or {"task": "forecast"}
        self.path = None

    def __repr__(self) -> str:
        return (f"ForecastPredictor({len(self.panel.series_ids)} series, "
                f"horizon {self.spec['horizon']}, {self.panel.freq})")

    # -- saving ------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        from safetensors.numpy import save_file

        folder = Path(folder)
        index = [str(p) for p in self.panel.index]
        spec = {**self.spec, "series_ids": self.panel.series_ids, "index": index,
                "freq": self.panel.freq, "id_columns": self.panel.id_columns,
                "time_column": self.panel.time_column, "target": self.panel.target}
        (folder / SPEC_FILE).write_text(json.dumps(spec, ensure_ascii=False, indent=1),
                                        encoding="utf-8")
        arrays = {"history": np.ascontiguousarray(self.panel.values)}
        arrays.update({f"member.{k}": np.ascontiguousarray(v) for k, v in self.members.items()})
        arrays.update({f"covariate.{k}": np.ascontiguousarray(v)
                       for k, v in self.panel.covariates.items()})
        if self.projection is not None:
            arrays["reconcile.projection"] = np.ascontiguousarray(self.projection)
        save_file(arrays, str(folder / ARRAYS_FILE))
        if self.gbm is not None:
            (folder / GBM_FILE).write_text(self.gbm.to_text(), encoding="utf-8")
        (folder / "model.json").write_text(json.dumps(self.info, ensure_ascii=False, indent=1),
                                           encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> ForecastPredictor:
        from safetensors.numpy import load_file

        folder = Path(folder)
        spec = json.loads((folder / SPEC_FILE).read_text(encoding="utf-8"))
        arrays = load_file(str(folder / ARRAYS_FILE))
        freq = spec["freq"]
        index = (pd.Index(np.asarray(spec["index"], dtype=np.int64)) if freq == "int"
                 else pd.DatetimeIndex(spec["index"]))
        covs = {k.split(".", 1)[1]: v for k, v in arrays.items() if k.startswith("covariate.")}
        panel = Panel(spec["series_ids"], index, arrays["history"], freq, covs, [],
                      spec["id_columns"], spec["time_column"], spec["target"])
        members = {k.split(".", 1)[1]: v for k, v in arrays.items() if k.startswith("member.")}
        gbm = None
        if (folder / GBM_FILE).is_file():
            gbm = GlobalGBM.from_text((folder / GBM_FILE).read_text(encoding="utf-8"),
                                      horizon=spec["horizon"], season=spec["season"],
                                      covariates=spec["covariates"])
        info_file = folder / "model.json"
        info = json.loads(info_file.read_text(encoding="utf-8")) if info_file.is_file() else None
        out = cls(spec, panel, members, gbm, info, arrays.get("reconcile.projection"))
        out.path = folder
        return out

    # -- prediction --------------------------------------------------------------------
    def _rows(self, series: list[str]) -> list[int]:
        unknown = [s for s in series if s not in self.row_of]
        if unknown:
            known = ", ".join(self.panel.series_ids[:5])
            raise DataError(f"{len(unknown)} series are not in the model: "
                            f"{', '.join(map(str, unknown[:5]))}.", column="series",
                            fix=f"use series the model was trained on (e.g. {known}); "
                                "retrain to add new ones.")
        return [self.row_of[s] for s in series]

    def _future_cov(self, rows: list[int], future: pd.DataFrame | None,
                    periods: pd.Index) -> dict[str, np.ndarray] | None:
        covs = self.spec["covariates"]
        if not covs:
            return None
        grid = {c: np.zeros((len(self.panel.series_ids), len(periods))) for c in covs}
        if future is None or future.empty:
            return grid
        missing = [c for c in [*self.panel.id_columns, self.panel.time_column, *covs]
                   if c not in future.columns]
        if missing:
            raise DataError(f"the future rows lack column(s) {', '.join(missing)}.",
                            column=missing[0], fix="give the id, time and covariate columns "
                                                   "of every forecast period.")
        ids = (future[self.panel.id_columns].astype(str).agg(ID_SEP.join, axis=1)
               if self.panel.id_columns else pd.Series("all", index=future.index))
        times = _periods(future, self.panel.time_column)
        where = {p: k for k, p in enumerate(periods)}
        for sid, t, (_, row) in zip(ids, times, future.iterrows(), strict=True):
            if sid in self.row_of and t in where:
                for c in covs:
                    grid[c][self.row_of[sid], where[t]] = float(row[c])
        if self.hierarchy is not None:  # an aggregate's covariates: its children's mean
            m, S = self.hierarchy.n_bottom, self.hierarchy.S[self.hierarchy.n_bottom:]
            for c in covs:
                grid[c][m:] = S @ grid[c][:m] / np.maximum(S.sum(1, keepdims=True), 1)
        return grid

    def _check_horizon(self, h: int) -> None:
        trained = int(self.spec["horizon"])
        if h > trained:
            raise UsageError(f"the model forecasts at most {trained} periods ahead; "
                             f"{h} were asked.", fix=f"ask for {trained} or fewer, or "
                                                     f"retrain with --horizon {h}.")

    def _cached_points(self) -> dict[str, list[dict[str, Any]]]:
        """Every series' forecast points for the trained horizon (no future covariates),
        computed once: the stored forecasts do not change, so a REST request is a lookup."""
        if getattr(self, "_points", None) is None:
            table = self.forecast(self.panel.series_ids)
            cols = [c for c in table.columns if c != "series"]
            values = {c: table[c].tolist() for c in cols}
            h = int(self.spec["horizon"])
            points: dict[str, list[dict[str, Any]]] = {}
            for k, sid in enumerate(self.panel.series_ids):
                points[sid] = [{c: values[c][k * h + j] for c in cols} for j in range(h)]
            self._points = points
        return self._points

    def forecast(self, series: list[str], horizon: int | None = None,
                 future: pd.DataFrame | None = None) -> pd.DataFrame:
        """Long table: series, period, forecast and the 80%/95% interval bounds."""
        trained = int(self.spec["horizon"])
        h = trained if horizon is None else int(horizon)
        self._check_horizon(h)
        rows = self._rows([str(s) for s in series])
        periods = self.panel.future_index(trained)
        # Reconciled forecasts of any node depend on every node's base forecast.
        need = rows if self.hierarchy is None else list(range(len(self.panel.series_ids)))
        parts = {n: v[need] for n, v in self.members.items()}
        if self.gbm is not None and future is not None and GBM in self.weights:
            cov = self._future_cov(need, future, periods)
            fresh = self.gbm.forecast(self.panel, cov, series=need)[need]
            parts[GBM] = np.where(np.isnan(parts[GBM]), np.nan, fresh)  # kept out: admission.py
        point = combine([parts[n] for n in self.weights], self.spec.get("combine", "weighted"),
                        list(self.weights.values()))
        if self.hierarchy is not None:
            point = (self.hierarchy.S @ (self.projection @ np.nan_to_num(point)))[rows]
        out = {"series": np.repeat([self.panel.series_ids[r] for r in rows], h),
               "period": np.tile([str(p.date()) if hasattr(p, "date") else str(p)
                                  for p in periods[:h]], len(rows)),
               "forecast": point[:, :h].ravel()}
        for level in LEVELS:
            lo, hi = self.intervals.around(point, self.levels[rows], level)
            out[f"lo_{level}"], out[f"hi_{level}"] = lo[:, :h].ravel(), hi[:, :h].ravel()
        return pd.DataFrame(out)

    def predict(self, data: Any) -> pd.DataFrame:
        """``data``: series ids, or a table with the id column(s) (and future covariates)."""
        if isinstance(data, pd.DataFrame):
            return self.score(data)
        return self.forecast([str(s) for s in data])

    def score(self, data: Any, *, explain: bool = False,
              progress: Callable[[int], None] | None = None) -> pd.DataFrame:
        frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
        cols = self.panel.id_columns
        if cols and all(c in frame.columns for c in cols):
            ids = frame[cols].astype(str).agg(ID_SEP.join, axis=1)
        elif "series" in frame.columns:
            ids = frame["series"].astype(str)
        else:
            raise DataError(f"the file has no series id column ({', '.join(cols) or 'series'}).",
                            column=cols[0] if cols else "series",
                            fix="give one row per series to forecast, with its id column(s).")
        series = list(dict.fromkeys(ids))
        has_future = (self.panel.time_column in frame.columns and
                      any(c in frame.columns for c in self.spec["covariates"]))
        out = self.forecast(series, future=frame if has_future else None)
        if progress:
            progress(len(frame))
        return out

    def actions(self) -> list[Action]:
        def handle(request: ForecastRequest) -> dict[str, Any]:
            h = int(request.horizon or self.spec["horizon"])
            if not request.future:  # stored forecasts: answered from the per-series cache
                self._check_horizon(h)
                self._rows(request.series)
                cached = self._cached_points()
                groups = [{"series": s, "points": cached[s][:h]}
                          for s in dict.fromkeys(request.series)]
                return {"horizon": h, "frequency": self.panel.freq, "series": groups}
            table = self.forecast(request.series, request.horizon,
                                  pd.DataFrame(request.future))
            groups = []
            for sid, part in table.groupby("series", sort=False):
                groups.append({"series": sid, "points": part.drop(columns="series")
                               .to_dict(orient="records")})
            return {"horizon": h, "frequency": self.panel.freq, "series": groups}

        return [Action("forecast", ForecastRequest, ForecastResponse, handle,
                       summary="Forecast series with 80% and 95% intervals")]

    def example(self, action: str) -> dict[str, Any] | None:
        """The first series the model knows, for ``forecast``."""
        if action == "forecast" and self.panel.series_ids:
            return {"series": [str(self.panel.series_ids[0])]}
        return None

    def batches(self, source: DataSource, chunk_rows: int):
        yield source.dataset().frame


def _periods(frame: pd.DataFrame, column: str) -> list[Any]:
    """The periods of ``frame[column]``, read as training read the time column."""
    times, calendar = parse_times(frame, column)
    return list(pd.DatetimeIndex(times)) if calendar else [int(v) for v in times]
