"""Magnetic tiles: patch-level scores from the frozen Lite0 map (issue #19, probe; untimed;
judged by grouped CV over the training tiles only).

    python bench/images_tiles_patches.py --work /tmp/tiles_patch     # maps cached there

A defect is a small local anomaly on a uniform texture; a global pool keeps one vector per
image. Here the head conv's 7 x 7 map (1,280 channels) of every image (squashed to 224 px,
as the family does; ``--views`` flips) is kept as 49 patch vectors, and scored:

- ``global``: the max pool + class-balanced logistic regression (the family's head now);
- ``knn``: PatchCore-style: the distance of each patch to its nearest patch in a memory
  bank of *free* (majority-class) training patches; the image's largest distances (top-k
  mean) as extra features beside the global ones;
- ``class kNN``: per class, the distance of the image's 3 most anomalous patches to the
  nearest of the 3 most anomalous patches of that class's training images;
- ``--mil``: a linear classifier over the 49 patches (one view), image logits the max over
  patches, trained by Adam on the image labels (multiple-instance learning).

Every score of the images of a held-out fold comes from banks / heads built on the other
folds only; the training-fold images' own bank distances come from an inner grouped split
(cross-fitting), so the head sees the kind of distances it will see on new images.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def maps(items, views: int, cache: Path) -> np.ndarray:
    """``(views, n, 49, 1280)`` float16 head-conv maps of ``items`` at 224 px, cached."""
    import torch

    from bizforge.families.image.fewshot import view
    from bizforge.families.image.nets import build_backbone
    from bizforge.families.image.reading import load_arrays

    if cache.exists():
        return np.load(cache)["x"]
    net = build_backbone("efficientnet-lite0", 6).eval()
    out = np.zeros((views, len(items), 49, 1280), np.float16)
    t0 = time.perf_counter()
    with torch.no_grad():
        for s in range(0, len(items), 32):
            arr, bad = load_arrays(items[s:s + 32], 224, 3, threads=1)
            assert not bad
            x = torch.from_numpy(arr).permute(0, 3, 1, 2).float()
            for v in range(views):
                f = net.features(view(x, v))
                out[v, s:s + len(arr)] = f.flatten(2).transpose(1, 2).numpy().astype(np.float16)
    print(f"  maps {cache.stem}: {len(items)} images x {views} views, "
          f"{time.perf_counter() - t0:.0f} s", flush=True)
    np.savez(cache, x=out)
    return out


def tile_min(q: np.ndarray, bank: np.ndarray, bank_tiles: np.ndarray) -> tuple:
    """``(len(q), T)``: the squared distance of each row of ``q`` to its nearest row of
    ``bank`` among the rows of each of the ``T`` tiles (``bank_tiles``, any labels), and the
    tile labels in column order."""
    order = np.argsort(bank_tiles, kind="stable")
    bank, bt = bank[order].astype(np.float32), bank_tiles[order]
    tiles, starts = np.unique(bt, return_index=True)
    bb = (bank ** 2).sum(1)
    out = np.zeros((len(q), len(tiles)), np.float32)
    for s in range(0, len(q), 2048):
        qq = q[s:s + 2048].astype(np.float32)
        d = (qq ** 2).sum(1)[:, None] + bb[None] - 2 * qq @ bank.T
        out[s:s + 2048] = np.minimum.reduceat(d, starts, axis=1)
    return np.maximum(out, 0), tiles


def anomaly(dmin: np.ndarray, col_tiles: np.ndarray, img_tile: np.ndarray,
            allowed: np.ndarray) -> np.ndarray:
    """``(n, 49)`` patch anomalies: each patch's distance to the nearest allowed bank tile,
    never the image's own tile. ``dmin`` ``(n, 49, T)``; ``allowed`` a set of tile labels."""
    ok = np.isin(col_tiles, allowed)
    d = np.where(ok[None, None, :], dmin, np.inf)
    own = col_tiles[None, :] == img_tile[:, None]  # (n, T)
    d = np.where(own[:, None, :], np.inf, d)
    return np.sqrt(d.min(2))


def summary(a: np.ndarray) -> np.ndarray:
    """Image scores from patch anomalies ``(n, 49)``: max, top-3 and top-10 means, mean."""
    s = np.sort(a, 1)[:, ::-1]
    return np.stack([s[:, 0], s[:, :3].mean(1), s[:, :10].mean(1), s.mean(1)], 1)


