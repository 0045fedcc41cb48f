"""Leakage finding: precision and recall on real tables and generated ones.

    python bench/findings.py                          # ../shared tables + generated tables
    python bench/findings.py --islp DIR               # plus the ISLP wheel's tables (DIR = ISLP/data)

Every (table, target) pair below says by hand which columns truly leak: a column
that restates the outcome or is recorded after it (AI4I's failure-mode flags;
ISLP Smarket/Weekly's ``Today``, whose sign *is* ``Direction``; Wage's
``logwage``; Bikeshare's ``casual`` and ``registered``, whose sum is ``bikers``;
OJ's sale prices, whose difference is ``PriceDiff``). A near-copy of a numeric
target (career hits for career runs, a feels-like temperature) is honest.
Everything else is an honest predictor, however strong. ``bizforge.profile``
runs on each table as ``bizforge inspect --target`` does; a column counts as
flagged when it would be dropped for leakage (an ``error`` finding of kind
``leakage``). Warnings and info findings are listed, not counted.

The generated tables (seeded, :mod:`bizforge.testing.tables`) cover what real tables here
lack: a post-outcome date, a noisy copy of the target, a target-encoded id, a
sub-label flag group, and held-out-like honest tables (a bank churn table whose
1-4 product column has a pure rare value; a credit table).

Results go to bench/RESULTS.md: per table the flagged columns, then precision,
recall and the false alarms over all pairs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import datasets_root, write_results

# (name, file relative to its root, target, true leakage columns)
SHARED = [
    ("telco", "telco_churn/WA_Fn-UseC_-Telco-Customer-Churn.csv", "Churn", set()),
    ("telco/contract", "telco_churn/WA_Fn-UseC_-Telco-Customer-Churn.csv", "Contract", set()),
    ("telco/senior", "telco_churn/WA_Fn-UseC_-Telco-Customer-Churn.csv", "SeniorCitizen", set()),
    ("ai4i", "ai4i_maintenance/ai4i2020.csv", "Machine failure",
     {"TWF", "HDF", "PWF", "OSF", "RNF"}),
    ("ai4i/type", "ai4i_maintenance/ai4i2020.csv", "Type", set()),
    ("walmart", "retail_sales/Walmart_Store_sales.csv", "Weekly_Sales", set()),
    ("movielens/users", "movielens_100k/u.user", "gender", set()),
]
ISLP = [
    ("caravan", "Caravan.csv", "Purchase", set()),
    ("default", "Default.csv", "default", set()),
    ("default/student", "Default.csv", "student", set()),
    ("oj", "OJ.csv", "Purchase", set()),
    ("smarket", "Smarket.csv", "Direction", {"Today"}),
    ("weekly", "Weekly.csv", "Direction", {"Today"}),
    ("college", "College.csv", "Private", set()),
    ("carseats", "Carseats.csv", "Sales", set()),
    ("carseats/shelve", "Carseats.csv", "ShelveLoc", set()),
    ("carseats/us", "Carseats.csv", "US", set()),
    ("credit", "Credit.csv", "Balance", set()),
    ("credit/student", "Credit.csv", "Student", set()),
    ("hitters", "Hitters.csv", "Salary", set()),
    ("wage", "Wage.csv", "wage", {"logwage"}),
    ("wage/health_ins", "Wage.csv", "health_ins", set()),
    ("wage/jobclass", "Wage.csv", "jobclass", set()),
    ("auto", "Auto.csv", "mpg", set()),
    ("auto/origin", "Auto.csv", "origin", set()),
    ("boston", "Boston.csv", "medv", set()),
    ("boston/chas", "Boston.csv", "chas", set()),
    ("bikeshare", "Bikeshare.csv", "bikers", {"casual", "registered"}),
    ("braincancer", "BrainCancer.csv", "status", set()),
    ("publication", "Publication.csv", "status", set()),
    # Numeric targets with a near-copy among the features: hard negatives.
    ("hitters/cruns", "Hitters.csv", "CRuns", set()),  # career hits: Spearman 0.991
    ("bikeshare/temp", "Bikeshare.csv", "temp", set()),  # feels-like temperature: 0.994
    ("credit/limit", "Credit.csv", "Limit", set()),  # credit rating: 0.996
    ("college/apps", "College.csv", "Apps", set()),
    ("auto/horsepower", "Auto.csv", "horsepower", set()),
    ("default/balance", "Default.csv", "balance", set()),
    # By definition PriceDiff = SalePriceMM - SalePriceCH.
    ("oj/pricediff", "OJ.csv", "PriceDiff", {"SalePriceMM", "SalePriceCH"}),
]


def _read(path: Path):
    from bizforge.ingest import read

    if path.parent.name == "movielens_100k" and path.name == "u.user":
        cols = ["user_id", "age", "gender", "occupation", "zip_code"]
        return read(pd.read_csv(path, sep="|", names=cols, dtype=str))
    return read(path)


def check(ds, target: str) -> dict:
    from bizforge.clean import profile

    start = time.perf_counter()
    prof = profile(ds, target=target)
    seconds = time.perf_counter() - start
    flagged = {f.column for f in prof.findings if f.kind == "leakage" and f.severity == "error"}
    others = [f"{f.column} ({f.kind}, {f.severity})" for f in prof.findings
              if f.kind in ("leakage", "strong_signal") and f.column not in flagged]
    return {"flagged": flagged, "others": others, "seconds": seconds,
            "columns": len(ds.frame.columns) - 1}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--islp", type=Path, metavar="DIR", help="the ISLP wheel's data folder")
    args = parser.parse_args(argv)
    jobs = []
    root = datasets_root()
    if root is None:
        print("datasets not found (set BIZFORGE_DATASETS); only generated tables are checked.")
    else:
        jobs += [("real", name, lambda p=root / rel: _read(p), target, truth)
                 for name, rel, target, truth in SHARED if (root / rel).exists()]
    if args.islp is not None:
        jobs += [("real (ISLP)", name, lambda p=args.islp / rel: _read(p), target, truth)
                 for name, rel, target, truth in ISLP if (args.islp / rel).exists()]
    from bizforge.ingest import read
    from bizforge.testing.tables import LEAKY_TABLES

    for name, make in LEAKY_TABLES:
        frame, target, truth = make()
        jobs.append(("generated", name, lambda f=frame: read(f), target, truth))
    rows, tally = [], {"tp": 0, "fp": 0, "fn": 0, "pairs": 0, "columns": 0, "false_tables": 0}
    for kind, name, load, target, truth in jobs:
        r = check(load(), target)
        tp, fp, fn = r["flagged"] & truth, r["flagged"] - truth, truth - r["flagged"]
        tally["tp"] += len(tp)
        tally["fp"] += len(fp)
        tally["fn"] += len(fn)
        tally["pairs"] += 1
        tally["columns"] += r["columns"]
        tally["false_tables"] += bool(fp)
        rows.append(f"| {name} | {kind} | {target} | {r['columns']} | {_names(truth)} | "
                    f"{_names(tp)} | {_names(fp)} | {_names(fn)} | "
                    f"{'; '.join(r['others']) or '–'} | {r['seconds']:.1f} |")
        print(name, target, "flagged", sorted(r["flagged"]), "truth", sorted(truth),
              "others", r["others"])
    precision = tally["tp"] / max(1, tally["tp"] + tally["fp"])
    recall = tally["tp"] / max(1, tally["tp"] + tally["fn"])
    body = [
        ("| table | kind | target | columns | true leaks | caught | false alarms | missed | "
        "kept with a warning / info | profile s |"),
        "|---|---|---|---:|---|---|---|---|---|---:|",
        *rows,
        "",
        (f"- {tally['pairs']} (table, target) pairs, {tally['columns']} feature columns; "
        f"leakage drops: {tally['tp']} true, **{tally['fp']} false** "
        f"(on {tally['false_tables']} pairs), {tally['fn']} missed"),
        f"- precision **{precision:.3f}**, recall **{recall:.3f}**",
    ]
    print("\n".join(body[-2:]))
    command = "python bench/findings.py " + " ".join(argv or sys.argv[1:])
    write_results("## findings: leakage precision and recall — " + time.strftime("%Y-%m-%d"),
                  command.strip(), body)
    return 0


def _names(cols: set[str]) -> str:
    return ", ".join(sorted(cols)) or "–"


if __name__ == "__main__":
    raise SystemExit(main())
