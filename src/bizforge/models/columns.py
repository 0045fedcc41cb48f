"""The input schema a model records at fit, and the fast frame -> matrix encoding.

Every tabular backend works on one float64 matrix: numeric columns as they are
(NaN = missing) and Categorical columns as their category codes (NaN = missing),
in the column order seen at fit. Encoding happens once per call, here, so the
backends never touch pandas on the hot path.

>>> import pandas as pd
>>> X = pd.DataFrame({"age": [30.0, None], "plan": pd.Categorical(["a", "b"])})
>>> spec = ColumnSpec.from_frame(X)
>>> spec.encode(X).tolist()
[[30.0, 0.0], [nan, 1.0]]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bizforge.errors import DataError, rows_text

__all__ = ["CATEGORICAL", "NUMERIC", "OTHER", "TEXT", "ColumnSpec"]

NUMERIC, CATEGORICAL, TEXT = "numeric", "categorical", "text"
# The cleaning recipe maps rare and unseen categories to this value.
OTHER = "__other__"

_JSON_SCALARS = (str, int, float, bool)


def _column_arrays(X: pd.DataFrame, positions: list[int]) -> list[Any]:
    """The backing arrays of the given columns.

    ``DataFrame._get_column_array`` is private but ~10x faster than ``X.iloc[:, i]``
    (single-row prediction spends most of its time here), so use it when present.
    """
    get = getattr(X, "_get_column_array", None)
    if get is not None:
        return [get(i) for i in positions]
    return [X.iloc[:, i].array for i in positions]  # pragma: no cover - other pandas


@dataclass
class ColumnSpec:
    """Names, kinds and category lists of the columns a model was fitted on."""

    names: list[str]
    kinds: list[str]
    categories: dict[str, list[Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._index = {name: pd.Index(cats) for name, cats in self.categories.items()}
        self._other = {
            name: (cats.index(OTHER) if OTHER in cats else -1)
            for name, cats in self.categories.items()
        }
        self._str_cats = {
            name: all(isinstance(c, str) for c in cats) for name, cats in self.categories.items()
        }
        # Category lists already checked equal to the fitted ones (Index objects are
        # immutable, so identity is enough next time): skips a costly equals() per call.
        self._verified: dict[str, pd.Index] = {}
        self.num_idx = [i for i, k in enumerate(self.kinds) if k == NUMERIC]
        self.cat_idx = [i for i, k in enumerate(self.kinds) if k == CATEGORICAL]
        self.n_cats = [len(self.categories[self.names[i]]) for i in self.cat_idx]

    # -- recording ---------------------------------------------------------------------

    @classmethod
    def from_frame(
        cls, X: pd.DataFrame, *, model: str = "model", text: bool = False, categorical: bool = True
    ) -> ColumnSpec:
        """Read the schema of a training frame; unusable columns raise DataError."""
        names = [str(c) for c in X.columns]
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            raise DataError(
                f"columns {dup} appear more than once.",
                column=dup[0],
                fix="rename or drop the duplicate columns.",
            )
        kinds: list[str] = []
        categories: dict[str, list[Any]] = {}
        for name, dtype in zip(names, X.dtypes):
            if isinstance(dtype, pd.CategoricalDtype):
                if not categorical:
                    raise DataError(
                        f"column '{name}' is categorical and model '{model}' takes numbers only.",
                        column=name,
                        fix="one-hot encode it or choose a backend that handles categories.",
                    )
                cats = dtype.categories.tolist()
                if not all(isinstance(c, _JSON_SCALARS) for c in cats):
                    raise DataError(
                        f"column '{name}' has categories that are not text or numbers.",
                        column=name,
                        fix="convert the categories to text, e.g. X[col].cat.rename_categories(str).",
                    )
                kinds.append(CATEGORICAL)
                categories[name] = cats
            elif pd.api.types.is_bool_dtype(dtype) or (
                pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype)
            ):
                kinds.append(NUMERIC)
            elif pd.api.types.is_string_dtype(dtype) or dtype == object:
                if not text:
                    raise DataError(
                        f"column '{name}' holds text and model '{model}' takes numbers and "
                        "pandas Categorical columns only.",
                        column=name,
                        fix="let the cleaning recipe encode it (bizforge.Recipe), convert it with "
                        ".astype('category'), or drop it.",
                    )
                kinds.append(TEXT)
            else:
                raise DataError(
                    f"column '{name}' has dtype {dtype}, which model '{model}' cannot use.",
                    column=name,
                    fix="derive numeric columns from it (the cleaning recipe turns dates into "
                    "<col>__year, __month, __dayofweek, __days) or drop it.",
                )
        return cls(names, kinds, categories)

    def to_dict(self) -> dict[str, Any]:
        return {"names": self.names, "kinds": self.kinds, "categories": self.categories}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ColumnSpec:
        return cls(list(d["names"]), list(d["kinds"]), dict(d.get("categories", {})))

    # -- encoding ------------------------------------------------------------------------

    def positions(self, X: pd.DataFrame) -> list[int]:
        """Position in ``X`` of every fitted column; a missing one raises DataError."""
        cols = X.columns
        if len(cols) == len(self.names) and cols.tolist() == self.names:
            return list(range(len(self.names)))
        where: dict[str, int] = {}
        for i, c in enumerate(cols):
            where.setdefault(str(c), i)
        missing = [n for n in self.names if n not in where]
        if missing:
            more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
            raise DataError(
                f"column '{missing[0]}'{more} is missing; the model was trained with it.",
                column=missing[0],
                fix=f"send every training column: {', '.join(missing[:10])}"
                + (" ..." if len(missing) > 10 else "")
                + ".",
            )
        return [where[n] for n in self.names]

    def encode(self, X: pd.DataFrame) -> np.ndarray:
        """``X`` as a float64 matrix (n, p) in fit order; categoricals as codes, NaN = missing.

        Text columns (for text backends) are left as NaN here; read them with ``text``.
        """
        out = np.empty((len(X), len(self.names)), dtype=np.float64)
        arrays = _column_arrays(X, self.positions(X))
        for j, (name, kind, arr) in enumerate(zip(self.names, self.kinds, arrays)):
            if kind == NUMERIC:
                out[:, j] = self._numeric(name, arr)
            elif kind == CATEGORICAL:
                out[:, j] = self._codes(name, arr)
            else:
                out[:, j] = np.nan
        return out

    def text(self, X: pd.DataFrame, name: str) -> list[str]:
        """The values of text column ``name`` as strings (missing -> "")."""
        s = X[name]
        return ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in s]

    def _numeric(self, name: str, arr: Any) -> np.ndarray:
        if isinstance(arr, np.ndarray) and arr.dtype.kind in "fiub":
            return arr
        if isinstance(arr, pd.Categorical):
            arr = np.asarray(arr, dtype=object)
        try:
            if not isinstance(arr, np.ndarray) and pd.api.types.is_numeric_dtype(arr.dtype):
                return arr.to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError):
            pass
        values = pd.to_numeric(pd.Series(arr), errors="coerce").to_numpy(dtype=np.float64)
        present = ~pd.isna(pd.Series(arr)).to_numpy()
        bad = np.flatnonzero(np.isnan(values) & present)
        # Blank strings count as missing, like the recipe treats them.
        bad = [int(i) for i in bad if str(arr[i]).strip() != ""]
        if bad:
            rows = [i + 1 for i in bad]
            raise DataError(
                f"column '{name}' expects numbers but holds text in {rows_text(rows)}.",
                column=name,
                rows=rows,
                fix="send numbers (or leave the cell empty for missing).",
            )
        return values

    def _codes(self, name: str, arr: Any) -> np.ndarray:
        index = self._index[name]
        if isinstance(arr, pd.Categorical) and (
            arr.categories is self._verified.get(name) or arr.categories.equals(index)
        ):
            self._verified[name] = arr.categories
            codes = arr.codes.astype(np.float64)
        else:
            values = np.asarray(arr, dtype=object)
            if self._str_cats[name]:
                # JSON rows may send 1 where the category is "1".
                values = np.array(
                    [v if isinstance(v, str) or pd.isna(v) else str(v) for v in values],
                    dtype=object,
                )
            present = ~pd.isna(values)
            codes = index.get_indexer(values).astype(np.float64)
            # Values never seen at fit: "__other__" when the recipe made one, else missing.
            unseen = (codes < 0) & present
            if unseen.any():
                codes[unseen] = self._other[name]
        codes[codes < 0] = np.nan
        return codes
