"""bizforge: put pretrained models to work on a company's own data.

>>> import bizforge
>>> ds = bizforge.read("customers.csv")          # doctest: +SKIP
>>> report = bizforge.profile(ds, target="Churn")  # doctest: +SKIP
>>> run = bizforge.train(ds, target="Churn", time_limit=30)   # doctest: +SKIP
>>> bizforge.load_model(run.path).predict(ds.frame.head())   # doctest: +SKIP
>>> bizforge.publish(run, "churn").ref                        # doctest: +SKIP

Public names are loaded lazily so ``import bizforge`` stays fast and does not
import torch.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_LAZY = {
    "read": "bizforge.ingest",
    "Dataset": "bizforge.frame",
    "Schema": "bizforge.frame",
    "Role": "bizforge.frame",
    "profile": "bizforge.clean",
    "Recipe": "bizforge.clean",
    "mask_frame": "bizforge.clean",
    "publish": "bizforge.pipeline",
    "Run": "bizforge.pipeline",
    "load_model": "bizforge.families",
    "list_tasks": "bizforge.families",
}

__all__ = ["__version__", "train", *_LAZY]


def __getattr__(name: str):
    if name == "train":  # the package bizforge.train, which is callable (see there)
        return importlib.import_module("bizforge.train")
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'bizforge' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
