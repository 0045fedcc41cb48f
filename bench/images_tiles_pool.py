"""Magnetic tiles: does the way the frozen Lite0 map is pooled, and the input's shape, matter?
(issue #19, probe; untimed; judged by grouped CV over the training tiles only)

    python bench/images_tiles_pool.py --work /tmp/tiles_pool     # features cached there

The defects are small (a blowhole is a few pixels) and the crops are 103-620 px wide and
222-403 px high: squashed to 224 x 224, a wide crop loses two thirds of its columns, and a
global *average* pool dilutes a defect seen in a few cells of the map. Here every image
goes through the frozen EfficientNet-Lite0 (1 thread) in two shapes:

- ``square``: squashed to 224 x 224 (what the family does now);
- ``aspect``: the short side scaled to ``--short`` px, the aspect kept (one image a batch);

in ``--views`` views (flips: a texture has no left or up), and from each map are kept the
head conv's average, max and generalised-mean (p=3) pools and block 10's (stride 16)
average and max pools. Logistic regression on standardised features (balanced class
weights, C from a grid) is scored by grouped 5-fold out-of-fold macro-F1 over the training
side of bizforge's split (``bench/images_tiles_cv.py``'s split), the views' log-softmax
averaged at test time when there are several. The test side (one or two tiles of crack
and fray) is printed but decides nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

HEAD = 1280
B10 = 112
PARTS = {"mean": slice(0, HEAD), "max": slice(HEAD, 2 * HEAD), "gem": slice(2 * HEAD, 3 * HEAD),
         "b10mean": slice(3 * HEAD, 3 * HEAD + B10),
         "b10max": slice(3 * HEAD + B10, 3 * HEAD + 2 * B10)}


def gem(h, p: float = 3.0):
    return h.clamp(min=1e-6).pow(p).mean((2, 3)).pow(1 / p)


def pooled(eff, x):
    """The five pools of one batch ``x`` (normalised), concatenated."""
    import torch

    h = eff._swish(eff._bn0(eff._conv_stem(x)))
    for i, block in enumerate(eff._blocks):
        h = block(h)
        if i == 10:
            mid = torch.cat([h.mean((2, 3)), h.amax((2, 3))], 1)
    h = eff._swish(eff._bn1(eff._conv_head(h)))
    return torch.cat([h.mean((2, 3)), h.amax((2, 3)), gem(h), mid], 1)


def features(items, shape: str, short: int, views: int, cache: Path) -> np.ndarray:
    """``(views, n, d)`` pooled features of ``items``, cached in ``cache``."""
    import torch
    from PIL import Image

    from bizforge.families.image.candidates import flip_variant
    from bizforge.families.image.nets import build_backbone
    from bizforge.families.image.reading import decode, read_limited

    if cache.exists():
        return np.load(cache)["x"]
    eff = build_backbone("efficientnet-lite0", 6).eval().backbone
    out = np.zeros((views, len(items), 3 * HEAD + 2 * B10), np.float32)
    t0 = time.perf_counter()
    with torch.no_grad():
        for n, item in enumerate(items):
            im = decode(read_limited(item.path)).convert("RGB")
            if shape == "square":
                size = (short, short)
            else:
                w, h = im.size
                k = short / min(w, h)
                size = (max(short, round(w * k)), max(short, round(h * k)))
            arr = np.asarray(im.resize(size, Image.Resampling.BILINEAR))
            x = (torch.from_numpy(arr).permute(2, 0, 1)[None].float() - 127.0) / 128.0
            for v in range(views):
                out[v, n] = pooled(eff, flip_variant(x, v))[0].numpy()
            if n % 200 == 199:
                print(f"  {cache.stem}: {n + 1} images, {time.perf_counter() - t0:.0f} s",
                      flush=True)
    print(f"  features {cache.stem}: {len(items)} images x {views} views, "
          f"{time.perf_counter() - t0:.0f} s", flush=True)
    np.savez(cache, x=out)
    return out


def cv_score(blocks: np.ndarray, y, groups, c: float, train_views: int,
             folds: int = 5, seeds: tuple[int, ...] = (0, 1)) -> float:
    """Mean over ``seeds`` of grouped k-fold out-of-fold macro-F1; ``blocks`` ``(views, n, d)``;
    trained on the first ``train_views`` views, scored on the mean log-softmax of all."""
    import warnings

    from images_tiles_cv import fit_lr, logits_of, macro_f1
    from sklearn.model_selection import StratifiedGroupKFold

    out = []
    for seed in seeds:
        oof = np.zeros((len(y), int(y.max()) + 1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            splits = list(StratifiedGroupKFold(folds, shuffle=True, random_state=seed)
                          .split(blocks[0], y, groups))
            for a, b in splits:
                fit = fit_lr(np.concatenate(blocks[:train_views, a]), np.tile(y[a], train_views),
                             c, True)
                oof[b] = logits_of(fit, list(blocks[:, b]), len(blocks) > 1)
        out.append(macro_f1(y, oof.argmax(1)))
    return float(np.mean(out))


def main() -> None:
    from images_tiles_cv import fit_lr, logits_of, macro_f1, training_side

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default="/tmp/bizforge-bench-images")
    ap.add_argument("--shapes", default="square:224,aspect:224")
    ap.add_argument("--views", type=int, default=4)
    ap.add_argument("--combos", default="mean;max;gem;mean+max;gem+b10max;mean+max+b10mean+b10max")
    ap.add_argument("--cs", default="0.01,0.1")
    ap.add_argument("--train-views", default="1", help="comma list: 1 and/or the views")
    ap.add_argument("--features-only", action="store_true")
    args = ap.parse_args()
    side = training_side(args.work)
    if side is None:
        return
    work, prep, keep, y, yt, groups = side
    for spec in args.shapes.split(","):
        shape, short = spec.split(":")
        tag = f"{shape}_{short}_{args.views}"
        fk = features(keep, shape, int(short), args.views, work / f"keep_{tag}.npz")
        ft = features(prep.test, shape, int(short), args.views, work / f"test_{tag}.npz")
        if args.features_only:
            continue
        for combo in args.combos.split(";"):
            cols = np.concatenate([np.arange(4064)[PARTS[p]] for p in combo.split("+")])
            for c in map(float, args.cs.split(",")):
                line = []
                for tv, tta in ((1, False), *((int(t), True) for t in args.train_views.split(","))):
                    nv = len(fk) if tta else 1
                    kb, tb = fk[:nv][:, :, cols], ft[:nv][:, :, cols]
                    s = cv_score(kb, y, groups, c, tv)
                    fit = fit_lr(np.concatenate(kb[:tv]), np.tile(y, tv), c, True)
                    pt = logits_of(fit, list(tb), nv > 1).argmax(1)
                    line.append(f"train {tv} test {nv} view(s): CV {s:.3f} "
                                f"(test {macro_f1(yt, pt):.3f})")
                print(f"- {shape} {short}, {combo}, C {c:g}: " + "; ".join(line), flush=True)


if __name__ == "__main__":
    main()
