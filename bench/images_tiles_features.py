"""Magnetic tiles: how far do frozen EfficientNet-Lite0 features go? (issue #19, probe)

    python bench/images_tiles_features.py               # 224 px, features cached in --work
    python bench/images_tiles_features.py --size 320

Each tile image is squashed to ``--size`` squared, turned RGB (grey copied three times)
and run once through the frozen Lite0 (1 thread); pooled features are kept from three
depths (blocks 10 and 15, and the head conv: mean and max). A class-balanced logistic
regression on standardised features is then scored by macro-F1 (a) on bizforge's own
split (the grouped 20 % test fold of ``bench/images.py --only tiles``, C chosen on its
grouped validation fold) and (b) by 5-fold grouped cross-validation over all 1,344
images (``StratifiedGroupKFold`` on ``groups.csv``), which is much less noisy: a single
test fold holds one or two tiles of crack and of fray. Not the product's pipeline: a
probe of the features the ``frozen`` candidate starts from.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import datasets_or_say, quiet_probe

LAYERS = {"head mean": slice(432, 1712), "blocks 10+15 + head mean": slice(0, 1712),
          "all (+ head max)": slice(0, 2992)}


def features(src: Path, size: int, work: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    import pandas as pd
    import torch
    from PIL import Image

    from bizforge.families.image.nets import build_backbone

    cache = work / f"tiles_features_{size}.npz"
    frame = pd.read_csv(src / "labels.csv").merge(pd.read_csv(src / "groups.csv"), on="file")
    if cache.exists():
        data = np.load(cache)
        return data["x"], frame["label"].to_numpy(), frame["group"].astype(str).to_numpy()
    eff = build_backbone("efficientnet-lite0", 6).eval().backbone
    blocks = list(eff._blocks)
    out, t0 = [], time.perf_counter()
    with torch.no_grad():
        for start in range(0, len(frame), 32):
            arr = np.stack([np.asarray(Image.open(src / "images" / f).convert("RGB").resize(
                (size, size), Image.Resampling.BILINEAR)) for f in frame.file[start:start + 32]])
            h = (torch.from_numpy(arr).permute(0, 3, 1, 2).float() - 127.0) / 128.0
            h = eff._swish(eff._bn0(eff._conv_stem(h)))
            kept = []
            for i, block in enumerate(blocks):
                h = block(h)
                if i in (10, len(blocks) - 1):
                    kept.append(h.mean((2, 3)))
            h = eff._swish(eff._bn1(eff._conv_head(h)))
            out.append(torch.cat([*kept, h.mean((2, 3)), h.amax((2, 3))], 1).numpy())
    print(f"features of {len(frame)} images at {size} px: {time.perf_counter() - t0:.0f} s")
    x = np.concatenate(out)
    np.savez(cache, x=x)
    return x, frame["label"].to_numpy(), frame["group"].astype(str).to_numpy()


def _fit_score(x, y, tr, te, c):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score

    mu, sd = x[tr].mean(0), x[tr].std(0) + 1e-6
    lr = LogisticRegression(C=c, max_iter=2000, class_weight="balanced")
    lr.fit((x[tr] - mu) / sd, y[tr])
    pred = lr.predict((x[te] - mu) / sd)
    return f1_score(y[te], pred, average="macro"), float((pred == y[te]).mean())


def main() -> None:
    from sklearn.model_selection import StratifiedGroupKFold

    from bizforge.families.image.splits import holdout

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--work", default="/tmp/bizforge-bench-images")
    args = ap.parse_args()
    root = datasets_or_say()
    if root is None:
        return
    work = quiet_probe(args.work)
    x_all, labels, groups = features(root / "magnetic_tile_defects", args.size, work)
    classes = sorted(set(labels))
    y = np.array([classes.index(v) for v in labels])
    keep, test = holdout(y, groups, 0.2, seed=0, what="test", group_column="group")
    tr, va = holdout(y[keep], groups[keep], 0.15, seed=1, group_column="group")
    tr, va = keep[tr], keep[va]
    print(f"bizforge split: test images per class {dict(zip(classes, np.bincount(y[test])))}")
    for name, cols in LAYERS.items():
        x = x_all[:, cols]
        c = max((0.003, 0.03, 0.3), key=lambda c: _fit_score(x, y, tr, va, c)[0])
        f1, acc = _fit_score(x, y, keep, test, c)
        folds = [_fit_score(x, y, a, b, c)[0] for a, b in StratifiedGroupKFold(
            5, shuffle=True, random_state=0).split(x, y, groups)]
        print(f"- {name} ({x.shape[1]} features), C {c}: bizforge split test macro-F1 "
              f"{f1:.3f} (accuracy {acc:.3f}); 5-fold grouped CV macro-F1 "
              f"{np.mean(folds):.3f} (folds {', '.join(f'{f:.2f}' for f in folds)})")


if __name__ == "__main__":
    main()
