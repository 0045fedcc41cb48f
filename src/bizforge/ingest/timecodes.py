"""Points in time written as numbers: Unix time, Excel serial days, ROC (Taiwan) dates.

A column named like a time (``created_at``, ``下单时间``, ``日期``) whose numbers
all fall in the range of one of these units is a date-time, not a quantity or
an identifier. Name *and* range must agree: ``1700000000`` alone may be an
amount, and a ``date`` column of small numbers is not a date.

=================  ==================================================  ===============
format             values                                              range accepted
=================  ==================================================  ===============
``%Y%m%d``         ``20240105`` (the digits of a Western date)         1900-2100
``roc``            ``0960614``, ``1120614``, ``96/06/14``,             ROC year 40-150
                   ``民國96年6月14日`` (year + 1911; the text forms     (1951-2061;
                   with 民國/民国 need no name)                         1-150 with 民國)
``unix_ms``        milliseconds since 1970-01-01 UTC                   1980-2100
``unix_s``         seconds since 1970-01-01 UTC                        1980-2100
``excel_serial``   days since 1899-12-30, fractions are the time       1950-2100
=================  ==================================================  ===============

The format is a token that :func:`bizforge.ingest.infer.parse_datetimes` also
understands, so a recipe replays it exactly.

>>> s = pd.Series([1700000000, 1700086400], name="created_at")
>>> number_time_format(s)
'unix_s'
>>> parse_number_times(s.astype(str), "unix_s").dt.date.astype(str).tolist()
['2023-11-14', '2023-11-15']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bizforge.ingest.names import is_time_name

__all__ = ["NUMBER_TIME_FORMATS", "number_time_format", "parse_number_times"]

#: Each format and how it is said to the user.
NUMBER_TIME_FORMATS = {
    "%Y%m%d": "yyyymmdd digits",
    "roc": "ROC (Taiwan) calendar dates, year + 1911",
    "unix_ms": "Unix time in milliseconds",
    "unix_s": "Unix time in seconds",
    "excel_serial": "Excel serial day numbers (days since 1899-12-30)",
}
_SHARE = 0.99  # of the values that must fall in the unit's range
_UNIX_S = (315532800, 4102444800)  # 1980-01-01 .. 2100-01-01
_EXCEL = (18264, 73051)  # 1950-01-01 .. 2100-01-01
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")  # Excel's day 0 (after its 1900 leap-year bug)
_ROC_OFFSET = 1911
# Without 民國, a first group below 40 is more likely a day (05/02/10 is 5 February 2010).
_ROC_YEARS = (40, 150)
_ROC_TEXT = r"(?:民國|民国)?[ ]*([0-9]{2,3})[/.\-年]([0-9]{1,2})[/.\-月]([0-9]{1,2})日?"


def _share(ok) -> float:
    ok = np.asarray(ok)
    return float(ok.mean()) if ok.size else 0.0


def _ymd_ok(values: np.ndarray, years: tuple[int, int]) -> np.ndarray:
    """Integers ``y*10000 + m*100 + d`` with a real month and day and a year in ``years``."""
    with np.errstate(invalid="ignore"):
        whole = np.isfinite(values) & (values == np.floor(values))
    v = np.where(whole, values, 0).astype("int64")
    y, m, d = v // 10000, v // 100 % 100, v % 100
    return whole & (y >= years[0]) & (y <= years[1]) & (m >= 1) & (m <= 12) & (d >= 1) & (d <= 31)


def number_time_format(values: pd.Series, name: str | None = None) -> str | None:
    """The time unit of a column of numbers (or digit strings, or ROC date text), or None.

    ``name`` defaults to ``values.name``. ROC text with 民國/民国 needs no
    name; every other format needs a time-like name.
    """
    name = str(values.name if name is None else name)
    present = values.dropna()
    if present.empty or pd.api.types.is_bool_dtype(present.dtype):
        return None
    if not pd.api.types.is_numeric_dtype(present.dtype):
        text = present.astype("str").str.strip()
        text = text[text.str.len() > 0]
        if text.empty:
            return None
        named = is_time_name(name)
        if not named and not text.str.contains("民", regex=False).any():
            return None
        roc = text.str.fullmatch(_ROC_TEXT).fillna(False)
        if _share(roc) >= _SHARE:
            years = text[roc].str.extract(_ROC_TEXT)[0].astype(int)
            low = 1 if text.str.contains("民", regex=False).all() else _ROC_YEARS[0]
            if years.between(low, _ROC_YEARS[1]).all():
                return "roc"
        if not named or not text.str.fullmatch(r"[0-9]+(?:\.[0-9]+)?").all():
            return None
        present = pd.to_numeric(text, errors="coerce")
    elif not is_time_name(name):
        return None
    numbers = present.to_numpy(dtype="float64", na_value=np.nan)
    if _share(_ymd_ok(numbers, (1900, 2100))) >= _SHARE:
        return "%Y%m%d"
    if _share(_ymd_ok(numbers, _ROC_YEARS)) >= _SHARE:
        return "roc"
    low, high = _UNIX_S
    for fmt, scale in (("unix_ms", 1000), ("unix_s", 1)):
        if _share((numbers >= low * scale) & (numbers < high * scale)) >= _SHARE:
            return fmt
    if _share((numbers >= _EXCEL[0]) & (numbers < _EXCEL[1])) >= _SHARE:
        return "excel_serial"
    return None


def parse_number_times(text: pd.Series, fmt: str) -> pd.Series:
    """Parse ``text`` (values as strings) in one of :data:`NUMBER_TIME_FORMATS`; NaT where
    a value does not fit."""
    index = text.index
    if fmt == "roc":
        parts = text.str.strip().str.extract("^" + _ROC_TEXT + "$")
        digits = pd.to_numeric(text, errors="coerce")
        from_digits = parts[0].isna() & digits.notna()
        parts.loc[from_digits, 0] = (digits[from_digits] // 10000).astype("int64").astype(str)
        parts.loc[from_digits, 1] = (digits[from_digits] // 100 % 100).astype("int64").astype(str)
        parts.loc[from_digits, 2] = (digits[from_digits] % 100).astype("int64").astype(str)
        ymd = parts.apply(pd.to_numeric, errors="coerce")
        when = pd.to_datetime(
            {"year": ymd[0] + _ROC_OFFSET, "month": ymd[1], "day": ymd[2]}, errors="coerce"
        )
        return pd.Series(when, index=index).astype("datetime64[us]")
    numbers = pd.to_numeric(text, errors="coerce")
    if fmt == "%Y%m%d":
        digits = numbers.where(numbers == np.floor(numbers)).astype("Int64").astype("str")
        when = pd.to_datetime(digits, format="%Y%m%d", errors="coerce")
    elif fmt in ("unix_s", "unix_ms"):
        when = pd.to_datetime(numbers, unit="s" if fmt == "unix_s" else "ms", errors="coerce")
    elif fmt == "excel_serial":
        when = _EXCEL_EPOCH + pd.to_timedelta(numbers, unit="D")
    else:
        raise ValueError(f"unknown number time format {fmt!r}")
    return pd.Series(when, index=index).astype("datetime64[us]")
