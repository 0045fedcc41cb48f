"""Bad input to forecast and rul: a clear message or a documented fallback, never a traceback."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bizforge.errors import BizforgeError, DataError
from bizforge.families import DataSource
from bizforge.families.forecast.family import ForecastFamily

FAST = ["naive", "seasonal_naive", "theta"]


@pytest.fixture
def family(monkeypatch):
    monkeypatch.setattr("bizforge.families.forecast.engine.ORDER", FAST)
    return ForecastFamily()


def _train(family, frame, *, target="sales", task="forecast", **options):
    opts = family.Options(**options)
    return family.train(DataSource(frame), target=target, task=task, options=opts, test=None,
                        time_limit=30)


def test_no_date_column_names_the_option(family):
    frame = pd.DataFrame({"store": [1, 1, 1, 1], "sales": [1.0, 2, 3, 4]})
    with pytest.raises(DataError, match="--time-column"):
        _train(family, frame, horizon=2)


def test_unparseable_dates_name_their_rows(family, sales):
    sales = sales.copy()
    sales.loc[[3, 7], "week"] = ["2022-13-45", "soon"]
    with pytest.raises(DataError, match=r"rows? .*4.*8") as err:
        _train(family, sales, time_column="week", id_column=["store"], horizon=4)
    assert err.value.column == "week"


def test_a_horizon_longer_than_the_history_says_what_to_pass(family, sales):
    short = sales.groupby("store").head(10)
    with pytest.raises(DataError, match="--horizon") as err:
        _train(family, short, time_column="week", id_column=["store"], horizon=20)
    assert "10 periods" in str(err.value)


def test_one_series_of_three_points_is_refused_with_the_fix(family):
    frame = pd.DataFrame({"week": ["2024-01-07", "2024-01-14", "2024-01-21"],
                          "sales": [5.0, 6, 7]})
    with pytest.raises(DataError) as err:
        _train(family, frame, time_column="week", horizon=2)
    assert "Fix" in str(err.value) or err.value.fix


def test_one_short_series_beside_long_ones_gets_a_naive_forecast(family, sales):
    extra = pd.DataFrame({"store": 9, "week": sales["week"].unique()[-3:],
                          "sales": [50.0, 51, 52], "promo": 0})
    run = _train(family, pd.concat([sales, extra]), time_column="week", id_column=["store"],
                 horizon=4)
    out = run.predictor.predict(["9"])
    assert len(out) == 4 and np.isfinite(out["forecast"]).all()
    assert any("short" in n or "fewer than" in n for n in run.notes)


def test_mixed_frequencies_are_reported_not_crashed(family):
    weekly = pd.date_range("2023-01-01", periods=40, freq="W-SUN")
    daily = pd.date_range(weekly[-1] + pd.Timedelta(days=1), periods=20, freq="D")
    dates = weekly.append(daily)
    frame = pd.DataFrame({"day": dates.strftime("%Y-%m-%d"),
                          "sales": np.arange(len(dates), dtype=float) + 10})
    try:
        run = _train(family, frame, time_column="day", horizon=4)
    except BizforgeError as err:  # a clear refusal is as good as a documented fallback
        assert "frequen" in str(err).lower()
    else:
        assert any("frequen" in n for n in run.notes)


def test_rul_units_that_never_fail_are_refused():
    rng = np.random.default_rng(0)
    rows = [{"unit": u, "cycle": c, "temp": 500 + rng.normal(), "vib": 1 + rng.normal()}
            for u in range(1, 9) for c in range(1, 81)]
    with pytest.raises(DataError, match="never fail|run to failure") as err:
        _train(ForecastFamily(), pd.DataFrame(rows), target=None, task="rul",
               id_column=["unit"], time_column="cycle")
    assert err.value.column == "unit"


def test_an_unknown_series_is_named(family, sales):
    run = _train(family, sales, time_column="week", id_column=["store"], horizon=4)
    with pytest.raises(DataError, match="'?42'?") as err:
        run.predictor.predict(["42"])
    assert "retrain" in str(err.value.fix)


def test_dates_sharing_one_period_after_a_frequency_change_are_summed():
    from bizforge.families.forecast.panel import build_panel

    weekly = pd.date_range("2023-01-01", periods=30, freq="W-SUN")
    extra = pd.DatetimeIndex([weekly[-1] + pd.Timedelta(days=1)])
    frame = pd.DataFrame({"day": weekly.append(extra).strftime("%Y-%m-%d"),
                          "sales": [1.0] * 30 + [5.0]})
    panel = build_panel(frame, target="sales", time="day", ids=None)
    assert np.nansum(panel.values) == pytest.approx(35.0)  # nothing overwritten
    assert any(f["kind"] == "merged_periods" for f in panel.findings)


def test_series_of_different_lengths_on_integer_periods_all_get_forecasts(family):
    # Short yearly-like histories that end together and start apart (as in M3): a backtest
    # cut before a series starts scores none of its periods instead of failing.
    rng = np.random.default_rng(0)
    parts = []
    for sid, length in (("a", 40), ("b", 30), ("c", 12)):
        parts.append(pd.DataFrame({"series": sid, "period": np.arange(1 - length, 1),
                                   "value": 100 + np.arange(length) * 2.0
                                   + rng.normal(0, 1, length)}))
    run = _train(family, pd.concat(parts), target="value", time_column="period",
                 id_column=["series"], horizon=6)
    out = run.predictor.predict(["a", "b", "c"])
    assert len(out) == 18 and np.isfinite(out["forecast"]).all()
