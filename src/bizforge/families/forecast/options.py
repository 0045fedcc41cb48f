"""Typed options of the forecast family (``bizforge train --task forecast|rul``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from bizforge.errors import UsageError
from bizforge.families.base import FamilyOptions

__all__ = ["ForecastOptions"]


class ForecastOptions(FamilyOptions):
    """Options for forecasting and remaining useful life.

    >>> ForecastOptions(time_column="Date", id_column=["Store"], horizon=12).horizon
    12
    """

    time_column: str | None = Field(
        None, description="Date column (or integer period / cycle number); detected when "
                          "not given.")
    id_column: list[str] | None = Field(
        None, description="Series id column(s) of a long table, or the unit id for rul "
                          "(repeatable); detected when not given.")
    horizon: int | None = Field(
        None, description="Periods to forecast (default: 14 days, 12 weeks, 12 months, "
                          "4 quarters, 12 periods).")
    covariate: list[str] | None = Field(
        None, description="Columns known in advance for the forecast periods (holiday, "
                          "promotion, price). Default: the 0/1 flag columns.")
    season_length: int | None = Field(
        None, description="Periods per season (default from the frequency: 7 days, 52 "
                          "weeks, 12 months, 4 quarters; none for integer periods).")
    backtest_windows: int = Field(
        4, description="Rolling-origin backtest windows the models are chosen on.")
    reconcile: Literal["auto", "bottom_up", "ols", "mint_shrink", "none"] | None = Field(
        None, description="Forecast the aggregates of the ids too (region, total) and make "
                          "the forecasts add up: bottom_up, ols, mint_shrink, or auto (the "
                          "best on the backtests). Default: auto when the id columns nest "
                          "(--id-column region --id-column store), else none.")
    rul_cap: float = Field(
        125.0, description="rul: remaining life is capped at this many cycles (early in life "
                           "it cannot be seen in the sensors).")

    def check(self) -> None:
        if self.horizon is not None and self.horizon < 1:
            raise UsageError(f"--horizon must be at least 1, not {self.horizon}.",
                             fix="pass the number of periods to forecast, e.g. --horizon 12.")
        if self.season_length is not None and self.season_length < 1:
            raise UsageError("--season-length must be at least 1.",
                             fix="pass e.g. --season-length 12 for monthly data.")
        if self.backtest_windows < 1:
            raise UsageError("--backtest-windows must be at least 1.",
                             fix="pass e.g. --backtest-windows 4.")
        if self.rul_cap <= 0:
            raise UsageError("--rul-cap must be positive.", fix="pass e.g. --rul-cap 125.")
