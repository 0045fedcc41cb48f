"""One image-classification run: check, split, fit the candidates, ensemble, export, score.

Reads top to bottom as the steps of :func:`run`: the findings (unusable files are
skipped *and reported*), the labels, the held-out test and validation images, the
candidates cheapest first within the budget, the ensemble chosen on validation, the
ONNX export (fp32 and int8, each timed and scored on validation), the test figures of
the served model, the report.

>>> trained = run(list_images(DataSource("digits/")), None, ImageOptions(), 300)  # doctest: +SKIP
>>> trained.metrics["test"]["accuracy"]                                            # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from bizforge.errors import DataError
from bizforge.evaluate.metrics import classification_metrics
from bizforge.families.base import Trained
from bizforge.families.image import candidates as cands
from bizforge.families.image import fewshot
from bizforge.families.image.findings import ImageProfile, image_profile
from bizforge.families.image.nets import BACKBONE_SIZE, DEFAULT_BACKBONE, build_backbone
from bizforge.families.image.reading import (
    ImageItem,
    ImageSet,
    cache_side,
    decode_items,
    load_arrays,
)
from bizforge.families.image.serving import export_members
from bizforge.families.image.splits import holdout

__all__ = ["Prepared", "prepare", "run", "selection_score"]

TEST_SHARE = 0.2
VALID_SHARE = 0.15
MAX_VALID = 5000  # images: enough to choose by; past it they serve training better
RESERVE = 0.06  # of the budget: export, quantisation check, test scoring and the report (a
#   backbone member keeps its own, larger share back: see _backbone_candidates)
MAX_TAIL_IMAGES = 8000  # cached 7x7 activations (37 kB an image): 300 MB at most
TRAIN_FLIPS = 4  # textures: each training image also passes the backbone flipped 3 ways
EXPORT_CALIBRATION = 64  # images the int8 calibration of a 224-pixel member runs
MAX_ARTIFACT_BYTES = 30 * 10 ** 6  # the served ONNX graphs together, at fp32


def selection_score(imbalanced: bool) -> tuple[str, Callable[[np.ndarray, np.ndarray], float]]:
    """Validation metric (name, fn(y, logits)): macro-F1 when classes are imbalanced, where
    accuracy would praise a model that calls every part good."""
    if not imbalanced:
        return "accuracy", lambda y, logits: float((logits.argmax(1) == y).mean())
    from sklearn.metrics import f1_score
    return "macro_f1", lambda y, logits: float(f1_score(y, logits.argmax(1), average="macro",
                                                        zero_division=0))


@dataclass
class Prepared:
    """The usable, labelled images split three ways; ``skipped`` are reported findings."""

    train: list[ImageItem]
    valid: list[ImageItem]
    test: list[ImageItem]
    classes: list[str]
    profile: ImageProfile
    notes: list[str]

    def y(self, part: list[ImageItem]) -> np.ndarray:
        index = {c: i for i, c in enumerate(self.classes)}
        return np.array([index[i.label] for i in part], dtype=np.int64)


def _usable(images: ImageSet, prof: ImageProfile, notes: list[str], what: str) -> list[ImageItem]:
    skipped = [i.name for i, ok in zip(images.items, prof.usable, strict=True) if not ok]
    if skipped:
        notes.append(f"{len(skipped)} {what} file(s) could not be read and were skipped "
                     f"(see the findings): {', '.join(skipped[:5])}"
                     f"{' ...' if len(skipped) > 5 else ''}.")
    return [i for i, ok in zip(images.items, prof.usable, strict=True) if ok]


def _check_labels(items: list[ImageItem], images: ImageSet) -> None:
    if images.kind == "flat":
        raise DataError(f"the images in '{images.root}' are not in class sub-folders, so they "
                        "have no labels.", path=str(images.root),
                        fix="put them in one sub-folder per class, or list them in a CSV "
                            "with a label column (--target).")
    blank = [i.row for i in items if i.label is None]
    if blank:
        raise DataError(f"{len(blank)} image(s) have no label (rows "
                        f"{', '.join(str(r + 2) for r in blank[:5])}).", rows=blank,
                        fix="fill in the label column or drop those rows.")


def prepare(images: ImageSet, test: ImageSet | None, *, seed: int, group_column: str | None,
            lang: str = "en", side: int = 224) -> Prepared:
    """Decode every image once (kept in memory, shorter side up to about ``side``),
    findings, label checks and the train/validation/test split."""
    n = len(images.items) + (0 if test is None else len(test.items))
    keep = cache_side(n, side)
    facts = decode_items(images.items, keep)
    test_facts = None if test is None else decode_items(test.items, keep)
    prof = image_profile(images, test=test, lang=lang, facts=facts, test_facts=test_facts)
    notes: list[str] = []
    usable = _usable(images, prof, notes, "training")
    _check_labels(usable, images)
    counts = {c: sum(i.label == c for i in usable) for c in images.classes}
    lonely = [c for c, n in counts.items() if n < 2]
    if lonely:
        raise DataError(f"class(es) {', '.join(repr(c) for c in lonely)} have fewer than 2 "
                        "usable images; one image can be learned or tested, not both.",
                        fix="add images of those classes, or remove their folders.")
    classes = sorted(c for c, n in counts.items() if n)
    if len(classes) < 2:
        raise DataError(f"'{images.root}' holds one class ({classes[0] if classes else 'none'}); "
                        "a classifier needs at least two.",
                        fix="add a folder of images for every class.")
    if group_column is not None and any(i.group is None for i in usable):
        missing = [i.name for i in usable if i.group is None][:5]
        raise DataError(f"column '{group_column}' is blank for some images ({', '.join(missing)}).",
                        column=group_column, fix="give every image a group.")
    index = {c: k for k, c in enumerate(classes)}
    y = np.array([index[i.label] for i in usable])
    groups = None if group_column is None else np.array([i.group for i in usable])
    if test is None:
        keep, held = holdout(y, groups, TEST_SHARE, seed=seed, what="test",
                             group_column=group_column)
        test_items = [usable[i] for i in held]
    else:
        keep = np.arange(len(usable))
        test_prof = image_profile(test, lang=lang, facts=test_facts)
        test_items = _usable(test, test_prof, notes, "test")
        unknown = sorted({i.label for i in test_items} - set(classes) - {None})
        if unknown or any(i.label is None for i in test_items):
            raise DataError(f"the test images carry labels the training images do not "
                            f"({', '.join(map(str, unknown)) or 'blank'}).",
                            fix="use the same class folders (or label values) for both.")
    fit_items = [usable[i] for i in keep]
    fit_groups = None if groups is None else groups[keep]
    share = min(VALID_SHARE, MAX_VALID / max(1, len(keep)))
    train_idx, valid_idx = holdout(y[keep], fit_groups, share, seed=seed + 1,
                                   group_column=group_column)
    return Prepared([fit_items[i] for i in train_idx], [fit_items[i] for i in valid_idx],
                    test_items, classes, prof, notes)


def _cnn_geometry(prep: Prepared, image_size: int | None) -> tuple[int, int]:
    facts = [f for f in prep.profile.ok if f is not None]
    side = float(np.median([max(f.width, f.height) for f in facts]))
    size = image_size or (28 if side <= 28 else 32 if side <= 40 else 64 if side <= 96 else 128)
    grey = all(f.mode in ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F") for f in facts)
    return size, 1 if grey else 3


def _arrays(items: list[ImageItem], size: int, channels: int) -> np.ndarray:
    arr, bad = load_arrays(items, size, channels)
    if bad:  # the header was fine but the pixels were not (a truncated file)
        names = [f"{items[i].name}: {p.reason}" for i, p in sorted(bad.items())]
        raise DataError(f"{len(bad)} image(s) could not be decoded ({'; '.join(names[:5])}).",
                        fix="replace or remove them.")
    return arr


def _weight_bytes(candidate: cands.Candidate) -> int:
    """The fp32 size of a member's weights: about the size of its ONNX graph."""
    return sum(4 * p.numel() for p in candidate.net.parameters())


