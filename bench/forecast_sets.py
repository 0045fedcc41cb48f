"""Held-out forecasting sets through the CLI, against the competitions' published results.

    python bench/forecast_sets.py                       # every set found under $BIZFORGE_DATASETS
    python bench/forecast_sets.py --only m3-other --only m4-hourly --time-limit 120
    python bench/forecast_sets.py --root /data/sets --sample 300

Each set is written as a long CSV (series, period, value) and trained exactly as a
newcomer would: ``bizforge train train.csv --task forecast --target value
--time-column period --id-column series --horizon H --test test.csv --json m.json``
(plus ``--season-length`` where the competition states the frequency but the file has
no calendar), then ``bizforge predict MODEL train.csv -o forecast.csv``. The score is the
competition's own (sMAPE over every series and horizon; MASE scaled by each series'
in-sample seasonal naive error; MAPE for the tourism set), computed here from the
forecast file, with the published figures beside it.

Files looked for under ``--root`` (default ``$BIZFORGE_DATASETS``; a set whose files are
missing is skipped with a line saying what is missing):

- ``m3/M3C.xls``: the M3 workbook (sheet M3Other: 174 series, 8 held out; needs xlrd).
- ``tourism/{yearly,quarterly,monthly}_{in,oos}.csv``: the tourism competition's files
  (Athanasopoulos et al. 2011; one column per series: length, start year[, start
  period], values).
- ``m4/{Hourly,Weekly,Daily}-{train,test}.csv``: the M4 competition's files
  (Mcompetitions/M4-methods, Dataset/); ``--sample`` series drawn per frequency (seeded).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import datasets_root, write_results

# name: (horizon, season length given to bizforge, season of the MASE scale)
SETS = {
    "m3-other": (8, None, 1),
    "tourism-yearly": (4, None, 1),
    "tourism-quarterly": (8, None, 4),
    "tourism-monthly": (24, None, 12),
    "m4-weekly": (13, 52, 1),
    "m4-daily": (14, 7, 1),
    "m4-hourly": (48, 24, 24),
}
# What the competitions published for the same series (metric named in each entry).
# M3 "other": the submitted forecasts (Mcomp's M3Forecast) scored here on the 174 series:
# ARARMA was best, Theta the overall winner of M3 (Makridakis & Hibon 2000).
# M4: "Evaluation and Ranks.xlsx" of Mcompetitions/M4-methods, over ALL series of the
# frequency (Smyl the winner; Theta and Naive2 the benchmarks), sMAPE / MASE.
# Tourism (Athanasopoulos et al. 2011, tables 4-6): the naive benchmark's MAPE, which the
# Tcomp package reproduces exactly; the paper's other rows are not stored here.
PUBLISHED = {
    "m3-other": ["sMAPE: ARARMA (best) 4.38", "Theta 4.41", "ForecastPro 4.60"],
    "tourism-yearly": ["MAPE: Naive 23.61"],
    "tourism-quarterly": ["MAPE: SNaive 16.46"],
    "tourism-monthly": ["MAPE: SNaive 22.56"],
    "m4-weekly": ["sMAPE / MASE: Smyl (winner) 7.817 / 2.356", "Theta 9.093 / 2.637",
                  "Naive2 9.161 / 2.777"],
    "m4-daily": ["sMAPE / MASE: Smyl (winner) 3.170 / 3.446", "Theta 3.053 / 3.262",
                 "Naive2 3.045 / 3.278"],
    "m4-hourly": ["sMAPE / MASE: Smyl (winner) 9.328 / 0.893", "Theta 18.138 / 2.455",
                  "Naive2 18.383 / 2.395"],
}


def m3_other(root: Path) -> list[tuple[str, np.ndarray, np.ndarray, str | None]] | str:
    path = root / "m3" / "M3C.xls"
    if not path.is_file():
        return f"{path} missing"
    frame = pd.read_excel(path, sheet_name="M3Other", engine="xlrd")
    cols = [c for c in frame.columns if isinstance(c, (int, np.integer))]
    out = []
    for _, row in frame.iterrows():
        n, nf = int(row["N"]), int(row["NF"])
        values = row[cols].to_numpy(dtype=float)[:n]
        out.append((str(row["Series"]).strip(), values[:-nf], values[-nf:], None))
    return out


def tourism(root: Path, kind: str) -> list | str:
    files = [root / "tourism" / f"{kind}_{part}.csv" for part in ("in", "oos")]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        return ", ".join(missing) + " missing"
    head = 2 if kind == "yearly" else 3
    train, test = (pd.read_csv(f, header=0) for f in files)
    step = {"yearly": "YS", "quarterly": "QS", "monthly": "MS"}[kind]
    out = []
    for name in train.columns:
        col = train[name].to_numpy(dtype=float)
        n, year = int(col[0]), int(col[1])
        first = 1 if kind == "yearly" else int(col[2])
        hist = col[head:head + n]
        fut = test[name].to_numpy(dtype=float)
        fut = fut[head:head + int(fut[0])]
        month = 1 if kind == "yearly" else (first if kind == "monthly" else 3 * first - 2)
        start = pd.Timestamp(year=year, month=month, day=1)
        out.append((name, hist, fut, (start, step)))
    return out


def m4(root: Path, freq: str, sample: int, seed: int) -> list | str:
    files = [root / "m4" / f"{freq}-{part}.csv" for part in ("train", "test")]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        return ", ".join(missing) + " missing"
    train, test = (pd.read_csv(f, index_col=0) for f in files)
    names = list(train.index)
    if sample and sample < len(names):
        keep = np.random.default_rng(seed).choice(len(names), size=sample, replace=False)
        names = [names[i] for i in sorted(keep)]
    out = []
    for name in names:
        hist = train.loc[name].to_numpy(dtype=float)
        out.append((str(name), hist[~np.isnan(hist)], test.loc[name].to_numpy(dtype=float),
                    None))
    return out


def load(name: str, root: Path, sample: int, seed: int) -> list | str:
    if name == "m3-other":
        try:
            import xlrd  # noqa: F401
        except ImportError:
            return "reading M3C.xls needs xlrd (pip install 'bizforge[bench]')"
        return m3_other(root)
    if name.startswith("tourism-"):
        return tourism(root, name.split("-")[1])
    return m4(root, name.split("-")[1].capitalize(), sample, seed)


def long_tables(series: list) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(history, test) long tables; an integer period index (history ends at 0) unless the
    set has a calendar, then real dates."""
    train, test = [], []
    for name, hist, fut, calendar in series:
        if calendar is None:
            past, ahead = np.arange(1 - len(hist), 1), np.arange(1, len(fut) + 1)
        else:
            start, step = calendar
            dates = pd.date_range(start, periods=len(hist) + len(fut), freq=step)
            past, ahead = dates[:len(hist)].strftime("%Y-%m-%d"), dates[len(hist):].strftime(
                "%Y-%m-%d")
        train.append(pd.DataFrame({"series": name, "period": past, "value": hist}))
        test.append(pd.DataFrame({"series": name, "period": ahead, "value": fut}))
    return pd.concat(train, ignore_index=True), pd.concat(test, ignore_index=True)