def fit_lr2(x, y, c, weight=None):
    from sklearn.linear_model import LogisticRegression

    mu, sd = x.mean(0), x.std(0) + 1e-6
    w = np.ones(x.shape[1]) if weight is None else weight
    lr = LogisticRegression(C=c, max_iter=2000, class_weight="balanced")
    lr.fit((x - mu) / sd * w, y)
    return lambda z: lr.decision_function((z - mu) / sd * w)


def main() -> None:
    from images_tiles_cv import training_side

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default="/tmp/bizforge-bench-images")
    ap.add_argument("--views", type=int, default=4)
    ap.add_argument("--extract-only", action="store_true")
    ap.add_argument("--mil", default="", help="wd:epochs,... : the MIL head instead")
    ap.add_argument("--dims", type=int, default=256)
    ap.add_argument("--only", default="", help="regex: run the variants it finds only")
    ap.add_argument("--bank", type=int, default=0, help="coreset size; 0: every patch")
    ap.add_argument("--cs", default="0.01,0.1")
    args = ap.parse_args()
    side = training_side(args.work)
    if side is None:
        return
    work, prep, keep, y, yt, groups = side
    mk = maps(keep, args.views, work / f"keep_maps_{args.views}.npz")
    mt = maps(prep.test, args.views, work / f"test_maps_{args.views}.npz")
    if args.extract_only:
        return
    if args.mil:
        mil(mk[0], mt[0], y, yt, groups, args.mil)
        return
    experiments(mk, mt, y, yt, groups, prep, work, args)



