"""Numbers stored as text: ``"1,234"``, ``"¥12.5"``, ``"12%"``, ``"３５"``, ``" "``.

Business exports often write numbers for people, not programs: thousands
separators, currency signs, percent signs, full-width digits typed with a
Chinese input method, ``"1.2万"``, accounting negatives ``"(12)"`` and a single
space where a value is missing, Excel's error values (``#DIV/0!``), a decimal
comma in European exports (``1.234,56``, with ``decimal=","``) and numbers
with a unit (``89平米``, ``5 kg``, ``10000元/平米``, ``10,000+``).
:func:`parse_numbers` reads all of these,
vectorised over a whole column, and says what it saw so the profile can report
it instead of silently converting.

Patterns avoid ``\\d`` and ``\\s`` on purpose: with them pandas falls back
from pyarrow's RE2 to Python's ``re`` (Unicode semantics) and runs ~10x slower.
The work is split into a fast path (plain numbers, the common case, one regex
over the column plus a cast) and a slower path that is only run on the values
the fast path could not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "EXCEL_ERRORS",
    "FORMATS",
    "NumberParse",
    "is_excel_error",
    "looks_numeric",
    "parse_numbers",
    "plain_floats",
]

#: Every value of :attr:`NumberParse.formats`, for documentation and tests.
FORMATS = (
    "accounting",  # (12) means -12
    "blank",  # "" or whitespace only
    "currency",  # ¥ ￥ $ € £ RMB CNY USD 元 ...
    "decimal_comma",  # 12,50 or 1.234,56 read with decimal=","
    "excel_error",  # #DIV/0!, #N/A ...: a formula that failed, read as missing
    "fullwidth",  # ３５, －３．５, ￥ (normalised with NFKC)
    "leading_zero",  # 007: usually a code, not a quantity
    "magnitude",  # 1.2万, 3亿, 12k
    "na_marker",  # "NA", "null", "-", "无" standing for a missing value
    "percent",  # 12% -> 12.0 (not 0.12)
    "plus",  # 10,000+ -> 10000.0 (a lower bound, read as the bound)
    "scientific",  # 1.5e3
    "thousands",  # 1,234.50
    "unit",  # 89平米, 5 kg, 10000元/平米 (units in NumberParse.units)
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
# Units written after a number, lower-cased and NFKC-normalised (so ㎡ and m² are
# "m2"). Only units seen in business exports: single letters ("5g" is a network,
# "12m" may be millions) are left out on purpose, so codes such as "4G" or "12A"
# are never read as quantities.
# fmt: off
_UNITS = (
    # area, length, weight, volume (Chinese simplified and traditional, English, German)
    "平方米", "平方公尺", "平米", "平方", "坪", "公顷", "公頃", "亩", "畝", "公里", "千米", "厘米",
    "公分", "毫米", "公尺", "米", "公斤", "千克", "克", "斤", "吨", "噸", "毫升", "公升", "升",
    "m2", "m3", "sqm", "sqft", "km", "cm", "mm", "mi", "ft", "kg", "mg", "lb", "lbs", "oz",
    "ml", "qm",
    # time, age, count, energy, storage
    "小时", "小時", "分钟", "分鐘", "秒", "天", "周", "週", "个月", "個月", "年", "岁", "歲",
    "个", "個", "件", "台", "套", "张", "張", "人", "次", "户", "戶", "间", "間", "度", "瓦",
    "千瓦", "hours", "hour", "hrs", "hr", "minutes", "minute", "mins", "min", "sec", "secs",
    "days", "day", "weeks", "week", "months", "month", "years", "year", "yrs", "yr", "tage",
    "jahre", "monate", "std", "stk", "pcs", "pc", "kwh", "kw", "mah", "kb", "mb", "gb", "tb",
    "mhz", "ghz", "km/h", "mph", "°c", "°f",
    # money written after the number, besides the currency suffixes of _SUFFIX
    "元", "万元", "萬元", "亿元", "億元", "港元", "港币", "台币", "新台币", "新臺幣", "日元",
    "欧元", "eur", "hkd", "twd", "ntd", "nt$", "jpy", "gbp",
)
# fmt: on
_UNIT = "(?:" + "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True)) + ")"
_UNIT_MAX_CHARS = 24  # "1,234,567.89元/平方米" fits; longer values are text
# A unit, or a rate of two ("元/平米", "km/h" is in the list itself).
_WITH_UNIT = r"^(.*[0-9.)万亿千])(" + _UNIT + r"(?:/" + _UNIT + r")?)$"
# Placeholders people type for "no value"; read as blank, not as bad numbers.
_NA_MARKERS = frozenset(
    ("na", "n/a", "nan", "null", "none", "nil", "-", "--", "—", "?")
    + ("无", "暂无", "空", "缺失", "未知")
)
#: Excel's error values (lower-cased): a formula that failed, so the value is missing.
EXCEL_ERRORS = frozenset(
    ("#div/0!", "#value!", "#ref!", "#n/a", "#num!", "#name?", "#null!", "#spill!", "#calc!",
     "#getting_data", "#field!", "#n/a n/a")
)


def is_excel_error(series: pd.Series) -> np.ndarray:
    """Boolean mask of the cells of ``series`` that are Excel error values (``#DIV/0!``...).

    >>> is_excel_error(pd.Series(["#DIV/0!", "1", None, " #n/a"])).tolist()
    [True, False, False, True]
    """
    text = _as_text(series)
    flagged = text.str.startswith("#").fillna(False) | text.str.startswith(" ").fillna(False)
    out = np.zeros(len(series), dtype=bool)
    if flagged.any():
        picked = text[flagged].str.strip().str.lower()
        out[np.flatnonzero(flagged.to_numpy())] = picked.isin(EXCEL_ERRORS).to_numpy()
    return out


@dataclass
class NumberParse:
    """What :func:`parse_numbers` read from a column.

    ``values`` is float64 with the input's index (NaN where missing, blank or
    unparseable). ``parsed``/``blank``/``bad`` count the non-missing values;
    ``missing`` counts real missing values (None/NaN), which are in none of
    them. ``blank`` includes placeholders such as ``"NA"`` or ``"-"`` (then
    ``"na_marker"`` is in ``formats``) and Excel error values, of which there
    are ``errors`` (then ``"excel_error"`` is in ``formats``). ``units`` counts
    the values read with each unit (``{"平米": 12}``). Row lists are 0-based
    positions.
    """

    values: pd.Series
    parsed: int
    blank: int
    bad: int
    blank_rows: list[int] = field(default_factory=list)
    bad_rows: list[int] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)
    missing: int = 0
    errors: int = 0
    units: dict[str, int] = field(default_factory=dict)


def _as_text(series: pd.Series) -> pd.Series:
    """The column as pandas ``str`` dtype, real missing values kept as NaN."""
    if series.dtype == "str":
        return series
    return series.astype("str")


def parse_numbers(series: pd.Series, *, describe: bool = True, decimal: str = ".") -> NumberParse:
    """Read numbers written as text, vectorised over the whole column.

    Percent values keep their written size (``"12%"`` -> 12.0). Chinese
    magnitudes are multiplied out (``"1.2万"`` -> 12000.0). A unit after the
    number is dropped and counted in ``units`` (``"89平米"`` -> 89.0).
    ``decimal=","`` reads ``"12,50"`` as 12.5 and ``"1.234,56"`` as 1234.56;
    a dot is then only a thousands separator, so ``"1.5"`` is not a number.
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
    errors, units = 0, {}

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
    if decimal == ",":
        written = stripped
        stripped = _swap_decimal(stripped)
    elif decimal != ".":
        raise ValueError(f"decimal must be '.' or ',', not {decimal!r}")

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
        failed = lowered.isin(EXCEL_ERRORS).to_numpy()
        marker = lowered.isin(_NA_MARKERS).to_numpy() | failed
        if failed.any():
            formats.add("excel_error")
            errors = int(failed.sum())
        if (marker & ~failed).any():
            formats.add("na_marker")
        blank[np.flatnonzero(rest)[marker]] = True
        done, found, units = _parse_formatted(lowered[~marker])
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
    if decimal == "," and parsed.any() and written[parsed].str.contains(",", regex=False).any():
        formats.add("decimal_comma")
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
        errors=errors,
        units=units,
    )


