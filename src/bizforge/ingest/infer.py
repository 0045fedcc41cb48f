"""Column roles: what each column of a business table is for.

:func:`coerce_types` turns text columns that are unmistakably numbers (or the
literals ``True``/``False``) into typed columns; everything doubtful stays text.
:func:`infer_schema` then gives every column a :class:`~bizforge.frame.Role`
and suggests targets. It flags numbers stored as text (``"1,234"``, ``" "``,
``"¥12.5"``) instead of converting them, so the profile can report them.

Expensive checks run on an evenly spread sample of at most
:data:`SAMPLE_SIZE` non-missing values per column; counts (missing, unique,
blanks in numbers) are always over the whole column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bizforge.frame import ColumnInfo, Role, Schema
from bizforge.ingest.language import CJK_CHARS, detect_language
from bizforge.ingest.names import (
    CODE_WORDS,
    has_name_hint,
    is_amount_name,
    is_code_name,
    name_words,
)
from bizforge.ingest.numbers import _as_text, looks_numeric, parse_numbers
from bizforge.ingest.timecodes import NUMBER_TIME_FORMATS, number_time_format, parse_number_times

__all__ = [
    "SAMPLE_SIZE",
    "coerce_types",
    "detect_datetime_formats",
    "infer_schema",
    "parse_datetimes",
    "suggest_targets",
]

SAMPLE_SIZE = 10_000
ID_MIN_ROWS = 20
ID_MIN_UNIQUE_RATIO = 0.95
ID_MAX_LENGTH = 64
DATETIME_MIN_SHARE = 0.95
TARGET_MAX_LEVELS = 100  # e.g. 77 intents in a ticket-routing table
ROWS_KEPT = 20  # row positions kept in numeric_text, enough for a message

# Digits: written as [0-9] and whitespace as [ \t\r\n] so pandas uses RE2.
_PLAIN_NUMBER = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?"
# More than 15 digits is an identifier (ID card, bank card), never a quantity:
# it stays text so it is not rounded and PII checks see it as written.
_PLAIN_INT = r"-?(?:0|[1-9][0-9]{0,14})"
_WHITESPACE = r"[ \t\r\n]"
_CJK_PUNCT = "[，。！？、；：“”‘’（）《》【】…]"

# fmt: off
# Two-valued columns are boolean only with one of these pairs: 男/女 is not.
_BOOLEAN_PAIRS = {
    frozenset(pair) for pair in (
        ("0", "1"), ("0.0", "1.0"), ("yes", "no"), ("y", "n"), ("true", "false"), ("t", "f"),
        ("on", "off"), ("是", "否"), ("有", "无"), ("对", "错"), ("真", "假"),
    )
}
_TARGET_WORDS = {
    "churn", "churned", "label", "target", "class", "y", "default", "defaulted", "fraud",
    "fraudulent", "failure", "failed", "outcome", "attrition", "exited", "sentiment", "intent",
}
_TARGET_CJK = ("流失", "标签", "是否", "违约", "故障", "目标", "欺诈", "类别", "情感")

# Candidate datetime formats, in order of preference when two parse equally
# well: ISO first, then year-first Chinese styles, then ambiguous day/month.
_DATE_FORMATS = (
    "ISO8601", "%Y.%m.%d", "%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y年%m月%d日",
    "%Y年%m月%d日 %H:%M", "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日%H时%M分", "%Y年%m月",
    "%m/%d/%Y", "%d/%m/%Y", "%m/%d/%Y %H:%M", "%d/%m/%Y %H:%M", "%d-%m-%Y", "%m-%d-%Y",
    "%d-%m-%Y %H:%M", "%d.%m.%Y", "%d-%b-%Y", "%b %d, %Y", "%d %b %Y", "%B %d, %Y",
    "%d %B %Y",
)
# fmt: on
_DATE_LIKE = (
    r"[0-9]{1,4}[-/.年][0-9]{1,2}.*|[0-9]{1,2}[-/. ][A-Za-z]{3,9}.*|[A-Za-z]{3,9}\.? [0-9]{1,2}.*"
)


def coerce_types(frame: pd.DataFrame, decimals: dict[str, str] | None = None) -> pd.DataFrame:
    """Type the text columns that are plainly numbers or ``True``/``False``.

    A column converts only if every non-missing value (``""`` counts as
    missing) is a plain number: no leading zeros (codes like ``"007"`` stay
    text), no thousands separators, no symbols, at most 15 integer digits.
    It becomes ``Int64`` when all values are integers, else ``float64``.
    Numbers with decorations stay text and are flagged by :func:`infer_schema`,
    and so do the columns that ``decimals`` marks as decimal-comma (there
    ``"1.500"`` is 1500, not 1.5).

    >>> df = coerce_types(pd.DataFrame({"n": ["1", "2", ""], "zip": ["007", "12", "3"]}))
    >>> str(df["n"].dtype), str(df["zip"].dtype)
    ('Int64', 'str')
    """
    out = frame.copy()
    comma = {name for name, mark in (decimals or {}).items() if mark == ","}
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        if _kind(column) != "text" or str(frame.columns[position]) in comma:
            continue
        text = _as_text(column)
        present = text.notna() & (text != "")
        if not present.any():
            continue
        values = text[present]
        converted = None
        # A cheap look at the first values rejects most text columns early.
        head = values.iloc[:200]
        if head.str.fullmatch(_PLAIN_NUMBER).all() and values.str.fullmatch(_PLAIN_NUMBER).all():
            if values.str.fullmatch(_PLAIN_INT).all():
                converted = text.where(present, None).astype("Int64")
            elif not values.str.fullmatch(r"-?[0-9]{16,}").any():
                converted = text.where(present, None).astype("float64")
        elif head.isin(["True", "False"]).all() and values.isin(["True", "False"]).all():
            converted = text.where(present, None).map({"True": True, "False": False})
            converted = converted.astype("boolean" if not present.all() else "bool")
        if converted is not None:
            out.isetitem(position, converted)
    return out


def infer_schema(frame: pd.DataFrame, decimals: dict[str, str] | None = None) -> Schema:
    """A role for every column of ``frame``, plus target suggestions.

    ``decimals`` maps columns to their decimal mark (``","`` for ``12,50``;
    see :func:`bizforge.ingest.decimal_mark.infer_decimal`); others use ``"."``.

    >>> df = pd.DataFrame({"amount": ["1,200", " ", "35"], "paid": ["是", "否", "是"]})
    >>> schema = infer_schema(df)
    >>> schema.roles()
    {'amount': 'numeric', 'paid': 'boolean'}
    >>> schema["amount"].numeric_text["blank"]
    1
    """
    decimals = decimals or {}
    columns = [
        _infer_column(name, frame.iloc[:, position], decimals.get(str(name), "."))
        for position, name in enumerate(frame.columns)
    ]
    return Schema(columns, suggest_targets(columns))


def _kind(series: pd.Series) -> str:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pd.api.types.is_timedelta64_dtype(dtype):
        return "timedelta"
    if pd.api.types.is_numeric_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype):
        return "number"
    return "text"


def _spread_sample(series: pd.Series, size: int = SAMPLE_SIZE) -> pd.Series:
    """Evenly spaced rows: deterministic, and not fooled by sorted files."""
    if len(series) <= size:
        return series
    return series.iloc[np.linspace(0, len(series) - 1, size).astype(int)]


def _infer_column(name, column: pd.Series, decimal: str = ".") -> ColumnInfo:
    kind = _kind(column)
    info = ColumnInfo(name=name, role=Role.EMPTY, dtype=str(column.dtype))
    if kind == "text":
        column = _as_text(column)
        missing = column.isna() | (column.str.strip().str.len() == 0).fillna(False)
    else:
        missing = column.isna()
    present = column[~missing]
    info.missing = int(missing.sum())
    info.unique = int(present.nunique())
    if present.empty:
        return info
    if info.unique == 1:
        info.role = Role.CONSTANT
    elif kind == "bool":
        info.role = Role.BOOLEAN
    elif kind == "datetime":
        info.role = Role.DATETIME
    elif kind == "timedelta":
        info.role = Role.NUMERIC
    elif kind == "number":
        time_format = number_time_format(present, str(name))
        if time_format:
            info.role = Role.DATETIME
            info.note = "datetime format " + time_format
        else:
            info.role = _number_role(str(name), present.astype("float64"), info.unique)
    else:
        _text_role(info, column, present, decimal)
    return info


def _number_role(name: str, values: pd.Series, unique: int) -> Role:
    if unique == 2 and set(values.unique()) <= {0.0, 1.0}:
        return Role.BOOLEAN
    finite = values[np.isfinite(values)]
    if finite.empty or not (finite % 1 == 0).all():
        return Role.NUMERIC  # a continuous float column is never an id
    if _integer_id(name, finite, unique):
        return Role.ID
    if has_name_hint(name, words=CODE_WORDS) or is_code_name(name) or _code_values(finite):
        # A repeated integer code such as store_id, or a postal code or phone
        # number: labels, not quantities.
        return Role.CATEGORICAL
    return Role.NUMERIC


def _code_values(values: pd.Series) -> bool:
    """Every value is a mainland mobile number (11 digits, 13x-19x) or an ISBN-13 (978/979):
    shapes no quantity has, whatever the column is called."""
    v = values.to_numpy(dtype="float64")
    mobile = (v >= 13e9) & (v < 2e10)
    isbn = (v >= 978e10) & (v < 980e10)
    return bool(mobile.all() or isbn.all())


def _integer_id(name: str, values: pd.Series, unique: int) -> bool:
    count = len(values)
    if count < ID_MIN_ROWS or unique / count < ID_MIN_UNIQUE_RATIO:
        return False
    if has_name_hint(name) or is_code_name(name):
        return True
    if is_amount_name(name):
        return False  # 销售额(元) of nine digits each: unique amounts, not account numbers
    # Uniqueness alone is not enough (a small table of amounts is unique too):
    # a row counter steps by one, a phone or account number has a fixed width.
    distinct = np.unique(values.to_numpy())
    # A counter fills its range densely, even after a shuffle and an 80/20 split
    # (UDI 1..10000 keeps 8,000 values spread over 10,000).
    span = distinct[-1] - distinct[0] + 1
    if (np.diff(distinct) == 1).mean() >= 0.9 or span <= 1.5 * len(distinct):
        return True
    widths = np.floor(np.log10(np.maximum(np.abs(distinct), 1))) + 1
    return bool(widths.min() == widths.max() and widths.min() >= 5)


def _text_role(info: ColumnInfo, column: pd.Series, present: pd.Series, decimal: str) -> None:
    """Fill the role of a text column (and numeric_text / language / note)."""
    name = str(info.name)
    if info.unique <= 6:  # "Yes", "yes ", "NO" are still one pair
        distinct = pd.Series(present.unique(), dtype="str")
        pair = frozenset(distinct.str.strip().str.lower())
        if pair in _BOOLEAN_PAIRS:
            info.role = Role.BOOLEAN
            return
    sample = _spread_sample(present)
    if looks_numeric(sample, decimal=decimal) and not number_time_format(sample):
        _numeric_text_role(info, column, decimal)
        return
    formats = detect_datetime_formats(sample)
    if formats:
        info.role = Role.DATETIME
        info.note = "datetime format " + " | ".join(formats)
        return
    info.role = _free_text_role(name, sample, len(present), info.unique)
    if info.role == Role.TEXT:
        info.language = detect_language(sample)


def _numeric_text_role(info: ColumnInfo, column: pd.Series, decimal: str) -> None:
    parsed = parse_numbers(column, decimal=decimal)
    values = parsed.values.dropna()
    info.missing = parsed.missing + parsed.blank
    info.unique = int(values.nunique())
    # Same rules as a typed number column: "1"/"2" store codes, text row ids.
    info.role = _number_role(str(info.name), values, info.unique)
    quantity = parsed.units or {"currency", "percent", "magnitude"} & set(parsed.formats)
    if info.role == Role.ID and quantity:
        info.role = Role.NUMERIC  # "89平米", "¥1,200": a unit makes it an amount, not a label
    if info.role != Role.NUMERIC:
        return
    if decimal != ".":
        info.decimal = decimal
    info.numeric_text = {
        "parsed": parsed.parsed,
        "blank": parsed.blank,
        "bad": parsed.bad,
        "formats": parsed.formats,
        "blank_rows": parsed.blank_rows[:ROWS_KEPT],
        "bad_rows": parsed.bad_rows[:ROWS_KEPT],
    }
    if parsed.errors:
        info.numeric_text["errors"] = parsed.errors
    if parsed.units:
        info.numeric_text["units"] = parsed.units


def _free_text_role(name: str, sample: pd.Series, count: int, unique: int) -> Role:
    """id, text or categorical for a column of words."""
    lengths = sample.str.len()
    spaced = sample.str.contains(_WHITESPACE).mean()
    cjk_punct = sample.str.contains(_CJK_PUNCT).mean()
    cjk = sample.str.contains(CJK_CHARS).mean()
    mean_length = lengths.mean()

    if (
        count >= ID_MIN_ROWS
        and unique / count >= ID_MIN_UNIQUE_RATIO
        and spaced + cjk_punct <= 0.01
        and lengths.quantile(0.95) <= ID_MAX_LENGTH
        # Unique short Chinese strings are names or titles unless named as ids.
        and (cjk < 0.5 or mean_length <= 8 or has_name_hint(name))
    ):
        return Role.ID

    many = unique >= 0.5 * count or unique >= 1000
    words = (sample.str.count(_WHITESPACE + "+") + 1).mean()
    if many and (
        (mean_length >= 25 and max(spaced, cjk) >= 0.5)
        or (spaced >= 0.2 and words >= 3)
        or (cjk >= 0.5 and mean_length >= 8)
    ):
        return Role.TEXT
    # A comma or full stop inside Chinese values means sentences, not labels,
    # even when people repeat themselves ("网速太慢，经常断线").
    if cjk_punct >= 0.2 and unique >= min(20, 0.5 * count):
        return Role.TEXT
    return Role.CATEGORICAL


def detect_datetime_formats(values: pd.Series) -> list[str]:
    """Formats that together parse >= 95% of ``values``; ``[]`` if not dates.

    Keep the list with a fitted recipe and pass it to :func:`parse_datetimes`
    so that ``"05-02-2010"`` means the same day at training and at serving.

    >>> detect_datetime_formats(pd.Series(["2024-01-05", "2024-1-6 10:00"]))
    ['ISO8601']
    >>> detect_datetime_formats(pd.Series(["13/02/2024", "05/02/2024"]))
    ['%d/%m/%Y']
    """
    time_format = number_time_format(_spread_sample(values.dropna()))
    if time_format:  # a time written as a number, or an ROC date (see timecodes)
        return [time_format]
    text = _as_text(values).dropna().str.strip()
    text = _spread_sample(text[text.str.len() > 0])
    if text.empty or text.str.fullmatch(_DATE_LIKE).mean() < DATETIME_MIN_SHARE:
        return []
    parsed = {fmt: _to_datetime(text, fmt).notna().to_numpy() for fmt in _DATE_FORMATS}
    # Greedy cover: the best format, then any that reads what is still unread.
    chosen: list[str] = []
    covered = np.zeros(len(text), dtype=bool)
    while True:
        gains = {fmt: (ok & ~covered).sum() for fmt, ok in parsed.items() if fmt not in chosen}
        best = max(gains, key=gains.get, default=None)  # ties keep _DATE_FORMATS order
        if best is None or gains[best] == 0:
            break
        chosen.append(best)
        covered |= parsed[best]
    if covered.mean() < DATETIME_MIN_SHARE:
        return []
    return chosen


def parse_datetimes(values: pd.Series, formats: list[str]) -> pd.Series:
    """Parse with ``formats`` in order (first that reads a value wins); NaT otherwise.

    >>> parse_datetimes(pd.Series(["05-02-2010"]), ["%d-%m-%Y"]).dt.month.tolist()
    [2]
    """
    text = _as_text(values).str.strip()
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    for fmt in formats:
        todo = result.isna() & text.notna()
        if not todo.any():
            break
        if fmt in NUMBER_TIME_FORMATS:
            when = parse_number_times(text[todo], fmt)
            result[todo] = when.where(when.dt.year.between(1800, 2200))
            continue
        result[todo] = _to_datetime(text[todo], fmt).astype("datetime64[us]")
    return result


def _to_datetime(text: pd.Series, fmt: str) -> pd.Series:
    # utc=True: a mix of offsets and naive times would otherwise raise even
    # with errors="coerce"; times are then compared as UTC, without zone.
    parsed = pd.to_datetime(text, format=fmt, errors="coerce", utc=True).dt.tz_localize(None)
    # strptime reads "1.2.3" as 1 Feb of year 1: business dates are modern.
    return parsed.where(parsed.dt.year.between(1800, 2200))


def suggest_targets(columns: list[ColumnInfo]) -> list[str]:
    """Likely targets, best first: names such as Churn/label/是否流失, then the last column.

    Only boolean, categorical or numeric columns qualify (never id, text,
    datetime, constant or empty). Among name matches the rightmost comes first.
    """
    eligible = [c for c in columns if c.role in (Role.BOOLEAN, Role.CATEGORICAL, Role.NUMERIC)]
    named = [
        c.name
        for c in reversed(eligible)
        if name_words(str(c.name)) & _TARGET_WORDS
        or any(word in str(c.name) for word in _TARGET_CJK)
    ]
    if columns:
        last = columns[-1]
        small = last.role == Role.BOOLEAN or (
            last.role == Role.CATEGORICAL and last.unique <= TARGET_MAX_LEVELS
        )
        if small and last.name not in named:
            named.append(last.name)
    return named
