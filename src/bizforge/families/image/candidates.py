"""The candidate models, cheapest first: a small CNN, frozen backbone + linear head, and
the backbone's last blocks fine-tuned.

The backbone runs once over every image (:func:`extract`): it keeps the pooled features
(for the frozen candidate's logistic regression) and the activations entering the last
blocks (:data:`TUNE_FROM`), from which the fine-tuned candidate trains without running
the frozen part again. On a CPU that is the difference between a few epochs and none.

>>> cand = fit_cnn(arrays, y, valid_arrays, yv, seconds=60, augment="shift")  # doctest: +SKIP
>>> cand.valid_score, cand.net                                               # doctest: +SKIP
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

from bizforge.families.image.fit import FitOutcome, fit_loop, predict_logits
from bizforge.families.image.nets import (
    BACKBONE_SIZE,
    POOLS,
    BackboneNet,
    SmallCNN,
    cnn_widths,
    global_pool,
)
from bizforge.families.image.reading import ImageItem, load_arrays

__all__ = ["TUNE_FROM", "Candidate", "Extracted", "class_weights", "cnn_for", "extract", "fit_cnn",
           "fit_frozen", "fit_frozen_pools", "fit_tuned", "flip_variant", "seconds_per_image"]

TUNE_FROM = -3  # EfficientNet-Lite0: the last three blocks (7x7 maps) and the head conv
CHUNK = 32


@dataclass
class Candidate:
    """One trained candidate: its network (raw pixels in), validation/test logits, record."""

    name: str
    net: nn.Module
    valid_logits: np.ndarray
    test_logits: np.ndarray
    outcome: FitOutcome
    seconds: float
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return int(self.net.config["size"])

    @property
    def channels(self) -> int:
        return int(self.net.config["channels"])


def fit_cnn(x: np.ndarray, y: np.ndarray, xv: np.ndarray, yv: np.ndarray, xt: np.ndarray,
            n_classes: int, *, seconds: float, augment: str, seed: int,
            score: Callable[[np.ndarray, np.ndarray], float],
            on_epoch: Callable[[dict[str, Any]], None] | None = None) -> Candidate:
    """A :class:`SmallCNN` sized to the data, trained from scratch for ``seconds``."""
    start = time.perf_counter()
    torch.manual_seed(seed)
    size, channels = x.shape[1], x.shape[3]
    net = cnn_for(len(x), size, channels, n_classes)
    weight = class_weights(y, n_classes)
    outcome = fit_loop(net, x, y, xv, yv, seconds=seconds, augment=augment,
                       batch_size=128 if len(x) >= 5000 else 32 if len(x) >= 500 else 16,
                       lr=3e-3, seed=seed, max_epochs=60,
                       # an epoch of a few steps says little: wait longer before giving up
                       patience=2 if len(x) >= 5000 else 4 if len(x) >= 500 else 8,
                       class_weight=weight, score=score, on_epoch=on_epoch)
    return Candidate("cnn", net, predict_logits(net, xv), predict_logits(net, xt), outcome,
                     time.perf_counter() - start,
                     {"widths": net.config["widths"], "size": size, "augment": augment,
                      "head": net.config["head"]})


def cnn_for(n_images: int, size: int, channels: int, n_classes: int) -> SmallCNN:
    """The :class:`SmallCNN` for ``n_images`` training images of ``size`` pixels: two
    convolutions a stage below 20,000 images; digits and characters (32 px or less) keep
    the whole last map (where a stroke sits says which digit it is), larger inputs pool it."""
    return SmallCNN(channels, n_classes, size, cnn_widths(n_images, size),
                    double=n_images < 20_000, head="dense" if size <= 32 else "pool")


def class_weights(y: np.ndarray, n_classes: int) -> np.ndarray | None:
    """Inverse-square-root class weights (mean 1 over the images) when the classes are
    imbalanced, else None. A defect seen 30 times still counts against 900 good parts,
    but less than fully balanced weights would make it: a short run that has learned
    little falls back on the common class, not on a rare one (37x weight on ``fray``
    made an under-trained net call every tile frayed)."""
    counts = np.bincount(y, minlength=n_classes).astype(float)
    if counts.max() <= 3 * max(counts.min(), 1):
        return None
    weight = 1 / np.sqrt(np.maximum(counts, 1))
    return weight * counts.sum() / (weight * counts).sum()


@dataclass
class Extracted:
    """The backbone's outputs for a set of images: pooled features (average pool; ``peaks``:
    max pool, :func:`global_pool`) and the activations that enter the tuned blocks (None
    when not kept); ``problems`` by index."""

    pooled: np.ndarray
    tail_input: torch.Tensor | None
    problems: dict[int, Any]
    peaks: np.ndarray | None = None

    def of(self, pool: str) -> np.ndarray:
        """The features of pool ``pool`` (``avg`` or ``max``)."""
        return self.peaks if pool == "max" and self.peaks is not None else self.pooled


def _tail_blocks(backbone: BackboneNet) -> list[nn.Module]:
    return list(backbone.backbone._blocks)[TUNE_FROM:]


def flip_variant(x: torch.Tensor, variant: int) -> torch.Tensor:
    """Variant 0 is ``x``; bit 1 flips left-right, bit 2 upside down (``(n, c, h, w)``)."""
    if variant & 1:
        x = x.flip(-1)
    if variant & 2:
        x = x.flip(-2)
    return x


@torch.no_grad()
def extract(backbone: BackboneNet, items: list[ImageItem], *, keep_tail: bool,
            flips: int = 1, progress: Callable[[int], None] | None = None) -> Extracted:
    """Run the frozen backbone over ``items`` in chunks (224 x 224 RGB).

    ``flips`` > 1 also runs the flipped copies (:func:`flip_variant` 1 .. flips-1) of every
    image: the outputs then hold ``flips`` blocks of ``len(items)`` rows, variant by
    variant. A textured surface has no left or right: its flips are free training images,
    and cached here they cost one backbone pass each, not one per epoch."""
    backbone.eval()
    eff = backbone.backbone
    blocks = list(eff._blocks)
    first_tail = len(blocks) + TUNE_FROM
    pooled: list[list[np.ndarray]] = [[] for _ in range(flips)]
    peaks: list[list[np.ndarray]] = [[] for _ in range(flips)]
    tails: list[list[torch.Tensor]] = [[] for _ in range(flips)]
    problems = {}
    # channels-last maps: oneDNN runs the backbone about 1.6x faster on a CPU
    eff.to(memory_format=torch.channels_last)
    try:
        for start in range(0, len(items), CHUNK):
            arr, bad = load_arrays(items[start:start + CHUNK], BACKBONE_SIZE, 3)
            problems.update({start + k: v for k, v in bad.items()})
            pixels = (torch.from_numpy(arr).permute(0, 3, 1, 2).float() - 127.0) * (1 / 128.0)
            for variant in range(flips):
                x = flip_variant(pixels, variant).contiguous(memory_format=torch.channels_last)
                h = eff._swish(eff._bn0(eff._conv_stem(x)))
                for idx, block in enumerate(blocks):
                    if idx == first_tail and keep_tail:
                        tails[variant].append(h.clone())
                    h = block(h)  # eval mode: drop-connect is off
                h = eff._swish(eff._bn1(eff._conv_head(h)))
                pooled[variant].append(global_pool(h, "avg").numpy())
                peaks[variant].append(global_pool(h, "max").numpy())
            if progress:
                progress(len(arr))
    finally:
        eff.to(memory_format=torch.contiguous_format)  # as the export expects
    return Extracted(np.concatenate([np.concatenate(p) for p in pooled]),
                     torch.cat([torch.cat(t) for t in tails]) if keep_tail and items else None,
                     problems, np.concatenate([np.concatenate(p) for p in peaks]))


SPEED_REPEATS = 3  # timings of the few images; the fastest is the backbone's speed


def seconds_per_image(backbone: BackboneNet, sample: list[ImageItem]) -> float:
    """Measured cost of :func:`extract` per image (decode included) on a few images: the
    fastest of :data:`SPEED_REPEATS` timings, as other processes' bursts only slow a
    timing (a single timing of 8 images once read 3.6 images/s, and a steel run left
    the backbone out)."""
    # warm-up on the same batch shape: oneDNN builds its kernels per shape on first use
    extract(backbone, sample[:8], keep_tail=False)
    best = float("inf")
    for _ in range(SPEED_REPEATS):
        t0 = time.perf_counter()
        extract(backbone, sample[:8], keep_tail=False)
        best = min(best, time.perf_counter() - t0)
    return best / max(1, len(sample[:8]))


def fit_frozen(backbone: BackboneNet, f: np.ndarray, y: np.ndarray, fv: np.ndarray,
               yv: np.ndarray, ft: np.ndarray, *, score: Callable, seed: int,
               pool: str = "avg") -> Candidate:
    """Logistic regression on the pooled features (C chosen on validation), written into
    the backbone's linear head so that the network alone predicts; ``pool``: how ``f``
    were pooled (:func:`global_pool`), which the network then does too."""
    from sklearn.linear_model import LogisticRegression

    start = time.perf_counter()
    mu, sd = f.mean(axis=0), f.std(axis=0) + 1e-6
    best = None
    for c in (0.01, 0.1, 1.0):
        lr = LogisticRegression(C=c, max_iter=500, class_weight="balanced", random_state=seed)
        lr.fit((f - mu) / sd, y)
        logits = lr.decision_function((fv - mu) / sd)
        logits = np.stack([-logits, logits], 1) / 2 if logits.ndim == 1 else logits
        s = score(yv, logits)
        if best is None or s > best[0]:
            best = (s, c, lr)
    s, c, lr = best
    coef, bias = lr.coef_, lr.intercept_
    if coef.shape[0] == 1:  # binary: sklearn keeps one row; the head needs one per class
        coef, bias = np.vstack([-coef / 2, coef / 2]), np.array([-bias[0] / 2, bias[0] / 2])
    net = copy.deepcopy(backbone)
    net.config["pool"] = pool
    with torch.no_grad():  # fold the standardisation into the layer: W/sd, b - W.mu/sd
        net.head.weight.copy_(torch.as_tensor(coef / sd, dtype=torch.float32))
        net.head.bias.copy_(torch.as_tensor(bias - (coef / sd) @ mu, dtype=torch.float32))
    head = net.head
    valid = predict_logits(head, torch.as_tensor(fv, dtype=torch.float32))
    test = predict_logits(head, torch.as_tensor(ft, dtype=torch.float32))
    outcome = FitOutcome(curve=[], best_valid=s, epochs=0, examples_seen=len(f),
                         stopped_by="converged", seconds=time.perf_counter() - start)
    return Candidate("frozen", net, valid, test, outcome, outcome.seconds,
                     {"backbone": net.config["backbone"], "C": c, "pool": pool})


POOL_MARGIN = 0.01  # of the validation score: what the max pool must gain over the average


def fit_frozen_pools(backbone: BackboneNet, f: Extracted, y: np.ndarray, fv: Extracted,
                     yv: np.ndarray, ft: Extracted, *, score: Callable, seed: int) -> Candidate:
    """:func:`fit_frozen` on the average-pooled and on the max-pooled features; the max
    pool is kept when it scores :data:`POOL_MARGIN` better on validation (small defects)."""
    best = None
    tried = {}
    for pool in POOLS:
        cand = fit_frozen(backbone, f.of(pool), y, fv.of(pool), yv, ft.of(pool), score=score,
                          seed=seed, pool=pool)
        tried[pool] = round(cand.outcome.best_valid, 4)
        if best is None or cand.outcome.best_valid > best.outcome.best_valid + POOL_MARGIN:
            best = cand
    assert best is not None
    best.params["pool_scores"] = tried
    return best


class _Tail(nn.Module):
    """The backbone's last blocks, head conv and linear head, from cached activations."""

    def __init__(self, net: BackboneNet):
        super().__init__()
        eff = net.backbone
        self.blocks = nn.ModuleList(_tail_blocks(net))
        self.conv_head, self.bn1, self.act = eff._conv_head, eff._bn1, eff._swish
        self.head, self.pool = net.head, net.pool

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            h = block(h)
        h = self.act(self.bn1(self.conv_head(h)))
        return self.head(global_pool(h, self.pool))


