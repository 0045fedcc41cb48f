"""Magnetic tiles: the issue's anchor and bizforge's frozen route on ONE split, judged by
grouped cross-validation over the training tiles (issue #19, probe; untimed).

    python bench/images_tiles_cv.py --work /tmp/tiles_cv        # features cached there

The split is exactly ``bench/images.py --only tiles``'s: the same CSV, listed and split by
bizforge's own ``prepare`` (grouped 20 % test fold, seed 0). On it:

- the anchor of ``../shared/ANCHORS.md``: frozen Lite0 at 224 px, ImageNet normalisation,
  logistic regression C=1, trained on the training side, scored on the test side;
- the same with bizforge's normalisation (EfficientNet-Lite's ``(x - 127) / 128``), other C,
  class weights, larger inputs, flipped copies as training rows and test-time flips.

The test side holds one or two tiles of crack and of fray, so its macro-F1 moves by about
0.1 with one tile. Every variant is therefore also scored by grouped 5-fold CV over the
training side (out-of-fold macro-F1, ``StratifiedGroupKFold`` on the tiles), which is what
a change is judged by. A per-class logit offset (prior adjustment) is scored by
cross-fitting: the offsets applied to a fold are chosen on the other folds' out-of-fold
predictions only.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import datasets_or_say, quiet_probe

IMAGENET = (np.array([0.485, 0.456, 0.406]) * 255, np.array([0.229, 0.224, 0.225]) * 255)


def split_items(root: Path, work: Path):
    """bizforge's train / valid / test items of the tiles CSV, as bench/images.py makes them."""
    from images import tiles_csv

    from bizforge.families.base import DataSource
    from bizforge.families.image.reading import list_images
    from bizforge.families.image.training import prepare

    csv = tiles_csv(root / "magnetic_tile_defects", work)
    images = list_images(DataSource(csv), target="label", group_column="group")
    return prepare(images, None, seed=0, group_column="group")


def training_side(work_arg: str):
    """The probes' start: ``(work, prep, keep, y, yt, groups)`` — the tiles split, the
    training side's items (train + valid), their labels, the test labels and the tiles of
    the training side; None (said why) without the datasets."""
    root = datasets_or_say()
    if root is None:
        return None
    work = quiet_probe(work_arg)
    prep = split_items(root, work)
    keep = prep.train + prep.valid
    return work, prep, keep, prep.y(keep), prep.y(prep.test), np.array([i.group for i in keep])


def features(items, size: int, norm: str, flips: int, cache: Path) -> np.ndarray:
    """Pooled head-conv features of ``items`` (``flips`` blocks of rows, flip variant by
    variant as :func:`bizforge.families.image.candidates.flip_variant`), cached."""
    import torch

    from bizforge.families.image.candidates import flip_variant
    from bizforge.families.image.nets import build_backbone
    from bizforge.families.image.reading import load_arrays

    if cache.exists():
        return np.load(cache)["x"]
    eff = build_backbone("efficientnet-lite0", 6).eval().backbone
    out: list[list[np.ndarray]] = [[] for _ in range(flips)]
    t0 = time.perf_counter()
    with torch.no_grad():
        for start in range(0, len(items), 32):
            arr, bad = load_arrays(items[start:start + 32], size, 3, threads=1)
            assert not bad
            x = torch.from_numpy(arr).permute(0, 3, 1, 2).float()
            if norm == "imagenet":
                mean, std = (torch.tensor(v, dtype=torch.float32).view(1, 3, 1, 1)
                             for v in IMAGENET)
                x = (x - mean) / std
            else:
                x = (x - 127.0) / 128.0
            for v in range(flips):
                out[v].append(eff.extract_features(flip_variant(x, v)).mean((2, 3)).numpy())
    x = np.concatenate([np.concatenate(o) for o in out])
    print(f"  features {cache.stem}: {len(items)} images x {flips}, "
          f"{time.perf_counter() - t0:.0f} s", flush=True)
    np.savez(cache, x=x)
    return x


def fold_spread(prep, fk: np.ndarray, ft: np.ndarray, *, c: float, balanced: bool) -> list:
    """The anchor method on each of the 5 grouped folds of all the images, each in turn the
    test side (fold 0 is bizforge's test side): (macro-F1, accuracy) per fold."""
    from sklearn.model_selection import StratifiedGroupKFold

    items = prep.train + prep.valid + prep.test
    x = np.concatenate([fk, ft])
    order = np.argsort([i.row for i in items])  # the CSV's order, as prepare splits it
    x, y = x[order], prep.y(items)[order]
    groups = np.array([items[i].group for i in order])
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for a, b in StratifiedGroupKFold(5, shuffle=True, random_state=0).split(
                np.zeros(len(y)), y, groups):
            pred = fit_lr(x[a], y[a], c, balanced)(x[b]).argmax(1)
            out.append((macro_f1(y[b], pred), float((pred == y[b]).mean())))
    return out


def fit_lr(x, y, c, balanced):
    from sklearn.linear_model import LogisticRegression

    mu, sd = x.mean(0), x.std(0) + 1e-6
    lr = LogisticRegression(C=c, max_iter=1000, class_weight="balanced" if balanced else None)
    lr.fit((x - mu) / sd, y)
    return lambda z: lr.decision_function((z - mu) / sd)


def macro_f1(y, pred):
    from sklearn.metrics import f1_score
    return float(f1_score(y, pred, average="macro", zero_division=0))