def _swap_decimal(text: pd.Series) -> pd.Series:
    """``"1.234,56"`` -> ``"1234.56"``: dots between thousands groups go, the comma becomes
    the point. Any other dot ("1.5" in a decimal-comma column) becomes a character that no
    number has, so the value is reported as not a number rather than read as 15."""
    # Python regex (look-arounds): only decimal-comma columns pay for it.
    grouped = text.str.replace(r"(?<=[0-9])\.(?=[0-9]{3}(?![0-9]))", "", regex=True)
    return grouped.str.replace(".", "\x00", regex=False).str.replace(",", ".", regex=False)


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


def _parse_formatted(lowered: pd.Series) -> tuple[np.ndarray, set[str], dict[str, int]]:
    """Parse decorated numbers; NaN where the value is not a number. Also returns the
    formats seen and the count of values read with each unit."""
    result = np.full(len(lowered), np.nan)
    if len(lowered) == 0:
        return result, set(), {}
    # Spaces inside ("¥ 12", "12 元", "1.2 万") are allowed; a regex with
    # optional whitespace everywhere is many times slower, so remove them.
    compact = lowered.str.replace(r"[ \t\r\n]+", "", regex=True)
    ok = compact.str.fullmatch(_GRAMMAR).fillna(False).copy()
    # Only short values can be a number and a unit; a sentence is not worth the regex.
    short = (compact.str.len() <= _UNIT_MAX_CHARS).fillna(False).to_numpy()
    compact, unit, plus = _strip_unit(compact, ~ok.to_numpy() & short)
    ok |= compact.str.fullmatch(_GRAMMAR).fillna(False) & (unit.notna() | plus)
    ok &= compact.str.contains(r"[0-9]", regex=True).fillna(False)
    # ...but not between digits: "12 34" is two numbers, not 1234.
    ok &= ~lowered.str.contains(r"[0-9.,][ \t\r\n]+[0-9.,]", regex=True).fillna(False)
    opened = compact.str.contains("(", regex=False).fillna(False)
    closed = compact.str.contains(")", regex=False).fillna(False)
    ok &= opened == closed
    if not ok.any():
        return result, set(), {}

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
    read = np.flatnonzero(ok.to_numpy())[~np.isnan(numbers)]
    units = unit.iloc[read].dropna().value_counts()
    if len(units):
        found.add("unit")
    if plus[read].any():
        found.add("plus")
    return result, found, {str(k): int(v) for k, v in units.items()}


