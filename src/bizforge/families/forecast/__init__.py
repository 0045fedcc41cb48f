"""Forecasting sales and demand, and remaining useful life of equipment (one family)."""

from bizforge.families.forecast.family import ForecastFamily

__all__ = ["ForecastFamily"]
