"""Text benchmark: bizforge text classification against a TF-IDF + LR baseline.

    python bench/text.py                       # SST-2, banking77, ChnSentiCorp (issue limits)
    python bench/text.py --only sst2 --time-limit 300
    python bench/text.py --backends            # also each backend alone

Splits as in ../shared/ANCHORS.md: SST-2 train -> dev, banking77 train -> test,
ChnSentiCorp hotel stratified 80/20 (seed 0). The baseline (word 1-2 grams for
English, character 1-3 grams for Chinese, LogisticRegression) is measured in
this script on the same files. bizforge trains through ``pipeline.train`` on
the raw training file and is scored on the test file by the saved predictor,
which serves fine-tuned models through ONNX int8. Texts/second = test texts
scored per second by the loaded predictor (batch = the whole test file).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import datasets_root, write_results

# name: (loader, text column, target, issue time limit, baseline analyzer)
SETS = {
    "sst2": ("english_sentiment", "sentence", "label", 900, "word"),
    "banking77": ("banking77", "text", "category", 900, "word"),
    "chnsenticorp": ("chinese_reviews", "review", "label", 600, "char"),
}


def load(root: Path, name: str, work: Path) -> tuple[Path, Path]:
    folder, text, target = SETS[name][0], SETS[name][1], SETS[name][2]
    if name == "sst2":
        read = {"sep": "\t", "quoting": 3, "dtype": str, "keep_default_na": False}
        train = pd.read_csv(root / folder / "train.tsv", **read)
        test = pd.read_csv(root / folder / "dev.tsv", **read)
    elif name == "banking77":
        train = pd.read_csv(root / folder / "train.csv", dtype=str, keep_default_na=False)
        test = pd.read_csv(root / folder / "test.csv", dtype=str, keep_default_na=False)
    else:
        frame = pd.read_csv(root / folder / "ChnSentiCorp_htl_all.csv", dtype=str,
                            keep_default_na=False)
        train, test = train_test_split(frame, test_size=0.2, stratify=frame[target],
                                       random_state=0)
    for part in (train, test):
        part[text] = part[text].str.strip()
    paths = work / f"{name}_train.csv", work / f"{name}_test.csv"
    train[[text, target]].to_csv(paths[0], index=False)
    test[[text, target]].to_csv(paths[1], index=False)
    return paths


def baseline(train: pd.DataFrame, test: pd.DataFrame, text: str, target: str, analyzer: str):
    t0 = time.perf_counter()
    ngrams = (1, 2) if analyzer == "word" else (1, 3)
    vec = TfidfVectorizer(analyzer=analyzer, ngram_range=ngrams, sublinear_tf=True, min_df=1)
    X = vec.fit_transform(train[text].fillna(""))
    clf = LogisticRegression(C=10.0 if analyzer == "word" else 4.0, max_iter=2000)
    clf.fit(X, train[target].astype(str))
    fit = time.perf_counter() - t0
    pred = clf.predict(vec.transform(test[text].fillna("")))
    y = test[target].astype(str)
    return {"accuracy": accuracy_score(y, pred), "macro_f1": f1_score(y, pred, average="macro"),
            "fit_seconds": fit}


def run_bizforge(paths, text, target, limit, work: Path, candidates=None) -> dict:
    from bizforge.pipeline import train
    from bizforge.serve import load_model

    out = work / f"model-{time.time_ns()}"
    t0 = time.perf_counter()
    run = train(paths[0], target, test=paths[1], text_column=text, time_limit=limit, out=out,
                candidates=candidates)
    wall = time.perf_counter() - t0
    test = pd.read_csv(paths[1], dtype=str, keep_default_na=False)
    predictor = load_model(run.path)
    features = test[[text]]
    s = time.perf_counter()
    pred = predictor.predict(features)
    served = len(test) / (time.perf_counter() - s)
    y = test[target].astype(str)
    pred = pd.Series(pred).astype(str)
    board = [(r["name"], round(r["score"], 4), round(r["fit_seconds"], 1),
              round(r.get("weight") or 0, 2)) for r in run.leaderboard]
    result = {"accuracy": accuracy_score(y, pred), "macro_f1": f1_score(y, pred, average="macro"),
              "fit_seconds": run.metrics["fit_seconds"], "wall_seconds": wall,
              "texts_per_s": served, "leaderboard": board}
    for member in predictor.result.members:  # quantisation figures of a fine-tuned member
        info = getattr(member.models[0], "quantization_", None)
        if info:
            result["quantization"] = info
    shutil.rmtree(out, ignore_errors=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(SETS), action="append")
    parser.add_argument("--time-limit", type=float, help="override every set's time limit")
    parser.add_argument("--backends", action="store_true", help="also each backend alone")
    args = parser.parse_args(argv)
    root = datasets_root()
    if root is None:
        print("datasets not found (set BIZFORGE_DATASETS); nothing to do.")
        return 0
    command = "python bench/text.py " + " ".join(argv if argv is not None else sys.argv[1:])
    command = command.strip()
    lines = ["| dataset | system | accuracy | macro-F1 | fit s | texts/s served | notes |",
             "|---|---|---:|---:|---:|---:|---|"]
    notes = []
    for name in args.only or list(SETS):
        folder, text, target, limit, analyzer = SETS[name]
        if not (root / folder).is_dir():
            print(f"skip {name}: {root / folder} not found")
            continue
        limit = args.time_limit or limit
        work = Path(tempfile.mkdtemp(prefix=f"bench-text-{name}-"))
        try:
            paths = load(root, name, work)
            train = pd.read_csv(paths[0], dtype=str, keep_default_na=False)
            test = pd.read_csv(paths[1], dtype=str, keep_default_na=False)
            base = baseline(train, test, text, target, analyzer)
            lines.append(f"| {name} | TF-IDF {analyzer} + LR (baseline) | {base['accuracy']:.4f} "
                         f"| {base['macro_f1']:.4f} | {base['fit_seconds']:.1f} | – | |")
            systems = [("bizforge auto", None)]
            if args.backends:
                systems += [(f"bizforge {b} alone", [(b, {})])
                            for b in ("tfidf_linear", "embed_linear", "finetune")]
            for label, cands in systems:
                r = run_bizforge(paths, text, target, limit, work, cands)
                print(name, label, json.dumps(r, default=str), flush=True)
                lines.append(f"| {name} | {label}, {limit:.0f} s | {r['accuracy']:.4f} | "
                             f"{r['macro_f1']:.4f} | {r['fit_seconds']:.0f} | "
                             f"{r['texts_per_s']:,.0f} | wall {r['wall_seconds']:.0f} s |")
                notes.append(f"- {name} {label}: leaderboard (name, validation score, fit s, "
                             f"weight) {r['leaderboard']}"
                             + (f"; quantisation {r['quantization']}" if "quantization" in r
                                else ""))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        # Written after every dataset, so a long run that is cut short keeps what it measured.
        write_results("## text — " + time.strftime("%Y-%m-%d"), command, lines + [""] + notes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
