"""The forecast family: ``--task forecast`` (sales, demand) and ``--task rul`` (remaining
useful life of equipment), both time-ordered per-entity problems.

>>> from bizforge.families import family_for_task      # doctest: +SKIP
>>> family_for_task("rul").name                        # doctest: +SKIP
'forecast'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bizforge import __version__
from bizforge.errors import UsageError
from bizforge.families.base import DataSource, Family, Trained
from bizforge.families.catalog import register_family
from bizforge.families.forecast.options import ForecastOptions
from bizforge.plain import jsonable

__all__ = ["ForecastFamily"]


@register_family
class ForecastFamily(Family):
    """Forecasts per series chosen by rolling-origin backtests; RUL from sensor histories."""

    name = "forecast"
    tasks = ("forecast", "rul")
    Options = ForecastOptions
    needs_target = False  # rul derives it; a wide forecast table has one column per series

    @classmethod
    def recognise(cls, source: DataSource, target: str | None) -> float:
        """Only when the user named a horizon: a table with dates is also a table."""
        return 0.9 if source.hints.get("horizon") else 0.0

    def inspect(self, source: DataSource, *, target: str | None, options: ForecastOptions,
                lang: str = "en") -> Any:
        from bizforge.clean import profile
        from bizforge.clean.findings import Finding
        from bizforge.families.forecast.panel import build_panel, check_horizon, guess_columns

        ds = source.dataset()
        prof = profile(ds, target=target, lang=lang)
        if target is None and options.id_column is None:
            return prof
        time_col, ids = guess_columns(ds.frame, target, options.time_column, options.id_column)
        panel = build_panel(ds.frame, target=target, time=time_col, ids=ids)
        check_horizon(panel, options.horizon or 12)
        for f in panel.findings:
            prof.findings.append(Finding(None, f["kind"], "warning", f["message"],
                                         f.get("fix", ""), f.get("count", 0)))
        return prof

    def train(self, source: DataSource, *, target: str | None, task: str,
              options: ForecastOptions, test: DataSource | None, time_limit: float,
              seed: int = 0, lang: str = "en", progress=None) -> Trained:
        from bizforge.families.forecast.report import forecast_report

        emit = progress or (lambda e: None)
        emit({"event": "stage", "stage": "reading"})
        frame = source.dataset().frame
        if task == "rul":
            return self._train_rul(frame, options, time_limit, seed, lang, emit)
        test_frame = test.dataset().frame if test is not None else None
        from bizforge.families.forecast.fit import fit_forecast

        fit = fit_forecast(frame, target=target, options=options, test=test_frame,
                           time_limit=time_limit, seed=seed, progress=emit)
        sel, panel = fit["selection"], fit["panel"]
        notes = [f"gaps: {f['message']}" if f["kind"] == "gaps" else f["message"]
                 for f in panel.findings]
        if fit["covariates"]:
            notes.append("covariates used as known in advance: "
                         f"{', '.join(fit['covariates'])}")
        if sel.reconcile is not None:
            scores = ", ".join(f"{k} {100 * v:.2f}%" for k, v in sel.reconcile_scores.items())
            notes.append(f"the aggregates ({len(sel.hierarchy.aggregates)}: "
                         f"{', '.join(sel.hierarchy.aggregates[:3])}"
                         f"{', ...' if len(sel.hierarchy.aggregates) > 3 else ''}) were "
                         f"forecast too and reconciled by {sel.reconcile} (backtest WAPE over "
                         f"every node: {scores}); forecasts add up across the hierarchy.")
        if test is None:
            notes.append("the saved model was refitted on the whole history; the test "
                         "figures come from the last periods held out before that.")
        predictor = fit["predictor"]
        predictor.info = {"task": "forecast", "bizforge_version": __version__,
                          "target": panel.target, "time_column": panel.time_column,
                          "id_columns": panel.id_columns, "frequency": panel.freq,
                          "horizon": fit["horizon"], "series": len(panel.series_ids)}
        metrics = {"task": "forecast", "metric": "wape", "target": panel.target,
                   "test": fit["test"], "leaderboard": sel.leaderboard,
                   "fit_seconds": round(fit["fit_seconds"], 2), "horizon": fit["horizon"],
                   "frequency": panel.freq, "test_source": fit["test_source"],
                   "windows": sel.windows, "weights": sel.weights,
                   "reconcile": ({"method": sel.reconcile, "backtest_wape":
                                  sel.reconcile_scores} if sel.reconcile else None),
                   "not_used": sel.skipped, "per_series": fit["per_series"][:50],
                   "findings": panel.findings, "bizforge_version": __version__,
                   "rows": {"train": int(len(frame)),
                            "test": int(fit["test"]["n"])}}
        report = forecast_report(fit, notes, panel.findings, lang if lang in ("en", "zh")
                                 else "en")
        return Trained(predictor, jsonable(metrics), report, None, notes)

    def _train_rul(self, frame, options: ForecastOptions, time_limit, seed, lang, emit):
        from bizforge.families.forecast.rul import fit_rul
        from bizforge.families.forecast.rul_report import rul_report

        if not options.id_column or not options.time_column:
            raise UsageError("rul needs the unit and cycle columns.",
                             fix="pass --id-column UNIT --time-column CYCLE.")
        if len(options.id_column) != 1:
            raise UsageError("rul takes one unit id column.", fix="pass one --id-column.")
        unit, cycle = options.id_column[0], options.time_column
        fit = fit_rul(frame, unit=unit, cycle=cycle, cap=options.rul_cap,
                      time_limit=time_limit, seed=seed, progress=emit)
        predictor = fit["predictor"]
        predictor.info = {"task": "rul", "bizforge_version": __version__, "unit": unit,
                          "cycle": cycle, "cap": options.rul_cap}
        notes = [f"remaining life is capped at {options.rul_cap:g} cycles (the target is "
                 "derived: each training unit's last cycle minus the current one).",
                 f"validation and test split by unit; {fit['test']['units']} units held out, "
                 f"each cut at up to 10 random points of its life."]
        metrics = {"task": "rul", "metric": "rmse", "test": fit["test"],
                   "leaderboard": [{"name": "lightgbm_rul", "score": fit["oof_rmse"],
                                    "fit_seconds": round(fit["fit_seconds"], 2),
                                    "weight": 1.0}],
                   "fit_seconds": round(fit["fit_seconds"], 2), "cap": options.rul_cap,
                   "rounds": fit["rounds"], "sensors": fit["sensors"],
                   "test_source": f"{fit['test']['units']} units held out, cut at random "
                                  "points of their life",
                   "per_unit": fit["per_unit"][:50], "bizforge_version": __version__,
                   "rows": {"train": int(len(frame)), "test": int(fit["test"]["n"])}}
        return Trained(predictor, jsonable(metrics), rul_report(fit, options.rul_cap, notes,
                                                               lang), None, notes)

    @classmethod
    def load(cls, folder: Path):
        from bizforge.families.forecast.predictor import SPEC_FILE, ForecastPredictor
        from bizforge.families.forecast.rul import RUL_FILE, RulPredictor

        folder = Path(folder)
        if (folder / RUL_FILE).is_file():
            return RulPredictor.load(folder)
        if (folder / SPEC_FILE).is_file():
            return ForecastPredictor.load(folder)
        from bizforge.errors import ModelError

        raise ModelError(f"'{folder}' holds no forecast or rul model.",
                         fix="point to a folder written by bizforge train --task forecast|rul.")
