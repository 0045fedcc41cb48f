"""Gradient boosting backend: LightGBM with native categoricals (registered as "lightgbm")."""

from bizforge.models.gbm.model import LightGBMModel, safe_feature_names

__all__ = ["LightGBMModel", "safe_feature_names"]
