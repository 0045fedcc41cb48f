"""Few images per class: the frozen backbone's features, a linear head, and every choice
made by k-fold cross-validation over *all* the training images.

With ten images a class, a validation hold-out of 15 images decides nothing: one image
moves its score by 7 points. Here nothing is held out. The backbone runs once over every
training image in each of its *views* (the eight flips and quarter turns of a texture,
which has no up or left; a digit has one view), and the candidates are compared by
repeated stratified k-fold over the images (the views of an image, and with a group
column the images of a group, stay in one fold):

- ``logreg``: logistic regression on standardised features, C from a grid;
- ``prototype``: the nearest class mean (cosine), the classic few-shot head;
- each with the test image seen in one view or averaged over all its views (on a tie,
  averaged: the head then sees a test image as it saw the training images);
- beside them (:func:`few_candidates`), the backbone's last blocks fine-tuned and the small
  CNN, judged on the same kind of folds; the run's ensemble is picked on out-of-fold logits.

The winner is refitted on every image and written into the backbone's linear head
(averaging a linear head's logits over views = the head on the averaged features), so the
served network is the usual ONNX graph; averaged over views, it runs the views inside it.

>>> few_images(np.array([10, 12, 40]))
True
>>> [tuple(view(torch.arange(4.).reshape(1, 1, 2, 2), k).flatten().tolist()) for k in (0, 4)]
[(0.0, 1.0, 2.0, 3.0), (0.0, 2.0, 1.0, 3.0)]
"""

from __future__ import annotations

import copy
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from bizforge.families.image import candidates as cands
from bizforge.families.image.fit import FitOutcome
from bizforge.families.image.nets import POOLS, BackboneNet, global_pool

__all__ = ["FEW_IMAGES", "CvChoice", "ViewAveraged", "choose_head", "cv_folds", "describe",
           "few_images", "fit_fewshot", "head_weights", "view"]

FEW_IMAGES = 30  # a class with fewer training images than this takes the small-data path
C_GRID = (0.001, 0.01, 0.1, 1.0)
FOLDS = 5
REPEATS = 3
TIE = 0.005  # of the CV score: within it, the option tried first wins (all views, larger C)


def few_images(counts: np.ndarray) -> bool:
    """True when the smallest class has fewer than :data:`FEW_IMAGES` images."""
    return int(np.min(counts)) < FEW_IMAGES


def view(x: torch.Tensor, k: int) -> torch.Tensor:
    """View ``k`` (0-7) of ``(n, c, h, w)`` images: bit 4 transposes (with a flip, a quarter
    turn), bits 1 and 2 flip left-right and upside down (:func:`candidates.flip_variant`)."""
    if k & 4:
        x = x.transpose(-1, -2)
    return cands.flip_variant(x, k & 3)


class ViewAveraged(nn.Module):
    """A backbone net whose head sees its pooled features averaged over ``views`` views."""

    def __init__(self, net: BackboneNet, views: int):
        super().__init__()
        self.net, self.views = net, views
        self.config = {**net.config, "views": views}
        self.head = net.head

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The unturned view's feature map (Grad-CAM shows where the head looked in it)."""
        return self.net.features(x)

    def classify(self, fmap: torch.Tensor) -> torch.Tensor:
        return self.net.classify(fmap)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = [global_pool(self.net.features(view(x, k)), self.net.pool)
                  for k in range(self.views)]
        return self.net.head(torch.stack(pooled).mean(0))


