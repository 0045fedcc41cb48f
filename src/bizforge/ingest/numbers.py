"""Numbers stored as text: ``"1,234"``, ``"¥12.5"``, ``"12%"``, ``"３５"``, ``" "``.

Business exports often write numbers for people, not programs: thousands
separators, currency signs, percent signs, full-width digits typed with a
Chinese input method, ``"1.2万"``, accounting negatives ``"(12)"`` and a single
space where a value is missing. :func:`parse_numbers` reads all of these,
vectorised over a whole column, and says what it saw so the profile can report
it instead of silently converting.

Patterns avoid ``\\d`` and ``\\s`` on purpose: with them pandas falls back
from pyarrow's RE2 to Python's ``re`` (Unicode semantics) and runs ~10x slower.
The work is split into a fast path (plain numbers, the common case, one regex
over the column plus a cast) and a slower path that is only run on the values
the fast path could not read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["FORMATS", "NumberParse", "looks_numeric", "parse_numbers", "plain_floats"]

#: Every value of :attr:`NumberParse.formats`, for documentation and tests.
FORMATS = (
    "accounting",  # (12) means -12
    "blank",  # "" or whitespace only
    "currency",  # ¥ ￥ $ € £ RMB CNY USD 元 ...
    "fullwidth",  # ３５, －３．５, ￥ (normalised with NFKC)
    "leading_zero",  # 007: usually a code, not a quantity
    "magnitude",  # 1.2万, 3亿, 12k
    "na_marker",  # "NA", "null", "-", "无" standing for a missing value
    "percent",  # 12% -> 12.0 (not 0.12)
    "scientific",  # 1.5e3
    "thousands",  # 1,234.50
)

_PLAIN = r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
# The formatted grammar, on lower-cased text with whitespace removed. Signs may
# sit before or after the currency sign; validity of the digits left after
# stripping the decorations is checked again against _PLAIN.
_CURRENCY_PREFIX = r"(?:us\$|hk\$|rmb|cny|usd|[¥$€£])"
_SUFFIX = r"(?:%|元|美元|块|rmb|cny|usd)"
_MAGNITUDE = {"万亿": 1e12, "千万": 1e7, "百万": 1e6, "万": 1e4, "亿": 1e8, "千": 1e3, "k": 1e3}
_GRAMMAR = (
    r"[-+]?\(?[-+]?" + _CURRENCY_PREFIX + r"?[-+]?"
    r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)?(?:\.[0-9]*)?(?:e[-+]?[0-9]+)?"
    r"(?:" + "|".join(_MAGNITUDE) + r")?" + _SUFFIX + r"?\)?"
)
# Placeholders people type for "no value"; read as blank, not as bad numbers.
_NA_MARKERS = frozenset(
    ("na", "n/a", "nan", "null", "none", "nil", "-", "--", "—", "?", "#n/a")
    + ("无", "暂无", "空", "缺失", "未知")
)


@dataclass
class NumberParse:
    """What :func:`parse_numbers` read from a column.

    ``values`` is float64 with the input's index (NaN where missing, blank or
    unparseable). ``parsed``/``blank``/``bad`` count the non-missing values;
    ``missing`` counts real missing values (None/NaN), which are in none of
    them. ``blank`` includes placeholders such as ``"NA"`` or ``"-"`` (then
    ``"na_marker"`` is in ``formats``). Row lists are 0-based positions.
    """

    values: pd.Series
    parsed: int
    blank: int
    bad: int
    blank_rows: list[int] = field(default_factory=list)
    bad_rows: list[int] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)
    missing: int = 0


def _as_text(series: pd.Series) -> pd.Series:
    """The column as pandas ``str`` dtype, real missing values kept as NaN."""
    if series.dtype == "str":
        return series
    return series.astype("str")


def parse_numbers(series: pd.Series, *, describe: bool = True) -> NumberParse:
    """Read numbers written as text, vectorised over the whole column.

    Percent values keep their written size (``"12%"`` -> 12.0). Chinese
    magnitudes are multiplied out (``"1.2万"`` -> 12000.0).
    ``describe=False`` skips noting the plain digits' spellings (``scientific``,
    ``leading_zero``) in ``formats``: prediction time needs the values only.

    >>> p = parse_numbers(pd.Series(["1,234", " ", "¥12.5", "12%", "３５", "abc"]))
    >>> p.values.tolist()[:5], p.blank, p.bad
    ([1234.0, nan, 12.5, 12.0, 35.0], 1, 1)
    >>> p.formats
    ['blank', 'currency', 'fullwidth', 'percent', 'thousands']
    """
    index = series.index
    if pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.is_numeric_dtype(series.dtype):
        values = pd.Series(series.astype("float64").to_numpy(), index=index, name=series.name)
        return NumberParse(
            values, int(values.notna().sum()), 0, 0, missing=int(values.isna().sum())
        )

    text = _as_text(series).reset_index(drop=True)
    present = text.notna().to_numpy()
    formats: set[str] = set()

    # Full-width digits, signs and symbols become ASCII; only non-ASCII values
    # need the (slower) Unicode normalisation.
    nonascii = (~text.str.isascii().fillna(True)).to_numpy()
    if nonascii.any():
        normal = text.copy()
        normal[nonascii] = (
            text[nonascii].str.normalize("NFKC").str.replace("\u2212", "-", regex=False)
        )
    else:
        normal = text
    stripped = normal.str.strip()

    blank = present & (stripped.str.len() == 0).fillna(False).to_numpy()
    out = np.full(len(text), np.nan)

    plain = present & ~blank & stripped.str.fullmatch(_PLAIN).fillna(False).to_numpy()
    if plain.any():
        digits = stripped[plain]
        out[plain] = digits.astype("float64").to_numpy()
        plain &= np.isfinite(out)  # "1e999" overflows: not a usable number
        out[~plain] = np.nan
        if describe and digits.str.contains("e", case=False, regex=False).any():
            formats.add("scientific")
        if describe and digits.str.match(r"[-+]?0[0-9]").any():
            formats.add("leading_zero")

    rest = present & ~blank & ~plain
    if rest.any():
        lowered = stripped[rest].str.lower()
        marker = lowered.isin(_NA_MARKERS).to_numpy()
        if marker.any():
            formats.add("na_marker")
            blank[np.flatnonzero(rest)[marker]] = True
        done, found = _parse_formatted(lowered[~marker])
        positions = np.flatnonzero(rest)[~marker]
        ok = ~np.isnan(done)
        out[positions[ok]] = done[ok]
        formats |= found
        plain[positions[ok]] = True  # now means "parsed"

    parsed = plain
    if nonascii.any() and (parsed & nonascii).any():
        changed = (text[parsed & nonascii] != normal[parsed & nonascii]).any()
        if changed:
            formats.add("fullwidth")
    if blank.any():
        formats.add("blank")
    bad = present & ~blank & ~parsed
    values = pd.Series(out, index=index, name=series.name, dtype="float64")
    return NumberParse(
        values=values,
        parsed=int(parsed.sum()),
        blank=int(blank.sum()),
        bad=int(bad.sum()),
        blank_rows=np.flatnonzero(blank).tolist(),
        bad_rows=np.flatnonzero(bad).tolist(),
        formats=sorted(formats),
        missing=int((~present).sum()),
    )


def plain_floats(series: pd.Series) -> np.ndarray | None:
    """float64 values of a text column holding only plain numbers and blanks, else None.

    Arrow parses the digits in C, ~10x faster than :func:`parse_numbers`, which
    prediction time then needs only for decorated values ("1,234", "¥12.5", "NA").
    None — use :func:`parse_numbers` — when Arrow refuses a value, or reads one
    as inf or NaN (``"1e999"``, ``"nan"``: not usable numbers, which the full
    parser reports); so wherever it answers, it answers like ``parse_numbers``.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        text = pc.utf8_trim_whitespace(pa.array(series, type=pa.string()))
        text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
        values = pc.cast(text, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError):
        return None
    if pc.any(pc.is_nan(values)).as_py() or pc.any(pc.is_inf(values)).as_py():
        return None
    return values.to_numpy(zero_copy_only=False)  # nulls (missing, blank) -> NaN


