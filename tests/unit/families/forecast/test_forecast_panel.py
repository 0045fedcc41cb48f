"""Reading time-ordered tables into regular panels, and what is reported on the way."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bizforge.errors import DataError, UsageError
from bizforge.families.forecast.panel import build_panel, check_horizon, season_length


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
