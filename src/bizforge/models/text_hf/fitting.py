"""The fine-tuning recipe: hold-out, linear-probe head, AdamW, the loop, ONNX export.

1. tokenise once (dynamic padding later), hold out a stratified validation set;
2. initialise the head from a logistic regression on frozen mean-pooled embeddings
   (the many-class recipe: a fresh 77-way head wrecks the body before it learns);
3. AdamW with a larger rate for the head, warm-up then linear decay (budget-aware),
   gradient clipping, early stopping and the best checkpoint, mixed precision on GPU;
4. export the best weights to ONNX, quantise to int8, and measure on validation rows
   what quantisation costs in accuracy and gains in speed.

>>> result = finetune(texts, y, None, None, n_classes=2, params=params, seed=0,
...                   threads=2, deadline=None)        # doctest: +SKIP
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from bizforge.models.text_hf.callbacks import (
    BestCheckpoint,
    CurveLogger,
    EarlyStopping,
    Progress,
    TimeBudget,
)
from bizforge.models.text_hf.data import Tokenized, bucket_batches, pad_batch, tokenize
from bizforge.models.text_hf.events import EventWriter, event_file_name
from bizforge.models.text_hf.loop import Batch, TrainState, train_loop, warmup_linear_decay
from bizforge.models.text_hf.net import (
    TextClassifier,
    init_head_from_probe,
    load_backbone,
    model_max_length,
    pooled_embeddings,
)
from bizforge.models.text_hf.onnx_export import OrtRunner, export_onnx, quantize_int8
from bizforge.models.text_hf.scoring import logits_ort, logits_torch, pick_device

__all__ = ["Finetuned", "finetune"]

log = logging.getLogger("bizforge.models.text_hf")

# Below this many training rows there is too little to hold some out for early stopping.
_MIN_ROWS_FOR_HOLDOUT = 20


@dataclass
class Finetuned:
    net: TextClassifier
    tokenizer: object
    source: str
    max_length: int
    onnx: dict[str, bytes]
    curve: list[dict]
    events: bytes
    info: dict = field(default_factory=dict)


def _balanced_order(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Rows interleaved class by class, so any prefix is a stratified sample."""
    per_class = [rng.permutation(np.flatnonzero(y == c)) for c in np.unique(y)]
    rank = np.empty(len(y))
    for rows in per_class:
        rank[rows] = (np.arange(len(rows)) + rng.random()) / len(rows)
    return np.argsort(rank, kind="stable")


