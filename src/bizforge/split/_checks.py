"""Argument checks and column helpers shared by :func:`split` and :func:`folds`."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from bizforge.errors import DataError, UsageError, rows_text
from bizforge.ingest.infer import detect_datetime_formats, parse_datetimes

__all__ = [
    "SplitWarning",
    "check_frame",
    "column",
    "group_codes",
    "labels",
    "n_test",
    "times",
    "warn",
]

MISSING_CLASS = "__missing__"


class SplitWarning(UserWarning):
    """A split or fold plan had to be adjusted (tiny class, fewer folds)."""


def warn(message: str, stacklevel: int = 3) -> None:
    """Warn as from the user's call: 3 = called directly inside split()/folds()."""
    warnings.warn(message, SplitWarning, stacklevel=stacklevel)


def check_frame(frame, what: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise UsageError(
            f"{what} needs a pandas DataFrame, not {type(frame).__name__}.",
            fix="pass dataset.frame, or wrap the rows in pandas.DataFrame(...).",
        )
    if len(frame) < 2:
        raise DataError(
            f"{what} needs at least 2 rows; the table has {len(frame)}.",
            fix="provide more rows.",
        )
    return frame


def column(frame: pd.DataFrame, name: str, purpose: str) -> pd.Series:
    """``frame[name]``, or a DataError naming the column and the choices."""
    if name not in frame.columns:
        raise DataError(
            f"The {purpose} column '{name}' is not in the table.",
            column=str(name),
            fix="check the spelling; the table's columns are: "
            + ", ".join(str(c) for c in frame.columns[:20])
            + (" ..." if len(frame.columns) > 20 else "")
            + ".",
        )
    return frame[name]


def labels(frame: pd.DataFrame, name: str) -> np.ndarray:
    """Class codes for stratifying; a missing value is a class of its own."""
    series = column(frame, name, "stratify")
    codes, _ = pd.factorize(series, use_na_sentinel=False)
    return codes


def group_codes(frame: pd.DataFrame, name: str) -> np.ndarray:
    """Group codes; each row with a missing id is a group of its own (an unknown customer)."""
    series = column(frame, name, "group")
    codes, uniques = pd.factorize(series)
    lonely = codes < 0
    codes[lonely] = len(uniques) + np.arange(int(lonely.sum()))
    return codes


def times(frame: pd.DataFrame, name: str) -> pd.Series:
    """The time column as datetimes (text dates are parsed); missing ones are an error."""
    series = column(frame, name, "time")
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        when = series
    elif pd.api.types.is_numeric_dtype(series.dtype):
        when = series  # a period number or timestamp: its order is all that matters
    else:
        # The formats the schema inference would find, so "05-02-2010" is 5 February
        # when the column also holds "13-02-2010".
        formats = detect_datetime_formats(series) or ["mixed"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "could not infer format"
            when = parse_datetimes(series, formats)
    if isinstance(when.dtype, pd.DatetimeTZDtype):
        when = when.dt.tz_convert("UTC").dt.tz_localize(None)
    bad = np.flatnonzero(when.isna().to_numpy())
    if len(bad):
        rows = (bad + 1).tolist()
        raise DataError(
            f"The time column '{name}' has {len(bad)} missing or unreadable date(s) "
            f"({rows_text(rows)}).",
            column=str(name),
            rows=rows,
            fix="fill in or remove those rows before a time-ordered split.",
        )
    return when


def n_test(n: int, test_size: float) -> int:
    """Rows in the test part, as sklearn rounds it (ceil), leaving both sides non-empty."""
    if isinstance(test_size, bool) or not isinstance(test_size, (int, float)):
        raise UsageError(f"test_size={test_size!r} is not a number.", fix="use e.g. 0.2.")
    if not 0 < test_size < 1:
        raise UsageError(
            f"test_size={test_size} must be a share of the rows between 0 and 1.",
            fix="use e.g. 0.2 for a 20% test set.",
        )
    count = int(np.ceil(test_size * n))
    if count >= n:
        raise DataError(
            f"{n} rows are too few for a test share of {test_size}: no training rows would be left.",
            fix="provide more rows or use a smaller test_size.",
        )
    return count
