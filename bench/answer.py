"""Knowledge-base answering on four sets: bizforge against BM25 and TF-IDF in the same run.

Sets (``kb.csv`` + ``queries.csv`` each): stackfaq_en (English FAQ with answers),
lcqmc_faq_zh (Chinese question bank, 5,000 entries), cmrc2018_chunks_zh and
cmrc2018_passages_zh (Chinese passages). The visible questions are cut in two
halves (seed 13): bizforge tunes on the first (``--queries``: fusion weights,
hand-over threshold, and the questions join their entries as phrasings) and is
measured on the second (``--test``). The anchors see the same test half: BM25
(bm25s, jieba words / English stems, entry text only) and TF-IDF cosine (word 1-2
grams for English, character 1-3 grams for Chinese; entry text only).

Reported: hit@1, hit@5, MRR@10, cold index build seconds (the first validation
fold embeds every entry with an empty cache), the whole ``train`` seconds,
questions per second answered in process, and the hand-over: the share of test
questions answered and their precision, and the share handed over when each
question's right entries are removed from the knowledge base.

    /work/bin/timed python bench/answer.py [--sets stackfaq_en,...] [--no-write]

The datasets come from $BIZFORGE_DATASETS or ../shared/datasets; absent, it says so
and stops.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _common import datasets_root, print_and_record  # this folder is on sys.path

from bizforge.families.answer.evaluation import read_queries
from bizforge.families.answer.kb import read_kb
from bizforge.families.answer.lexical import Lexical, has_cjk
from bizforge.families.answer.tuning import rank_metrics
from bizforge.pipeline import train

SETS = ["stackfaq_en", "lcqmc_faq_zh", "cmrc2018_chunks_zh", "cmrc2018_passages_zh"]
TARGETS = {"stackfaq_en": "hit@1 >= 0.90", "lcqmc_faq_zh": "hit@1 >= 0.92, hit@5 >= 0.99",
           "cmrc2018_chunks_zh": "hit@1 >= 0.85", "cmrc2018_passages_zh": "—"}
SEED = 13


#: Sets whose held-out questions are about other passages: split by passage, so that
#: no test question's passage has tuning questions (which join it as phrasings).
BY_PASSAGE = {"cmrc2018_chunks_zh", "cmrc2018_passages_zh"}


def _split(queries: pd.DataFrame, groups: pd.Series | None = None
           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(SEED)
    if groups is None:
        order = rng.permutation(len(queries))
        half = len(queries) // 2
        return queries.iloc[order[:half]], queries.iloc[order[half:]]
    names = groups.unique()
    first = set(rng.permutation(names)[:len(names) // 2])
    mask = groups.isin(first).to_numpy()
    return queries[mask], queries[~mask]


def _groups(name: str, kb_frame: pd.DataFrame, queries: pd.DataFrame) -> pd.Series | None:
    if name not in BY_PASSAGE:
        return None
    doc = dict(zip(kb_frame["entry_id"], kb_frame.get("doc_id", kb_frame["entry_id"])))
    return queries["entry_id"].map(lambda ids: doc.get(ids.split("|")[0], ids))


def _ranks(scores: np.ndarray, gold: list[set[int]]) -> np.ndarray:
    out = []
    for row, g in zip(scores, gold):
        best = max(row[i] for i in g)
        out.append(1 + int((row > best).sum()))
    return np.array(out, dtype=float)


def _anchors(kb, test) -> dict[str, dict]:
    """BM25 and TF-IDF over the entries' text (with the heading for passages)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    frame = kb.frame
    texts = [f"{h} {t}".strip() for h, t in zip(frame["heading"], frame["text"])]
    chinese = has_cjk(" ".join(texts[:50]))
    lex = Lexical(range(len(texts)), len(texts), stop=not chinese).fit(texts)
    bm25 = np.stack([lex.scores(q) for q in test.texts])
    vec = (TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True)
           if chinese else TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True))
    X = vec.fit_transform(texts)
    tfidf = (vec.transform(test.texts) @ X.T).toarray()
    return {"BM25": rank_metrics(_ranks(bm25, test.gold)),
            "TF-IDF": rank_metrics(_ranks(tfidf, test.gold))}


