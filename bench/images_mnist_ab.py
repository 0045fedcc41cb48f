"""MNIST: an A/B of small-CNN variants at an equal time budget (issue #19; untimed probe).

    python bench/images_mnist_ab.py SECONDS ARMS THREADS     # e.g. 243 dense,A 1

Every arm trains bizforge's fit loop (shift/turn/scale jitter, AdamW, one-cycle on the
clock, batch 128) on the same 55,000 training digits for SECONDS, keeps its best weights
on the same 5,000 validation digits and is scored on the 10,000 test digits; arms run one
after another in one process. ``A``: the pooled head (global average pool, as before);
``dense``: the last 7 x 7 map flattened into the linear layer; ``wide``: 48/96 channels;
``double``: two convolutions a stage; ``ens2``: two pooled nets of SECONDS/2 each.
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import datasets_or_say
from images import _idx

from bizforge.families.image.fit import fit_loop, predict_logits
from bizforge.families.image.nets import SmallCNN


def make(arm: str) -> SmallCNN:
    if arm == "dense":
        return SmallCNN(1, 10, 28, [32, 64], double=False, head="dense")
    if arm == "wide":
        return SmallCNN(1, 10, 28, [48, 96], double=False)
    if arm == "double":
        return SmallCNN(1, 10, 28, [32, 64], double=True)
    return SmallCNN(1, 10, 28, [32, 64], double=False)  # "A": the pooled head


def fit(arm: str, data: tuple, seconds: float, seed: int) -> tuple:
    x, y, xv, yv = data
    torch.manual_seed(seed)
    net = make(arm)
    out = fit_loop(net, x, y, xv, yv, seconds=seconds, augment="shift", batch_size=128,
                   lr=3e-3, seed=seed, max_epochs=60, patience=2)
    return net, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("seconds", type=float, help="training time of each arm")
    ap.add_argument("arms", help="comma-separated: A, dense, wide, double, ens2")
    ap.add_argument("threads", type=int, nargs="?", default=1)
    args = ap.parse_args()
    secs, arms, threads = args.seconds, args.arms.split(","), args.threads
    torch.set_num_threads(threads)
    root = datasets_or_say()
    if root is None:
        return
    src = root / "mnist"
    x = _idx(src / "train-images-idx3-ubyte.gz")[..., None]
    y = _idx(src / "train-labels-idx1-ubyte.gz").astype(np.int64)
    xt = _idx(src / "t10k-images-idx3-ubyte.gz")[..., None]
    yt = _idx(src / "t10k-labels-idx1-ubyte.gz").astype(np.int64)
    perm = np.random.default_rng(1).permutation(len(x))
    data = (x[perm[5000:]], y[perm[5000:]], x[perm[:5000]], y[perm[:5000]])
    for arm in arms:
        t0 = time.perf_counter()
        if arm == "ens2":
            fits = [fit("A", data, secs / 2, seed) for seed in (0, 1)]
            proba = np.mean([torch.softmax(torch.from_numpy(predict_logits(net, xt)), 1).numpy()
                             for net, _ in fits], 0)
            out = fits[-1][1]
        else:
            net, out = fit(arm, data, secs, 0)
            proba = predict_logits(net, xt)
        print(f"{arm}: test accuracy {(proba.argmax(1) == yt).mean():.4f}, valid "
              f"{out.best_valid:.4f}, {out.epochs} epochs, stopped by {out.stopped_by}, "
              f"{time.perf_counter() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
