"""The issue's command lines for forecasting and remaining useful life, end to end through the
CLI: ``bizforge train --task forecast|rul ... --json`` and ``bizforge predict ... -o``, and the
bad inputs answered with an exit code and a message, never a traceback."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from bizforge.cli import app
from bizforge.errors import ExitCode
from bizforge.families.forecast.samples import units_to_failure, weekly_sales

runner = CliRunner()
H = 4
FORECAST = ["--task", "forecast", "--target", "sales", "--time-column", "week",
            "--id-column", "store", "--horizon", str(H), "--time-limit", "20"]
RUL = ["--task", "rul", "--id-column", "unit", "--time-column", "cycle", "--time-limit", "20"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fc")
    sales = weekly_sales()
    last = sales.groupby("store").tail(H)
    sales.drop(last.index).to_csv(folder / "train.csv", index=False)
    last.to_csv(folder / "test.csv", index=False)
    units_to_failure().to_csv(folder / "units.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def forecaster(files):
    result = runner.invoke(app, ["train", str(files / "train.csv"), *FORECAST,
                                 "--test", str(files / "test.csv"), "--out",
                                 str(files / "fc"), "--json", str(files / "fc.json")])
    assert result.exit_code == 0, result.output
    return files / "fc"


def test_train_forecast_writes_the_metrics_the_checks_read(files, forecaster):
    test = json.loads((files / "fc.json").read_text(encoding="utf-8"))["test"]
    assert {"wape", "mase", "smape", "coverage_80"} <= set(test)
    assert 0 <= test["wape"] < 0.2 and 0 <= test["coverage_80"] <= 1


def test_predict_writes_a_forecast_file_per_series_and_period(files, forecaster):
    out = files / "forecast.csv"
    result = runner.invoke(app, ["predict", str(forecaster), str(files / "train.csv"),
                                 "-o", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert len(table) == 3 * H
    assert {"forecast", "lo_80", "hi_80"} <= set(table.columns)
    assert (table["lo_80"] <= table["forecast"]).all()
    assert (table["forecast"] <= table["hi_80"]).all()


def test_predict_reads_a_long_history_whole_so_no_series_is_forecast_twice(files, forecaster):
    # Chunks of 7 rows cut every series' history: each must still get one forecast, from
    # all of its rows (a chunked read answered a series cut by a chunk's edge twice).
    out = files / "chunked.csv"
    result = runner.invoke(app, ["predict", str(forecaster), str(files / "train.csv"),
                                 "-o", str(out), "--chunk-rows", "7"])
    assert result.exit_code == 0, result.output
    chunked = pd.read_csv(out)
    whole = pd.read_csv(files / "forecast.csv") if (files / "forecast.csv").exists() else None
    assert len(chunked) == 3 * H
    assert chunked.groupby("series").size().eq(H).all()
    if whole is not None:
        assert np.allclose(chunked["forecast"], whole["forecast"])


def test_one_row_per_series_files_train_test_and_predict_as_competitions_ship_them(tmp_path):
    rng = np.random.default_rng(0)
    lengths, h = [40, 33, 36], 4
    rows = [np.r_[10 + 3 * np.sin(np.arange(n + h) * np.pi / 2) + rng.normal(0, 0.1, n + h)]
            for n in lengths]
    train = pd.DataFrame([[f"S{i}", *np.r_[r[:-h], [np.nan] * (max(lengths) - len(r) + h)]]
                          for i, r in enumerate(rows)],
                         columns=["V1", *[f"V{j + 2}" for j in range(max(lengths))]])
    test = pd.DataFrame([[f"S{i}", *r[-h:]] for i, r in enumerate(rows)],
                        columns=["V1", *[f"V{j + 2}" for j in range(h)]])
    train.to_csv(tmp_path / "train.csv", index=False)
    test.to_csv(tmp_path / "test.csv", index=False)
    result = runner.invoke(app, ["train", str(tmp_path / "train.csv"), "--task", "forecast",
                                 "--horizon", str(h), "--season-length", "4", "--test",
                                 str(tmp_path / "test.csv"), "--time-limit", "4", "--out",
                                 str(tmp_path / "m"), "--json", str(tmp_path / "m.json")])
    assert result.exit_code == 0, result.output
    assert "one row per series" in result.output
    metrics = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))["test"]
    assert metrics["n"] == 3 * h and metrics["smape"] < 10  # the test's own next 4 periods
    out = tmp_path / "f.csv"
    result = runner.invoke(app, ["predict", str(tmp_path / "m"), str(tmp_path / "train.csv"),
                                 "-o", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert table["series"].tolist() == [f"S{i}" for i in range(3) for _ in range(h)]
    assert table["period"].tolist() == [1, 2, 3, 4] * 3


def test_train_rul_derives_the_target_and_predict_writes_one_row_per_unit(files):
    result = runner.invoke(app, ["train", str(files / "units.csv"), *RUL, "--out",
                                 str(files / "rul"), "--json", str(files / "rul.json")])
    assert result.exit_code == 0, result.output
    metrics = json.loads((files / "rul.json").read_text(encoding="utf-8"))
    assert "rmse" in json.dumps(metrics)
    histories = units_to_failure(n=4, seed=7)
    histories = histories.groupby("unit").head(40)  # still running
    histories.to_csv(files / "running.csv", index=False)
    result = runner.invoke(app, ["predict", str(files / "rul"), str(files / "running.csv"),
                                 "-o", str(files / "rul.csv"), "--chunk-rows", "15"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(files / "rul.csv")
    assert sorted(table["unit"]) == [1, 2, 3, 4]  # 40 cycles a unit: read whole, not by 15
    assert {"predicted_rul", "lo_80", "hi_80"} <= set(table.columns)


def _bad(tmp_path, frame: pd.DataFrame, *args: str):
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    result = runner.invoke(app, ["train", str(path), *args, "--out", str(tmp_path / "m")])
    assert "Traceback" not in result.output
    return result


def test_no_date_column_exits_with_a_data_error_naming_the_option(tmp_path):
    frame = pd.DataFrame({"store": [1] * 8, "sales": [1.0, 2, 3, 4, 5, 6, 7, 8]})
    result = _bad(tmp_path, frame, "--task", "forecast", "--target", "sales", "--horizon", "2")
    assert result.exit_code == ExitCode.DATA
    assert "--time-column" in result.output


def test_unparseable_dates_exit_naming_the_rows(tmp_path):
    frame = weekly_sales(stores=1)
    frame.loc[[3], "week"] = ["soon"]
    result = _bad(tmp_path, frame, *FORECAST)
    assert result.exit_code == ExitCode.DATA
    assert "week" in result.output and "4" in result.output


def test_a_horizon_longer_than_the_history_exits_saying_what_to_pass(tmp_path):
    frame = weekly_sales(stores=2, weeks=10)
    args = [a if a != str(H) else "20" for a in FORECAST]
    result = _bad(tmp_path, frame, *args)
    assert result.exit_code == ExitCode.DATA
    assert "--horizon" in result.output


def test_units_that_never_fail_exit_with_a_data_error(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame([{"unit": u, "cycle": c, "temp": 500 + rng.normal(),
                           "vib": 1 + rng.normal()} for u in range(1, 9) for c in range(1, 81)])
    result = _bad(tmp_path, frame, *RUL)
    assert result.exit_code == ExitCode.DATA
    assert "fail" in result.output
