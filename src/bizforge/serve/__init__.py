"""Serving: the loaded predictor (and later the REST API)."""

from bizforge.serve.predictor import Predictor, load_model

__all__ = ["Predictor", "load_model"]