def run_set(root: Path, name: str, time_limit: float, encoder: str = "auto",
            finetune: float = 0.0) -> list[str]:
    folder = root / name
    kb_frame = pd.read_csv(folder / "kb.csv", dtype=str, keep_default_na=False)
    queries = pd.read_csv(folder / "queries.csv", dtype=str, keep_default_na=False)
    tune, test_half = _split(queries, _groups(name, kb_frame, queries))
    kb = read_kb(kb_frame)
    test = read_queries(test_half, {e: i for i, e in enumerate(kb.ids)})
    anchors = _anchors(kb, test)
    with tempfile.TemporaryDirectory() as tmp:
        tune.to_csv(Path(tmp) / "tune.csv", index=False)
        test_half.to_csv(Path(tmp) / "test.csv", index=False)
        t0 = time.perf_counter()
        run = train(str(folder / "kb.csv"), task="answer", queries=str(Path(tmp) / "tune.csv"),
                    test=str(Path(tmp) / "test.csv"), time_limit=time_limit,
                    out=Path(tmp) / "model", seed=0, encoder=encoder, finetune=finetune)
        seconds = time.perf_counter() - t0
    m = run.metrics
    t, ho = m["test"], m["test"].get("handover") or {}
    load = os.getloadavg()[0]
    split = "by passage" if name in BY_PASSAGE else "by question"
    lines = [(f"### {name} ({len(kb)} entries, {len(tune)} tuning / {len(test)} test "
             f"questions split {split}; encoder {encoder}; target {TARGETS[name]})"), "",
             "| method | hit@1 | hit@5 | MRR@10 |", "|---|---|---|---|"]
    for label, a in anchors.items():
        lines.append(f"| {label} (text only) | {a['hit_1']:.3f} | {a['hit_5']:.3f} | "
                     f"{a['mrr_10']:.3f} |")
    for row in m["leaderboard"]:
        if row.get("hit_1") is not None:
            lines.append(f"| validation: {row['name']} | {row['hit_1']:.3f} | "
                         f"{row['hit_5']:.3f} | {row['mrr_10']:.3f} |")
    lines.append(f"| **bizforge** ({', '.join(f'{c} {w:.2f}' for c, w in m['weights'].items())})"
                 f" | **{t['hit_1']:.3f}** | **{t['hit_5']:.3f}** | **{t['mrr_10']:.3f}** |")
    lines += ["",
              (f"- cold index build (first validation fold: every entry embedded, empty cache): "
              f"{m['validation'].get('fold_seconds', float('nan')):.0f} s; whole train "
              f"{seconds:.0f} s; final index {m['index_seconds']:.0f} s; "
              f"{t.get('queries_per_second')} questions/s in process; load {load:.1f}"),
              (f"- hand-over (threshold {ho.get('threshold', float('nan')):.3f}, "
              f"--min-precision 0.9): {_pct(ho.get('answered'))} of test questions answered, "
              f"precision {_pct(ho.get('answered_precision'))}; with the right entries removed "
              f"{_pct(ho.get('handover_removed'))} handed over")]
    ft = m.get("finetune")
    if ft:
        b, a = ft["before"], ft["after"]
        lines.append(f"- fine-tuning ({ft['encoder']}, {ft['train_questions']} tuning questions, "
                     f"{ft['epochs']} epochs, {ft['seconds']} s, loss {ft['loss_first']} -> "
                     f"{ft['loss_last']}): its channel alone on the other "
                     f"{ft['held_out_questions']} hit@1 {b['hit_1']:.3f} -> {a['hit_1']:.3f}, "
                     f"MRR@10 {b['mrr_10']:.3f} -> {a['mrr_10']:.3f}; "
                     + ("kept" if ft["kept"] else "not kept"))
    lines.append("")
    return lines


def _pct(x) -> str:
    return "—" if x is None else f"{x:.1%}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--time-limit", type=float, default=600.0)
    ap.add_argument("--encoder", default="auto", help="auto, minilm, e5-fp32 or none")
    ap.add_argument("--finetune", type=float, default=0.0,
                    help="seconds of encoder fine-tuning on the tuning questions (0: none)")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    root = datasets_root()
    if root is None:
        print("no datasets (set $BIZFORGE_DATASETS or put them in ../shared/datasets); "
              "nothing to do.")
        return 0
    body: list[str] = [f"load (1-minute average) at the start: {os.getloadavg()[0]:.1f}", ""]
    for name in args.sets.split(","):
        if not (root / name / "kb.csv").exists():
            print(f"{name}: not in {root}; skipped.")
            continue
        body += run_set(root, name, args.time_limit, args.encoder, args.finetune)
        print("\n".join(body[-14:]), flush=True)
    print_and_record(f"## answer ({args.sets}, encoder {args.encoder}) — 2026-12-07",
                     "/work/bin/timed python bench/answer.py "
                     f"--sets {args.sets} --encoder {args.encoder}", body,
                     record=not args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
