"""Train/test splits and cross-validation folds: random, stratified, grouped, time-ordered.

>>> from bizforge.split import split, folds
>>> train, test = split(frame, stratify="Churn", seed=0)          # doctest: +SKIP
>>> train, test = split(frame, time="order_date")                 # latest 20% is test  # doctest: +SKIP
>>> for train_idx, valid_idx in folds(train, k=5, group="customer_id"):  # doctest: +SKIP
...     ...

Everything is seeded and deterministic. Adjustments (a class with one row, k
larger than the smallest class) are announced with :class:`SplitWarning`.
"""

from __future__ import annotations

from bizforge.split._checks import SplitWarning
from bizforge.split.holdout import split
from bizforge.split.kfold import folds

__all__ = ["SplitWarning", "folds", "split"]
