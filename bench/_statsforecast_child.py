"""Run in .venv-statsforecast: statsforecast's anchors on one cut of a long table.

    python _statsforecast_child.py TRAIN.csv HORIZON SEASON OUT.json

TRAIN.csv has columns unique_id, ds, y. Writes {model: {series: [forecasts]}, "seconds": {...}}.
"""

import json
import sys
import time

import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import AutoETS, AutoTheta, SeasonalNaive


def main() -> None:
    train, horizon, season, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    frame = pd.read_csv(train, parse_dates=["ds"])
    result, seconds = {}, {}
    for name, model in (("AutoTheta", AutoTheta(season_length=season)),
                        ("AutoETS", AutoETS(season_length=season)),
                        ("SeasonalNaive", SeasonalNaive(season_length=season))):
        started = time.perf_counter()
        fc = StatsForecast(models=[model], freq=pd.infer_freq(sorted(frame.ds.unique())),
                           n_jobs=1).forecast(df=frame, h=horizon)
        seconds[name] = time.perf_counter() - started
        col = [c for c in fc.columns if c not in ("unique_id", "ds")][0]
        result[name] = {str(k): g[col].tolist() for k, g in fc.groupby("unique_id")}
    json.dump({"forecasts": result, "seconds": seconds}, open(out, "w"))


if __name__ == "__main__":
    main()
