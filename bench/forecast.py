"""Forecast benchmark: bizforge against statsforecast's anchors, in one run.

    python bench/forecast.py                         # Walmart 45 stores + C-MAPSS FD001
    python bench/forecast.py --only walmart --time-limit 120

Walmart (../shared/datasets/retail_sales): the last 12 weeks held out, and a
rolling-origin evaluation over 4 origins (12, 24, 36 and 48 weeks before the
end), each forecasting the next 12 weeks from what came before. bizforge trains
through ``bizforge.train(task="forecast")`` on each cut; statsforecast's
AutoTheta(52), AutoETS(52) and SeasonalNaive(52) run on the same cut in
``.venv-statsforecast`` (``make bench-statsforecast``: statsforecast caps pandas
below 3, so it cannot live in bizforge's environment). WAPE, MASE, sMAPE and
80% coverage are computed here with the same code for everyone.

C-MAPSS FD001 (../shared/datasets/cmapss_fd001): the 100 units in 5 seeded folds
of 20; each fold's units are cut once at a random cycle (as the official test
units are) and bizforge, trained with ``--task rul`` on the other 80, predicts
their life left at the last observed cycle; RMSE and the PHM score against the
true life capped at 125, per fold and as mean ± sd. With ``--cmapss-test DIR``
(a folder holding NASA's test_FD001.txt and RUL_FD001.txt, which ../shared does
not have), the model is trained on all 100 training units and scored on the 100
official test units, as the published figures are.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, datasets_root, write_results

SF_PYTHON = REPO / ".venv-statsforecast" / "bin" / "python"
H, SEASON = 12, 52


def _metrics(actual: np.ndarray, pred: np.ndarray, history: np.ndarray) -> dict:
    from bizforge.families.forecast.backtest import mase, naive_scale, smape, wape

    scales = np.array([naive_scale(h, SEASON) for h in history])
    return {"wape": wape(actual, pred), "mase": mase(actual, pred, scales),
            "smape": smape(actual, pred)}


def _anchors(train: pd.DataFrame, work: Path) -> dict:
    if not SF_PYTHON.exists():
        return {"error": f"{SF_PYTHON} not found (make bench-statsforecast creates it)"}
    path = work / "sf_train.csv"
    train.rename(columns={"Store": "unique_id", "Date": "ds", "Weekly_Sales": "y"})[
        ["unique_id", "ds", "y"]].to_csv(path, index=False)
    out = work / "sf.json"
    done = subprocess.run([str(SF_PYTHON), str(Path(__file__).parent /
                                                "_statsforecast_child.py"),
                           str(path), str(H), str(SEASON), str(out)],
                          capture_output=True, text=True, check=False)
    if done.returncode:
        return {"error": done.stderr[-400:]}
    return json.loads(out.read_text())


def walmart(root: Path, limit: float, origins: int) -> list[str]:
    import bizforge

    frame = pd.read_csv(root / "retail_sales" / "Walmart_Store_sales.csv")
    frame["Date"] = pd.to_datetime(frame["Date"], format="%d-%m-%Y")
    dates = sorted(frame["Date"].unique())
    stores = sorted(frame["Store"].unique())
    rows, lines = [], []
    for k in range(origins, 0, -1):
        cut = dates[len(dates) - H * k]
        train = frame[frame["Date"] < cut]
        test = frame[frame["Date"].isin(dates[len(dates) - H * k: len(dates) - H * k + H])]
        actual = test.pivot(index="Store", columns="Date", values="Weekly_Sales").loc[stores]
        history = train.pivot(index="Store", columns="Date", values="Weekly_Sales").loc[stores]
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            started = time.perf_counter()
            run = bizforge.train(train.assign(Date=train["Date"].dt.strftime("%Y-%m-%d")),
                                 "Weekly_Sales", task="forecast", time_column="Date",
                                 id_column=["Store"], horizon=H, time_limit=limit,
                                 test=test.assign(Date=test["Date"].dt.strftime("%Y-%m-%d")),
                                 out=work / "model")
            seconds = time.perf_counter() - started
            table = run.predictor.predict([str(s) for s in stores])
            pred = table.pivot(index="series", columns="period", values="forecast").loc[
                [str(s) for s in stores]].to_numpy()
            lo = table.pivot(index="series", columns="period", values="lo_80").loc[
                [str(s) for s in stores]].to_numpy()
            hi = table.pivot(index="series", columns="period", values="hi_80").loc[
                [str(s) for s in stores]].to_numpy()
            a = actual.to_numpy()
            row = {"origin": str(pd.Timestamp(cut).date()), "bizforge": {
                **_metrics(a, pred, history.to_numpy()), "seconds": seconds,
                "coverage_80": float(np.mean((a >= lo) & (a <= hi))),
                "weights": run.metrics["weights"],
                "combine": run.metrics["leaderboard"][0].get("combine", "weighted")}}
            sf = _anchors(train, work)
            if "error" in sf:
                row["anchors_error"] = sf["error"]
            else:
                for name, fc in sf["forecasts"].items():
                    p = np.array([fc[str(s)] for s in stores])
                    row[name] = {**_metrics(a, p, history.to_numpy()),
                                 "seconds": sf["seconds"][name]}
        rows.append(row)
        print(json.dumps(row), flush=True)
    names = ["bizforge", "AutoTheta", "AutoETS", "SeasonalNaive"]
    lines.append("| origin | " + " | ".join(f"{n} WAPE" for n in names) +
                 " | bizforge cov80 | bizforge s | AutoTheta s |")
    lines.append("|---|" + "---:|" * (len(names) + 3))
    for r in rows:
        lines.append(f"| {r['origin']} | " + " | ".join(
            f"{100 * r[n]['wape']:.2f}%" if n in r else "—" for n in names) +
            f" | {100 * r['bizforge']['coverage_80']:.1f}% | {r['bizforge']['seconds']:.0f} | "
            + (f"{r['AutoTheta']['seconds']:.1f}" if "AutoTheta" in r else "—") + " |")
    means = {n: np.mean([r[n]["wape"] for r in rows if n in r]) for n in names
             if any(n in r for r in rows)}
    lines.append("| **mean** | " + " | ".join(
        f"**{100 * means[n]:.2f}%**" if n in means else "—" for n in names) + " | "
        f"{100 * np.mean([r['bizforge']['coverage_80'] for r in rows]):.1f}% | | |")
    lines.append("")
    lines.append("Last origin = the last 12 weeks held out. MASE/sMAPE per origin: " + "; ".join(
        f"{r['origin']}: bizforge {r['bizforge']['mase']:.3f}/{r['bizforge']['smape']:.2f}"
        + (f", AutoTheta {r['AutoTheta']['mase']:.3f}/{r['AutoTheta']['smape']:.2f}"
           if "AutoTheta" in r else "") for r in rows) + ".")
    lines.append("bizforge ensemble per origin: " + "; ".join(
        f"{r['origin']}: " + ("median of " + ", ".join(r["bizforge"]["weights"])
                              if r["bizforge"].get("combine") == "median" else
                              ", ".join(f"{k} {v:.2f}" for k, v in
                                        r["bizforge"]["weights"].items())) for r in rows) + ".")
    return lines


def cmapss(root: Path, limit: float, seed: int = 0, folds: int = 5) -> list[str]:
    """The published protocol on train_FD001: held-out units cut once each at a random
    cycle (at least 31 observed, as the official test units), scored at their last
    observed cycle only against the true remaining life capped at 125; 5 folds of 20
    units, so every unit is held out once, each fold trained on the other 80."""
    import bizforge
    from bizforge.families.forecast.rul import phm_score

    cols = ["unit", "cycle", "setting1", "setting2", "setting3"] + [f"s{i}" for i in range(1, 22)]
    frame = pd.read_csv(root / "cmapss_fd001" / "train_FD001.txt", sep=r"\s+", header=None,
                        names=cols)
    rng = np.random.default_rng(seed)
    units = rng.permutation(sorted(frame.unit.unique()))
    rows = []
    for k, held in enumerate(np.array_split(units, folds)):
        held = set(held.tolist())
        train = frame[~frame.unit.isin(held)]
        parts, truth = [], {}
        for u, g in frame[frame.unit.isin(held)].groupby("unit"):
            cut = int(rng.integers(31, len(g) + 1))
            parts.append(g.iloc[:cut])
            truth[u] = min(len(g) - cut, 125)
        histories = pd.concat(parts)
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            run = bizforge.train(train, None, task="rul", id_column=["unit"],
                                 time_column="cycle", time_limit=limit, seed=seed + k,
                                 out=Path(tmp) / "model")
            seconds = time.perf_counter() - started
            out = run.predictor.predict(histories)
        pred = out.set_index("unit").loc[sorted(truth), "predicted_rul"].to_numpy()
        true = np.array([truth[u] for u in sorted(truth)], dtype=float)
        rows.append({"fold": k + 1, "units": len(truth),
                     "rmse": float(np.sqrt(np.mean((pred - true) ** 2))),
                     "phm": phm_score(pred, true), "seconds": seconds})
        print(json.dumps(rows[-1]), flush=True)
    rmse = np.array([r["rmse"] for r in rows])
    lines = ["| fold | held-out units | RMSE | PHM score | fit s |", "|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['fold']} | {r['units']} | {r['rmse']:.2f} | {r['phm']:.1f} | "
              f"{r['seconds']:.0f} |" for r in rows]
    lines += ["", f"RMSE over {folds} folds (every unit held out once, one random cut each, "
              f"scored at its last observed cycle, true life capped at 125): "
              f"**{rmse.mean():.2f} ± {rmse.std(ddof=1):.2f}** (mean ± sd); longest fit "
              f"{max(r['seconds'] for r in rows):.0f} s (time limit {limit:g} s).",
              "Published (official FD001 test units, not available here): CNN 18.4, LSTM 16.1, "
              "deep CNN 12.6."]
    return lines


def cmapss_official(root: Path, test_dir: Path, limit: float, seed: int = 0) -> list[str]:
    """Train on all of train_FD001, score the 100 official test units (test_FD001.txt,
    their true remaining life in RUL_FD001.txt, capped at 125 as published)."""
    import bizforge
    from bizforge.families.forecast.rul import phm_score

    cols = ["unit", "cycle", "setting1", "setting2", "setting3"] + [f"s{i}" for i in range(1, 22)]
    train = pd.read_csv(root / "cmapss_fd001" / "train_FD001.txt", sep=r"\s+", header=None,
                        names=cols)
    test = pd.read_csv(test_dir / "test_FD001.txt", sep=r"\s+", header=None, names=cols)
    truth = np.minimum(np.loadtxt(test_dir / "RUL_FD001.txt"), 125.0)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        run = bizforge.train(train, None, task="rul", id_column=["unit"], time_column="cycle",
                             time_limit=limit, seed=seed, out=Path(tmp) / "model")
        seconds = time.perf_counter() - started
        out = run.predictor.predict(test)
    units = sorted(test.unit.unique())
    pred = out.set_index("unit").loc[units, "predicted_rul"].to_numpy(dtype=float)
    true = truth[np.array(units) - 1]
    rmse = float(np.sqrt(np.mean((pred - true) ** 2)))
    row = {"units": len(units), "rmse": rmse, "phm": phm_score(pred, true), "seconds": seconds}
    if {"lo_80", "hi_80"} <= set(out.columns):
        o = out.set_index("unit").loc[units]
        row["coverage_80"] = float(np.mean((true >= o["lo_80"]) & (true <= o["hi_80"])))
    print(json.dumps(row), flush=True)
    cov = (f"; 80% interval coverage {100 * row['coverage_80']:.0f}%"
           if "coverage_80" in row else "")
    head = (f"Official test units ({test_dir.name}/test_FD001.txt, truth RUL_FD001.txt capped "
            f"at 125), trained on all 100 training units: **RMSE {rmse:.2f}**, PHM score "
            f"{row['phm']:.1f}, fit {seconds:.0f} s (time limit {limit:g} s){cov}.")
    return [head, "Published on the same units: CNN 18.4, LSTM 16.1, deep CNN 12.6."]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["walmart", "cmapss"])
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--origins", type=int, default=4)
    parser.add_argument("--cmapss-test", type=Path,
                        help="folder with test_FD001.txt and RUL_FD001.txt (official test units)")
    args = parser.parse_args()
    root = datasets_root()
    if root is None:
        print("datasets not found (set BIZFORGE_DATASETS); nothing to do")
        return
    body = []
    if args.only in (None, "walmart"):
        body += ["### Walmart 45 stores, 12 weeks ahead", "", *walmart(root, args.time_limit,
                                                                       args.origins), ""]
    if args.only in (None, "cmapss"):
        body += ["### C-MAPSS FD001, remaining useful life (cap 125)", ""]
        if args.cmapss_test is not None:
            body += cmapss_official(root, args.cmapss_test, max(args.time_limit, 60)) + [""]
        else:
            body += [*cmapss(root, max(args.time_limit, 60)), ""]
    command = "python bench/forecast.py " + " ".join(sys.argv[1:])
    part = {"walmart": " (Walmart)", "cmapss": " (C-MAPSS)"}.get(args.only, "")
    if args.cmapss_test is not None and args.only == "cmapss":
        part = " (C-MAPSS, official test units)"
    write_results(f"## forecast{part} — {time.strftime('%Y-%m-%d')}", command.strip(), body)
    print("\n".join(body))


if __name__ == "__main__":
    main()
