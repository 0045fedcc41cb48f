"""Drift bench: a shifted copy of the telco test rows is flagged on exactly the shifted columns.

    python bench/drift.py                 # telco churn
    python bench/drift.py --time-limit 20

Steps: split the telco table 80/20 (seed 0); train on the 80% and publish it to a
fresh registry; serve the 20% test rows through the REST app (in process, JSON
requests of 100 rows) three times — unchanged, then with ``tenure`` halved and
the ``Contract`` mix moved to two-year contracts, then with only
``MonthlyCharges`` raised 30% — storing the served counts after each; and run
``bizforge monitor`` on each period. The unchanged copy must flag nothing; each
shifted copy exactly its shifted columns.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import datasets_root, write_results

TELCO = Path("telco_churn") / "WA_Fn-UseC_-Telco-Customer-Churn.csv"


def _shift_tenure_contract(frame):
    out = frame.copy()
    out["tenure"] = (out["tenure"].astype(int) // 2).astype(str)
    # Half of the month-to-month customers moved to two-year contracts.
    monthly = out.index[out["Contract"] == "Month-to-month"]
    out.loc[monthly[::2], "Contract"] = "Two year"
    return out


def _shift_charges(frame):
    out = frame.copy()
    out["MonthlyCharges"] = (out["MonthlyCharges"].astype(float) * 1.3).round(2).astype(str)
    return out


CASES = [("unchanged", lambda f: f, []),
         ("tenure halved, contract mix changed", _shift_tenure_contract, ["Contract", "tenure"]),
         ("monthly charges +30%", _shift_charges, ["MonthlyCharges"])]


def main(args) -> None:
    root = datasets_root()
    if root is None or not (root / TELCO).exists():
        print(f"skipped: {TELCO} is not under the datasets folder (set BIZFORGE_DATASETS).")
        return
    import pandas as pd
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from bizforge.cli import app as cli
    from bizforge.pipeline import train
    from bizforge.registry import Registry, create_key
    from bizforge.serve.api import ServerOptions, create_app
    from bizforge.split import split

    home = Path(tempfile.mkdtemp(prefix="bizforge-bench-drift-"))
    os.environ["BIZFORGE_HOME"] = str(home)
    frame = pd.read_csv(root / TELCO, dtype=str, keep_default_na=False)
    train_rows, test_rows = split(frame, test_size=0.2, stratify="Churn", seed=0)
    started = time.perf_counter()
    run = train(train_rows.reset_index(drop=True), "Churn", time_limit=args.time_limit,
                out=home / "run", seed=0)
    trained = time.perf_counter() - started
    registry = Registry(home=home)
    registry.publish(run, "churn")
    key = create_key("predict", label="bench", registry=registry)[1]
    rows = test_rows.drop(columns=["Churn"]).reset_index(drop=True)
    results = []
    for label, shift, expected in CASES:
        # One server per case, a fresh registry table of summaries: each period alone.
        with registry.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM serving_summaries")
        app = create_app(registry=registry, options=ServerOptions(drift_flush=0))
        shifted = json.loads(shift(rows).to_json(orient="records"))
        with TestClient(app) as client:
            started = time.perf_counter()
            for i in range(0, len(shifted), 100):
                r = client.post("/v1/models/churn/predict", json={"rows": shifted[i:i + 100]},
                                headers={"Authorization": f"Bearer {key}"})
                assert r.status_code == 200, r.text
            served = time.perf_counter() - started
        out = CliRunner().invoke(cli, ["monitor", "churn", "--json"])
        report = json.loads(out.output)
        psi = {f["feature"]: f["psi"] for f in report["features"]}
        results.append((label, expected, report, psi, served))
        print(label, report["drifted"], flush=True)
    registry.close()
    _report(args, len(train_rows), len(rows), trained, results)


def _report(args, n_train, n_test, trained, results) -> None:
    body = [(f"model: telco churn trained {args.time_limit:.0f} s ({trained:.0f} s wall) on "
             f"{n_train:,} rows (stratified 80% split, seed 0); served: the other {n_test:,} "
             "rows through the REST app (in process, JSON requests of 100 rows), one period "
             "per copy, then `bizforge monitor churn --json`. Flagged = PSI ≥ 0.2."),
            "", "| copy | expected | flagged | exact | top PSI (feature: PSI) | "
                "(predictions) PSI |", "|---|---|---|---|---|---:|"]
    for label, expected, report, psi, _ in results:
        top = ", ".join(f"{k}: {v:.3f}" for k, v in list(psi.items())[:4])
        pred = report["prediction"]["psi"] if report["prediction"] else float("nan")
        exact = sorted(report["drifted"]) == sorted(expected)
        body.append(f"| {label} | {', '.join(expected) or '-'} | "
                    f"{', '.join(report['drifted']) or '-'} | {'yes' if exact else '**no**'} | "
                    f"{top} | {pred:.3f} |")
    command = "python bench/drift.py" + (f" --time-limit {args.time_limit:g}"
                                         if args.time_limit != 10 else "")
    write_results("## drift: shifted telco test rows — " + time.strftime("%Y-%m-%d"),
                  command, body)
    print("\n".join(body))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--time-limit", type=float, default=10.0, help="training seconds")
    main(parser.parse_args())