def scores(series: list, pred: np.ndarray, season: int) -> dict:
    """Competition sMAPE, MAPE and MASE (each series' in-sample seasonal naive MAE)."""
    actual = np.vstack([fut for _, _, fut, _ in series])
    smape = 200 * np.abs(actual - pred) / (np.abs(actual) + np.abs(pred))
    mape = 100 * np.abs(actual - pred) / np.abs(actual)
    mase = []
    for (_, hist, fut, _), row in zip(series, pred):
        m = season if len(hist) > season else 1
        scale = np.mean(np.abs(hist[m:] - hist[:-m])) if len(hist) > m else np.nan
        mase.append(np.mean(np.abs(fut - row)) / scale if scale > 0 else np.nan)
    return {"smape": float(np.mean(smape)), "mape": float(np.mean(mape)),
            "mase": float(np.nanmean(mase))}


def seasonal_naive(series: list, horizon: int, season: int) -> np.ndarray:
    rows = []
    for _, hist, _, _ in series:
        m = season if len(hist) >= season else 1
        last = hist[-m:]
        rows.append(np.resize(last, horizon))
    return np.vstack(rows)


def run_set(name: str, series: list, limit: float, work: Path) -> dict:
    horizon, season, mase_season = SETS[name]
    train, test = long_tables(series)
    train.to_csv(work / "train.csv", index=False)
    test.to_csv(work / "test.csv", index=False)
    cli = [sys.executable, "-c", "from bizforge.cli import main; main()"]
    args = ["train", str(work / "train.csv"), "--task", "forecast", "--target", "value",
            "--time-column", "period", "--id-column", "series", "--horizon", str(horizon),
            "--test", str(work / "test.csv"), "--json", str(work / "m.json"),
            "--time-limit", str(limit), "--out", str(work / "model")]
    if season:
        args += ["--season-length", str(season)]
    started = time.perf_counter()
    done = subprocess.run(cli + args, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        return {"set": name, "error": f"train exit {done.returncode}: "
                f"{(done.stderr or done.stdout).strip()[-600:]}"}
    done = subprocess.run(cli + ["predict", str(work / "model"), str(work / "train.csv"),
                                 "-o", str(work / "forecast.csv")], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        return {"set": name, "error": f"predict exit {done.returncode}: "
                f"{(done.stderr or done.stdout).strip()[-600:]}"}
    table = pd.read_csv(work / "forecast.csv", dtype={"series": str})
    names = [s for s, _, _, _ in series]
    table["step"] = table.groupby("series").cumcount()
    pred = table.pivot(index="series", columns="step", values="forecast").loc[names].to_numpy()
    if pred.shape[1] != horizon:
        return {"set": name, "error": f"the forecast file has {pred.shape[1]} periods per "
                f"series, not {horizon}"}
    metrics = json.loads((work / "m.json").read_text(encoding="utf-8"))
    lengths = [len(h) for _, h, _, _ in series]
    return {"set": name, "series": len(series), "horizon": horizon, "seconds": seconds,
            "history": (min(lengths), max(lengths)), "season": season,
            **scores(series, pred, mase_season),
            "snaive": scores(series, seasonal_naive(series, horizon, mase_season or 1),
                             mase_season),
            "coverage_80": metrics.get("test", {}).get("coverage_80"),
            "weights": metrics.get("weights", {})}


def table(rows: list[dict], args) -> list[str]:
    body = [("| set | series | h | history | bizforge sMAPE | MASE | MAPE | seasonal naive "
             "sMAPE / MASE / MAPE | published | cov80 | fit s |"),
            "|---|---:|---:|---|---:|---:|---:|---|---|---:|---:|"]
    for r in rows:
        if "error" in r:
            body.append(f"| {r['set']} | | | | **failed** | | | | {r['error']} | | |")
            continue
        s = r["snaive"]
        pub = "; ".join(PUBLISHED.get(r["set"], [])) or "—"
        cov = f"{100 * r['coverage_80']:.1f}%" if r["coverage_80"] is not None else "—"
        body.append(f"| {r['set']} | {r['series']} | {r['horizon']} | "
                    f"{r['history'][0]}-{r['history'][1]} | **{r['smape']:.2f}** | "
                    f"{r['mase']:.3f} | {r['mape']:.2f} | {s['smape']:.2f} / {s['mase']:.3f} / "
                    f"{s['mape']:.2f} | {pub} | {cov} | {r['seconds']:.0f} |")
    body += ["", (f"Each set trained through the CLI with --time-limit {args.time_limit:g}; "
                  f"M4 sets: {args.sample or 'all'} series per frequency (seed {args.seed}), "
                  "the published M4 figures are over all series of the frequency.")]
    return body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, help="folder of the sets (default "
                        "$BIZFORGE_DATASETS)")
    parser.add_argument("--only", choices=sorted(SETS), action="append")
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--sample", type=int, default=300, help="M4 series per frequency")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="keep each set's files and model here")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    root = args.root or datasets_root()
    if root is None or not root.is_dir():
        print(f"sets folder not found ({root}); pass --root or set BIZFORGE_DATASETS. "
              "Nothing to do.")
        return
    rows = []
    for name in args.only or list(SETS):
        series = load(name, root, args.sample, args.seed)
        if isinstance(series, str):
            print(f"{name}: skipped ({series})", flush=True)
            continue
        if args.keep:
            shutil.rmtree(args.keep / name, ignore_errors=True)
            (args.keep / name).mkdir(parents=True)
            row = run_set(name, series, args.time_limit, args.keep / name)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                row = run_set(name, series, args.time_limit, Path(tmp))
        rows.append(row)
        print(json.dumps(row, default=str), flush=True)
    if not rows:
        print("no set found; nothing to do.")
        return
    body = table(rows, args)
    print("\n".join(body))
    if not args.no_record:
        command = "python bench/forecast_sets.py " + " ".join(sys.argv[1:])
        write_results(f"## forecast, held-out sets — {time.strftime('%Y-%m-%d')}",
                      command.strip(), body)


if __name__ == "__main__":
    main()
