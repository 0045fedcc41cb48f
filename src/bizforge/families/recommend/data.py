"""Reading an interactions table: which columns, what each row means, findings.

The table has one row per interaction: a user, an item, an optional strength
(rating, quantity, play count, amount) and an optional timestamp (a date or
Unix seconds). :func:`prepare` checks it, drops what cannot be used (saying
so in a :class:`~bizforge.clean.findings.Finding`) and returns one row per
user-item pair:

- rows without a user or an item id are left out;
- a negative or zero strength is a return/cancellation and is left out;
- repeated pairs count once: strengths are summed for quantities, the latest
  rating is kept for explicit ratings;
- explicit ratings (a column named like *rating*/*score*/*stars* holding whole
  or half numbers on a scale of at most 10) count at
  full weight from the scale's middle up and at half weight below it: a low
  rating still says what the user looks at, so it is a weaker signal rather
  than a negative one (on MovieLens every rated film counts as relevant).

>>> import pandas as pd
>>> frame = pd.DataFrame({"user": ["a", "a", "b"], "item": [1, 2, 1]})
>>> prepare(frame, RecommendOptions()).pairs[["user", "item"]].values.tolist()
[['a', '1'], ['a', '2'], ['b', '1']]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bizforge.clean.findings import Finding
from bizforge.errors import DataError
from bizforge.families.recommend import strings as _strings  # noqa: F401  (registers rec.*)
from bizforge.families.recommend.options import RecommendOptions
from bizforge.i18n import pct, rows_phrase, t

__all__ = ["Prepared", "detect_columns", "id_texts", "normalise_id", "parse_times", "prepare"]

_USER = re.compile(r"(^|_|\b)(user|users|customer|client|member|buyer|visitor|account|uid|"
                   r"userid|user_id|customer_id|cust_id)($|_|\b)|用户|客户|会员|顾客|买家", re.IGNORECASE)
_ITEM = re.compile(r"(^|_|\b)(item|items|product|sku|movie|film|article|song|track|book|"
                   r"iid|itemid|item_id|product_id|goods)($|_|\b)|商品|物品|产品|货品|电影|歌曲", re.IGNORECASE)
_RATING = re.compile(r"rating|score|stars|quantity|qty|count|plays|amount|weight|"
                     r"评分|打分|数量|次数|金额", re.IGNORECASE)
_EXPLICIT = re.compile(r"rating|score|stars?|grade|评分|打分|星级", re.IGNORECASE)
_TIME = re.compile(r"time|date|timestamp|^ts$|when|时间|日期", re.IGNORECASE)
EXAMPLES = 5


def normalise_id(value) -> str:
    """An id as the text the model keys on: ``3``, ``3.0`` and ``"3"`` are all ``"3"``."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def id_texts(column: pd.Series) -> pd.Series:
    """A column of ids as text, whole floats without '.0' (a column with gaps reads as floats)."""
    if pd.api.types.is_float_dtype(column) and column.dropna().map(float.is_integer).all():
        column = column.astype("Int64")
    return column.astype("string").str.strip()


def _find(columns: list[str], pattern: re.Pattern, taken: set[str]) -> str | None:
    for name in columns:
        if name not in taken and pattern.search(str(name)):
            return name
    return None


def detect_columns(frame: pd.DataFrame, options: RecommendOptions,
                   path: str | None = None) -> dict[str, str | None]:
    """The user/item/rating/time columns: the named ones (checked), the rest from their names."""
    columns = [str(c) for c in frame.columns]
    named = {"user": options.user_column, "item": options.item_column,
             "rating": options.rating_column, "time": options.time_column}
    for role, name in named.items():
        if name is not None and name not in columns:
            raise DataError(f"--{role}-column '{name}' is not a column of {path or 'the table'} "
                            f"(columns: {', '.join(columns[:20])}).", column=name, path=path,
                            fix=f"pass one of those names to --{role}-column.")
    taken = {v for v in named.values() if v}
    patterns = {"user": _USER, "item": _ITEM, "rating": _RATING, "time": _TIME}
    for role in ("user", "item", "rating", "time"):
        if named[role] is None:
            named[role] = _find(columns, patterns[role], taken)
            if named[role]:
                taken.add(named[role])
    for role in ("user", "item"):
        if named[role] is None:
            raise DataError(f"could not tell which column of {path or 'the table'} holds the "
                            f"{role} ids (columns: {', '.join(columns[:20])}).", path=path,
                            fix=f"name it with --{role}-column.")
    if named["user"] == named["item"]:
        raise DataError(f"the user and item columns are both '{named['user']}'.",
                        column=named["user"], path=path,
                        fix="pass two different columns to --user-column and --item-column.")
    return named


