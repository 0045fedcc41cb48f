"""Train under a time budget: validation scheme, candidate search, Caruana ensemble.

>>> from bizforge.train import search
>>> result = search(X, y, spec, time_limit=60)        # doctest: +SKIP
>>> result.leaderboard[0]                             # doctest: +SKIP
{'name': 'ensemble', 'score': 0.853, ...}
"""

from __future__ import annotations

import importlib
import sys
import types

from bizforge.train.ensemble import EnsembleSelection, caruana
from bizforge.train.members import Member
from bizforge.train.portfolio import Candidate, default_candidates
from bizforge.train.result import SearchResult
from bizforge.train.scoring import Scorer, get_scorer
from bizforge.train.search import search
from bizforge.train.validation import CV_FOLDS, CV_MAX_ROWS, HOLDOUT_FRACTION, Scheme, choose_scheme

__all__ = [
    "CV_FOLDS",
    "CV_MAX_ROWS",
    "HOLDOUT_FRACTION",
    "Candidate",
    "EnsembleSelection",
    "Member",
    "Scheme",
    "Scorer",
    "SearchResult",
    "caruana",
    "choose_scheme",
    "default_candidates",
    "get_scorer",
    "search",
]


class _TrainPackage(types.ModuleType):
    """This package's module type: calling it is ``bizforge.pipeline.train``.

    Why: ``bizforge.train(data, target)`` is the top-level Python API, but once this
    package is imported Python sets the attribute ``bizforge.train`` to the package
    itself, hiding any function of that name in ``bizforge/__init__.py``. Making the
    package callable keeps both meanings; the call is forwarded lazily, so this
    stage still imports nothing from the later ones.
    """

    def __call__(self, *args, **kwargs):
        return importlib.import_module("bizforge.pipeline").train(*args, **kwargs)


sys.modules[__name__].__class__ = _TrainPackage
