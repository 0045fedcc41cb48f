"""One step per kept column of a :class:`~bizforge.clean.recipe.Recipe`.

Each step is a small dataclass: ``fit_step(series)`` learns from the training
rows and returns a fitted step, ``transform(series, ...)`` returns a dict
``{output_name: Series}``, ``to_dict()`` / ``STEPS[kind].from_dict(d)`` round-trip
through JSON, ``describe()`` says in plain words what the step does.

Values are compared as *keys*: stripped strings, so ``" Yes"`` and ``"Yes"``,
``1`` and ``"1"``, ``1.0`` and ``1`` are the same category. Empty and
whitespace-only strings are missing.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field, fields
from functools import cached_property
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from bizforge.clean.pii import mask_frame
from bizforge.errors import DataError, rows_text
from bizforge.ingest.infer import detect_datetime_formats, parse_datetimes
from bizforge.ingest.numbers import parse_numbers, plain_floats

__all__ = [
    "OTHER",
    "STEPS",
    "BooleanStep",
    "CategoricalStep",
    "DatetimeStep",
    "NumericStep",
    "Step",
    "TextStep",
    "value_keys",
]

OTHER = "__other__"

# Which of two boolean values means 1: a known "yes" word wins, else the value that is
# not a known "no" word, else the later one in sorted order (documented in describe()).
_TRUE_WORDS = frozenset({"true", "yes", "y", "t", "1", "on", "是", "有", "positive"})
_FALSE_WORDS = frozenset({"false", "no", "n", "f", "0", "off", "否", "无", "negative"})
# A pair the server may receive in either spelling (JSON true vs CSV "1").
_SYNONYMS = {"true": "1", "1": "true", "false": "0", "0": "false"}

DATE_PARTS = ("year", "month", "dayofweek", "days")
_SMALL = 256  # rows below which plain Python beats pandas' per-call overhead
_EPOCH = pd.Timestamp("1970-01-01")


def _number_key(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _one_key(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return np.nan
    if isinstance(v, (bool, np.bool_)):
        return "True" if v else "False"
    if isinstance(v, (int, float, np.integer, np.floating)):
        return np.nan if math.isnan(float(v)) else _number_key(v)
    text = str(v).strip()
    return text if text else np.nan


def value_keys(series: pd.Series) -> pd.Series:
    """Values as stripped strings (object dtype), NaN for missing and blank.

    >>> value_keys(pd.Series([" a", "", 1.0, None])).tolist()
    ['a', nan, '1', nan]
    """
    return pd.Series(_by_value(series, _one_key, object, np.nan), index=series.index,
                     dtype=object)


def _by_value(series: pd.Series, fn, dtype, missing) -> np.ndarray:
    """``fn(v)`` for every value of ``series`` (``missing`` where it is missing), computed
    once per distinct value: a column of 10,000 rows rarely holds more than a few hundred.

    Small inputs (a server request) and object columns mixing booleans with numbers
    (``True`` and ``1`` are one value to pandas' hashing, two keys to us) go value by value.
    """
    if len(series) > _SMALL:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        uniques = np.asarray(uniques, dtype=object)
        if not any(isinstance(u, (bool, np.bool_)) for u in uniques):
            table = np.empty(len(uniques) + 1, dtype=dtype)
            table[:-1] = [fn(u) for u in uniques]
            table[-1] = missing
            return table[codes]  # the sentinel -1 picks ``missing``
    return np.fromiter((fn(v) for v in series), dtype=dtype, count=len(series))


def _float_or_none(v: Any) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


@dataclass
class Step:
    """Base of every step: the source column and what training looked like."""

    kind: ClassVar[str] = ""
    column: str
    rows: int = 0  # training rows seen
    missing: int = 0  # training rows with no value

    @property
    def outputs(self) -> list[str]:
        return [self.column]

    @property
    def feature_kind(self) -> str:
        return "numeric"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **asdict(self)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Step:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    def fill(self) -> dict[str, Any]:
        """Training statistics a backend may impute with; transform never does."""
        return {}

    def transform_values(self, values: list, index: pd.Index, **kw) -> dict[str, Any]:
        """``transform`` for a handful of rows (a server request), as arrays.

        Steps override it with plain Python, which beats pandas' per-call
        overhead below a few hundred rows; results are identical.
        """
        series = pd.Series(values, index=index, dtype=object, name=self.column)
        return self.transform(series.infer_objects(), **kw)


@dataclass
class NumericStep(Step):
    """A number; text such as ``"1,234"``, ``"¥12.5"``, ``"89平米"`` or ``" "`` is parsed.

    ``decimal`` is the decimal mark the training data was read with: with ``","``
    new rows are read the same way (``"12,50"`` is 12.5, ``"1.500"`` is 1500).
    """

    kind: ClassVar[str] = "numeric"
    as_text: bool = False  # the training column was text, not a number dtype
    blank: int = 0
    bad: int = 0
    formats: list[str] = field(default_factory=list)
    median: float | None = None
    decimal: str = "."
    units: dict[str, int] = field(default_factory=dict)

    @classmethod
    def fit_step(cls, s: pd.Series, *, on_bad_number: str, decimal: str = ".") -> NumericStep:
        as_text = not _is_number_dtype(s)
        step = cls(s.name, rows=len(s), as_text=as_text, decimal=decimal)
        values, parse = step._parse(s)
        step.blank, step.bad, step.formats = parse.blank, parse.bad, list(parse.formats)
        step.units = dict(parse.units)
        step._check_bad(parse, on_bad_number, training=True)
        step.missing = int(values.isna().sum())
        step.median = _float_or_none(values.median())
        return step

    def _parse(self, s: pd.Series, describe: bool = True):
        if pd.api.types.is_object_dtype(s.dtype) and len(s) <= _SMALL:
            s = s.infer_objects()  # JSON rows: [12, 3.5] arrive as objects
        # numeric dtypes pass straight through
        parse = parse_numbers(s, describe=describe, decimal=self.decimal)
        return parse.values.astype("float64"), parse

    def _check_bad(self, parse, on_bad_number: str, *, training: bool = False) -> None:
        if parse.bad == 0 or on_bad_number != "error":
            return
        rows = [int(r) + 1 for r in parse.bad_rows]  # 1-based data rows, as people count
        where = " of the training rows" if training else ""
        raise DataError(
            f"Column '{self.column}' has {parse.bad} value(s) that are not numbers "
            f"({rows_text(rows)}{where}).",
            column=self.column,
            rows=rows,
            fix="correct those cells, or build the recipe with on_bad_number='missing' "
            "to treat them as missing values; if the file writes decimals with the other "
            f"mark than '{self.decimal}', pass --decimal (read(decimal=...)).",
        )

    def transform(self, s: pd.Series, *, on_bad_number: str) -> dict[str, pd.Series]:
        if _is_number_dtype(s):  # the common case, without parse_numbers' bookkeeping
            values = s.to_numpy(dtype="float64", na_value=np.nan)
            return {self.column: pd.Series(values, index=s.index, dtype="float64")}
        if len(s) > _SMALL and pd.api.types.is_string_dtype(s.dtype) and self.decimal == ".":
            plain = plain_floats(s)  # digits and blanks only: parsed in C
            if plain is not None:
                return {self.column: pd.Series(plain, index=s.index, dtype="float64")}
        values, parse = self._parse(s, describe=False)
        self._check_bad(parse, on_bad_number)
        return {self.column: pd.Series(values.to_numpy(), index=s.index, dtype="float64")}

    def transform_values(self, values: list, index: pd.Index, *, on_bad_number: str) -> dict:
        out = np.empty(len(values), dtype="float64")
        slow: list[int] = []
        comma = self.decimal == ","
        for i, v in enumerate(values):
            # With a decimal comma, "1.500" is 1500: text goes to the full parser.
            number = None if comma and isinstance(v, str) else _plain_float(v)
            if number is None:
                slow.append(i)
            else:
                out[i] = number
        if slow:  # "1,234", "¥12.5", "12%", blanks, typos: the full parser decides
            parse = parse_numbers(pd.Series([str(values[i]) for i in slow], dtype=object),
                                  decimal=self.decimal)
            if parse.bad and on_bad_number == "error":
                parse.bad_rows = [slow[r] for r in parse.bad_rows]
                self._check_bad(parse, on_bad_number)
            out[slow] = parse.values.to_numpy(dtype="float64", na_value=np.nan)
        return {self.column: out}

    def fill(self) -> dict[str, Any]:
        return {self.column: self.median}

    def describe(self) -> str:
        notes = []
        if self.blank:
            notes.append(f"{self.blank} blanks -> missing")
        if self.bad:
            notes.append(f"{self.bad} unreadable values -> missing")
        if self.missing - self.blank - self.bad > 0:
            notes.append(f"{self.missing - self.blank - self.bad} missing, left missing")
        formats = [f for f in self.formats if f not in ("blank", "na_marker", "unit")]
        if self.units:
            formats.append("unit " + ", ".join(sorted(self.units, key=self.units.get)[::-1]))
        text = "number"
        if formats or self.blank:  # plain digits in a text column are not worth a remark
            text = "numbers stored as text -> number"
            if formats:
                notes.insert(0, "written with " + ", ".join(formats))
        return f"{self.column}: {text}" + (f" ({'; '.join(notes)})" if notes else "")


def _plain_float(v: Any) -> float | None:
    """``v`` as a float when that needs no interpretation (a number, or text like "42.5");
    None when the full parser must decide. Missing values give NaN."""
    if v is None or v is pd.NA or v is pd.NaT:
        return math.nan
    if isinstance(v, (bool, np.bool_, int, float, np.integer, np.floating)):
        return float(v)
    if isinstance(v, str):
        text = v.strip()
        # Python's float() also reads "1_000", "inf" and "nan"; leave those to the parser.
        if text and text[0] in "+-.0123456789" and "_" not in text:
            try:
                number = float(text)
            except ValueError:
                return None
            return number if math.isfinite(number) else None
    return None


def _is_number_dtype(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s.dtype)  # bool included: True -> 1.0


@dataclass
class CategoricalStep(Step):
    """A category from a list fixed at fit; rare and unseen values become ``__other__``."""

    kind: ClassVar[str] = "categorical"
    categories: list[str] = field(default_factory=list)  # kept values, most frequent first
    rare: int = 0  # distinct training values folded into __other__
    rare_rows: int = 0

    @property
    def feature_kind(self) -> str:
        return "categorical"

    @classmethod
    def fit_step(
        cls, s: pd.Series, *, min_count: int, min_share: float, max_categories: int
    ) -> CategoricalStep:
        keys = value_keys(s)
        counts = keys.value_counts(dropna=True)
        # Ties broken by the value so the category order never depends on row order.
        order = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        seen = int(counts.sum())
        kept = [k for k, n in order if n >= min_count and n >= min_share * seen]
        kept = [k for k in kept if k != OTHER][:max_categories]
        kept_set = set(kept)
        return cls(
            s.name,
            rows=len(s),
            missing=int(keys.isna().sum()),
            categories=kept,
            rare=len(order) - len(kept),
            rare_rows=int(sum(n for k, n in order if k not in kept_set)),
        )

    @cached_property
    def _codes(self) -> dict[str, int]:
        return {value: code for code, value in enumerate(self.categories)}

    @cached_property
    def dtype(self) -> pd.CategoricalDtype:
        """The fixed categories: kept values, then ``__other__``."""
        return pd.CategoricalDtype([*self.categories, OTHER])

    def transform(self, s: pd.Series, **_) -> dict[str, pd.Series]:
        coded = None
        if len(s) > _SMALL and pd.api.types.is_string_dtype(s.dtype) and self.categories:
            coded = self._exact_codes(s)
        if coded is None:
            coded = _by_value(s, self._code_of, np.int32, -1)
        cat = pd.Categorical.from_codes(coded, dtype=self.dtype)
        return {self.column: pd.Series(cat, index=s.index)}

    def _exact_codes(self, s: pd.Series) -> np.ndarray | None:
        """Codes by Arrow's hash lookup of values spelled exactly as a kept category (a
        category is its own key); the rest (missing, unseen, padded) go value by value."""
        import pyarrow as pa
        import pyarrow.compute as pc

        try:
            found = pc.index_in(pa.array(s, type=pa.string()),
                                value_set=pa.array(self.categories, type=pa.string()))
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
            return None
        codes = found.to_numpy(zero_copy_only=False)  # float, NaN where not found
        rest = np.isnan(codes)
        out = np.where(rest, -1, codes).astype(np.int32)
        if rest.any():
            out[rest] = _by_value(s[rest], self._code_of, np.int32, -1)
        return out

    def _code_of(self, v: Any) -> int:
        """The category code of one raw value: -1 missing, ``len(categories)`` other."""
        k = _one_key(v)
        return self._codes.get(k, len(self.categories)) if isinstance(k, str) else -1

    def transform_values(self, values: list, index: pd.Index, **_) -> dict[str, Any]:
        coded = np.fromiter(map(self._code_of, values), dtype=np.int32, count=len(values))
        return {self.column: pd.Categorical.from_codes(coded, dtype=self.dtype)}

    def fill(self) -> dict[str, Any]:
        return {self.column: self.categories[0] if self.categories else OTHER}

    def describe(self) -> str:
        text = f"{self.column}: category ({len(self.categories)} values kept"
        if self.rare:
            text += f"; {self.rare} rare values in {self.rare_rows} rows -> {OTHER}"
        return text + f"; unseen values -> {OTHER})"


@dataclass
class BooleanStep(Step):
    """Two values mapped to 1.0 / 0.0; any other value becomes missing."""

    kind: ClassVar[str] = "boolean"
    true_value: str = ""
    false_value: str = ""
    share_true: float | None = None

    @classmethod
    def fit_step(cls, s: pd.Series) -> BooleanStep | None:
        """The step, or None when the training rows do not hold exactly two values."""
        keys = value_keys(s)
        counts = keys.value_counts()
        spelling: dict[str, str] = {}  # casefolded -> its most frequent spelling
        for key, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            spelling.setdefault(key.casefold(), key)
        if len(spelling) != 2:
            return None
        low, high = sorted(spelling)
        if low in _TRUE_WORDS or high in _FALSE_WORDS:
            low, high = high, low
        step = cls(s.name, rows=len(s), missing=int(keys.isna().sum()))
        step.true_value, step.false_value = spelling[high], spelling[low]
        step.share_true = _float_or_none(step._map(s).mean())
        return step

    @cached_property
    def _table(self) -> dict[str, float]:
        table = {self.true_value.casefold(): 1.0, self.false_value.casefold(): 0.0}
        for word, value in list(table.items()):
            if word in _SYNONYMS and _SYNONYMS[word] not in table:
                table[_SYNONYMS[word]] = value
        return table

    def _value_of(self, v: Any) -> float:
        """1.0, 0.0 or NaN for one raw value."""
        k = _one_key(v)
        return self._table.get(k.casefold(), np.nan) if isinstance(k, str) else np.nan

    def _map(self, s: pd.Series) -> pd.Series:
        return pd.Series(_by_value(s, self._value_of, "float64", np.nan), index=s.index)

    def transform(self, s: pd.Series, **_) -> dict[str, pd.Series]:
        return {self.column: self._map(s)}

    def transform_values(self, values: list, index: pd.Index, **_) -> dict[str, Any]:
        out = np.fromiter(map(self._value_of, values), dtype="float64", count=len(values))
        return {self.column: out}

    def fill(self) -> dict[str, Any]:
        share = self.share_true
        return {self.column: None if share is None else float(share >= 0.5)}

    def describe(self) -> str:
        if (self.true_value, self.false_value) == ("1", "0"):
            return f"{self.column}: 0/1 flag -> number (other values -> missing)"
        return (
            f"{self.column}: two values -> 1/0 ('{self.true_value}' = 1, "
            f"'{self.false_value}' = 0; other values -> missing)"
        )


@dataclass
class DatetimeStep(Step):
    """A date or time, turned into year, month, day of week and days since 1970."""

    kind: ClassVar[str] = "datetime"
    # Formats found on the training rows, tried in order, so "05/02/2024" means the
    # same day at training and at serving. Empty for a datetime dtype.
    formats: list[str] = field(default_factory=list)
    medians: dict[str, float | None] = field(default_factory=dict)
    unreadable: int = 0

    @property
    def outputs(self) -> list[str]:
        return [f"{self.column}__{part}" for part in DATE_PARTS]

    @classmethod
    def fit_step(cls, s: pd.Series) -> DatetimeStep:
        formats = [] if _is_datetime(s) else detect_datetime_formats(s) or ["mixed"]
        step = cls(s.name, rows=len(s), formats=formats)
        parts = step.transform(s)
        step.missing = int(value_keys(s).isna().sum()) if formats else int(s.isna().sum())
        step.unreadable = int(parts[step.outputs[0]].isna().sum()) - step.missing
        step.medians = {name: _float_or_none(p.median()) for name, p in parts.items()}
        return step

    def transform(self, s: pd.Series, **_) -> dict[str, pd.Series]:
        when = _to_datetime(s, self.formats)
        parts = {
            "year": when.dt.year,
            "month": when.dt.month,
            "dayofweek": when.dt.day_of_week,  # Monday = 0
            "days": (when - _EPOCH) / pd.Timedelta(days=1),
        }
        return {
            f"{self.column}__{name}": pd.Series(
                np.asarray(parts[name], dtype="float64"), index=s.index, dtype="float64"
            )
            for name in DATE_PARTS
        }

    def fill(self) -> dict[str, Any]:
        return dict(self.medians)

    def describe(self) -> str:
        text = f"{self.column}: date -> year, month, day of week (Monday = 0), days since 1970"
        if self.unreadable:
            text += f" ({self.unreadable} unreadable dates -> missing)"
        return text


def _is_datetime(s: pd.Series) -> bool:
    return pd.api.types.is_datetime64_any_dtype(s.dtype)


def _to_datetime(s: pd.Series, formats: list[str]) -> pd.Series:
    """Naive datetimes (zones converted to UTC); NaT for missing and unreadable."""
    if _is_datetime(s):
        if s.dt.tz is not None:
            return s.dt.tz_convert("UTC").dt.tz_localize(None)
        return s
    if not formats:  # fitted on a datetime dtype; text arrives at serving
        formats = ["mixed"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "could not infer format"
        return parse_datetimes(value_keys(s), formats)


@dataclass
class TextStep(Step):
    """Free text kept as a string; missing -> ``""``; personal data inside masked."""

    kind: ClassVar[str] = "text"
    mask_pii: bool = True

    @property
    def feature_kind(self) -> str:
        return "text"

    @classmethod
    def fit_step(cls, s: pd.Series, *, mask_pii: bool) -> TextStep:
        return cls(s.name, rows=len(s), missing=int(value_keys(s).isna().sum()), mask_pii=mask_pii)

    def transform(self, s: pd.Series, **_) -> dict[str, pd.Series]:
        # Blank and missing cells -> ""; real text keeps its own spacing.
        text = pd.Series(
            [str(v) if isinstance(_one_key(v), str) else "" for v in s], index=s.index, dtype="str"
        )
        if self.mask_pii and len(text):
            # mask_frame pre-filters the whole column at once; only candidate cells are checked.
            masked, _ = mask_frame(text.to_frame("text"), mode="mask")
            text = masked["text"].fillna("").astype("str")
        return {self.column: text.rename(self.column)}

    def fill(self) -> dict[str, Any]:
        return {self.column: ""}

    def describe(self) -> str:
        masked = "personal data inside masked" if self.mask_pii else "personal data NOT masked"
        return f"{self.column}: free text ({masked}; missing -> empty text)"


STEPS: dict[str, type[Step]] = {
    cls.kind: cls for cls in (NumericStep, CategoricalStep, BooleanStep, DatetimeStep, TextStep)
}
