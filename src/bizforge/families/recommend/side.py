"""Numeric features from a side file of item or user attributes, for the re-ranker.

Numbers stay numbers (price, age); a text column with at most
:data:`MAX_LEVELS` distinct values (brand, gender, city tier) becomes integer
codes; longer texts and ids are left to :mod:`.items`. Ids without a row get
NaN, which LightGBM treats as missing.

>>> import pandas as pd
>>> names, m = side_features(pd.DataFrame({"u": ["a", "b"], "age": [30, 40]}), "u", ["b", "c"])
>>> names, m.tolist()
(['age'], [[40.0], [nan]])
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bizforge.errors import DataError
from bizforge.families.recommend.data import id_texts

__all__ = ["MAX_LEVELS", "side_features"]

MAX_LEVELS = 50


def side_features(frame: pd.DataFrame, key: str, ids: list[str], path: str | None = None
                  ) -> tuple[list[str], np.ndarray]:
    """(column names, len(ids) x columns float32) from ``frame`` keyed by ``key``."""
    if key not in frame.columns:
        raise DataError(f"{path or 'the side file'} has no column '{key}' to match the "
                        f"interactions (columns: {', '.join(map(str, frame.columns[:20]))}).",
                        column=key, path=path, fix=f"name its id column '{key}'.")
    frame = frame.assign(**{key: id_texts(frame[key])}).drop_duplicates(key, keep="last")
    frame = frame.set_index(key)
    names, columns = [], []
    for name in frame.columns:
        column = frame[name]  # levels are judged on the whole file, not on the ids asked for
        if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
            values = pd.to_numeric(column, errors="coerce").astype("float64")
        elif column.nunique() <= MAX_LEVELS:
            codes = column.astype("category").cat.codes.astype("float64")
            values = codes.where(codes >= 0)
        else:
            continue
        names.append(str(name))
        columns.append(values.reindex(ids).to_numpy())
    if not columns:
        return [], np.zeros((len(ids), 0), dtype=np.float32)
    return names, np.column_stack(columns).astype(np.float32)
