"""Time-ordered data in: a long or wide table -> a :class:`Panel` of regular series.

A *long* table has one row per series and period: id column(s), a time column
(dates, or an integer period index when the data has no calendar) and the
target. A *wide* table has the time column and one column per series. A table with
*one row per series* (as forecasting competitions ship them: an id column, then one
column per period, oldest first, rows ending early) is read as :data:`ROWS_LAYOUT`
says (:func:`as_long`). Each becomes a Panel: a regular grid of periods per series (frequency inferred),
with gaps filled by the documented rule (:data:`FILL_RULE`), and the findings
a planner should see (duplicate periods, gaps, short series, negative or
zero-inflated demand, a changed frequency, future rows with a target).

>>> import pandas as pd
>>> frame = pd.DataFrame({"store": [1, 1, 1, 2, 2, 2],
...     "week": ["2024-01-07", "2024-01-14", "2024-01-21"] * 2, "sales": [5, 6, 7, 1, 2, 3]})
>>> panel = build_panel(frame, target="sales", time="week", ids=["store"])
>>> panel.freq, panel.series_ids
('W-SUN', ['1', '2'])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bizforge.errors import DataError, UsageError, rows_text
from bizforge.ingest.infer import detect_datetime_formats, parse_datetimes

__all__ = ["FILL_RULE", "ROWS_LAYOUT", "Panel", "as_long", "build_panel", "check_horizon",
           "guess_columns", "infer_freq", "parse_times", "read_layout", "season_length"]

FILL_RULE = ("a period missing inside a series is filled with 0 when the series is "
             "intermittent (more than 30% zeros), otherwise by linear interpolation "
             "between its neighbours; covariates carry the last known value forward")
ROWS_LAYOUT = ("one row per series: the id column, then one column per period, oldest "
               "first (the columns numbered, e.g. V2 ... V49, or named by dates); a row may "
               "end early. Without dates, periods are numbered so that every series' last "
               "value is period 0, and a --test file in the same layout starts at period 1")
MAX_ATTRIBUTES = 8  # columns between the id and the first period column (length, category...)
ID_SEP = "|"  # joins several id columns into one series id
_SEASON = {"D": 7, "B": 5, "W": 52, "M": 12, "MS": 12, "ME": 12, "Q": 4, "QS": 4, "QE": 4,
           "h": 24, "H": 24, "Y": 1, "YS": 1, "YE": 1, "A": 1, "int": 1}
_TIME_WORDS = ("date", "time", "week", "month", "day", "period", "cycle", "ds", "year",
               "日期", "时间", "周", "月份", "期")


@dataclass
class Panel:
    """Regular series on one frequency: ``values[i]`` is series ``series_ids[i]``.

    ``index`` holds the periods of the longest series; ``starts[i]`` is where
    series ``i`` begins in it (shorter series start later, every series ends
    at the panel's last period unless it stopped early — ``ends[i]``).
    """

    series_ids: list[str]
    index: pd.Index                      # DatetimeIndex, or RangeIndex-like integers
    values: np.ndarray                   # (n_series, n_periods), NaN before start/after end
    freq: str                            # pandas offset alias, or "int"
    covariates: dict[str, np.ndarray] = field(default_factory=dict)  # name -> like values
    findings: list[dict[str, Any]] = field(default_factory=list)
    id_columns: list[str] = field(default_factory=list)
    time_column: str = ""
    target: str = ""
    future: dict[str, np.ndarray] = field(default_factory=dict)  # covariates after the end

    @property
    def is_calendar(self) -> bool:
        return self.freq != "int"

    def series(self, i: int) -> np.ndarray:
        """The observed values of series ``i`` (no leading/trailing NaN)."""
        row = self.values[i]
        ok = np.flatnonzero(~np.isnan(row))
        return row[ok[0]: ok[-1] + 1] if ok.size else row[:0]

    def future_index(self, horizon: int) -> pd.Index:
        """The ``horizon`` periods after the panel's last one."""
        if not self.is_calendar:
            last = int(self.index[-1])
            return pd.Index(np.arange(last + 1, last + 1 + horizon))
        return pd.date_range(self.index[-1], periods=horizon + 1, freq=self.freq)[1:]

    def cut(self, end: int) -> Panel:
        """The panel up to (not including) period ``end``: a backtest origin."""
        return Panel(self.series_ids, self.index[:end], self.values[:, :end], self.freq,
                     {k: v[:, :end] for k, v in self.covariates.items()}, [],
                     self.id_columns, self.time_column, self.target)


def season_length(freq: str) -> int:
    """Periods per season for a frequency alias (``W-SUN`` -> 52)."""
    base = freq.split("-")[0]
    return _SEASON.get(base, _SEASON.get(base.rstrip("S"), 1))


def guess_columns(frame: pd.DataFrame, target: str | None, time: str | None,
                  ids: list[str] | None) -> tuple[str, list[str]]:
    """(time column, id columns) — named ones checked, missing ones guessed by name/values."""
    for col in [time, *(ids or [])]:
        if col is not None and col not in frame.columns:
            raise DataError(f"there is no column '{col}'.", column=col,
                            fix=f"use one of: {', '.join(map(str, frame.columns[:20]))}.")
    if time is None:
        time = _guess_time(frame, target)
    if ids is None:
        ids = []
        for col in frame.columns:
            if col in (time, target):
                continue
            s = frame[col]
            looks = any(w in str(col).lower() for w in ("id", "store", "sku", "item", "unit",
                                                        "series", "门店", "商品", "编号"))
            if looks and s.nunique() < len(s) / 2 and (s.dtype == object or
                                                       pd.api.types.is_integer_dtype(s) or
                                                       pd.api.types.is_string_dtype(s)):
                ids.append(col)
                break
    return time, ids


def as_long(frame: pd.DataFrame, ids: list[str] | None, *, future: bool = False
            ) -> tuple[pd.DataFrame, str, str, list[str], dict[str, Any]] | None:
    """A table with one row per series (:data:`ROWS_LAYOUT`) as a long table:
    ``(frame, target, time, ids, finding)``; ``None`` when ``frame`` is not laid out so.
    Up to :data:`MAX_ATTRIBUTES` columns between the id and the period columns (a series'
    length, category, start year) are left out and named in the finding.

    ``future``: the table holds the periods after a history in the same layout (a
    ``--test`` file), numbered from 1 instead of ending at 0.

    >>> rows = pd.DataFrame({"V1": ["a", "b"], "V2": [1.0, 5.0], "V3": [2.0, 6.0],
    ...                      "V4": [3.0, 7.0], "V5": [4.0, None]})
    >>> long, target, time, ids, _ = as_long(rows, None)
    >>> long[long["V1"] == "b"]["period"].tolist(), target, time, ids
    ([-2, -1, 0], 'value', 'period', ['V1'])
    """
    if ids is None:
        first = frame.columns[0] if len(frame.columns) else None
        if first is None or pd.api.types.is_float_dtype(frame[first]):
            return None
        ids = [first]
    if any(c not in frame.columns for c in ids) or frame[ids].isna().any().any() or \
            frame[ids].astype(str).agg(ID_SEP.join, axis=1).duplicated().any():
        return None
    rest = [c for c in frame.columns if c not in ids]
    for skip in range(min(len(rest), MAX_ATTRIBUTES + 1)):  # attributes may come first
        cols = rest[skip:]
        periods = _column_periods(cols) if len(cols) >= (1 if future else 4) else None
        if periods is not None:
            break
    if periods is None or not all(  # an empty column reads as text
            pd.api.types.is_numeric_dtype(frame[c]) or frame[c].isna().all() for c in cols):
        return None
    unused = rest[:skip]
    values = np.column_stack([pd.to_numeric(frame[c]).to_numpy(dtype=float, na_value=np.nan)
                              for c in cols])
    seen = ~np.isnan(values)
    if isinstance(periods, pd.DatetimeIndex):
        grid = np.broadcast_to(np.asarray(periods), values.shape)
    elif future:
        grid = np.broadcast_to(np.arange(1, len(cols) + 1), values.shape)
    else:  # right-aligned: the last value of every row is period 0
        last = np.where(seen.any(axis=1), len(cols) - 1 - np.argmax(seen[:, ::-1], axis=1), 0)
        grid = np.arange(len(cols))[None, :] - last[:, None]
    time, target = _free_name("period", ids), _free_name("value", ids)
    r, c = np.nonzero(seen)
    long = frame[ids].iloc[r].reset_index(drop=True)
    long[time] = grid[r, c]
    long[target] = values[r, c]
    finding = {"kind": "series_rows", "count": len(frame),
               "message": f"read as {ROWS_LAYOUT} ({len(frame)} series, {len(cols)} period "
                          "columns" + (f"; not used: {', '.join(map(str, unused))}"
                                       if unused else "") + ")."}
    return long, target, time, list(ids), finding


def read_layout(frame: pd.DataFrame, target: str | None, time: str | None,
                ids: list[str] | None
                ) -> tuple[pd.DataFrame, str | None, str | None, list[str] | None, list]:
    """``(frame, target, time, ids, findings)`` ready for :func:`guess_columns`: a table
    with one row per series (and no time column to find) is turned long first; a time
    column found on the way is returned, not looked for twice."""
    if target is None and time is None:
        try:
            time = _guess_time(frame, None)
        except DataError:
            rows = as_long(frame, ids)
            if rows is not None:
                return *rows[:4], [rows[4]]
    return frame, target, time, ids, []


def _column_periods(cols: list[Any]) -> pd.DatetimeIndex | np.ndarray | None:
    """Consecutive periods named by the columns (numbers counting up by one, after a common
    prefix; or dates), else ``None``."""
    names = pd.Series([str(c) for c in cols])
    numbers = names.str.extract(r"^(\D*?)(\d+)$")
    if numbers.notna().all().all() and numbers[0].nunique() == 1:
        n = numbers[1].astype(int).to_numpy()
        return n if np.all(np.diff(n) == 1) else None
    formats = detect_datetime_formats(names)
    if formats:
        dates = parse_datetimes(names, formats)
        if dates.notna().all() and dates.is_monotonic_increasing and dates.is_unique:
            return pd.DatetimeIndex(dates)
    return None


def _free_name(name: str, taken: list[str]) -> str:
    while name in taken:
        name = f"{name}_"
    return name


def _guess_time(frame: pd.DataFrame, target: str | None) -> str:
    for col in frame.columns:
        if col == target:
            continue
        s = frame[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            return col
        if (s.dtype == object or pd.api.types.is_string_dtype(s)) and detect_datetime_formats(s):
            return col
    for col in frame.columns:
        if col != target and any(w == str(col).lower() or w in str(col).lower()
                                 for w in _TIME_WORDS) and pd.api.types.is_integer_dtype(
                                     frame[col]):
            return col
    raise DataError("no date or period column was found.",
                    fix="name it with --time-column (dates, or an integer period number).")


def parse_times(frame: pd.DataFrame, time: str) -> tuple[pd.Series, bool]:
    """Parsed times and whether they are calendar dates (else integer periods)."""
    s = frame[time]
    if pd.api.types.is_datetime64_any_dtype(s):
        return pd.to_datetime(s).astype("datetime64[ns]"), True
    if pd.api.types.is_integer_dtype(s) or (pd.api.types.is_float_dtype(s) and
                                            np.all(np.mod(s.dropna(), 1) == 0)):
        return s.astype("Int64"), False
    formats = detect_datetime_formats(s)
    if not formats:
        raise DataError(f"the time column '{time}' holds neither dates nor period numbers.",
                        column=time, fix="name the right column with --time-column.")
    parsed = parse_datetimes(s, formats).astype("datetime64[ns]")
    bad = np.flatnonzero(parsed.isna().to_numpy() & s.notna().to_numpy())
    if bad.size:
        raise DataError(f"{bad.size} value(s) of '{time}' are not dates in the column's format "
                        f"({', '.join(formats)}): {rows_text((bad + 1).tolist())}.",
                        column=time, rows=(bad + 1).tolist(),
                        fix="correct or remove those rows.")
    return parsed, True


def infer_freq(times: pd.Series) -> str:
    """The most common spacing of sorted unique dates, as a pandas alias."""
    uniq = pd.DatetimeIndex(times.dropna().unique()).sort_values()
    if len(uniq) < 3:
        raise DataError("a series needs at least 3 distinct periods to infer its frequency.",
                        fix="add history, or check the time column.")
    try:
        with pd.option_context("future.infer_freq_returns_offset", True):
            freq = pd.infer_freq(uniq[-min(len(uniq), 60):])
    except KeyError:  # pandas without the option returns the string already
        freq = pd.infer_freq(uniq[-min(len(uniq), 60):])
    freq = getattr(freq, "freqstr", freq)
    if freq:
        return freq
    steps = pd.Series(np.diff(uniq.asi8) // 86_400_000_000_000).mode()
    days = int(steps.iloc[0]) if len(steps) else 1
    if days == 1:
        return "D"
    if days == 7:
        return f"W-{uniq[-1].day_name()[:3].upper()}"
    if 28 <= days <= 31:
        return "MS" if (uniq.day == 1).mean() > 0.8 else "ME"
    if 89 <= days <= 92:
        return "QS" if (uniq.day == 1).mean() > 0.8 else "QE"
    return f"{days}D"


def build_panel(frame: pd.DataFrame, *, target: str | None, time: str | None,
                ids: list[str] | None, covariates: list[str] | None = None) -> Panel:
    """A long or wide table -> a regular :class:`Panel` (see the module docstring)."""
    time, ids = guess_columns(frame, target, time, ids)
    if target is None:  # wide: every other numeric column is a series
        value_cols = [c for c in frame.columns if c != time and c not in ids and
                      pd.api.types.is_numeric_dtype(frame[c])]
        if not value_cols:
            raise DataError("no numeric column to forecast.", fix="name one with --target.")
        frame = frame.melt(id_vars=[time], value_vars=value_cols, var_name="series",
                           value_name="value")
        target, ids = "value", ["series"]
    elif target not in frame.columns:
        raise DataError(f"there is no target column '{target}'.", column=target,
                        fix=f"use one of: {', '.join(map(str, frame.columns[:20]))}.")
    y = pd.to_numeric(frame[target], errors="coerce")
    findings: list[dict[str, Any]] = []
    bad = np.flatnonzero(y.isna().to_numpy() & frame[target].notna().to_numpy())
    if bad.size:
        raise DataError(f"{bad.size} value(s) of the target '{target}' are not numbers: "
                        f"{rows_text((bad + 1).tolist())}.", column=target,
                        rows=(bad + 1).tolist(), fix="correct or remove those rows.")
    t, calendar = parse_times(frame, time)
    key = (frame[ids].astype(str).agg(ID_SEP.join, axis=1) if ids
           else pd.Series("all", index=frame.index))
    covariates = [c for c in (covariates or []) if c in frame.columns]
    long = pd.DataFrame({"id": key.to_numpy(), "t": t.to_numpy(), "y": y.to_numpy()})
    for c in covariates:
        long[c] = pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=float)
    long = long[long["t"].notna()]
    future = long["y"].isna()
    if future.any():
        findings.append({"kind": "future_rows", "count": int(future.sum()),
                         "message": f"{int(future.sum())} row(s) have no target value; "
                                    "they are left out of training."})
        long = long[~future]
    dup = long.duplicated(["id", "t"], keep=False)
    if dup.any():
        rows = (np.flatnonzero(dup.to_numpy()) + 1).tolist()
        findings.append({"kind": "duplicate_periods", "count": int(dup.sum()),
                         "message": f"{int(dup.sum())} rows repeat a period of their series "
                                    f"({rows_text(rows)}); their values were summed.",
                         "fix": "check for double-counted exports."})
        agg = {"y": "sum", **{c: "last" for c in covariates}}
        long = long.groupby(["id", "t"], as_index=False, sort=False).agg(agg)
    if calendar:
        freq = infer_freq(long["t"])
        index = pd.date_range(long["t"].min(), long["t"].max(), freq=freq)
        if len(index) == 0 or not long["t"].isin(index).mean() > 0.9:
            findings.append({"kind": "changed_frequency", "message":
                             f"most dates do not fall on one {freq} grid (mixed frequencies); "
                             "they were moved to the nearest period."})
        pos = index.get_indexer(pd.DatetimeIndex(long["t"]), method="nearest")
    else:
        freq = "int"
        lo, hi = int(long["t"].min()), int(long["t"].max())
        index = pd.Index(np.arange(lo, hi + 1))
        pos = (long["t"].astype(int) - lo).to_numpy()
    series_ids = sorted(long["id"].unique(), key=_natural)
    row_of = {s: i for i, s in enumerate(series_ids)}
    rows = long["id"].map(row_of).to_numpy()
    values = np.full((len(series_ids), len(index)), np.nan)
    values[rows, pos] = long["y"].to_numpy(dtype=float)
    cell = rows * len(index) + pos
    shared = pd.Series(cell).duplicated(keep=False).to_numpy()
    if shared.any():  # several dates moved onto one period (mixed frequencies): add them up
        sums = pd.Series(long["y"].to_numpy(dtype=float)[shared]).groupby(cell[shared]).sum()
        values.flat[sums.index.to_numpy()] = sums.to_numpy()
        findings.append({"kind": "merged_periods", "count": int(shared.sum()),
                         "message": f"{int(shared.sum())} rows fell on {len(sums)} {freq} "
                                    "period(s) shared with other rows of their series "
                                    "(mixed frequencies); their values were summed per "
                                    "period.",
                         "fix": "give one frequency per table (aggregate daily rows to weeks "
                                "first) if summing is not what the target means."})
    covs = {}
    for c in covariates:
        grid = np.full_like(values, np.nan)
        grid[rows, pos] = long[c].to_numpy(dtype=float)
        covs[c] = grid
    panel = Panel([str(s) for s in series_ids], index, values, freq, covs, findings, ids, time,
                  target)
    _fill_gaps(panel)
    _value_findings(panel)
    return panel


def _natural(s: str):
    return (0, int(s), "") if s.isdigit() else (1, 0, s)


def _fill_gaps(panel: Panel) -> None:
    gaps = 0
    for i in range(len(panel.series_ids)):
        row = panel.values[i]
        ok = np.flatnonzero(~np.isnan(row))
        if ok.size == 0:
            continue
        inner = np.isnan(row[ok[0]: ok[-1] + 1])
        if not inner.any():
            continue
        gaps += int(inner.sum())
        seg = pd.Series(row[ok[0]: ok[-1] + 1])
        if (seg == 0).mean() > 0.3:
            seg = seg.fillna(0.0)
        else:
            seg = seg.interpolate()
        row[ok[0]: ok[-1] + 1] = seg.to_numpy()
        for grid in panel.covariates.values():
            grid[i, ok[0]: ok[-1] + 1] = pd.Series(grid[i, ok[0]: ok[-1] + 1]).ffill().bfill()
    if gaps:
        panel.findings.append({"kind": "gaps", "count": gaps,
                               "message": f"{gaps} missing period(s) inside series were "
                                          f"filled: {FILL_RULE}."})


def _value_findings(panel: Panel) -> None:
    obs = panel.values[~np.isnan(panel.values)]
    if obs.size and (obs < 0).any():
        panel.findings.append({"kind": "negative_values", "count": int((obs < 0).sum()),
                               "message": f"{int((obs < 0).sum())} negative target value(s) "
                                          "(returns or corrections?); forecasts may go "
                                          "below zero.",
                               "fix": "net returns out or clip them if demand cannot be "
                                      "negative."})
    zero_share = [float((panel.series(i) == 0).mean()) for i in range(len(panel.series_ids))]
    intermittent = sum(z > 0.3 for z in zero_share)
    if intermittent:
        panel.findings.append({"kind": "intermittent", "count": intermittent,
                               "message": f"{intermittent} series are zero in more than 30% "
                                          "of periods (intermittent demand): Croston/TSB "
                                          "models are tried for them."})


def check_horizon(panel: Panel, horizon: int) -> list[str]:
    """Series too short to fit models for ``horizon`` (they get seasonal naive/naive)."""
    if horizon < 1:
        raise UsageError(f"--horizon must be at least 1, not {horizon}.",
                         fix="pass the number of periods to forecast, e.g. --horizon 12.")
    short = [sid for i, sid in enumerate(panel.series_ids)
             if len(panel.series(i)) < max(3, 2 * horizon)]
    if len(short) == len(panel.series_ids) and all(
            len(panel.series(i)) < 3 for i in range(len(panel.series_ids))):
        raise DataError(f"every series has fewer than 3 periods; nothing can be forecast "
                        f"{horizon} periods ahead.", fix="add history.")
    if short:
        panel.findings.append({"kind": "short_series", "count": len(short),
                               "series": short[:10],
                               "message": f"{len(short)} series have fewer than "
                                          f"{max(3, 2 * horizon)} periods (twice the horizon): "
                                          "they are forecast by naive models, reported per "
                                          "series."})
    return short
