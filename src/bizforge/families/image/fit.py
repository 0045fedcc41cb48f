"""The torch training loop: budgeted epochs, augmentation, early stopping, curves.

The loop reads top to bottom: time a few batches, size the schedule to the seconds
given, train with AdamW and a one-cycle learning rate, measure the validation images
each epoch (the curve), keep the best weights, stop early when validation stops
improving. Augmentation suits the data (``AUGMENTATIONS``): small shifts for
characters and digits (a flipped 6 is not a 6), flips and quarter turns for
textures and surfaces, whose defects have no up or down.

>>> out = fit_loop(net, X, y, Xv, yv, seconds=60, augment="shift")   # doctest: +SKIP
>>> out.best_valid, out.stopped_by                                   # doctest: +SKIP
(0.991, 'early_stopping')
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

__all__ = ["AUGMENTATIONS", "FitOutcome", "augment_batch", "fit_loop", "one_cycle",
           "predict_logits", "refresh_batch_norm", "to_tensor"]

AUGMENTATIONS = ("none", "shift", "flip")


@dataclass
class FitOutcome:
    """What a fit did: the curve, the best validation score and why it stopped."""

    curve: list[dict[str, Any]] = field(default_factory=list)
    best_valid: float = 0.0
    epochs: float = 0.0
    examples_seen: int = 0
    stopped_by: str = "budget"
    seconds: float = 0.0


def to_tensor(x: np.ndarray) -> torch.Tensor:
    """uint8 ``(n, h, w, c)`` -> float ``(n, c, h, w)`` in 0..255 (the nets normalise)."""
    return torch.from_numpy(np.ascontiguousarray(x)).permute(0, 3, 1, 2).float()


def _channels_last(x: np.ndarray) -> torch.Tensor:
    return to_tensor(x).contiguous(memory_format=torch.channels_last)


def augment_batch(x: torch.Tensor, kind: str, gen: torch.Generator) -> torch.Tensor:
    """A randomly transformed copy of the image batch ``x``: ``shift`` moves, turns and
    scales each image a little; ``flip`` flips and turns each quarter of the batch."""
    if kind == "none" or len(x) == 0:
        return x
    if kind == "shift":
        return _jitter(x, gen)
    parts = []
    for chunk in x.chunk(4):
        r = torch.randint(0, 8, (3,), generator=gen).tolist()
        if r[0] % 2:
            chunk = chunk.flip(-1)
        if r[1] % 2:
            chunk = chunk.flip(-2)
        chunk = torch.rot90(chunk, r[2] % 4, dims=(-2, -1))
        parts.append(chunk)
    return torch.cat(parts)


def _jitter(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Each image moved by up to 2 pixels (of 28) either way, turned by up to 10 degrees
    and scaled by 0.9-1.1: handwriting is never centred, upright or sized exactly."""
    n = len(x)
    u = torch.rand(n, 4, generator=gen) * 2 - 1
    angle, scale = u[:, 0] * (10 * torch.pi / 180), 1 + 0.1 * u[:, 1]
    shift = u[:, 2:] * (2 * 2 / 28)  # grid units: the image spans -1..1
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1),
                         torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = nn.functional.affine_grid(theta, list(x.shape), align_corners=False)
    return nn.functional.grid_sample(x, grid, mode="bilinear", padding_mode="border",
                                     align_corners=False)


def one_cycle(done: float, warm: float = 0.15, floor: float = 0.04) -> float:
    """The learning rate's share of its peak at ``done`` (0..1) of the run: a cosine rise
    from ``floor`` over the first ``warm`` of it, then a cosine fall to nearly zero."""
    import math

    if done < warm:
        return floor + (1 - floor) * (1 - math.cos(math.pi * done / warm)) / 2
    return 1e-3 + (1 - 1e-3) * (1 + math.cos(math.pi * min(1.0, (done - warm) / (1 - warm)))) / 2