def parse_times(column: pd.Series, name: str, path: str | None = None) -> np.ndarray:
    """Seconds since 1970 as floats (NaN where missing): Unix seconds/milliseconds or dates."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        seconds = pd.to_numeric(column, errors="coerce").astype("float64").to_numpy()
        if np.nanmax(np.abs(seconds), initial=0) > 1e11:  # milliseconds
            seconds = seconds / 1000.0
        return seconds
    parsed = pd.to_datetime(column, errors="coerce", utc=True, format="mixed")
    bad = parsed.isna() & column.notna()
    if bad.any():
        rows = (np.flatnonzero(bad.to_numpy()) + 1).tolist()
        raise DataError(f"column '{name}' of {path or 'the table'} has {int(bad.sum())} values "
                        f"that are neither dates nor Unix seconds ({rows_phrase(rows[:5], len(rows))}).",
                        column=name, path=path, rows=rows[:5],
                        fix="write dates as 2024-03-01 (or 2024-03-01 12:00), or Unix seconds.")
    out = (parsed - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds()
    return out.astype("float64").to_numpy()


@dataclass
class Prepared:
    """One row per user-item pair (``user``, ``item`` as text, ``weight``, ``strength``, ``time``)."""

    pairs: pd.DataFrame
    columns: dict[str, str | None]
    findings: list[Finding] = field(default_factory=list)
    explicit: tuple[float, float] | None = None  # the rating scale when ratings are explicit
    rows_in: int = 0

    @property
    def n_users(self) -> int:
        return int(self.pairs["user"].nunique())

    @property
    def n_items(self) -> int:
        return int(self.pairs["item"].nunique())


def _finding(kind: str, severity: str, lang: str, column: str | None, count: int,
             rows: list[int] | None = None, **kw) -> Finding:
    rows = rows or []
    return Finding(column=column, kind=kind, severity=severity,
                   message=t(f"rec.find.{kind}", lang, count=count,
                             rows=rows_phrase(rows[:EXAMPLES], count, lang), column=column, **kw),
                   fix=t(f"rec.find.{kind}.fix", lang), count=count, rows=rows[:EXAMPLES])


def _explicit_scale(strength: pd.Series) -> tuple[float, float] | None:
    values = strength.dropna().unique()
    if len(values) < 2 or len(values) > 20:
        return None
    if not np.all(np.isclose(values * 2, np.round(values * 2))):
        return None
    low, high = float(values.min()), float(values.max())
    return (low, high) if 0 <= low and high <= 10 else None


def _strengths(frame: pd.DataFrame, name: str, path: str | None) -> pd.Series:
    raw = frame[name]
    strength = pd.to_numeric(raw, errors="coerce")
    bad = strength.isna() & raw.notna()
    if bad.any():
        rows = (np.flatnonzero(bad.to_numpy()) + 1).tolist()
        raise DataError(f"column '{name}' of {path or 'the table'} should hold numbers (a rating, "
                        f"quantity or amount) but {len(rows)} values are not "
                        f"({rows_phrase(rows[:5], len(rows))}).", column=name, path=path,
                        rows=rows[:5], fix="clean those values, or leave out --rating-column.")
    return strength.astype("float64")


def prepare(frame: pd.DataFrame, options: RecommendOptions, *, path: str | None = None,
            lang: str = "en") -> Prepared:
    """Check the interactions table and reduce it to one weighted row per user-item pair."""
    cols = detect_columns(frame, options, path)
    user_col, item_col, rating_col, time_col = (cols[r] for r in ("user", "item", "rating", "time"))
    where = path or "the table"
    if frame[item_col].isna().all():
        raise DataError(f"column '{item_col}' of {where} holds no item ids: all {len(frame)} "
                        "values are missing.", column=item_col, path=path,
                        fix="point --item-column at the column of product/item ids.")
    data = pd.DataFrame({"user": id_texts(frame[user_col]),
                         "item": id_texts(frame[item_col])})
    data["strength"] = 1.0 if rating_col is None else _strengths(frame, rating_col, path)
    data["time"] = np.nan if time_col is None else parse_times(frame[time_col], time_col, path)
    data["row"] = np.arange(1, len(frame) + 1)
    findings: list[Finding] = []
    missing = data["user"].isna() | data["item"].isna() | (data["user"] == "") | (data["item"] == "")
    if rating_col is not None:
        missing |= data["strength"].isna()
    if missing.any():
        findings.append(_finding("missing_ids", "info", lang, None, int(missing.sum()),
                                 data.loc[missing, "row"].tolist()))
        data = data[~missing]
    explicit = (_explicit_scale(data["strength"])
                if rating_col is not None and _EXPLICIT.search(rating_col) else None)
    if rating_col is not None:
        nonpositive = data["strength"] <= 0
        if nonpositive.any() and not (explicit and explicit[0] == 0):
            findings.append(_finding("negative", "warning", lang, rating_col,
                                     int(nonpositive.sum()), data.loc[nonpositive, "row"].tolist()))
            data = data[~nonpositive]
    if time_col is not None:
        order = data.groupby("user", sort=False)["time"].diff() < 0
        if order.any():
            findings.append(_finding("time_order", "info", lang, time_col, int(order.sum()),
                                     data.loc[order, "row"].tolist()))
        data = data.sort_values(["time", "row"], kind="stable")
    if data.empty or data["user"].nunique() < 2 or data["item"].nunique() < 2:
        raise DataError(f"{where} has {data['user'].nunique()} users and "
                        f"{data['item'].nunique()} items with usable interactions; a "
                        "recommender needs at least 2 of each (and learns from many).",
                        column=user_col if data["user"].nunique() < 2 else item_col, path=path,
                        fix="train on the full interactions table of many users.")
    dup = data.duplicated(["user", "item"], keep="last")
    if dup.any():
        how = "the latest rating kept" if explicit else "strengths summed"
        findings.append(_finding("duplicates", "info", lang, None, int(dup.sum()),
                                 data.loc[data.duplicated(["user", "item"]), "row"].tolist(),
                                 how=how))
    grouped = data.groupby(["user", "item"], sort=False)
    pairs = grouped.agg(strength=("strength", "last" if explicit else "sum"),
                        time=("time", "max"), row=("row", "last")).reset_index()
    pairs = pairs.sort_values("row", kind="stable").reset_index(drop=True)
    pairs["weight"] = 1.0
    if explicit:
        cut = (explicit[0] + explicit[1]) / 2.0
        pairs.loc[pairs["strength"] < cut, "weight"] = 0.5
        findings.append(_finding("explicit", "info", lang, rating_col, len(pairs),
                                 low=f"{explicit[0]:g}", high=f"{explicit[1]:g}", cut=f"{cut:g}"))
    elif rating_col is not None:
        # quantities / amounts / play counts: more is a stronger signal, with diminishing returns
        pairs["weight"] = np.log1p(pairs["strength"] / pairs["strength"].median())
        pairs["weight"] /= pairs["weight"].median()
    findings.extend(_shape_findings(pairs, lang, user_col, item_col))
    return Prepared(pairs=pairs, columns=cols, findings=findings, explicit=explicit,
                    rows_in=len(frame))


def _shape_findings(pairs: pd.DataFrame, lang: str, user_col: str, item_col: str) -> list[Finding]:
    out = []
    per_user = pairs["user"].value_counts()
    per_item = pairs["item"].value_counts()
    single_u = int((per_user == 1).sum())
    if single_u:
        out.append(_finding("single_users", "warning" if single_u > len(per_user) / 4 else "info",
                            lang, user_col, single_u, share=pct(single_u / len(per_user))))
    single_i = int((per_item == 1).sum())
    if single_i:
        out.append(_finding("single_items", "info", lang, item_col, single_i,
                            share=pct(single_i / len(per_item))))
    top = max(1, len(per_item) // 100)
    share = per_item.iloc[:top].sum() / len(pairs)
    if len(per_item) >= 100 and share >= 0.10:
        out.append(_finding("popular", "warning" if share >= 0.25 else "info", lang, item_col,
                            top, share=pct(share)))
    return out
