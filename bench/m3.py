"""M3 competition benchmark: bizforge's forecast family against the published winners.

    python bench/m3.py                              # $BIZFORGE_DATASETS/m3/M3C.xls
    python bench/m3.py --path /data/M3C.xls --only yearly --time-limit 300
    python bench/m3.py --sample 200                 # 200 seeded series per category

M3C.xls is the competition's own workbook (3003 series, forecasters.org; reading
it needs ``xlrd``, in the ``bench`` extra). Each sheet row is one series: its
length N, the number of forecasts NF (yearly 6, quarterly 8, monthly 18) and N
values; the last NF are held out, as in the competition. The series have no
calendar here: every series is given to ``bizforge.train(task="forecast")`` as
an integer period index (right-aligned, so each series' history ends at period
0 and its test periods are 1..NF) with the sheet's season length (1, 4, 12).
sMAPE is the competition's (mean over series and horizons of 200|a-f|/(|a|+|f|)),
computed here; the published figure of Theta, the competition's overall winner
(Makridakis & Hibon 2000), is printed beside it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import datasets_root, write_results

SHEETS = {"yearly": ("M3Year", 1), "quarterly": ("M3Quart", 4), "monthly": ("M3Month", 12)}
# sMAPE averaged over all forecast horizons (Makridakis & Hibon 2000).
PUBLISHED_THETA = {"yearly": 16.90, "quarterly": 8.96, "monthly": 13.85}


def read_sheet(path: Path, sheet: str) -> list[tuple[str, np.ndarray, int]]:
    """(series name, values, forecasts required) for every row of one M3C.xls sheet."""
    frame = pd.read_excel(path, sheet_name=sheet, engine="xlrd")
    value_cols = [c for c in frame.columns if isinstance(c, (int, np.integer))]
    out = []
    for _, row in frame.iterrows():
        n, nf = int(row["N"]), int(row["NF"])
        values = row[value_cols].to_numpy(dtype=float)[:n]
        out.append((str(row["Series"]).strip(), values, nf))
    return out


def long_tables(series: list[tuple[str, np.ndarray, int]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(history, test) long tables: series, period (history ends at 0), value."""
    train, test = [], []
    for name, values, nf in series:
        hist = values[:-nf]
        train.append(pd.DataFrame({"series": name, "period": np.arange(1 - len(hist), 1),
                                   "value": hist}))
        test.append(pd.DataFrame({"series": name, "period": np.arange(1, nf + 1),
                                  "value": values[-nf:]}))
    return pd.concat(train, ignore_index=True), pd.concat(test, ignore_index=True)


def smape_m3(actual: np.ndarray, pred: np.ndarray) -> float:
    """The competition's sMAPE in percent, over every (series, horizon) cell."""
    return float(np.mean(200 * np.abs(actual - pred) / (np.abs(actual) + np.abs(pred))))


def run_category(path: Path, category: str, limit: float, sample: int | None,
                 seed: int) -> dict:
    import bizforge

    sheet, season = SHEETS[category]
    series = read_sheet(path, sheet)
    if sample and sample < len(series):
        keep = np.random.default_rng(seed).choice(len(series), size=sample, replace=False)
        series = [series[i] for i in sorted(keep)]
    horizon = series[0][2]
    train, test = long_tables(series)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        run = bizforge.train(train, "value", task="forecast", time_column="period",
                             id_column=["series"], horizon=horizon, season_length=season,
                             test=test, time_limit=limit, out=Path(tmp) / "model")
        seconds = time.perf_counter() - started
    names = [s for s, _, _ in series]
    table = run.predictor.predict(names)
    pred = table.pivot(index="series", columns="period", values="forecast").loc[names]
    pred = pred[sorted(pred.columns, key=int)].to_numpy()
    actual = np.vstack([v[-nf:] for _, v, nf in series])
    lengths = [len(v) - nf for _, v, nf in series]
    return {"category": category, "series": len(series), "horizon": horizon,
            "smape": smape_m3(actual, pred), "seconds": seconds,
            "coverage_80": run.metrics["test"]["coverage_80"],
            "weights": run.metrics["weights"], "history": (min(lengths), max(lengths)),
            "skipped": [s["name"] for s in run.metrics.get("not_used", [])]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", type=Path, help="M3C.xls (default $BIZFORGE_DATASETS/m3/)")
    parser.add_argument("--only", choices=sorted(SHEETS), action="append")
    parser.add_argument("--time-limit", type=float, default=300.0)
    parser.add_argument("--sample", type=int, help="series per category (seeded)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    path = args.path
    if path is None:
        root = datasets_root()
        path = root / "m3" / "M3C.xls" if root is not None else None
    if path is None or not path.is_file():
        print(f"M3C.xls not found ({path}); pass --path or put it in $BIZFORGE_DATASETS/m3/. "
              "Nothing to do.")
        return
    try:
        import xlrd  # noqa: F401
    except ImportError:
        print("reading M3C.xls needs xlrd: pip install 'bizforge[bench]'. Nothing to do.")
        return
    rows = []
    for category in args.only or ["yearly", "quarterly", "monthly"]:
        row = run_category(path, category, args.time_limit, args.sample, args.seed)
        rows.append(row)
        print(row, flush=True)
    body = [("| category | series | horizon | history | bizforge sMAPE | Theta (published) | "
             "cov80 | fit s | ensemble |"), "|---|---:|---:|---|---:|---:|---:|---:|---|"]
    for r in rows:
        body.append(f"| {r['category']} | {r['series']} | {r['horizon']} | "
                    f"{r['history'][0]}-{r['history'][1]} | **{r['smape']:.2f}** | "
                    f"{PUBLISHED_THETA[r['category']]:.2f} | {100 * r['coverage_80']:.1f}% | "
                    f"{r['seconds']:.0f} | "
                    + ", ".join(f"{k} {v:.2f}" for k, v in r["weights"].items())
                    + (f" (not tried in time: {', '.join(r['skipped'])})" if r["skipped"]
                       else "") + " |")
    body += ["", "Published: Makridakis & Hibon (2000), sMAPE averaged over all horizons; "
             "the series' last NF values held out as in the competition."
             + (f" A seeded sample of {args.sample} series per category, not the whole set."
                if args.sample else "")]
    print("\n".join(body))
    if not args.no_record:
        command = "python bench/m3.py " + " ".join(sys.argv[1:])
        write_results(f"## forecast, M3 — {time.strftime('%Y-%m-%d')}", command.strip(), body)


if __name__ == "__main__":
    main()