@torch.no_grad()
def refresh_batch_norm(net: nn.Module, x: Any, prepare: Callable[[Any], torch.Tensor],
                       limit: int = 1024, batch: int = 64) -> None:
    """Recompute every batch-norm layer's statistics from up to ``limit`` training images
    with the current weights, drawn at random over ``x``. The running averages lag behind the
    weights, badly so when an epoch is a handful of steps (a few dozen images): evaluated with
    them, a net that fits its training images predicts one class for everything."""
    norms = [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    saved = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the batches below
    net.train()
    # a sample spread over the whole set: images listed class by class (folders) would
    # otherwise give statistics of the first class alone, and a net that scores 0.86
    # where it should score 0.98
    pick = np.sort(np.random.default_rng(0).permutation(len(x))[:limit])
    for i in range(0, len(pick), batch):
        idx = pick[i:i + batch]
        net(prepare(x[idx] if isinstance(x, np.ndarray) else x[torch.from_numpy(idx)]))
    for m, momentum in zip(norms, saved, strict=True):
        m.momentum = momentum
    net.eval()


@torch.no_grad()
def predict_logits(net: nn.Module, x: np.ndarray | torch.Tensor, batch: int = 256,
                   prepare: Callable[[Any], torch.Tensor] | None = None) -> np.ndarray:
    """Logits of ``net`` (eval mode) for ``x``, ``batch`` rows at a time."""
    net.eval()
    prepare = prepare or (to_tensor if isinstance(x, np.ndarray) else (lambda b: b))
    outs = [net(prepare(x[i:i + batch])).float().numpy() for i in range(0, len(x), batch)]
    return np.concatenate(outs) if outs else np.zeros((0, 0), dtype=np.float32)


def fit_loop(net: nn.Module, x: np.ndarray | torch.Tensor, y: np.ndarray,
             xv: np.ndarray | torch.Tensor, yv: np.ndarray, *, seconds: float,
             augment: str = "none", batch_size: int = 64, lr: float = 3e-3,
             max_epochs: int = 30, patience: int = 3, seed: int = 0,
             weight_decay: float = 1e-4, class_weight: np.ndarray | None = None,
             score: Callable[[np.ndarray, np.ndarray], float] | None = None,
             params: Any = None, keep_eval: tuple[nn.Module, ...] = (),
             on_epoch: Callable[[dict[str, Any]], None] | None = None) -> FitOutcome:
    """Train ``net`` on ``x``/``y`` for at most ``seconds``, keeping the weights that
    score best on ``xv``/``yv`` (``score(y_true, logits)``; accuracy by default). With no
    validation images (``yv`` empty) it trains to the end and keeps the last weights.

    ``x`` is uint8 images ``(n, h, w, c)`` or an already prepared float tensor (cached
    backbone activations; then ``augment`` must be ``"none"``). ``keep_eval``: modules
    whose batch-norm statistics stay frozen (a fine-tuned pretrained backbone on few images).
    """
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    score = score or (lambda t, logits: float((logits.argmax(1) == t).mean()))
    images = isinstance(x, np.ndarray)
    prepare = _channels_last if images else (lambda b: b)
    if images:  # oneDNN's convolutions run about 1.7x faster on channels-last maps on a CPU
        net.to(memory_format=torch.channels_last)
    n = len(x)
    batch_size = max(1, min(batch_size, n))
    steps_per_epoch = max(1, n // batch_size)
    yt = torch.as_tensor(y, dtype=torch.long)
    loss_fn = nn.CrossEntropyLoss(
        weight=None if class_weight is None else torch.as_tensor(class_weight, dtype=torch.float32),
        label_smoothing=0.05)
    opt = torch.optim.AdamW(params if params is not None else net.parameters(), lr=lr,
                            weight_decay=weight_decay)
    out = FitOutcome()
    start = time.perf_counter()

    def train_step(idx: torch.Tensor) -> float:
        net.train()
        for m in keep_eval:
            m.eval()
        xb = prepare(x[idx.numpy()] if images else x[idx])
        if images:
            xb = augment_batch(xb, augment, gen)
        loss = loss_fn(net(xb), yt[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    # The schedule runs on the clock: the learning rate follows a one-cycle curve over
    # the fraction of the time (or of the step cap) used so far. Sizing it in steps from a
    # few timed steps planned from the slow first steps (allocation, warm-up) and from
    # whatever the machine's load was then: on a shared machine it ended at half the budget.
    total = max(1, max_epochs * steps_per_epoch)
    planned = max(seconds * 0.96 - (time.perf_counter() - start), 1e-3)
    t_train = time.perf_counter()

    def progress(step: int) -> float:
        return max((time.perf_counter() - t_train) / planned, step / total)

    for group in opt.param_groups:
        group["peak_lr"] = group["lr"]
    step, best, best_state, bad, position = 0, -1.0, None, 0, steps_per_epoch
    losses: list[float] = []
    while (done := progress(step)) < 1.0:
        for group in opt.param_groups:
            group["lr"] = group["peak_lr"] * one_cycle(done)
        if position >= steps_per_epoch:
            order, position = torch.randperm(n, generator=gen), 0
        losses.append(train_step(order[position * batch_size:(position + 1) * batch_size]))
        step += 1
        position += 1
        over = time.perf_counter() - start > seconds
        if position >= steps_per_epoch or progress(step) >= 1.0 or over:
            if not keep_eval:
                refresh_batch_norm(net, x, prepare)
            valid = score(yv, predict_logits(net, xv, prepare=prepare)) if len(yv) else 0.0
            point = {"examples": step * batch_size, "train_loss": float(np.mean(losses)),
                     "valid_accuracy": valid, "seconds": round(time.perf_counter() - start, 2)}
            out.curve.append(point)
            losses = []
            if on_epoch:
                on_epoch(point)
            if valid > best or not len(yv):  # nothing to choose by: keep the last weights
                best, bad = valid, 0
                best_state = copy.deepcopy(net.state_dict())
            elif progress(step) >= 0.5:
                # only once the learning rate anneals: at its peak, validation wobbles
                # and the best epochs of a one-cycle schedule are its last
                bad += 1
            if over:
                out.stopped_by = "budget"
                break
            if bad >= patience:
                out.stopped_by = "early_stopping"
                break
    else:
        out.stopped_by = "schedule"
    if not out.curve and len(yv):  # no step fitted in the time given
        if not keep_eval:
            refresh_batch_norm(net, x, prepare)
        best = score(yv, predict_logits(net, xv, prepare=prepare))
        out.curve.append({"examples": step * batch_size, "train_loss": 0.0,
                          "valid_accuracy": best, "seconds": round(time.perf_counter() - start, 2)})
    if best_state is not None:
        net.load_state_dict(best_state)
    net.to(memory_format=torch.contiguous_format)  # as the export and Grad-CAM expect
    net.eval()
    out.best_valid = max(best, 0.0)
    out.examples_seen = step * batch_size
    out.epochs = round(out.examples_seen / n, 2)
    out.seconds = time.perf_counter() - start
    return out
