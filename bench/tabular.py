"""Tabular benchmark: bizforge against AutoGluon on the same files, limit and machine.

    python bench/tabular.py                   # telco_churn and ai4i_maintenance, 60 s each
    python bench/tabular.py --time-limit 30 --only telco
    python bench/tabular.py --tables DIR      # the ISLP package's business tables
    python bench/tabular.py --generated       # held-out-like generated tables (see below)
    python bench/tabular.py --heldout DIR     # real business tables kept outside the repo

`--tables DIR` runs the binary business tables bundled in the `ISLP` wheel
(`pip download ISLP --no-deps`, unzip, DIR = ISLP/data): Caravan insurance
purchase (5,822 rows, 85 columns, 6% positive), Default credit default (10,000
rows, 3% positive) and OJ brand choice (1,070 rows) -- real tables that are
not in ../shared/datasets.

`--generated` runs two seeded tables from :mod:`bizforge.testing.tables` that
stand in for the held-out business tables of issue 18: a 10,000-row bank churn
table whose 1-4 product column has a pure rare value, and a 30,000-row credit
default table with 23 features.

`--heldout DIR` (or ``$BIZFORGE_HELDOUT``) runs the real business tables of
:data:`HELDOUT` found in DIR -- public tables that are neither in the repository
nor in ../shared, so no setting was chosen on them: the bank churn table
(Churn_Modelling.csv, 10,000 customers), the UCI credit-card default table
(UCI_Credit_Card.csv, 30,000), the BigML telecom churn table (its 80% and 20%
files concatenated), UCI bank marketing (bank-full.csv, comma-separated, target
renamed "term deposit"), IBM HR attrition and UCI online shoppers (columns
renamed, target "MadePurchase"). Absent files are skipped with a note.

For each dataset: a stratified 80/20 split (seed 0, scikit-learn's
train_test_split, as in ../shared/ANCHORS.md) written to CSV files; bizforge
trains in this process on the raw training file (it must find and drop the
leakage and id columns itself); AutoGluon ``medium_quality`` then trains in a
subprocess of .venv-autogluon on the same files (for AI4I with the id and
leakage columns dropped by hand, as in the anchor). Both report ROC-AUC,
accuracy and F1 at their own default decision rule, fit seconds, median
single-row predict latency (200 in-process calls), 10,000-row throughput
(median of 5 calls after a warm-up, `_common.batch_seconds`) and
disk size. LightGBM with default settings (scikit-learn API, categories as
pandas categories, the same dropped columns as AutoGluon plus identifiers)
runs on the same split as a plain baseline. Results go to bench/RESULTS.md
with ratio columns.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, batch_seconds, datasets_root, print_and_record

AG_PYTHON = REPO / ".venv-autogluon" / "bin" / "python"
DATASETS = {
    "telco": ("telco_churn/WA_Fn-UseC_-Telco-Customer-Churn.csv", "Churn", []),
    "ai4i": (
        "ai4i_maintenance/ai4i2020.csv",
        "Machine failure",
        ["UDI", "Product ID", "TWF", "HDF", "PWF", "OSF", "RNF"],
    ),
}
TABLES = {
    "caravan": ("Caravan.csv", "Purchase", []),
    "default": ("Default.csv", "default", []),
    "oj": ("OJ.csv", "Purchase", []),
}
# name: (file, target, columns AutoGluon and LightGBM defaults are not given: row numbers,
# customer ids and surnames, which bizforge must find and drop itself)
HELDOUT = {
    "bank_churn": ("Churn_Modelling.csv", "Exited", ["RowNumber", "CustomerId", "Surname"]),
    "credit_default": ("UCI_Credit_Card.csv", "default.payment.next.month", ["ID"]),
    "telecom_churn": ("telecom_churn_bigml.csv", "Churn", []),
    "bank_marketing": ("bank-full.csv", "term deposit", []),
    "hr_attrition": ("WA_Fn-UseC_-HR-Employee-Attrition.csv", "Attrition", ["EmployeeNumber"]),
    "online_shoppers": ("online_shoppers_intention.csv", "MadePurchase", []),
}
GENERATED = {"bank_churn": ("bank_churn", "Exited", ["CustomerId"]),
             "credit_default": ("credit_default", "default", [])}


def split_files(root: Path | None, rel: str, target: str, work: Path) -> tuple[Path, Path]:
    if root is None:  # a generated table: rel names its generator
        from bizforge.testing import tables

        frame = getattr(tables, rel)()[0].astype(str)
    else:
        frame = pd.read_csv(root / rel, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    train, test = train_test_split(frame, test_size=0.2, stratify=frame[target], random_state=0)
    paths = work / "train.csv", work / "test.csv"
    train.to_csv(paths[0], index=False)
    test.to_csv(paths[1], index=False)
    return paths


def run_bizforge(train_path: Path, test_path: Path, target: str, limit: float, work: Path) -> dict:
    from bizforge.ingest import read
    from bizforge.pipeline import train

    t0 = time.perf_counter()
    run = train(train_path, target, test=test_path, time_limit=limit, out=work / "bizforge")
    wall = time.perf_counter() - t0
    predictor = run.predictor
    test = read(test_path).frame
    features = test.drop(columns=[target])
    spec = predictor.spec
    proba = predictor.predict_proba(features)[str(spec.positive)].to_numpy()
    y = (spec.encode(test[target]) == spec.positive_index)
    pred = proba >= 0.5
    one = features.iloc[[0]]
    times = []
    for _ in range(200):
        s = time.perf_counter()
        predictor.predict_proba(one)
        times.append(time.perf_counter() - s)
    big = features.sample(10_000, replace=True, random_state=0).reset_index(drop=True)
    throughput = 10_000 / batch_seconds(lambda: predictor.predict_proba(big))
    disk = sum(p.stat().st_size for p in run.path.rglob("*") if p.is_file()) / 1e6
    return {
        "roc_auc": roc_auc_score(y, proba),
        "accuracy": accuracy_score(y, pred),
        "f1": f1_score(y, pred),
        "fit_seconds": run.metrics["fit_seconds"],
        "wall_seconds": wall,
        "latency_ms": statistics.median(times) * 1000,
        "rows_per_s": throughput,
        "disk_mb": disk,
        "disk_mb_without_report": disk - (run.path / "report.html").stat().st_size / 1e6,
        "dropped": run.predictor.recipe.dropped,
        "members": {m.name: round(m.weight, 3) for m in run.predictor.result.members},
        # members still served by their fold (or 80% holdout) models: no time to refit them
        "not_refit": [m.name for m in run.predictor.result.members if not m.refit],
        "candidates": len(run.leaderboard) - 1,
        "explored": run.leaderboard[0]["params"].get("explored"),
    }


def run_lightgbm(train_path: Path, test_path: Path, target: str, drop: list[str]) -> dict:
    """LightGBM defaults on the same files: numbers parsed, the rest as categories."""
    import lightgbm as lgb

    frames = [pd.read_csv(p, dtype=str, keep_default_na=False) for p in (train_path, test_path)]
    train, test = (f.drop(columns=[c for c in drop if c in f]) for f in frames)
    y_train, y_test = train.pop(target), test.pop(target)
    positive = min(y_train.unique(), key=lambda v: (y_train == v).mean())  # the minority
    for col in list(train.columns):
        numbers = pd.to_numeric(train[col].str.strip(), errors="coerce")
        if numbers.notna().mean() >= 0.95:
            train[col] = numbers
            test[col] = pd.to_numeric(test[col].str.strip(), errors="coerce")
        elif train[col].nunique() > 0.5 * len(train):
            train, test = train.drop(columns=[col]), test.drop(columns=[col])  # an identifier
        else:
            cats = pd.CategoricalDtype(sorted(train[col].unique()))
            train[col], test[col] = train[col].astype(cats), test[col].astype(cats)
    # LightGBM refuses JSON characters in names ("Air temperature [K]").
    train.columns = test.columns = [re.sub(r"[^0-9A-Za-z_]", "_", c) for c in train.columns]
    t0 = time.perf_counter()
    model = lgb.LGBMClassifier(verbose=-1).fit(train, y_train == positive)
    fit = time.perf_counter() - t0
    proba = model.predict_proba(test)[:, 1]
    y = (y_test == positive).to_numpy()
    return {"roc_auc": roc_auc_score(y, proba), "accuracy": accuracy_score(y, proba >= 0.5),
            "f1": f1_score(y, proba >= 0.5), "fit_seconds": fit}


def run_autogluon(train_path, test_path, target, limit, work: Path, drop: list[str]) -> dict:
    if not AG_PYTHON.exists():
        return {"error": f"{AG_PYTHON} not found (make bench-autogluon creates it)"}
    cmd = [str(AG_PYTHON), str(Path(__file__).parent / "_autogluon_child.py"), str(train_path),
           str(test_path), target, str(limit), str(work / "autogluon")]
    if drop:
        cmd += ["--drop", ",".join(drop)]
    out = subprocess.run(cmd, check=False, capture_output=True, text=True,
                         timeout=limit * 10 + 600)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _num(m: dict, key: str, fmt: str) -> str:
    return "–" if m.get(key) is None else format(m[key], fmt)


def _ratio(a, b) -> str:
    return f"{a / b:.2f}" if a is not None and b else "–"


def table(results: dict, limit: float) -> list[str]:
    lines = [
        f"time limit {limit:.0f} s; stratified 80/20 split, seed 0; accuracy/F1 at p >= 0.5",
        "",
        "| dataset | tool | ROC-AUC | accuracy | F1 | fit s | 1-row ms | rows/s (10k) | disk MB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        for tool in ("bizforge", "autogluon", "lightgbm defaults"):
            m = r.get(tool, {"error": "not run"})
            if "error" in m:
                lines.append(f"| {name} | {tool} | error: {m['error']} | | | | | | |")
                continue
            lines.append(
                f"| {name} | {tool} | {m['roc_auc']:.4f} | {m['accuracy']:.4f} | {m['f1']:.4f} | "
                f"{m['fit_seconds']:.1f} | {_num(m, 'latency_ms', '.2f')} | "
                f"{_num(m, 'rows_per_s', ',.0f')} | {_num(m, 'disk_mb', '.1f')} |"
            )
        b, lg = r["bizforge"], r.get("lightgbm defaults", {"error": ""})
        if "error" not in b and "error" not in lg:
            lines.append(
                f"| {name} | ratio bizforge/LightGBM defaults | {_ratio(b['roc_auc'], lg['roc_auc'])} | "
                f"{_ratio(b['accuracy'], lg['accuracy'])} | {_ratio(b['f1'], lg['f1'])} | | | | |"
            )
        b, a = r["bizforge"], r["autogluon"]
        if "error" not in b and "error" not in a:
            lines.append(
                f"| {name} | ratio bizforge/AutoGluon | {_ratio(b['roc_auc'], a['roc_auc'])} | "
                f"{_ratio(b['accuracy'], a['accuracy'])} | {_ratio(b['f1'], a['f1'])} | "
                f"{_ratio(b['fit_seconds'], a['fit_seconds'])} | "
                f"{_ratio(b['latency_ms'], a['latency_ms'])} | "
                f"{_ratio(b['rows_per_s'], a['rows_per_s'])} | {_ratio(b['disk_mb'], a['disk_mb'])} |"
            )
    lines.append("")
    for name, r in results.items():
        b = r["bizforge"]
        if "error" not in b:
            lines.append(f"- {name}: bizforge dropped {b['dropped']}; ensemble {b['members']} "
                         f"(not refitted on all rows: {b.get('not_refit') or 'none'}); "
                         f"whole `train()` wall {b['wall_seconds']:.1f} s; artifact without the "
                         f"HTML report {b['disk_mb_without_report']:.2f} MB; search: "
                         f"{b['candidates']} candidates, explored {b['explored']}")
        a = r["autogluon"]
        if "error" not in a:
            trained = ("; trained (validation score): " + ", ".join(a["models"])
                       if a.get("models") else "")
            lines.append(f"- {name}: AutoGluon {a['version']} best model {a['best_model']}"
                         f"{trained}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--only", choices=sorted(DATASETS | TABLES | GENERATED | HELDOUT),
                        action="append")
    parser.add_argument("--no-autogluon", action="store_true")
    parser.add_argument("--no-record", action="store_true",
                        help="print the table without writing bench/RESULTS.md")
    parser.add_argument("--tables", type=Path, metavar="DIR",
                        help="run the ISLP business tables found in DIR instead")
    parser.add_argument("--heldout", nargs="?", metavar="DIR",
                        const=os.environ.get("BIZFORGE_HELDOUT", ""),
                        help="run the real held-out business tables found in DIR "
                             "(default $BIZFORGE_HELDOUT) instead")
    parser.add_argument("--generated", action="store_true",
                        help="run the generated held-out-like tables instead")
    args = parser.parse_args(argv)
    if args.generated:
        sets, root = GENERATED, None
    elif args.heldout is not None:
        sets, root = HELDOUT, Path(args.heldout) if args.heldout else None
        if root is None or not root.is_dir():
            print("held-out tables not found (give --heldout DIR or set BIZFORGE_HELDOUT); "
                  "nothing to do.")
            return 0
    else:
        sets, root = (TABLES, args.tables) if args.tables else (DATASETS, datasets_root())
        if root is None:
            print("datasets not found (set BIZFORGE_DATASETS); nothing to do.")
            return 0
    results = {}
    for name in args.only or sorted(sets, reverse=True):
        if name not in sets:
            print(f"skip {name}: not one of {sorted(sets)}")
            continue
        rel, target, drop = sets[name]
        if root is not None and not (root / rel).exists():
            print(f"skip {name}: {root / rel} not found")
            continue
        work = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
        try:
            train_path, test_path = split_files(root, rel, target, work)
            r = {"bizforge": run_bizforge(train_path, test_path, target, args.time_limit, work)}
            print(name, "bizforge", json.dumps(r["bizforge"], default=str))
            r["lightgbm defaults"] = run_lightgbm(train_path, test_path, target, drop)
            print(name, "lightgbm defaults", json.dumps(r["lightgbm defaults"]))
            r["autogluon"] = ({"error": "skipped (--no-autogluon)"} if args.no_autogluon else
                              run_autogluon(train_path, test_path, target, args.time_limit, work,
                                            drop))
            print(name, "autogluon", json.dumps(r["autogluon"]))
            results[name] = r
        finally:
            shutil.rmtree(work, ignore_errors=True)
    command = "python bench/tabular.py " + " ".join(argv or sys.argv[1:])
    which = (" (generated held-out-like tables)" if args.generated
             else " (real held-out business tables)" if args.heldout is not None
             else " (ISLP tables)" if args.tables else "")
    print_and_record(f"## tabular{which} — " + time.strftime("%Y-%m-%d"), command.strip(),
                     table(results, args.time_limit), record=not args.no_record)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
