"""Plain JSON values from whatever a computation produced (numpy scalars, arrays, NaN).

A module of its own, importing nothing heavy, so that families and the report share it
without pulling in plotly.

>>> import numpy as np
>>> jsonable({"a": np.float32(1.5), "b": [float("nan")]})
{'a': 1.5, 'b': [None]}
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["jsonable"]


def jsonable(value: Any) -> Any:
    """Plain JSON types: numpy scalars/arrays, tuples, paths; NaN/inf become None."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [jsonable(v) for v in (value.tolist() if isinstance(value, np.ndarray) else value)]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