def _ensemble(members: list[cands.Candidate], yv: np.ndarray, score: Callable, *,
              max_bytes: int = MAX_ARTIFACT_BYTES
              ) -> tuple[list[cands.Candidate], list[float], float]:
    """The best of every candidate and every equal-weight average of two or three,
    by validation score (a tie keeps the smaller ensemble). Ensembles whose fp32 weights
    pass ``max_bytes`` are not considered (two Lite0 graphs come close to 30 MB): the
    artifact stays that small even when int8 is refused."""
    from bizforge.families.image.predictor import softmax

    best: tuple[float, list[cands.Candidate]] | None = None
    for k in range(1, min(3, len(members)) + 1):
        for combo in itertools.combinations(members, k):
            if k > 1 and sum(_weight_bytes(c) for c in combo) > max_bytes:
                continue
            p = np.mean([softmax(c.valid_logits) for c in combo], axis=0)
            s = score(yv, np.log(p + 1e-12))
            if best is None or s > best[0] + 1e-9:
                best = (s, list(combo))
    assert best is not None
    return best[1], [1.0] * len(best[1]), best[0]


def run(images: ImageSet, test: ImageSet | None, options: Any, time_limit: float, *,
        seed: int = 0, lang: str = "en",
        progress: Callable[[dict[str, Any]], None] | None = None) -> Trained:
    """Train an image classifier on ``images`` within ``time_limit`` seconds."""
    from bizforge.families.image.report import build_report

    start = time.perf_counter()
    emit = progress or (lambda e: None)
    torch.manual_seed(seed)
    emit({"event": "stage", "stage": "inspect"})
    wanted = set(options.image_models)
    # the largest input a candidate takes: the backbone's, or the CNN's (at most 128)
    side = BACKBONE_SIZE if wanted & {"frozen", "finetune"} else (options.image_size or 128)
    prep = prepare(images, test, seed=seed, group_column=options.group_column, lang=lang,
                   side=side)
    y, yv, yt = prep.y(prep.train), prep.y(prep.valid), prep.y(prep.test)
    counts = np.bincount(y, minlength=len(prep.classes))
    metric, score = selection_score(counts.max() > 3 * max(counts.min(), 1))
    size, channels = _cnn_geometry(prep, options.image_size)
    augment = options.augment if options.augment != "auto" else ("shift" if size <= 32 else "flip")
    budget = time_limit * (1 - RESERVE)
    found: list[cands.Candidate] = []
    leaderboard: list[dict[str, Any]] = []
    notes = list(prep.notes)

    def left() -> float:
        return budget - (time.perf_counter() - start)

    # 0. can the backbone see every image in the time left? (measured on a few images)
    backbone = _affordable_backbone(prep, options, wanted, left, notes)
    export_prep, unchecked = prep, None
    if backbone is not None and fewshot.few_images(np.bincount(np.r_[y, yv])):
        # few images a class: no validation hold-out; k-fold CV over all of them decides
        prep = fewshot.merged(prep)
        y = yv = prep.y(prep.train)
        export_prep = dataclasses.replace(prep, valid=prep.train)  # timed on them
        # images the head was fitted on sit far from its boundaries: int8 looks lossless
        # on them and was not (textures 10 a class: 0.991 -> 0.955 on test)
        unchecked = "few images per class, all used for training: none left to judge int8 on"
        groups = (None if options.group_column is None
                  else np.array([i.group for i in prep.train]))
        found += fewshot.few_candidates(backbone, prep, augment=augment, score=score,
                                        seed=seed, left=left, groups=groups, notes=notes,
                                        tune="finetune" in wanted)
        if "cnn" in wanted:  # judged by the same k-fold CV, in most of the time left
            emit({"event": "candidate_start", "name": "cnn"})
            found.append(fewshot.cv_cnn(
                _arrays(prep.train, size, channels), y, _arrays(prep.test, size, channels),
                groups, seconds=max(1.0, left() * 0.8), augment=augment, score=score,
                seed=seed))
            emit({"event": "candidate_end", "name": "cnn", "elapsed": found[-1].seconds})
        wanted, backbone = set(), None
    # 1. the small CNN; it leaves most of the time to the backbone when one can run
    if "cnn" in wanted:
        emit({"event": "candidate_start", "name": "cnn"})
        x = _arrays(prep.train, size, channels)
        xv, xt = _arrays(prep.valid, size, channels), _arrays(prep.test, size, channels)
        share = 0.3 if backbone is not None else 1.0
        found.append(cands.fit_cnn(x, y, xv, yv, xt, len(prep.classes),
                                   seconds=max(1.0, left() * share), augment=augment,
                                   seed=seed, score=score))
        emit({"event": "candidate_end", "name": "cnn", "elapsed": found[-1].seconds})
    # 2. the backbone: frozen features + head, then its last blocks fine-tuned
    if backbone is not None:
        found += _backbone_candidates(backbone, prep, y, yv, score, left, seed, notes, emit,
                                      tune="finetune" in wanted,
                                      flips=TRAIN_FLIPS if augment == "flip" else 1)
    if not found:
        why = " ".join(notes[-1:]) or "no candidate was asked for."
        raise DataError(f"no candidate model could be trained: {why}",
                        fix="raise --time-limit, or add cnn to --image-models.")
    from sklearn.metrics import f1_score

    for c in found:  # test figures for the record only: the choice uses validation
        pred = c.test_logits.argmax(1)
        leaderboard.append({"name": c.name, "score": round(c.outcome.best_valid, 5),
                            "test_accuracy": float((pred == yt).mean()),
                            "test_macro_f1": float(f1_score(yt, pred, average="macro",
                                                            zero_division=0)),
                            "fit_seconds": round(c.seconds, 2), "epochs": c.outcome.epochs,
                            "stopped_by": c.outcome.stopped_by, **c.params})
    members, weights, valid_best = _ensemble(found, yv, score)
    majority = np.eye(len(prep.classes))[np.full(len(yv), counts.argmax())]
    if len(yv) and valid_best <= score(yv, majority):
        notes.append(f"the model scores no better on validation ({metric} {valid_best:.3f}) than "
                     f"always answering '{prep.classes[counts.argmax()]}' "
                     f"({score(yv, majority):.3f}): it had too little time to learn; "
                     "raise --time-limit.")
    for entry in leaderboard:
        entry["weight"] = float(entry["name"] in {m.name for m in members}) / len(members)
    if len(members) > 1:
        leaderboard.append({"name": "ensemble(" + "+".join(m.name for m in members) + ")",
                            "score": round(valid_best, 5), "weight": 1.0})
    emit({"event": "stage", "stage": "export"})
    # In few-image mode the validation images are the training images: they judge neither
    # int8 nor test-time flips.
    predictor, quant = export_members(members, weights, export_prep, options, seed=seed,
                                      metric=metric, score=score, int8_unchecked=unchecked,
                                      flips=augment == "flip" and unchecked is None)
    emit({"event": "stage", "stage": "evaluate"})
    test_proba, test_images = _served_proba(predictor, prep.test)
    test_metrics = classification_metrics(yt, test_proba, classes=prep.classes)
    test_metrics.update(per_class_metrics(yt, test_proba.argmax(1), prep.classes))
    fit_seconds = time.perf_counter() - start
    trained = build_report(prep=prep, members=members, weights=weights, predictor=predictor,
                           test_metrics=test_metrics, test_proba=test_proba,
                           test_images=test_images, leaderboard=leaderboard, metric=metric,
                           quant=quant, fit_seconds=fit_seconds, augment=augment,
                           size=size, channels=channels, notes=notes, lang=lang)
    emit({"event": "stage", "stage": "done"})
    return trained


