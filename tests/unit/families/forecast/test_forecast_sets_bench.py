"""bench/forecast_sets.py reads the competitions' own file layouts and scores as they do."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "bench"))
import forecast_sets


def test_tourism_files_give_each_series_its_history_test_and_calendar(tmp_path):
    folder = tmp_path / "tourism"
    folder.mkdir()
    # one column per series: length, start year, start month, then the values
    pd.DataFrame({"m1": [3, 2001, 11, 5.0, 6.0, 7.0], "m2": [2, 1999, 1, 1.0, 2.0, None]}
                 ).to_csv(folder / "monthly_in.csv", index=False)
    pd.DataFrame({"m1": [2, 2002, 2, 8.0, 9.0], "m2": [2, 1999, 3, 3.0, 4.0]}
                 ).to_csv(folder / "monthly_oos.csv", index=False)
    series = forecast_sets.tourism(tmp_path, "monthly")
    name, hist, fut, (start, step) = series[0]
    assert name == "m1" and hist.tolist() == [5, 6, 7] and fut.tolist() == [8, 9]
    assert start == pd.Timestamp("2001-11-01") and step == "MS"
    train, test = forecast_sets.long_tables(series)
    assert test[test.series == "m1"].period.tolist() == ["2002-02-01", "2002-03-01"]
    assert train[train.series == "m2"].value.tolist() == [1, 2]


def test_m4_files_are_sampled_with_the_seed_and_lose_their_padding(tmp_path):
    folder = tmp_path / "m4"
    folder.mkdir()
    rows = {f"W{i}": [1.0, 2.0, 3.0, np.nan] if i % 2 else [1.0, 2.0, 3.0, 4.0]
            for i in range(1, 7)}
    pd.DataFrame.from_dict(rows, orient="index").to_csv(folder / "Weekly-train.csv")
    pd.DataFrame.from_dict({k: [9.0] for k in rows}, orient="index").to_csv(
        folder / "Weekly-test.csv")
    some = forecast_sets.m4(tmp_path, "Weekly", sample=3, seed=0)
    names = [s[0] for s in some]
    assert len(names) == 3 and names == sorted(names, key=list(rows).index)
    assert names == [s[0] for s in forecast_sets.m4(tmp_path, "Weekly", sample=3, seed=0)]
    assert all(not np.isnan(h).any() for _, h, _, _ in some)
    assert "missing" in forecast_sets.m4(tmp_path, "Hourly", sample=3, seed=0)


def test_scores_are_the_competitions_smape_mape_and_seasonal_mase():
    series = [("a", np.array([1.0, 2, 3, 4]), np.array([5.0, 6]), None)]
    out = forecast_sets.scores(series, np.array([[5.0, 4.0]]), season=1)
    assert np.isclose(out["smape"], 100 * (0 + 2 * 2 / 10) / 2)
    assert np.isclose(out["mape"], 100 * (0 + 2 / 6) / 2)
    assert np.isclose(out["mase"], 1.0)  # mean |error| 1 over the naive in-sample error 1
    snaive = forecast_sets.seasonal_naive(series, 3, season=2)
    assert snaive.tolist() == [[3.0, 4.0, 3.0]]