def mil_fit(x: np.ndarray, y: np.ndarray, n_classes: int, wd: float, epochs: int):
    """A linear patch classifier whose image logits are the max over the patches of ``x``
    ``(n, patches, d)``; class-balanced cross-entropy, Adam, full batch."""
    import torch

    xt = torch.from_numpy(x.astype(np.float32))
    mu, sd = xt.mean((0, 1)), xt.std((0, 1)) + 1e-6
    lin = torch.nn.Linear(x.shape[2], n_classes)
    torch.nn.init.zeros_(lin.weight)
    torch.nn.init.zeros_(lin.bias)
    counts = np.maximum(np.bincount(y, minlength=n_classes), 1)
    weight = torch.tensor(len(y) / (n_classes * counts), dtype=torch.float32)
    target, z = torch.from_numpy(y), (xt - mu) / sd
    opt = torch.optim.Adam(lin.parameters(), lr=0.01)
    for _ in range(epochs):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(lin(z).amax(1), target, weight=weight)
        (loss + wd * (lin.weight ** 2).sum()).backward()
        opt.step()

    def logits(q: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return lin((torch.from_numpy(q.astype(np.float32)) - mu) / sd).amax(1).numpy()
    return logits


def mil(mk, mt, y, yt, groups, spec: str) -> None:
    from images_tiles_cv import macro_f1

    n_classes = int(y.max()) + 1
    for part in spec.split(","):
        wd, epochs = float(part.split(":")[0]), int(part.split(":")[1])
        scores = []
        for seed in (0, 1):
            oof = np.zeros((len(y), n_classes))
            for a, b in folds_of(y, groups, seed):
                oof[b] = mil_fit(mk[a], y[a], n_classes, wd, epochs)(mk[b])
            scores.append(macro_f1(y, oof.argmax(1)))
        lt = mil_fit(mk, y, n_classes, wd, epochs)(mt)
        print(f"- MIL (max over patches), wd {wd:g}, {epochs} epochs: CV {np.mean(scores):.3f} "
              f"(seeds {scores[0]:.3f}/{scores[1]:.3f}); test {macro_f1(yt, lt.argmax(1)):.3f}",
              flush=True)


def folds_of(y, groups, seed, k=5):
    import warnings

    from sklearn.model_selection import StratifiedGroupKFold
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return list(StratifiedGroupKFold(k, shuffle=True, random_state=seed).split(
            np.zeros(len(y)), y, groups))


def coreset(x: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """Greedy k-centre: ``k`` row indices of ``x`` covering it (PatchCore's subsampling)."""
    rng = np.random.default_rng(seed)
    chosen = [int(rng.integers(len(x)))]
    xx = (x ** 2).sum(1)
    d = xx + xx[chosen[0]] - 2 * x @ x[chosen[0]]
    for _ in range(k - 1):
        i = int(d.argmax())
        chosen.append(i)
        d = np.minimum(d, xx + xx[i] - 2 * x @ x[i])
    return np.array(chosen)


def free_distances(mk, mt, y, groups, free, work, dims=256, bank_size=0):
    """Per-tile nearest squared distances of every patch (view 0) to the free patches."""
    cache = work / f"dmin_free_{dims}_{bank_size}.npz"
    if cache.exists():
        d = np.load(cache)
        return d["dk"], d["dt"], d["cols"]
    t0 = time.perf_counter()
    proj = np.random.default_rng(0).normal(size=(mk.shape[3], dims)).astype(np.float32)
    proj /= np.sqrt(dims)
    fi = np.where(y == free)[0]
    bank = mk[0, fi].reshape(-1, mk.shape[3]).astype(np.float32) @ proj
    bank_tiles = np.repeat(groups[fi], mk.shape[2])
    if bank_size and bank_size < len(bank):
        keep = coreset(bank, bank_size)
        bank, bank_tiles = bank[keep], bank_tiles[keep]
    n, p = mk.shape[1], mk.shape[2]
    dk, cols = tile_min(mk[0].reshape(-1, mk.shape[3]).astype(np.float32) @ proj, bank,
                        bank_tiles)
    dt, _ = tile_min(mt[0].reshape(-1, mt.shape[3]).astype(np.float32) @ proj, bank,
                     bank_tiles)
    if len(cols) < len(np.unique(groups[fi])):
        missing = np.setdiff1d(np.unique(groups[fi]), cols)
        cols = np.r_[cols, missing]
        dk = np.concatenate([dk, np.full((len(dk), len(missing)), np.inf, np.float32)], 1)
        dt = np.concatenate([dt, np.full((len(dt), len(missing)), np.inf, np.float32)], 1)
    dk, dt = dk.reshape(n, p, -1), dt.reshape(mt.shape[1], p, -1)
    print(f"  free-bank distances: {len(bank)} bank patches, {time.perf_counter() - t0:.0f} s",
          flush=True)
    np.savez(cache, dk=dk, dt=dt, cols=cols)
    return dk, dt, cols


def experiments(mk, mt, y, yt, groups, prep, work, args) -> None:
    from images_tiles_cv import logits_of, macro_f1

    free = int(np.bincount(y).argmax())  # the majority class: "no defect"
    dk, dt, cols = free_distances(mk, mt, y, groups, free, work, args.dims, args.bank)
    gk = mk.max(2).astype(np.float32)
    gt = mt.max(2).astype(np.float32)
    nv = len(gk)
    all_tiles = np.unique(groups)
    n_classes = int(y.max()) + 1
    cs = [float(c) for c in args.cs.split(",")]
    print(f"training side {len(y)} images, {len(np.unique(groups))} tiles; bank: free class "
          f"{free}, {args.dims} dims, coreset {args.bank or 'none'}", flush=True)

    def anom_feats(rows, allowed, d=dk, tiles=None):
        t = groups[rows] if tiles is None else tiles
        return np.log(summary(anomaly(d[rows], cols, t, allowed)) + 1e-3)

    variants = {}
    for c in cs:
        variants[f"global max 1 view C{c:g}"] = ("g1", c, 0)
        variants[f"global max {nv} views C{c:g}"] = ("gv", c, 0)
        for w in (1.0, 10.0, 30.0):
            variants[f"global max 1 view + anomaly x{w:g} C{c:g}"] = ("g1", c, w)
            variants[f"global max {nv} views + anomaly x{w:g} C{c:g}"] = ("gv", c, w)
    variants["anomaly only C1"] = ("a", 1.0, 1.0)
    for c in cs:
        for w in (1.0, 10.0):
            variants[f"global max {nv} views + anomaly + class kNN x{w:g} C{c:g}"] = ("gk", c, w)
    proj = np.random.default_rng(0).normal(size=(mk.shape[3], args.dims)).astype(np.float32)
    proj /= np.sqrt(args.dims)
    pk = mk[0].astype(np.float32) @ proj
    pt = mt[0].astype(np.float32) @ proj

    def class_knn(a, b, test):
        """Per class: the mean distance of an image's 3 most anomalous patches to the
        nearest of the 3 most anomalous patches of that class's allowed images (own tile
        never)."""
        allowed = np.unique(groups[a])
        an_a = anomaly(dk[a], cols, groups[a], allowed)
        if test:
            an_b, pb, tb = anomaly(dt, cols, np.full(len(yt), -1), all_tiles), pt, np.full(len(yt), -1)
        else:
            an_b, pb, tb = anomaly(dk[b], cols, groups[b], allowed), pk[b], groups[b]
        top_a = np.argsort(-an_a, 1)[:, :3]
        top_b = np.argsort(-an_b, 1)[:, :3]
        va = np.take_along_axis(pk[a], top_a[:, :, None], 1)  # (na, 3, d)
        vb = np.take_along_axis(pb, top_b[:, :, None], 1)
        bank = va.reshape(-1, va.shape[2])
        bank_img = np.repeat(np.arange(len(a)), 3)
        out = []
        for q, qt in ((va, groups[a]), (vb, tb)):
            qq = q.reshape(-1, q.shape[2])
            d = ((qq ** 2).sum(1)[:, None] + (bank ** 2).sum(1)[None] - 2 * qq @ bank.T)
            d = np.sqrt(np.maximum(d, 0)).reshape(len(q), 3, -1)
            own = qt[:, None] == groups[a][bank_img][None, :]
            d = np.where(own[:, None, :], np.inf, d)
            f = np.zeros((len(q), n_classes))
            for k in range(n_classes):
                cols_k = y[a][bank_img] == k
                f[:, k] = d[:, :, cols_k].min(2).mean(1)
            out.append(np.log(np.minimum(f, 1e6) + 1e-3))
        return out

    def run(kind, c, w, a, b, test=False):
        ya = y[a]
        if kind == "a":
            fa = anom_feats(a, np.unique(groups[a]))
            fb = (np.log(summary(anomaly(dt, cols, np.full(len(yt), -1), all_tiles)) + 1e-3)
                  if test else anom_feats(b, np.unique(groups[a])))
            return fit_lr2(fa, ya, c)(fb)
        if kind == "gk":
            ka, kb = class_knn(a, b, test)
            views = nv
            xa = np.concatenate(list(gk[:views, a]))
            xb = [gt[v] for v in range(views)] if test else [gk[v, b] for v in range(views)]
            fa = anom_feats(a, np.unique(groups[a]))
            fb = (np.log(summary(anomaly(dt, cols, np.full(len(yt), -1), all_tiles)) + 1e-3)
                  if test else anom_feats(b, np.unique(groups[a])))
            fa, fb = np.concatenate([fa, ka], 1), np.concatenate([fb, kb], 1)
            xa = np.concatenate([xa, np.tile(fa, (views, 1))], 1)
            xb = [np.concatenate([x, fb], 1) for x in xb]
            weight = np.r_[np.ones(gk.shape[2]), np.full(fa.shape[1], w)]
            fit = fit_lr2(xa, np.tile(ya, views), c, weight)
            return logits_of(fit, xb, True)
        views = 1 if kind == "g1" else nv
        xa = np.concatenate(list(gk[:views, a]))
        xb = [gt[v] for v in range(views)] if test else [gk[v, b] for v in range(views)]
        if w:
            fa = anom_feats(a, np.unique(groups[a]))
            fb = (np.log(summary(anomaly(dt, cols, np.full(len(yt), -1), all_tiles)) + 1e-3)
                  if test else anom_feats(b, np.unique(groups[a])))
            xa = np.concatenate([xa, np.tile(fa, (views, 1))], 1)
            xb = [np.concatenate([x, fb], 1) for x in xb]
            weight = np.r_[np.ones(gk.shape[2]), np.full(fa.shape[1], w)]
        else:
            weight = None
        fit = fit_lr2(xa, np.tile(ya, views), c, weight)
        return logits_of(fit, xb, views > 1)

    import re
    for name, (kind, c, w) in variants.items():
        if args.only and not re.search(args.only, name):
            continue
        scores = []
        for seed in (0, 1):
            oof = np.zeros((len(y), n_classes))
            for a, b in folds_of(y, groups, seed):
                oof[b] = run(kind, c, w, a, b)
            scores.append(macro_f1(y, oof.argmax(1)))
        lt = run(kind, c, w, np.arange(len(y)), None, test=True)
        print(f"- {name}: CV {np.mean(scores):.3f} (seeds {scores[0]:.3f}/{scores[1]:.3f}); "
              f"test {macro_f1(yt, lt.argmax(1)):.3f} acc {(lt.argmax(1) == yt).mean():.3f}",
              flush=True)


if __name__ == "__main__":
    main()