def _strip_unit(compact: pd.Series, todo: np.ndarray) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """Take a trailing unit (``"89平米"``) or plus sign (``"10,000+"``) off the values at
    ``todo``; returns the values left, the unit of each (None where there is none) and
    where a plus sign was taken off."""
    unit = pd.Series([None] * len(compact), index=compact.index, dtype=object)
    plus = np.zeros(len(compact), dtype=bool)
    if not todo.any():
        return compact, unit, plus
    compact = compact.copy()
    part = compact[todo]
    found = part.str.extract(_WITH_UNIT)
    hit = found[1].notna().to_numpy()
    positions = np.flatnonzero(todo)
    if hit.any():
        compact.iloc[positions[hit]] = found[0][hit].to_numpy()
        unit.iloc[positions[hit]] = found[1][hit].to_numpy()
    tail = compact.iloc[positions].str.match(r"^.*[0-9]\+$").fillna(False).to_numpy()
    if tail.any():
        compact.iloc[positions[tail]] = compact.iloc[positions[tail]].str[:-1].to_numpy()
        plus[positions[tail]] = True
    return compact, unit, plus


def looks_numeric(series: pd.Series, min_share: float = 0.95, *, decimal: str = ".") -> bool:
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
    result = parse_numbers(text, decimal=decimal)
    readable = result.parsed + result.bad
    if result.parsed == 0 or result.parsed / readable < min_share:
        return False
    if "leading_zero" in result.formats:
        zeros = int(text.str.strip().str.match(r"[-+]?0[0-9]").fillna(False).sum())
        if zeros > 0.05 * result.parsed:
            return False
    return True