def fit_tuned(frozen: Candidate, tail_x: torch.Tensor, y: np.ndarray, tail_v: torch.Tensor,
              yv: np.ndarray, tail_t: torch.Tensor, *, seconds: float, seed: int,
              score: Callable, on_epoch: Callable | None = None) -> Candidate:
    """Fine-tune the last blocks (batch-norm statistics frozen: few images) from the
    frozen candidate's head, for ``seconds``, with the CNN's class weights. ``tail_x`` may
    hold several (flipped) copies of the training images: ``y`` then repeats alongside."""
    start = time.perf_counter()
    net = copy.deepcopy(frozen.net)
    tail = _Tail(net)
    outcome = fit_loop(tail, tail_x, y, tail_v, yv, seconds=seconds, augment="none",
                       batch_size=32, lr=5e-4, max_epochs=30, patience=3, seed=seed,
                       weight_decay=1e-3, score=score, keep_eval=(tail,), on_epoch=on_epoch,
                       class_weight=class_weights(y, net.head.out_features))
    if outcome.best_valid < frozen.outcome.best_valid:
        outcome.stopped_by = "no_gain"
    return Candidate("finetune", net, predict_logits(tail, tail_v), predict_logits(tail, tail_t),
                     outcome, time.perf_counter() - start,
                     {"backbone": net.config["backbone"], "tuned_blocks": -TUNE_FROM,
                      "pool": net.pool})