def logits_of(fit, xs: list[np.ndarray], tta: bool) -> np.ndarray:
    """Logits of the first block; with ``tta`` the mean log-softmax over every flip block."""
    if not tta:
        return fit(xs[0])
    out = []
    for x in xs:
        z = fit(x)
        z = z - z.max(1, keepdims=True)
        out.append(z - np.log(np.exp(z).sum(1, keepdims=True)))
    return np.mean(out, 0)


def offsets(logits: np.ndarray, y: np.ndarray, rounds: int = 3) -> np.ndarray:
    """Per-class additive logit offsets maximising macro-F1 (coordinate ascent on a grid)."""
    b = np.zeros(logits.shape[1])
    grid = np.linspace(-3, 3, 25)
    for _ in range(rounds):
        for k in range(len(b)):
            best = (macro_f1(y, (logits + b).argmax(1)), b[k])
            for g in grid:
                trial = b.copy()
                trial[k] = g
                s = macro_f1(y, (logits + trial).argmax(1))
                if s > best[0] + 1e-9:
                    best = (s, g)
            b[k] = best[1]
    return b - b.mean()


def cv_scores(blocks: list[np.ndarray], y, groups, *, c, balanced, train_flips, tta,
              folds: int = 5, seed: int = 0) -> tuple[float, float, np.ndarray]:
    """Grouped k-fold over the rows: (OOF macro-F1, OOF macro-F1 with cross-fitted prior
    offsets, OOF logits). ``blocks``: feature blocks per flip variant (same rows)."""
    from sklearn.model_selection import StratifiedGroupKFold

    oof = np.zeros((len(y), len(np.unique(y))))
    fold_of = np.zeros(len(y), int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        splits = list(StratifiedGroupKFold(folds, shuffle=True, random_state=seed).split(
            blocks[0], y, groups))
    for k, (a, b) in enumerate(splits):
        xa = np.concatenate([blk[a] for blk in blocks[:train_flips]])
        fit = fit_lr(xa, np.tile(y[a], train_flips), c, balanced)
        oof[b] = logits_of(fit, [blk[b] for blk in blocks], tta)
        fold_of[b] = k
    adjusted = oof.copy()
    for k in range(folds):
        rest = fold_of != k
        adjusted[~rest] += offsets(oof[rest], y[rest])
    return macro_f1(y, oof.argmax(1)), macro_f1(y, adjusted.argmax(1)), oof


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default="/tmp/bizforge-bench-images")
    ap.add_argument("--sizes", default="224,320")
    ap.add_argument("--spread-only", action="store_true")
    args = ap.parse_args()
    side = training_side(args.work)
    if side is None:
        return
    work, prep, keep_items, y, yt, groups = side
    print(f"bizforge split: training side {len(y)} images ({len(set(groups))} tiles), test "
          f"{len(yt)} images per class {dict(zip(prep.classes, np.bincount(yt).tolist()))}, "
          f"test tiles per class " + str({c: len({i.group for i in prep.test if i.label == c})
                                          for c in prep.classes}), flush=True)
    fk = features(keep_items, 224, "imagenet", 1, work / "keep_imagenet_224_1.npz")
    ft = features(prep.test, 224, "imagenet", 1, work / "test_imagenet_224_1.npz")
    spread = fold_spread(prep, fk, ft, c=1.0, balanced=False)
    print("anchor method (ImageNet norm, 224 px, LR C=1) with each grouped fold as the test "
          "side (fold 1 = bizforge's): " + "; ".join(
              f"fold {k + 1} macro-F1 {f:.3f} acc {a:.3f}" for k, (f, a) in enumerate(spread))
          + f"; mean macro-F1 {np.mean([f for f, _ in spread]):.3f}", flush=True)
    if args.spread_only:
        return
    configs = [("imagenet", 224, 1)] + [("lite", int(s), 4) for s in args.sizes.split(",")]
    for norm, size, flips in configs:
        fk = features(keep_items, size, norm, flips, work / f"keep_{norm}_{size}_{flips}.npz")
        ft = features(prep.test, size, norm, flips, work / f"test_{norm}_{size}_{flips}.npz")
        kb, tb = np.split(fk, flips), np.split(ft, flips)
        variants = [(1.0, False, 1, False), (1.0, True, 1, False), (0.1, True, 1, False),
                    (0.01, True, 1, False)]
        if flips > 1:
            variants += [(0.1, True, 4, False), (0.1, True, 4, True), (0.01, True, 4, True),
                         (1.0, True, 4, True)]
        for c, balanced, train_flips, tta in variants:
            cv, cv_adj, oof = cv_scores(kb, y, groups, c=c, balanced=balanced,
                                        train_flips=train_flips, tta=tta)
            fit = fit_lr(np.concatenate(kb[:train_flips]), np.tile(y, train_flips), c, balanced)
            lt = logits_of(fit, tb, tta)
            adj = offsets(oof, y)
            pred = lt.argmax(1)
            print(f"- {norm} norm, {size} px, C {c}, {'balanced' if balanced else 'plain'}, "
                  f"train flips {train_flips}, tta {tta}: CV macro-F1 {cv:.3f} (with offsets "
                  f"{cv_adj:.3f}); test macro-F1 {macro_f1(yt, pred):.3f} accuracy "
                  f"{(pred == yt).mean():.3f} (with offsets "
                  f"{macro_f1(yt, (lt + adj).argmax(1)):.3f})", flush=True)


if __name__ == "__main__":
    main()
