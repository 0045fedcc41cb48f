"""Model backends (HOW to predict): the ``Model`` contract, the catalog and the backends.

Importing this package registers every built-in backend (lightgbm, linear, mlp);
torch is imported only when an MLP is fitted or loaded.

>>> from bizforge.models import get_model, list_models
>>> sorted(list_models("regression"))
['lightgbm', 'linear', 'mlp']
"""

from __future__ import annotations

from bizforge.models.base import PROBLEMS, Model, Tags
from bizforge.models.catalog import get_model, list_models, load_model, register_model

# Imported for their @register_model side effect.
from bizforge.models import gbm, linear, mlp, text_embed, text_hf, text_tfidf, xgb  # noqa: F401  isort: skip

__all__ = [
    "PROBLEMS",
    "Model",
    "Tags",
    "get_model",
    "list_models",
    "load_model",
    "register_model",
]
