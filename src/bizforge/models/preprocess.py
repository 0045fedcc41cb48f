"""Numeric preparation shared by the linear and neural backends, stored as plain arrays.

Median imputation, standardisation and a 0/1 missing indicator for every numeric
column that had missing values at fit. Everything is learned from the training
rows and saved as JSON lists, so loading needs no refit.

>>> import numpy as np
>>> prep = NumericPrep.fit(np.array([[1.0], [3.0], [np.nan]]))
>>> prep.transform(np.array([[np.nan]])).tolist()
[[0.0, 1.0]]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["NumericPrep", "one_hot"]


@dataclass
class NumericPrep:
    """Impute with the median, standardise, add missing indicators (in that column order)."""

    medians: np.ndarray
    means: np.ndarray
    scales: np.ndarray
    indicators: np.ndarray  # positions (among the numeric columns) that get an indicator

    @classmethod
    def fit(cls, X: np.ndarray) -> NumericPrep:
        n_cols = X.shape[1]
        missing = np.isnan(X)
        with np.errstate(all="ignore"):
            medians = np.array([
                np.median(X[~missing[:, j], j]) if (~missing[:, j]).any() else 0.0
                for j in range(n_cols)
            ])
        filled = np.where(missing, medians, X)
        means = filled.mean(axis=0) if len(X) else np.zeros(n_cols)
        scales = filled.std(axis=0) if len(X) else np.ones(n_cols)
        # A constant column would divide by zero; leave it centred at 0.
        scales = np.where(scales > 1e-12, scales, 1.0)
        indicators = np.flatnonzero(missing.any(axis=0))
        return cls(medians, means, scales, indicators)

    @property
    def width(self) -> int:
        return len(self.medians) + len(self.indicators)

    def transform(self, X: np.ndarray) -> np.ndarray:
        missing = np.isnan(X)
        filled = np.where(missing, self.medians, X)
        z = (filled - self.means) / self.scales
        if len(self.indicators):
            z = np.hstack([z, missing[:, self.indicators].astype(np.float64)])
        return z

    def to_dict(self) -> dict[str, Any]:
        return {
            "medians": self.medians.tolist(),
            "means": self.means.tolist(),
            "scales": self.scales.tolist(),
            "indicators": self.indicators.tolist(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> NumericPrep:
        return cls(
            np.asarray(d["medians"], dtype=np.float64),
            np.asarray(d["means"], dtype=np.float64),
            np.asarray(d["scales"], dtype=np.float64),
            np.asarray(d["indicators"], dtype=np.int64),
        )


def one_hot(codes: np.ndarray, n_cats: list[int]) -> np.ndarray:
    """One block of ``k + 1`` columns per categorical column: the categories, then missing.

    >>> one_hot(np.array([[0.0], [np.nan]]), [2]).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """
    n = codes.shape[0]
    widths = np.asarray(n_cats, dtype=np.int64) + 1
    offsets = np.concatenate([[0], np.cumsum(widths)[:-1]]).astype(np.int64)
    out = np.zeros((n, int(widths.sum())), dtype=np.float64)
    if codes.shape[1] == 0:
        return out
    # NaN (missing) -> the block's last column.
    idx = np.where(np.isnan(codes), widths - 1, codes).astype(np.int64) + offsets
    out[np.arange(n)[:, None], idx] = 1.0
    return out
