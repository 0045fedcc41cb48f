"""Reading time-ordered tables into regular panels, and what is reported on the way."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bizforge.errors import DataError, UsageError
from bizforge.families.forecast.panel import (
    as_long,
    build_panel,
    check_horizon,
    read_layout,
    season_length,
)


def test_a_long_weekly_table_becomes_one_series_per_store(sales):
    panel = build_panel(sales, target="sales", time="week", ids=["store"])
    assert panel.freq == "W-SUN" and season_length(panel.freq) == 52
    assert panel.series_ids == ["1", "2", "3"] and panel.values.shape == (3, 60)


def test_time_and_id_columns_are_detected_when_not_named(sales):
    panel = build_panel(sales, target="sales", time=None, ids=None)
    assert panel.time_column == "week" and panel.id_columns == ["store"]


def test_a_missing_week_is_filled_by_interpolation_and_reported(sales):
    gap = sales.drop(index=sales.index[(sales.store == 1)][10])
    panel = build_panel(gap, target="sales", time="week", ids=["store"])
    row = panel.values[0]
    assert not np.isnan(row).any()
    assert row[10] == pytest.approx((row[9] + row[11]) / 2)
    assert [f["kind"] for f in panel.findings] == ["gaps"]


def test_duplicate_periods_are_summed_and_reported(sales):
    doubled = pd.concat([sales, sales.iloc[[0]]], ignore_index=True)
    panel = build_panel(doubled, target="sales", time="week", ids=["store"])
    assert panel.values[0, 0] == pytest.approx(2 * sales.sales.iloc[0])
    assert any(f["kind"] == "duplicate_periods" for f in panel.findings)


def test_future_rows_without_a_target_are_left_out_and_reported(sales):
    future = sales.copy()
    future.loc[future.index[-2:], "sales"] = np.nan
    panel = build_panel(future, target="sales", time="week", ids=["store"])
    assert any(f["kind"] == "future_rows" and f["count"] == 2 for f in panel.findings)


def test_unparseable_dates_name_their_rows(sales):
    bad = sales.copy()
    bad.loc[4, "week"] = "2022-13-45"
    with pytest.raises(DataError, match="row 5") as err:
        build_panel(bad, target="sales", time="week", ids=["store"])
    assert err.value.column == "week"


def test_an_integer_period_index_needs_no_calendar():
    frame = pd.DataFrame({"t": range(1, 21), "y": np.arange(20.0)})
    panel = build_panel(frame, target="y", time="t", ids=[])
    assert panel.freq == "int" and panel.future_index(2).tolist() == [21, 22]


def test_a_wide_table_has_one_series_per_column():
    frame = pd.DataFrame({"month": pd.date_range("2020-01-01", periods=24, freq="MS")
                          .strftime("%Y-%m-%d"), "north": np.arange(24.0),
                          "south": np.arange(24.0) * 2})
    panel = build_panel(frame, target=None, time="month", ids=[])
    assert panel.series_ids == ["north", "south"] and panel.freq == "MS"


def test_no_date_column_is_a_clear_error():
    with pytest.raises(DataError, match="--time-column"):
        build_panel(pd.DataFrame({"a": ["x", "y", "z"], "y": [1, 2, 3]}), target="y",
                    time=None, ids=None)


def test_series_shorter_than_twice_the_horizon_are_reported(sales):
    short = pd.concat([sales, pd.DataFrame({"store": [9] * 3, "week": sales.week[:3],
                                            "sales": [1.0, 2, 3], "promo": 0})])
    panel = build_panel(short, target="sales", time="week", ids=["store"])
    assert check_horizon(panel, 4) == ["9"]


def test_a_horizon_below_one_is_a_usage_error(sales):
    panel = build_panel(sales, target="sales", time="week", ids=["store"])
    with pytest.raises(UsageError):
        check_horizon(panel, 0)


def _rows(n_values: list[int]) -> pd.DataFrame:
    """One row per series, as competitions ship them: ``V1`` the id, ``V2...`` the values,
    shorter rows ending in empty cells."""
    width = max(n_values)
    data = {"V1": [f"S{i}" for i in range(len(n_values))]}
    for j in range(width):
        data[f"V{j + 2}"] = [float(10 * i + j) if j < n else np.nan
                             for i, n in enumerate(n_values)]
    return pd.DataFrame(data)


def test_one_row_per_series_is_read_with_every_series_ending_at_period_0():
    frame, target, time, ids, findings = read_layout(_rows([6, 4, 5]), None, None, None)
    panel = build_panel(frame, target=target, time=time, ids=ids)
    assert panel.series_ids == ["S0", "S1", "S2"] and panel.freq == "int"
    assert list(panel.index) == [-5, -4, -3, -2, -1, 0]
    assert panel.series(1).tolist() == [10.0, 11.0, 12.0, 13.0]  # its own last value at 0
    assert panel.values[1, -1] == 13.0 and np.isnan(panel.values[1, :2]).all()
    assert [f["kind"] for f in findings] == ["series_rows"]


def test_a_test_file_in_the_same_layout_starts_at_period_1():
    future = _rows([3, 3]).drop(columns=["V4"])
    long, _, time, ids, _ = as_long(future, ["V1"], future=True)
    assert sorted(set(long[time])) == [1, 2] and ids == ["V1"]


def test_attribute_columns_before_the_periods_are_left_out_and_named():
    frame = _rows([6, 5]).rename(columns={"V1": "Series"})
    frame.insert(1, "Category", ["MICRO", "FINANCE"])
    frame.insert(1, "N", [6, 5])
    frame.columns = ["Series", "N", "Category", *map(str, range(1, 7))]
    long, _, time, ids, finding = as_long(frame, None)
    assert ids == ["Series"] and len(long) == 11 and long[time].max() == 0
    assert "not used: N, Category" in finding["message"]


def test_columns_named_by_dates_keep_their_calendar():
    frame = pd.DataFrame({"shop": ["a", "b"], **{f"2024-{m:02d}-01": [1.0 * m, 2.0 * m]
                                                 for m in range(1, 9)}})
    long, target, time, ids, _ = as_long(frame, None)
    panel = build_panel(long, target=target, time=time, ids=ids)
    assert panel.freq == "MS" and panel.series_ids == ["a", "b"]


@pytest.mark.parametrize("frame", [
    pd.DataFrame({"customer": ["a", "b", "c"], "age": [30, 40, 50], "income": [1.0, 2, 3],
                  "balance": [5.0, 6, 7], "tenure": [1, 2, 3]}),       # columns are no periods
    pd.DataFrame({"store": [1, 1, 2], **{f"w{j}": [1.0, 2, 3] for j in range(1, 7)}}),  # ids repeat
    pd.DataFrame({"id": ["a", "b"], "V2": [1.0, 2], "V3": ["x", "y"], "V4": [1.0, 2],
                  "V5": [3.0, 4]}),                                    # a text value column
    _rows([3, 3]).drop(columns=["V3"]),                                # numbering skips one
])
def test_other_tables_are_not_taken_for_one_row_per_series(frame):
    assert as_long(frame, None) is None
    assert read_layout(frame, None, None, None)[4] == []


def test_a_table_with_a_time_column_is_left_long(sales):
    assert read_layout(sales, None, None, None)[0] is sales