def cv_folds(y: np.ndarray, groups: np.ndarray | None, *, seed: int, folds: int = FOLDS,
             repeats: int | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(fit, held)`` index pairs over the images: stratified k-fold repeated ``repeats``
    (default :data:`REPEATS`) times (k at most the smallest class), grouped when
    ``groups`` is given."""
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    repeats = REPEATS if repeats is None else repeats

    smallest = int(np.bincount(y).min())
    out = []
    with warnings.catch_warnings():  # a class rarer than k folds: sklearn warns, splits anyway
        warnings.simplefilter("ignore", UserWarning)
        if groups is None:
            k = max(2, min(folds, smallest))
            for r in range(repeats):
                out += list(StratifiedKFold(k, shuffle=True, random_state=seed + r)
                            .split(np.zeros(len(y)), y))
        else:
            k = max(2, min(folds, len(np.unique(groups))))
            for r in range(repeats):
                out += list(StratifiedGroupKFold(k, shuffle=True, random_state=seed + r)
                            .split(np.zeros(len(y)), y, groups))
    return [(a, b) for a, b in out if len(np.unique(y[a])) == len(np.unique(y))]


@dataclass
class CvChoice:
    """The chosen head, its CV score, the out-of-fold logits and every option's score."""

    head: str
    c: float | None
    views: int
    score: float
    oof_logits: np.ndarray
    table: dict[str, float]
    pool: str = "avg"

    @property
    def label(self) -> str:
        what = f"logistic regression (C={self.c:g})" if self.head == "logreg" else \
            "nearest class mean (cosine)"
        return (f"{what}, {'one view' if self.views == 1 else f'{self.views} views averaged'}"
                f"{', max-pooled features' if self.pool == 'max' else ''}")


def head_weights(head: str, c: float | None, feats: np.ndarray, y: np.ndarray, n_classes: int,
                 seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(W, b)`` of a linear head on raw pooled features ``feats`` (rows = images x views):
    the standardisation folded in (``W/sd``, ``b - W.mu/sd``)."""
    mu, sd = feats.mean(axis=0), feats.std(axis=0) + 1e-6
    z = (feats - mu) / sd
    if head == "logreg":
        from sklearn.linear_model import LogisticRegression

        lr = LogisticRegression(C=c, max_iter=1000, class_weight="balanced", random_state=seed)
        lr.fit(z, y)
        coef, bias = lr.coef_, lr.intercept_
        if coef.shape[0] == 1:  # binary: one row in sklearn, one per class in the head
            coef, bias = np.vstack([-coef / 2, coef / 2]), np.array([-bias[0] / 2, bias[0] / 2])
    else:  # prototype: cosine to the class means; the temperature spreads a typical image
        means = np.stack([z[y == k].mean(axis=0) for k in range(n_classes)])
        means /= np.linalg.norm(means, axis=1, keepdims=True) + 1e-9
        coef = means * (10.0 / (np.linalg.norm(z, axis=1).mean() + 1e-9))
        bias = np.zeros(n_classes)
    return coef / sd, bias - (coef / sd) @ mu


def _logits(w: np.ndarray, b: np.ndarray, feats: np.ndarray) -> np.ndarray:
    """``feats`` ``(views, n, d)``: the head's logits averaged over the views."""
    return np.mean([f @ w.T + b for f in feats], axis=0)


def choose_head(feats: np.ndarray | dict[str, np.ndarray], y: np.ndarray,
                groups: np.ndarray | None, *, score: Callable[[np.ndarray, np.ndarray], float],
                seed: int, deadline: float | None = None,
                serve_views: int | None = None) -> CvChoice:
    """Compare the heads by k-fold CV over all the images. ``feats``: ``(views, n, d)``, or
    such arrays by pool (``{"avg": ..., "max": ...}``): the max pool is then chosen only
    when its best head scores :data:`cands.POOL_MARGIN` better than the average's. Every
    view is a training row; at prediction an image is seen in one view or averaged over the
    first ``serve_views`` (default: all of them)."""
    by_pool = feats if isinstance(feats, dict) else {"avg": feats}
    n_views, n, _ = next(iter(by_pool.values())).shape
    most = n_views if serve_views is None else max(1, min(serve_views, n_views))
    n_classes = int(y.max()) + 1
    folds = cv_folds(y, groups, seed=seed)
    options = [("logreg", c) for c in sorted(C_GRID, reverse=True)] + [("prototype", None)]
    # all views first: on a tie the head sees a test image as it saw the training images
    # (textures 10 a class, CV 1.000 either way: 0.936 from one view, 1.000 averaged)
    view_counts = (most, 1) if most > 1 else (1,)
    oof = {(p, h, c, v): np.zeros((len(folds), n, n_classes)) for p in by_pool
           for h, c in options for v in view_counts}
    done = 0
    for i, (a, b) in enumerate(folds):
        if deadline is not None and i and time.perf_counter() > deadline:
            break  # out of time: the folds so far decide
        ya = np.tile(y[a], n_views)
        for p, f in by_pool.items():
            rows = f[:, a].reshape(-1, f.shape[2])
            for h, c in options:
                w, bias = head_weights(h, c, rows, ya, n_classes, seed)
                for v in view_counts:
                    oof[(p, h, c, v)][i, b] = _logits(w, bias, f[:v, b])
        done = i + 1
    table: dict[str, float] = {}
    best: tuple[float, tuple] | None = None
    for p in by_pool:
        best_here: tuple[float, tuple] | None = None
        for key in (k for k in oof if k[0] == p):
            # each repeat covers every image once: score the repeats, then average
            per_fold = oof[key][:done]
            held = [b for _, b in folds[:done]]
            s = float(np.mean([score(y[b], per_fold[j][b]) for j, b in enumerate(held)]))
            table[_name(*key[1:]) + ("" if p == "avg" else f"/{p}")] = round(s, 4)
            if best_here is None or s > best_here[0] + TIE:  # a tie: the one tried first
                best_here = (s, key)
        assert best_here is not None
        if best is None or best_here[0] > best[0] + cands.POOL_MARGIN:
            best = best_here
    assert best is not None
    pool, h, c, v = best[1]
    # the out-of-fold logits of one repeat stand in for validation logits downstream
    mask = [b for _, b in folds[:done]]
    oof_one = np.zeros((n, n_classes))
    for j, b in enumerate(mask):
        oof_one[b] = oof[best[1]][j][b]
    return CvChoice(h, c, v, best[0], oof_one, table, pool)


def _name(head: str, c: float | None, views: int) -> str:
    return f"{head}{'' if c is None else f'(C={c:g})'}/{views}view{'s' if views > 1 else ''}"


def fit_fewshot(backbone: BackboneNet, train: list, y: np.ndarray, test: list, *,
                views: int, score: Callable, seed: int, groups: np.ndarray | None = None,
                deadline: float | None = None, serve_views: int | None = None,
                progress: Callable[[int], None] | None = None) -> tuple[cands.Candidate, CvChoice]:
    """The small-data candidate: features of ``views`` views of every training image, the
    head chosen by k-fold CV (served on one view or averaged over at most ``serve_views``),
    refitted on all of ``train`` and written into a copy of ``backbone``. Its
    ``valid_logits`` are the out-of-fold logits (over ``train``: nothing was held out)."""
    start = time.perf_counter()
    per_view = [_view_features(backbone, train, k, progress) for k in range(views)]
    by_pool = {p: np.stack([f[p] for f in per_view]) for p in per_view[0]}
    choice = choose_head(by_pool, y, groups, score=score, seed=seed, deadline=deadline,
                         serve_views=serve_views)
    feats_arr = by_pool[choice.pool]
    n_classes = backbone.head.out_features
    w, b = head_weights(choice.head, choice.c, feats_arr.reshape(-1, feats_arr.shape[2]),
                        np.tile(y, views), n_classes, seed)
    net = copy.deepcopy(backbone)
    net.config["pool"] = choice.pool
    with torch.no_grad():
        net.head.weight.copy_(torch.as_tensor(w, dtype=torch.float32))
        net.head.bias.copy_(torch.as_tensor(b, dtype=torch.float32))
    served: nn.Module = net if choice.views == 1 else ViewAveraged(net, choice.views)
    test_feats = np.stack([_view_features(net, test, k, None)[choice.pool]
                           for k in range(choice.views)])
    test_logits = _logits(w, b, test_feats)
    seconds = time.perf_counter() - start
    outcome = FitOutcome(curve=[], best_valid=choice.score, epochs=0, examples_seen=len(train),
                         stopped_by="converged", seconds=seconds)
    cand = cands.Candidate("fewshot", served, choice.oof_logits, test_logits, outcome, seconds,
                           {"backbone": net.config["backbone"], "head": choice.head,
                            "C": choice.c, "views": choice.views, "train_views": views,
                            "pool": choice.pool,
                            "cv": f"{FOLDS}-fold x {REPEATS}", "cv_scores": choice.table})
    return cand, choice


@torch.no_grad()
def _view_features(backbone: BackboneNet, items: list, k: int,
                   progress: Callable[[int], None] | None) -> dict[str, np.ndarray]:
    """Pooled features of view ``k`` of every image by pool (:data:`POOLS`; ``avg`` only
    when the backbone returns vectors), the backbone in eval mode."""
    from bizforge.families.image.nets import BACKBONE_SIZE
    from bizforge.families.image.reading import load_arrays

    backbone.eval()
    out: dict[str, list[np.ndarray]] = {}
    # channels-last maps: oneDNN runs the backbone about 1.6x faster on a CPU
    backbone.to(memory_format=torch.channels_last)
    try:
        for s in range(0, len(items), cands.CHUNK):
            arr, _ = load_arrays(items[s:s + cands.CHUNK], BACKBONE_SIZE, 3)
            x = view(torch.from_numpy(arr).permute(0, 3, 1, 2).float(), k)
            f = backbone.features(x.contiguous(memory_format=torch.channels_last))
            for p in POOLS if f.dim() == 4 else ("avg",):
                out.setdefault(p, []).append(global_pool(f, p).numpy())
            if progress:
                progress(len(arr))
    finally:
        backbone.to(memory_format=torch.contiguous_format)  # as the export expects
    if not out:
        return {"avg": np.zeros((0, backbone.head.in_features))}
    return {p: np.concatenate(v) for p, v in out.items()}


def describe(choice: CvChoice, n_images: int, smallest: int, views: int = 1) -> str:
    """The report's line: what was chosen (trained on ``views`` views), and how."""
    trained = f" (trained on {views} views of each image)" if views > 1 else ""
    return (f"few images per class (smallest class {smallest}, {n_images} images): chose "
            f"{choice.label}{trained} by {FOLDS}-fold cross-validation x {REPEATS} over all the "
            f"training images (CV score {choice.score:.3f}; nothing held out for validation).")


def merged(prep: Any) -> Any:
    """``prep`` with its validation images moved into training: the CV replaces them."""
    import dataclasses

    return dataclasses.replace(prep, train=prep.train + prep.valid, valid=[])


def few_candidates(backbone: BackboneNet, prep: Any, *, augment: str, score: Callable,
                   seed: int, left: Callable[[], float], groups: np.ndarray | None,
                   notes: list[str], tune: bool = False) -> list[cands.Candidate]:
    """The small-data path of a run: ``prep`` already :func:`merged`. Textures (``flip``
    augmentation) are seen in their eight flips and quarter turns; other images once.
    The views cost one backbone pass each, and are counted apart: as training rows (one
    pass a training image a view) and averaged at prediction (one pass a predicted image a
    view). Fewer are used when the time is short, those at prediction first: a head
    trained on every view is better even when it is served one view (steel 10 a class,
    20 draws: trained on 8, served 1 view 0.960; trained on 2, served 1 0.930).
    ``tune``: also the last blocks fine-tuned (:func:`cv_tuned`), when the time allows."""
    y = prep.y(prep.train)
    n = len(prep.train)
    views = 8 if augment == "flip" else 1
    per_image = getattr(backbone, "per_image_", 0.05)
    # the training views within a quarter of the time left ...
    while views > 1 and per_image * views * n > left() * 0.25:
        views //= 2
    # ... then, in each served view, the test images twice (the candidate's test logits,
    # then the served model's evaluation) and the export check (about 3 passes over the
    # training images), all within two thirds of it
    served = views
    while served > 1 and (per_image * (views * n + served * (2 * len(prep.test) + 3 * n))
                          > left() * 0.66):
        served //= 2
    deadline = time.perf_counter() + max(left() * 0.8, 1.0)
    cand, choice = fit_fewshot(backbone, prep.train, y, prep.test, views=views, score=score,
                               seed=seed, groups=groups, deadline=deadline,
                               serve_views=served)
    notes.append(describe(choice, n, int(np.bincount(y).min()), views))
    out = [cand]
    if tune and choice.views == 1:  # the tuned net serves one view: its rival is one too
        flips = 4 if views > 1 else 1
        if per_image * (flips * n + len(prep.test)) < left() * 0.2:
            out.append(cv_tuned(backbone, prep, y, groups, flips=flips, choice=choice,
                                seconds=left() * 0.45, score=score, seed=seed))
    return out


def cv_tuned(backbone: BackboneNet, prep: Any, y: np.ndarray, groups: np.ndarray | None, *,
             flips: int, choice: CvChoice, seconds: float, score: Callable,
             seed: int) -> cands.Candidate:
    """The backbone's last blocks fine-tuned from the chosen head, judged by one round of
    k-fold CV (each fold trained to the end of its share of ``seconds``: nothing is held
    out to stop on), then tuned once more on every image. ``flips`` > 1: the training
    images also pass flipped (textures), as extra rows."""
    start = time.perf_counter()
    n_classes = int(y.max()) + 1
    ext = cands.extract(backbone, prep.train, keep_tail=True, flips=flips)
    test_tail = cands.extract(backbone, prep.test, keep_tail=True).tail_input
    n = len(y)
    folds = cv_folds(y, groups, seed=seed, repeats=1)
    share = max(1.0, (seconds - (time.perf_counter() - start)) / (len(folds) + 1))

    def tune(rows: np.ndarray, held) -> tuple[cands.Candidate, np.ndarray]:
        pooled = np.concatenate([ext.of(choice.pool)[v * n + rows] for v in range(flips)])
        w, b = head_weights(choice.head, choice.c, pooled, np.tile(y[rows], flips),
                            n_classes, seed)
        net = copy.deepcopy(backbone)
        net.config["pool"] = choice.pool
        with torch.no_grad():
            net.head.weight.copy_(torch.as_tensor(w, dtype=torch.float32))
            net.head.bias.copy_(torch.as_tensor(b, dtype=torch.float32))
        start_from = cands.Candidate("frozen", net, np.zeros((0, n_classes)),
                                     np.zeros((0, n_classes)), FitOutcome(best_valid=-1.0), 0.0)
        tails = torch.cat([ext.tail_input[v * n + rows] for v in range(flips)])
        empty = tails[:0]
        tuned = cands.fit_tuned(start_from, tails, np.tile(y[rows], flips), empty, y[:0],
                                held, seconds=share, seed=seed, score=score)
        return tuned, tuned.test_logits

    oof = np.zeros((n, n_classes))
    for a, b in folds:
        _, oof[b] = tune(a, ext.tail_input[b])
    tuned, test_logits = tune(np.arange(n), test_tail)
    tuned.valid_logits, tuned.test_logits = oof, test_logits
    tuned.outcome.best_valid = score(y, oof)
    tuned.outcome.stopped_by = "schedule"
    tuned.seconds = time.perf_counter() - start
    tuned.params.update({"cv": f"{len(folds)}-fold, {share:.0f} s a fold", "flips": flips,
                         "from_head": choice.label})
    return tuned


def cv_cnn(x: np.ndarray, y: np.ndarray, xt: np.ndarray, groups: np.ndarray | None, *,
           seconds: float, augment: str, score: Callable, seed: int) -> cands.Candidate:
    """The small CNN judged like the heads: trained on each of :data:`FOLDS` folds for the
    same share of ``seconds`` (no early stopping: nothing is held out to stop on), its
    out-of-fold logits as its validation logits; then trained once more on every image."""
    from bizforge.families.image.fit import fit_loop, predict_logits
    from bizforge.families.image.nets import SmallCNN, cnn_widths

    start = time.perf_counter()
    n_classes = int(y.max()) + 1
    folds = cv_folds(y, groups, seed=seed, repeats=1)
    share = seconds / (len(folds) + 1)
    size, channels = x.shape[1], x.shape[3]

    def train(rows: np.ndarray) -> tuple[nn.Module, FitOutcome]:
        torch.manual_seed(seed)
        net = SmallCNN(channels, n_classes, size, cnn_widths(len(rows), size), double=True)
        out = fit_loop(net, x[rows], y[rows], x[:0], y[:0], seconds=share, augment=augment,
                       batch_size=16, lr=3e-3, seed=seed, max_epochs=60, patience=10 ** 6,
                       class_weight=cands.class_weights(y[rows], n_classes), score=score)
        return net, out

    oof = np.zeros((len(y), n_classes))
    for a, b in folds:
        net, _ = train(a)
        oof[b] = predict_logits(net, x[b])
    net, outcome = train(np.arange(len(y)))
    outcome.best_valid = score(y, oof)
    return cands.Candidate("cnn", net, oof, predict_logits(net, xt), outcome,
                           time.perf_counter() - start,
                           {"widths": net.config["widths"], "size": size, "augment": augment,
                            "cv": f"{len(folds)}-fold, {share:.0f} s a fold"})
