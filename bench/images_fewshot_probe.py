"""The small-data path's head choice on cached features, over many draws of N images a class
(issue #19, probe; untimed, accuracy only).

    python bench/images_fewshot_probe.py /tmp/neu --per-class 10 --seeds 20

Any class-folder set, or a CSV (file, label, group) whose groups stay on one side. The frozen backbone's pooled features of every image in each of its
eight views (:func:`bizforge.families.image.fewshot.view`: flips and quarter turns) are
computed once and cached in ``--work``; then, for each seed, N training images a class are
drawn, each from another group where it can (the test set is every image of the groups not
drawn) and scored:

- ``path``: what :func:`fewshot.choose_head` picks by 5-fold CV x 3 over the N a class
  (features of ``--views`` views), refitted on all of them, scored on test in its views;
- fixed options beside it: logistic regression (C in the path's grid) and the nearest class
  mean, trained on one view or on every view, tested on one view or averaged over all;
- ``anchor``: the issue's frozen backbone + logistic regression (C=1, one view).

Printed: the mean, min and max test accuracy of each option over the seeds, and how often
the path chose each option. A change to the path is judged on several sets by this probe
before it runs end to end.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import quiet_probe


def view_features(root: Path, work: Path, views: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(views, n, d)`` pooled features of every image of the set, labels and groups (a CSV
    with columns file, label, group; or class folders: one group an image)."""
    cache = work / f"{root.stem}-views{views}.npz"
    if cache.exists():
        z = np.load(cache)
        return z["x"], z["y"], z["g"] if "g" in z else np.arange(len(z["y"]))
    from bizforge.families.base import DataSource
    from bizforge.families.image import fewshot
    from bizforge.families.image.nets import build_backbone
    from bizforge.families.image.reading import list_images

    table = root.suffix == ".csv"
    images = list_images(DataSource(root), target="label" if table else None,
                         group_column="group" if table else None)
    items = images.items
    g = np.array([i.group or i.name for i in items])
    classes = sorted({i.label for i in items})
    y = np.array([classes.index(i.label) for i in items])
    backbone = build_backbone("efficientnet-lite0", len(classes))
    t0 = time.perf_counter()
    x = np.stack([fewshot._view_features(backbone, items, k, None) for k in range(views)])
    print(f"features: {len(items)} images x {views} views, {time.perf_counter() - t0:.0f} s",
          flush=True)
    np.savez(cache, x=x, y=y, g=g)
    return x, y, g


def draw(y: np.ndarray, g: np.ndarray, per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``per_class`` training images a class, each from a group of its own where the class
    has enough groups; the test images: those of every group not drawn."""
    rng = np.random.default_rng(seed)
    train = []
    for k in np.unique(y):
        rows = rng.permutation(np.flatnonzero(y == k))
        _, first = np.unique(g[rows], return_index=True)
        ordered = np.r_[rows[np.sort(first)], np.setdiff1d(rows, rows[first], assume_unique=True)]
        train.append(ordered[:per_class])
    train = np.concatenate(train)
    return train, np.flatnonzero(~np.isin(g, g[train]))


def accuracy(w: np.ndarray, b: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    from bizforge.families.image.fewshot import _logits

    return float((_logits(w, b, x).argmax(1) == y).mean())


def one_draw(x: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray,
             seed: int) -> dict[str, float]:
    from bizforge.families.image import fewshot
    from bizforge.families.image.training import selection_score

    n_classes = int(y.max()) + 1
    views = x.shape[0]
    xa, ya, xt, yt = x[:, train], y[train], x[:, test], y[test]
    out = {}
    score = selection_score(False)[1]  # as a run with balanced classes
    for pv in sorted({views, *(v for v in (4,) if v < views)}):  # the path with pv views
        choice = fewshot.choose_head(xa[:pv], ya, None, seed=seed, score=score)
        w, b = fewshot.head_weights(choice.head, choice.c, xa[:pv].reshape(-1, xa.shape[2]),
                                    np.tile(ya, pv), n_classes, seed)
        out[f"path {pv} views"] = accuracy(w, b, xt[:choice.views], yt)
        out[f"chosen:{pv}:" + fewshot._name(choice.head, choice.c, choice.views)] = 1.0
    for head, c in [("logreg", c) for c in fewshot.C_GRID] + [("prototype", None)]:
        for trained in sorted({1, views, *(v for v in (4,) if v < views)}):
            w, b = fewshot.head_weights(head, c, xa[:trained].reshape(-1, xa.shape[2]),
                                        np.tile(ya, trained), n_classes, seed)
            for tested in sorted({1, trained, *(v for v in (4,) if v < trained)}):
                name = f"{head}{'' if c is None else f'(C={c:g})'} train {trained} test {tested}"
                out[name] = accuracy(w, b, xt[:tested], yt)
    out["anchor"] = out["logreg(C=1) train 1 test 1"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", type=Path)
    ap.add_argument("--per-class", type=int, default=10)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--views", type=int, default=8)
    ap.add_argument("--work", default="/tmp/bizforge-fewshot-probe")
    args = ap.parse_args()
    if not args.path.is_dir():
        print(f"{args.path}: not a folder; skipping.")
        return
    work = quiet_probe(args.work)
    x, y, g = view_features(args.path, work, args.views)
    runs = [one_draw(x, y, *draw(y, g, args.per_class, s), s) for s in range(args.seeds)]
    chosen = Counter(k for r in runs for k in r if k.startswith("chosen:"))
    print(f"{args.path}: {len(y)} images, {args.per_class} a class, {args.seeds} draws")
    for key in sorted({k for r in runs for k in r if not k.startswith("chosen:")},
                      key=lambda k: -np.mean([r[k] for r in runs])):
        a = [r[key] for r in runs]
        print(f"  {key:40s} mean {np.mean(a):.4f}  min {min(a):.4f}  max {max(a):.4f}")
    print("  path chose: " + ", ".join(f"{k[7:]} x{n}" for k, n in chosen.most_common()))


if __name__ == "__main__":
    main()