def _affordable_backbone(prep: Prepared, options: Any, wanted: set[str], left: Callable,
                         notes: list[str]):
    """The backbone, when its measured speed lets it extract every image and be exported
    and checked (about 3 more passes over the validation images) in about half the time
    left; else None, with a note saying why."""
    if not wanted & {"frozen", "finetune"}:
        return None
    backbone = build_backbone(options.backbone or DEFAULT_BACKBONE, len(prep.classes))
    per_image = cands.seconds_per_image(backbone, prep.train)
    n_all = len(prep.train) + len(prep.valid) + len(prep.test)
    calibration = min(EXPORT_CALIBRATION, len(prep.train))
    needed = per_image * (n_all + 3 * len(prep.valid) + len(prep.test) + calibration)
    if needed > left() * 0.5:
        notes.append(f"the pretrained backbone was not tried: at {1 / per_image:,.1f} images/s "
                     f"here, running and checking it over {n_all:,} images takes about "
                     f"{needed:,.0f} s, more than half the time left ({max(left(), 0):,.0f} s).")
        return None
    backbone.per_image_ = per_image
    return backbone


def _backbone_candidates(backbone, prep: Prepared, y, yv, score, left, seed, notes, emit, *,
                         tune: bool, flips: int = 1) -> list[cands.Candidate]:
    """Frozen features + head, then the last blocks fine-tuned. ``flips`` > 1: the
    training images also pass the backbone flipped (textures), as extra training rows."""
    per_image = backbone.per_image_
    emit({"event": "candidate_start", "name": "frozen"})
    if flips > 1 and (per_image * (flips - 1) * len(prep.train) > left() * 0.25
                      or (tune and flips * len(prep.train) + len(prep.valid) > MAX_TAIL_IMAGES)):
        flips = 1  # the flipped copies would eat the time (or memory) the fine-tuning needs
    keep_tail = tune and flips * len(prep.train) + len(prep.valid) <= MAX_TAIL_IMAGES
    f = cands.extract(backbone, prep.train, keep_tail=keep_tail, flips=flips)
    fv = cands.extract(backbone, prep.valid, keep_tail=keep_tail)
    ft = cands.extract(backbone, prep.test, keep_tail=keep_tail)
    y = np.tile(y, flips)
    frozen = cands.fit_frozen_pools(backbone, f, y, fv, yv, ft, score=score, seed=seed)
    emit({"event": "candidate_end", "name": "frozen", "elapsed": frozen.seconds})
    out = [frozen]
    if tune and not keep_tail:
        notes.append(f"the backbone was not fine-tuned: {len(prep.train) + len(prep.valid):,} "
                     f"images are over the {MAX_TAIL_IMAGES:,} whose activations fit in memory.")
    # the served members are exported and checked after this: keep their time back
    export = per_image * (3 * len(prep.valid) + len(prep.test)
                          + min(EXPORT_CALIBRATION, len(prep.train))) * 2
    if tune and keep_tail and left() - export > 10:
        emit({"event": "candidate_start", "name": "finetune"})
        tuned = cands.fit_tuned(frozen, f.tail_input, y, fv.tail_input, yv, ft.tail_input,
                                seconds=left() - export, seed=seed, score=score)
        emit({"event": "candidate_end", "name": "finetune", "elapsed": tuned.seconds})
        out.append(tuned)
    return out


def _served_proba(predictor, items: list[ImageItem]) -> tuple[np.ndarray, list[Any]]:
    """Test probabilities from the saved (ONNX) predictor: the figures are the served
    model's, not the training graph's. Also the decoded images, for the report."""
    from PIL import Image

    from bizforge.families.image.reading import decode, read_limited

    images = [Image.fromarray(i.pixels) if i.pixels is not None else decode(read_limited(i.path))
              for i in items]
    return predictor.proba_of_images(images), images


def per_class_metrics(y: np.ndarray, pred: np.ndarray, classes: list[str]) -> dict[str, Any]:
    """Precision/recall/F1/support of every class and the most frequent confusions."""
    from collections import Counter

    from sklearn.metrics import precision_recall_fscore_support

    p, r, f, n = precision_recall_fscore_support(y, pred, labels=range(len(classes)),
                                                 zero_division=0)
    pairs = Counter((int(a), int(b)) for a, b in zip(y, pred, strict=True) if a != b)
    return {"per_class": {c: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
                              "support": int(n[i])} for i, c in enumerate(classes)},
            "top_confusions": [{"true": classes[a], "predicted": classes[b], "count": k}
                               for (a, b), k in pairs.most_common(10)]}
