"""The forecast family end to end at the contract level: train, save, load, predict, serve."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bizforge.errors import DataError, UsageError
from bizforge.families import DataSource, family_for_task, list_tasks
from bizforge.families.forecast.family import ForecastFamily

FAST = ["naive", "seasonal_naive", "theta", "global_gbm"]


@pytest.fixture
def family(monkeypatch):
    # The cheapest candidates keep the test quick; selection itself is what is tested.
    monkeypatch.setattr("bizforge.families.forecast.engine.ORDER", FAST)
    return ForecastFamily()


def _train(family, frame, test=None, **options):
    opts = family.Options(**{"time_column": "week", "id_column": ["store"], "horizon": 4,
                             **options})
    return family.train(DataSource(frame), target="sales", task="forecast", options=opts,
                        test=None if test is None else DataSource(test), time_limit=60)


def test_forecast_and_rul_are_tasks_of_one_family():
    assert {"forecast", "rul"} <= set(list_tasks())
    assert family_for_task("rul") is ForecastFamily


def test_training_reports_held_out_wape_mase_smape_and_coverage(family, sales):
    run = _train(family, sales)
    test = run.metrics["test"]
    assert {"wape", "mase", "smape", "coverage_80", "coverage_95"} <= set(test)
    assert test["wape"] < 0.1  # 3 smooth seasonal series with a known promotion
    assert run.metrics["leaderboard"][0]["name"] == "ensemble"
    assert abs(sum(run.metrics["weights"].values()) - 1) < 1e-9


def test_the_promotion_flag_is_used_as_a_known_covariate(family, sales):
    run = _train(family, sales)
    assert any("promo" in n for n in run.notes)


def test_a_test_file_holds_the_next_periods(family, sales):
    cut = sales.groupby("store").head(56)
    later = sales.groupby("store").tail(4)
    run = _train(family, cut, test=later)
    assert run.metrics["test"]["n"] == 12 and run.metrics["test_source"] == "test file"


def test_a_test_file_from_other_periods_is_refused(family, sales):
    cut = sales.groupby("store").head(40)
    with pytest.raises(DataError, match="periods after the training data"):
        _train(family, cut, test=sales.groupby("store").tail(4))


def test_saved_forecaster_loads_and_forecasts_every_series(family, sales, tmp_path):
    run = _train(family, sales)
    run.predictor.save(tmp_path)
    loaded = ForecastFamily.load(tmp_path)
    table = loaded.predict(["1", "3"])
    assert table.columns.tolist() == ["series", "period", "forecast", "lo_80", "hi_80",
                                      "lo_95", "hi_95"]
    assert len(table) == 8 and (table.lo_95 <= table.lo_80).all()
    assert (table.lo_80 <= table.forecast).all() and (table.forecast <= table.hi_80).all()
    pd.testing.assert_frame_equal(table, run.predictor.predict(["1", "3"]))


def test_the_forecast_action_answers_with_points_per_series(family, sales):
    predictor = _train(family, sales).predictor
    action = {a.name: a for a in predictor.actions()}["forecast"]
    answer = action.response(**action.handle(action.request(series=["2"], horizon=2)))
    assert answer.series[0].series == "2" and len(answer.series[0].points) == 2


def test_future_covariates_change_the_global_models_part(family, sales):
    predictor = _train(family, sales, covariate=["promo"]).predictor
    if "global_gbm" not in predictor.weights:
        pytest.skip("the global model did not earn a weight on this data")
    periods = predictor.panel.future_index(4)
    future = pd.DataFrame({"store": 1, "week": [p.strftime("%Y-%m-%d") for p in periods],
                           "promo": 1})
    with_promo = predictor.forecast(["1"], future=future).forecast.sum()
    without = predictor.forecast(["1"], future=future.assign(promo=0)).forecast.sum()
    assert with_promo > without


def test_an_unknown_series_is_named(family, sales):
    predictor = _train(family, sales).predictor
    with pytest.raises(DataError, match="not in the model: 42"):
        predictor.predict(["42"])


def test_a_horizon_beyond_the_trained_one_says_how_to_get_it(family, sales):
    predictor = _train(family, sales).predictor
    with pytest.raises(UsageError, match="--horizon 9"):
        predictor.forecast(["1"], horizon=9)


def test_batch_scoring_forecasts_the_series_of_the_file(family, sales):
    predictor = _train(family, sales).predictor
    out = predictor.score(pd.DataFrame({"store": [2, 3, 3]}))
    assert sorted(out.series.unique()) == ["2", "3"] and len(out) == 8


def test_the_report_has_the_plots_and_the_hardest_series(family, sales, tmp_path):
    run = _train(family, sales)
    html = run.report.save(tmp_path / "r.html").read_text(encoding="utf-8")
    hardest = run.metrics["per_series"][0]["series"]
    assert "Backtest windows" in html and "plotly" in html
    assert f"series {hardest}" in html and "series 3" in html  # the worst and the largest


def test_rul_training_derives_the_capped_target_and_scores_units(histories, tmp_path):
    family = ForecastFamily()
    opts = family.Options(id_column=["unit"], time_column="cycle", rul_cap=40)
    run = family.train(DataSource(histories), target=None, task="rul", options=opts,
                       test=None, time_limit=60)
    assert run.metrics["test"]["rmse"] < 10 and "phm_score" in run.metrics["test"]
    assert "const" not in run.metrics["sensors"]
    run.predictor.save(tmp_path)
    loaded = ForecastFamily.load(tmp_path)
    unit = histories[histories.unit == 1]
    half = unit[unit.cycle <= len(unit) - 10]
    out = loaded.predict(half)
    assert out.columns.tolist() == ["unit", "cycle", "predicted_rul", "lo_80", "hi_80"]
    assert abs(out.predicted_rul.iloc[0] - 10) < 8


def test_rul_without_unit_and_cycle_columns_says_which_options(histories):
    family = ForecastFamily()
    with pytest.raises(UsageError, match="--id-column UNIT --time-column CYCLE"):
        family.train(DataSource(histories), target=None, task="rul",
                     options=family.Options(), test=None, time_limit=10)


def test_rul_with_too_few_units_is_a_data_error(histories):
    family = ForecastFamily()
    opts = family.Options(id_column=["unit"], time_column="cycle")
    with pytest.raises(DataError, match="at least 5 units"):
        family.train(DataSource(histories[histories.unit <= 2]), target=None, task="rul",
                     options=opts, test=None, time_limit=10)


def test_rul_predictions_need_the_sensor_columns(histories, tmp_path):
    family = ForecastFamily()
    opts = family.Options(id_column=["unit"], time_column="cycle")
    run = family.train(DataSource(histories), target=None, task="rul", options=opts,
                       test=None, time_limit=30)
    with pytest.raises(DataError, match="vib"):
        run.predictor.predict(histories.drop(columns=["vib"]))


def test_phm_score_punishes_late_predictions_more():
    from bizforge.families.forecast.rul import phm_score

    assert phm_score([20.0], [10.0]) > phm_score([0.0], [10.0]) > 0
    assert np.isclose(phm_score([5.0], [5.0]), 0.0)


def test_integer_periods_take_their_season_length_from_the_option(family):
    t = np.arange(1, 73)
    frame = pd.DataFrame({"store": 1, "week": t, "sales": 100 + 10 * np.sin(2 * np.pi * t / 12)})
    opts = family.Options(time_column="week", id_column=["store"], horizon=6, season_length=12)
    run = family.train(DataSource(frame), target="sales", task="forecast", options=opts,
                       test=None, time_limit=30)
    assert run.metrics["test"]["wape"] < 0.02 and run.predictor.spec["season"] == 12


def test_the_forecast_action_answers_stored_forecasts_from_its_cache(family, sales):
    run = _train(family, sales)
    action = next(a for a in run.predictor.actions() if a.name == "forecast")
    answer = action.handle(action.request(series=["2", "1"], horizon=3))
    table = run.predictor.forecast(["2", "1"], 3)
    got = [p["forecast"] for s in answer["series"] for p in s["points"]]
    assert [s["series"] for s in answer["series"]] == ["2", "1"]
    assert np.allclose(got, table["forecast"])
    with pytest.raises(DataError, match="42"):
        action.handle(action.request(series=["42"]))