def _parse_formatted(lowered: pd.Series) -> tuple[np.ndarray, set[str]]:
    """Parse decorated numbers; NaN where the value is not a number."""
    result = np.full(len(lowered), np.nan)
    if len(lowered) == 0:
        return result, set()
    # Spaces inside ("¥ 12", "12 元", "1.2 万") are allowed; a regex with
    # optional whitespace everywhere is many times slower, so remove them.
    compact = lowered.str.replace(r"[ \t\r\n]+", "", regex=True)
    ok = compact.str.fullmatch(_GRAMMAR).fillna(False)
    ok &= compact.str.contains(r"[0-9]", regex=True).fillna(False)
    # ...but not between digits: "12 34" is two numbers, not 1234.
    ok &= ~lowered.str.contains(r"[0-9.,][ \t\r\n]+[0-9.,]", regex=True).fillna(False)
    opened = compact.str.contains("(", regex=False).fillna(False)
    closed = compact.str.contains(")", regex=False).fillna(False)
    ok &= opened == closed
    if not ok.any():
        return result, set()

    good = compact[ok]
    multiplier = np.ones(len(good))
    unset = np.ones(len(good), dtype=bool)
    # The magnitude word sits right after the digits ("HK$5" is not 5k).
    body = good.str.replace(_SUFFIX + r"?\)?$", "", regex=True)
    for word, factor in _MAGNITUDE.items():  # longest words first, so 万亿 beats 万
        hit = body.str.endswith(word).to_numpy() & unset
        multiplier[hit] = factor
        unset &= ~hit
    core = good.str.replace(r"[^0-9e.+\-]", "", regex=True)
    # "-(-12)" or "1.2.3" survive the grammar but not this check.
    valid = core.str.fullmatch(_PLAIN).fillna(False).to_numpy()
    numbers = np.full(len(good), np.nan)
    numbers[valid] = core[valid].astype("float64").to_numpy()
    numbers[opened[ok].to_numpy()] *= -1
    numbers *= multiplier
    numbers[~np.isfinite(numbers)] = np.nan
    result[np.flatnonzero(ok.to_numpy())] = numbers

    kept = good[~np.isnan(numbers)]
    found: set[str] = set()
    checks = {
        "thousands": ",",
        "percent": "%",
        "accounting": "(",
    }
    for name, mark in checks.items():
        if kept.str.contains(mark, regex=False).any():
            found.add(name)
    if kept.str.contains(r"[¥$€£元块]|rmb|cny|usd", regex=True).any():
        found.add("currency")
    if (multiplier[~np.isnan(numbers)] != 1).any():
        found.add("magnitude")
    if kept.str.contains(r"[0-9]e", regex=True).any():
        found.add("scientific")
    return result, found


def looks_numeric(series: pd.Series, min_share: float = 0.95) -> bool:
    """True when a text column is numbers stored as text.

    At least ``min_share`` of the non-blank values must parse, at least one
    must, and the column must not look like codes with leading zeros
    (``"007"``, ``"0571"``), which are identifiers rather than quantities.

    >>> looks_numeric(pd.Series(["1,200", " ", "35%", "12"]))
    True
    >>> looks_numeric(pd.Series(["007", "012", "123"]))
    False
    """
    text = _as_text(series)
    # Cheap early exit for word columns: most non-blank values need a digit
    # (lenient, as placeholders such as "NA" count as blanks later).
    filled = text[(text.str.strip().str.len() > 0).fillna(False)]
    if filled.empty or filled.str.contains("[0-9]").mean() < min_share * 0.5:
        return False
    result = parse_numbers(text)
    readable = result.parsed + result.bad
    if result.parsed == 0 or result.parsed / readable < min_share:
        return False
    if "leading_zero" in result.formats:
        zeros = int(text.str.strip().str.match(r"[-+]?0[0-9]").fillna(False).sum())
        if zeros > 0.05 * result.parsed:
            return False
    return True
