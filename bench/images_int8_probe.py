"""int8 against fp32 for a frozen backbone + logistic-regression head (issue #19, probe).

    python bench/images_int8_probe.py /tmp/neu --leading 0 6 12
    python bench/images_int8_probe.py textures --leading 0 6 12 --speed

The set: a class-folder path (stratified 80/20 split, as ``images_folder.py`` makes it),
or a proxy of ``_image_proxies.py`` (``textures``, ``generated``; grouped 80/20) or
``tiles`` (the magnetic tiles, grouped by tile; needs ``$BIZFORGE_DATASETS``). The frozen
EfficientNet-Lite0's pooled features of every image are computed once (ONNX fp32), a
logistic regression (C=0.01, class-balanced, on standardised features, as the family's
frozen candidate) is fitted on the training side and written into the network's head;
then, for each ``--leading N`` (the first N convolutions kept in fp32,
``quantize_static_int8(..., fp32_leading_convs=N)``), the int8 graph (64 calibration
images from the training side, as at the end of training) runs over every image.

Printed per N: how many answers int8 changes against fp32 (every image, and on the
training side alone: label-free), test errors of both, the RMS of the logit change
against the logits' spread; with ``--speed``, images/s of fp32 and each int8 graph
(batch 64, ``--threads``; time it under the bench lock). Accuracy part untimed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def the_set(name: str, work: Path):
    """Items, labels and the training mask of ``name`` (a folder, a proxy or tiles)."""
    import pandas as pd
    from sklearn.model_selection import GroupShuffleSplit

    from bizforge.families.image.reading import ImageItem

    if Path(name).is_dir():
        from images_folder import class_files, pick

        files, labels = class_files(Path(name))
        return [ImageItem(f, f.name, str(lab)) for f, lab in zip(files, labels, strict=True)], \
            labels, pick(labels, None, 0)
    if name == "tiles":
        root = Path(os.environ.get("BIZFORGE_DATASETS", "../shared/datasets")) / \
            "magnetic_tile_defects"
        if not root.is_dir():
            raise SystemExit(f"{root}: not there; skipping.")
        df = pd.read_csv(root / "labels.csv").merge(pd.read_csv(root / "groups.csv"), on="file")
        folder = root / "images"
    else:
        import _image_proxies as proxies

        csv = {"textures": proxies.textures_csv, "generated": proxies.generated_csv}[name](work)
        df, folder = pd.read_csv(csv), csv.parent
    items = [ImageItem(folder / f, f, str(lab)) for f, lab in zip(df.file, df.label, strict=True)]
    labels, groups = df.label.to_numpy(), df.group.to_numpy()
    keep, _ = next(GroupShuffleSplit(1, test_size=0.2, random_state=0).split(labels, labels, groups))
    train = np.zeros(len(labels), bool)
    train[keep] = True
    return items, labels, train


def main() -> None:
    import torch
    from sklearn.linear_model import LogisticRegression

    from bizforge.families.image.nets import build_backbone, global_pool
    from bizforge.families.image.onnx import ImageRunner, export_image_onnx, quantize_static_int8
    from bizforge.families.image.reading import load_arrays

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("set")
    ap.add_argument("--leading", type=int, nargs="+", default=[0, 6])
    ap.add_argument("--speed", action="store_true")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--work", type=Path, default=Path("/tmp/bizforge-bench-int8"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    args.work.mkdir(parents=True, exist_ok=True)
    items, labels, train = the_set(args.set, args.work)
    classes = sorted(set(labels))
    y = np.array([classes.index(lab) for lab in labels])
    arr, bad = load_arrays(items, 224, 3)
    px = np.ascontiguousarray(arr.transpose(0, 3, 1, 2), dtype=np.float32)
    net = build_backbone("efficientnet-lite0", len(classes))

    class Pooled(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.config = net.config

        def forward(self, x):
            return global_pool(net.features(x), "avg")

    def run(runner):
        return np.concatenate([runner.logits(px[i:i + 64]) for i in range(0, len(px), 64)])

    f = run(ImageRunner(export_image_onnx(Pooled(), size=224, channels=3), threads=args.threads))
    mu, sd = f[train].mean(0), f[train].std(0) + 1e-6
    lr = LogisticRegression(C=0.01, max_iter=1000, class_weight="balanced", random_state=0)
    lr.fit((f[train] - mu) / sd, y[train])
    w = (lr.coef_ / sd).astype(np.float32)
    with torch.no_grad():
        net.head.weight.copy_(torch.as_tensor(w))
        net.head.bias.copy_(torch.as_tensor(lr.intercept_ - w @ mu, dtype=torch.float32))
    fp32 = export_image_onnx(net, size=224, channels=3)
    lf = f @ net.head.weight.detach().numpy().T + net.head.bias.detach().numpy()
    pf, test = lf.argmax(1), ~train
    print(f"{args.set}: {len(y)} images ({len(bad)} unreadable), {len(classes)} classes, "
          f"{train.sum()} training / {test.sum()} test; fp32 test errors {np.sum(pf[test] != y[test])}",
          flush=True)
    calib = px[np.random.default_rng(0).permutation(np.flatnonzero(train))[:64]]
    graphs = {"fp32": fp32}
    for n in args.leading:
        graphs[f"int8 leading {n}"] = int8 = quantize_static_int8(fp32, calib, fp32_leading_convs=n)
        li = run(ImageRunner(int8, threads=args.threads))
        pi = li.argmax(1)
        print(f"int8, first {n:2d} convolutions fp32: answers changed {np.sum(pi != pf)} of {len(y)} "
              f"({np.sum((pi != pf)[train])} of {train.sum()} training); test errors "
              f"{np.sum(pi[test] != y[test])}; logit RMS change {np.sqrt(np.mean((li - lf) ** 2)):.3f} "
              f"(logit sd {lf.std():.2f})", flush=True)
    if args.speed:
        print(f"speed, load {os.getloadavg()[0]:.2f} at start", flush=True)
        sample = px[:512]
        for name, graph in graphs.items():
            runner = ImageRunner(graph, threads=args.threads)
            runner.logits(sample[:64])
            rates = []
            for _ in range(3):
                t0 = time.perf_counter()
                for i in range(0, len(sample), 64):
                    runner.logits(sample[i:i + 64])
                rates.append(len(sample) / (time.perf_counter() - t0))
            print(f"{name}: {np.median(rates):.1f} images/s (median of 3, best {max(rates):.1f}; "
                  f"batch 64, {args.threads} threads)", flush=True)
        print(f"load {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