def _holdout(y: np.ndarray, fraction: float, cap: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """(train rows, validation rows): a stratified ``fraction`` of the rows, at most ``cap``."""
    n = len(y)
    if n < _MIN_ROWS_FOR_HOLDOUT or fraction <= 0:
        return np.arange(n), np.arange(0)
    n_valid = int(min(cap, max(2, round(n * fraction))))
    order = _balanced_order(y, rng)
    # A class seen once stays in training: held out, the model would never learn it.
    single = np.bincount(y)[y[order]] < 2
    order = np.concatenate([order[~single], order[single]])
    return np.sort(order[n_valid:]), np.sort(order[:n_valid])


def _optimizer(net: TextClassifier, p: dict) -> torch.optim.AdamW:
    """AdamW; the head learns faster than the body; no decay on biases and LayerNorm."""
    groups = {"body": ([], []), "head": ([], [])}
    for name, param in net.named_parameters():
        if not param.requires_grad:
            continue
        part = "head" if name.startswith("head.") else "body"
        groups[part][0 if param.ndim >= 2 else 1].append(param)
    lr = {"body": float(p["lr"]), "head": float(p["head_lr"])}
    wd = float(p["weight_decay"])
    return torch.optim.AdamW(
        [{"params": params, "lr": lr[part], "weight_decay": wd if i == 0 else 0.0}
         for part, pair in groups.items() for i, params in enumerate(pair) if params])


def _chunks(tok: Tokenized, rows: np.ndarray, pad_id: int, batch_size: int, chunk: int = 512):
    """Batches over ``rows`` in order, length-sorted within chunks (for the probe)."""
    lengths = tok.lengths
    for start in range(0, len(rows), chunk):
        part = rows[start:start + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        for s in range(0, len(part), batch_size):
            r = part[s:s + batch_size]
            yield (r, *pad_batch(tok.ids, r, pad_id))


def _probe(net, tok, y, w, rows, p, n_classes, pad_id, device, deadline, seed) -> dict | None:
    """Initialise the head from a linear probe on (at most ``probe_rows``) training rows."""
    started = time.monotonic()
    # Many classes need many rows per class (banking77: 3,000 rows 0.902, 5,000 0.916, all
    # 9,000 0.928 test accuracy); two classes need far fewer.
    limit = int(p["probe_rows"] or max(4000, 120 * n_classes))
    order = rows[_balanced_order(y[rows], np.random.default_rng(seed))][:limit]
    batches = list(_chunks(tok, order, pad_id, 64))
    emb, done = pooled_embeddings(net, batches, device, deadline)
    seen = np.concatenate([b[0] for b in batches])[:done] if batches else order[:0]
    if len(np.unique(y[seen])) < 2:
        return None
    info = init_head_from_probe(net, emb, y[seen], None if w is None else w[seen], n_classes,
                                C=float(p["probe_c"]), seed=seed)
    info["seconds"] = round(time.monotonic() - started, 3)
    info["texts_per_second"] = round(done / max(1e-9, time.monotonic() - started), 2)
    return info


def finetune(texts, y: np.ndarray, weights: np.ndarray | None, valid: tuple | None, *,
             n_classes: int, params: dict, seed: int, threads: int,
             deadline: float | None, progress=None) -> Finetuned:
    """Fine-tune ``params["backbone"]`` on ``texts``/``y`` and export it; see the module doc.

    ``valid`` is ``(texts, y)`` or None (then a stratified hold-out is used);
    ``deadline`` is a ``time.monotonic()`` value or None.
    """
    p = params
    started = time.monotonic()
    device, amp = pick_device()
    torch.manual_seed(seed)
    tokenizer, encoder, source = load_backbone(p["backbone"])
    max_length = model_max_length(tokenizer, encoder, p["max_length"])
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    tok = tokenize(tokenizer, texts, max_length)
    log.info("fine-tune: %s, %d texts tokenised (%d truncated to %d tokens), %d threads",
             source, len(tok), tok.n_truncated, max_length, threads)
    rng = np.random.default_rng(seed)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=np.float64)
    if valid is None:
        train_rows, valid_rows = _holdout(y, float(p["valid_fraction"]), int(p["valid_rows"]), rng)
        v_tok = Tokenized([tok.ids[i] for i in valid_rows], 0, [])
        v_y, valid_from = y[valid_rows], "holdout"
    else:
        train_rows = np.arange(len(y))
        v_texts, v_y = valid
        if len(v_y) > int(p["valid_rows"]):
            keep = np.sort(_balanced_order(v_y, rng)[:int(p["valid_rows"])])
            v_texts, v_y = [v_texts[i] for i in keep], v_y[keep]
        v_tok, valid_from = tokenize(tokenizer, v_texts, max_length), "given"
    if len(v_y) == 0:
        v_tok, valid_from = None, None

    net = TextClassifier(encoder, n_classes, p["dropout"]).to(device)
    if p["freeze_embeddings"]:
        # The word-embedding matrix is half of MiniLM's weights; its gradient and AdamW
        # update cost ~18% of a CPU step, and fine-tuning it gains little on small data.
        net.encoder.get_input_embeddings().weight.requires_grad_(False)
    probe = None
    if p["head_init"] == "probe":
        probe_deadline = None if deadline is None else started + 0.25 * (deadline - started)
        probe = _probe(net, tok, y, weights, train_rows, p, n_classes, pad_id, device,
                       probe_deadline, seed)
        log.info("fine-tune: head initialised from a linear probe: %s", probe)

    timing = {"eval": 0.0}
    n_params = sum(t.numel() for t in net.parameters())
    export_guess = 2.0 + 3e-7 * n_params
    n_check = 0 if v_tok is None else min(len(v_y), int(p["quant_check_rows"]))

    def check_guess() -> float:
        # eager + fp32 + int8 passes over n_check rows; ONNX runs ~1.5-2.5x faster
        return 2.0 * timing["eval"] * n_check / max(1, len(v_y))

    def reserve() -> float:
        """Seconds to keep for the last evaluation, export and quantisation check."""
        return export_guess + timing["eval"] + check_guess()

    def evaluate(model: nn.Module) -> dict[str, float]:
        t0 = time.monotonic()
        logits = logits_torch(model, v_tok, pad_id, device=device, amp=amp)
        timing["eval"] = time.monotonic() - t0
        return _scores(logits, v_y)

    batch_size = int(p["batch_size"])
    steps_per_epoch = math.ceil(len(train_rows) / batch_size)
    epochs = int(p["epochs"])
    eval_every = max(1, steps_per_epoch // max(1, int(p["evals_per_epoch"])))
    train_start = time.monotonic()
    eval_interval = None if deadline is None else max(5.0, (deadline - train_start) / 6)

    def should_evaluate(state: TrainState) -> bool:
        if state.step - state.last_eval_step >= eval_every:
            return True
        return eval_interval is not None and time.monotonic() - state.last_eval_time >= eval_interval

    lengths = tok.lengths
    y_t, w_t = torch.from_numpy(y.astype(np.int64)), torch.from_numpy(w.astype(np.float32))

    def batches(epoch: int):
        for rows in bucket_batches(lengths[train_rows], batch_size, rng):
            r = train_rows[rows]
            ids, mask = pad_batch(tok.ids, r, pad_id)
            idx = torch.from_numpy(r)
            yield Batch(torch.from_numpy(ids), torch.from_numpy(mask), y_t[idx], w_t[idx])

    writer = EventWriter(None if not p["log_dir"] else
                         f"{p['log_dir']}/{event_file_name()}")
    curve = CurveLogger(writer, every=int(p["log_every"]))
    budget = TimeBudget(None if deadline is None else deadline, reserve=reserve)
    # Judge a fine-tune only after a full epoch: the first steps move the body away from
    # where the probe-initialised head expects it, and scores dip before they rise.
    stopping = EarlyStopping(math.ceil(float(p["patience"]) * steps_per_epoch),
                             min_steps=steps_per_epoch)
    callbacks = [budget, stopping, BestCheckpoint(), curve, Progress(progress)]
    state = train_loop(
        net, batches, optimizer=_optimizer(net, p),
        schedule=warmup_linear_decay(epochs * steps_per_epoch, float(p["warmup"]),
                                     start=train_start,
                                     deadline=None if deadline is None
                                     else (lambda: deadline - reserve())),
        evaluate=None if v_tok is None else evaluate, epochs=epochs,
        should_evaluate=should_evaluate, callbacks=callbacks,
        clip_norm=float(p["clip_norm"]) if p["clip_norm"] else None, device=device,
        amp_dtype=amp,
    )
    trained = time.monotonic()

    net = net.to("cpu").eval()
    fp32 = export_onnx(net)
    onnx = {"fp32": fp32, "int8": quantize_int8(fp32, per_channel=bool(p["per_channel"]))}
    exported = time.monotonic()
    info = {
        "backbone": source, "max_length": max_length, "device": device,
        "mixed_precision": None if amp is None else str(amp).replace("torch.", ""),
        "threads": threads, "n_train": len(train_rows), "n_valid": len(v_y),
        "valid_from": valid_from,
        "truncated": tok.n_truncated, "probe": probe,
        "steps": state.step, "examples_seen": state.examples_seen,
        "epochs": round(state.examples_seen / max(1, len(train_rows)), 4),
        "stopped_by": state.stop, "best_step": state.best_step, "best_valid": state.best,
        "quantization": None,
    }
    # The check is worth its seconds, but not past the budget.
    if v_tok is not None and n_check and (deadline is None
                                          or time.monotonic() + check_guess() < deadline + 1.0):
        info["quantization"] = _quantization_check(net, onnx, v_tok, v_y, n_check, pad_id)
    info["seconds"] = {"prepare_and_probe": round(train_start - started, 3),
                       "train": round(trained - train_start, 3),
                       "export": round(exported - trained, 3),
                       "total": round(time.monotonic() - started, 3)}
    return Finetuned(net, tokenizer, source, max_length, onnx, curve.points,
                     writer.getvalue(), info)


def _scores(logits: np.ndarray, y: np.ndarray) -> dict[str, float]:
    z = logits.astype(np.float64)
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return {"accuracy": float((logits.argmax(axis=1) == y).mean()),
            "loss": float(-logp[np.arange(len(y)), y].mean())}


def _quantization_check(net, onnx: dict, v_tok: Tokenized, v_y, n: int, pad_id: int) -> dict:
    """Accuracy and texts/second of eager PyTorch, ONNX fp32 and ONNX int8 on ``n`` rows.

    Batches of 32 on the CPU with the threads in use, as served.
    """
    sub = Tokenized(v_tok.ids[:n], 0, [])
    y = v_y[:n]
    threads = torch.get_num_threads()
    out: dict = {"rows": int(n), "batch_size": 32, "threads": threads,
                 "accuracy": {}, "texts_per_second": {}}
    runs = {"torch": lambda: logits_torch(net, sub, pad_id, device="cpu", batch_size=32)}
    for kind in ("fp32", "int8"):
        runner = OrtRunner(onnx[kind], threads=threads)
        runs[f"onnx_{kind}"] = lambda r=runner: logits_ort(r, sub, pad_id, batch_size=32)
    for name, run in runs.items():
        t0 = time.monotonic()
        logits = run()
        out["texts_per_second"][name] = round(n / max(1e-9, time.monotonic() - t0), 2)
        out["accuracy"][name] = round(float((logits.argmax(axis=1) == y).mean()), 6)
    out["int8_accuracy_change"] = round(out["accuracy"]["onnx_int8"] - out["accuracy"]["torch"], 6)
    out["int8_speedup"] = round(out["texts_per_second"]["onnx_int8"]
                                / max(1e-9, out["texts_per_second"]["torch"]), 3)
    return out
