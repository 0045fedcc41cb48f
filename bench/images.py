"""Image benchmark: bizforge image classification against a plain CNN baseline.

    python bench/images.py                            # MNIST and magnetic tiles, 300 s each
    python bench/images.py --only tiles --time-limit 900
    python bench/images.py --threads 1                # torch/onnxruntime threads (0: default)
    python bench/images.py --only textures --only generated --per-class 10

``--per-class N``: N training images of each class (from the training side of a grouped
80/20 split, or MNIST's first N of each digit, tested on 50 of each), the stand-in for
the held-out steel set's "10 images per class" target; ``textures`` (crops of
scikit-image's sample images) and ``generated`` (procedural surface textures) are texture
proxies described in ``_image_proxies.py``; without ``--per-class`` they run 80/20.

MNIST (``mnist``): the idx files are written out once as PNG class folders
(``train/<digit>/<i>.png``, ``test/...``), the layout users have; bizforge trains on
the train folder and is scored on the test folder. The baseline, timed in this script
on the same images, is the anchor of the issue: conv32-conv64-fc128, 3 epochs of Adam.

Magnetic tiles (``magnetic_tile_defects``): ``labels.csv`` and ``groups.csv`` merged into
one CSV beside a copy of the images; bizforge trains with ``--group-column group``, so its
80/20 test split and its validation split keep every tile (6 lightings) on one side.
The baselines on the same test images: the majority class, and bizforge's own small CNN
alone (its test score from the leaderboard of the same run).

Figures: test accuracy and macro-F1 of the saved predictor, fit seconds, and images/s of
the served ensemble on validation images (eager PyTorch, ONNX fp32, ONNX int8; model
only, batch 64) as recorded at fit, then end-to-end batch scoring of the test folder by
the loaded predictor (decoding included). Artifact size in MB.
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import datasets_or_say, write_results

TARGETS = {"mnist": "accuracy >= 0.993 (anchor CNN 3 epochs 0.990)",
           "tiles": "macro-F1 >= 0.70 (anchor frozen Lite0 + LR 0.555, majority 0.138)",
           "textures": "none of its own (a texture proxy for the steel set)",
           "generated": "none of its own (a texture proxy for the steel set)"}
PER_CLASS_TARGET = ("steel set with 10 training images a class: accuracy >= 0.95 (anchors "
                    "frozen Lite0 + LR 0.917, small CNN 0.925); this set is a proxy")


def _idx(path: Path) -> np.ndarray:
    data = gzip.decompress(path.read_bytes())
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def mnist_folders(src: Path, work: Path) -> tuple[Path, Path, dict]:
    """Write MNIST as PNG class folders under ``work`` (once) and return train/test roots."""
    from PIL import Image

    arrays = {}
    for part, prefix in (("train", "train"), ("test", "t10k")):
        x = _idx(src / f"{prefix}-images-idx3-ubyte.gz")
        y = _idx(src / f"{prefix}-labels-idx1-ubyte.gz")
        arrays[part] = (x, y)
        root = work / "mnist" / part
        if not (root / ".done").exists():
            for d in range(10):
                (root / str(d)).mkdir(parents=True, exist_ok=True)
            for i, (img, label) in enumerate(zip(x, y, strict=True)):
                Image.fromarray(img).save(root / str(label) / f"{i:05d}.png")
            (root / ".done").write_text("ok")
    return work / "mnist" / "train", work / "mnist" / "test", arrays


def baseline_cnn(arrays: dict, epochs: int = 3, seed: int = 0) -> tuple[float, float]:
    """The issue's anchor: conv32-conv64-fc128, Adam, ``epochs`` epochs; (accuracy, seconds)."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    net = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(),
                        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64 * 12 * 12, 128), nn.ReLU(),
                        nn.Linear(128, 10))
    x = torch.from_numpy(arrays["train"][0].copy()).float().div(255).unsqueeze(1)
    y = torch.from_numpy(arrays["train"][1].astype(np.int64))
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(epochs):
        order = torch.randperm(len(x))
        for i in range(0, len(x), 128):
            idx = order[i:i + 128]
            loss = nn.functional.cross_entropy(net(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    seconds = time.perf_counter() - start
    print(f"baseline: {seconds:.0f} s wall, {(time.process_time() - cpu) / seconds:.2f} of a core")
    xt = torch.from_numpy(arrays["test"][0].copy()).float().div(255).unsqueeze(1)
    with torch.no_grad():
        pred = torch.cat([net(xt[i:i + 1000]).argmax(1) for i in range(0, len(xt), 1000)])
    return float((pred.numpy() == arrays["test"][1]).mean()), seconds


def tiles_csv(src: Path, work: Path) -> Path:
    import pandas as pd

    root = work / "tiles"
    if not (root / "images").exists():
        shutil.copytree(src / "images", root / "images")
    labels = pd.read_csv(src / "labels.csv")
    groups = pd.read_csv(src / "groups.csv")
    frame = labels.merge(groups, on="file")
    frame["file"] = "images/" + frame["file"]
    frame.to_csv(root / "tiles.csv", index=False)
    return root / "tiles.csv"


def train_and_score(train: Path, test: Path | None, time_limit: float, work: Path, *,
                    target: str | None = None, group: str | None = None) -> dict:
    from bizforge.families.base import DataSource
    from bizforge.families.image import ImageFamily, ImageOptions
    from bizforge.families.image.predictor import ImagePredictor

    family = ImageFamily()
    opts = ImageOptions(group_column=group)
    start, cpu = time.perf_counter(), time.process_time()
    trained = family.train(DataSource(train), target=target, task="image-classification",
                           options=opts, test=None if test is None else DataSource(test),
                           time_limit=time_limit)
    wall = time.perf_counter() - start
    cpu_share = (time.process_time() - cpu) / wall  # of one core: what the machine gave us
    out = work / f"model-{train.stem}"
    shutil.rmtree(out, ignore_errors=True)
    trained.predictor.save(out)
    trained.report.save(work / f"report-{train.stem}.html")
    size_mb = sum(f.stat().st_size for f in out.iterdir()) / 1e6
    predictor = ImagePredictor.load(out)
    scored_items = 0
    t0 = time.perf_counter()
    if test is not None:
        for chunk in predictor.batches(DataSource(test), 2000):
            predictor.score(chunk)
            scored_items += len(chunk)
    batch_rate = scored_items / (time.perf_counter() - t0) if scored_items else None
    m = trained.metrics
    return {"metrics": m, "wall": wall, "size_mb": size_mb, "batch_rate": batch_rate,
            "notes": trained.notes, "cpu_share": cpu_share}


def _lines(name: str, r: dict, extra: list[str], target: str | None = None) -> list[str]:
    m = r["metrics"]
    q = m["finetune"]["quantization"]
    ips = q["images_per_second"]
    board = "; ".join(f"{e['name']} valid {e['score']:.4f}"
                      + (f" test acc {e['test_accuracy']:.4f} / macro-F1 "
                         f"{e['test_macro_f1']:.4f}" if "test_accuracy" in e else "")
                      + (f" ({e['fit_seconds']:.0f} s, {e.get('epochs', 0):g} epochs, "
                         f"{e.get('stopped_by')})" if "fit_seconds" in e else "")
                      for e in m["leaderboard"])
    accuracies = " / ".join(f"{q['accuracy'][k]:.4f}" for k in ("torch", "onnx_fp32", "onnx_int8"))
    rate = f"{r['batch_rate']:.0f} images/s" if r["batch_rate"] else "not run"
    return [f"### {name}", "",
            f"- target: {target or TARGETS[name]}",
            (f"- bizforge: test accuracy {m['test']['accuracy']:.4f}, macro-F1 "
             f"{m['test']['macro_f1']:.4f}; fit {m['fit_seconds']:.0f} s (wall {r['wall']:.0f} s, "
             f"this process got {r['cpu_share']:.2f} of a core on average); "
             f"served {m['finetune']['members']} as {q['runtime']}"),
            f"- candidates: {board}",
            (f"- images/s at fit ({q['timed_rows']} validation images, batch {q['batch_size']}, "
             f"{q['threads']} threads): eager {ips['torch']:.0f}, ONNX fp32 "
             f"{ips['onnx_fp32']:.0f} ({ips['onnx_fp32'] / max(ips['torch'], 1e-9):.1f}x eager), "
             f"int8 {ips['onnx_int8']:.0f} ({ips['onnx_int8'] / max(ips['torch'], 1e-9):.1f}x "
             f"eager); validation accuracy eager/fp32/int8 {accuracies}"),
            f"- batch predict of the test images by the loaded predictor (decoding included): {rate}",
            f"- artifact: {r['size_mb']:.1f} MB (ONNX + model.json, no pickle)",
            *extra, *(f"- note: {n}" for n in r["notes"]), ""]


def _proxy(name: str, root: Path, work: Path, args: argparse.Namespace) -> list[str]:
    """A ``--per-class`` run of any set, or an 80/20 run of a texture proxy."""
    import _image_proxies as proxies

    n = args.per_class
    if name == "mnist":
        train, test, _ = mnist_folders(root / "mnist", work)
        train, test = proxies.mnist_csv(train, test, work, n or 10)
        group = None
    else:
        csv = (tiles_csv(root / "magnetic_tile_defects", work) if name == "tiles"
               else proxies.textures_csv(work) if name == "textures"
               else proxies.generated_csv(work))
        train, test = proxies.split_per_class(csv, n) if n else (csv, None)
        group = "group"
    r = train_and_score(train, test, args.time_limit, work, target="label", group=group)
    support = r["metrics"]["test"]["support"]
    major = max(support.values()) / sum(support.values())
    what = (f"{n} training images per class, {sum(support.values())} test images"
            if n else "grouped 80/20 split")
    return _lines(name, r, [f"- set: {what}",
                            f"- majority class on the same test images: accuracy {major:.4f}"],
                  target=PER_CLASS_TARGET if n else None)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=["mnist", "tiles", "textures", "generated"],
                    action="append")
    ap.add_argument("--per-class", type=int, default=None,
                    help="train on N images of each class (see the docstring)")
    ap.add_argument("--time-limit", type=float, default=300)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--work", default=None, help="folder for the PNGs and models (kept)")
    ap.add_argument("--no-write", action="store_true", help="print, do not touch RESULTS.md")
    ap.add_argument("--no-baseline", action="store_true",
                    help="MNIST: skip the anchor CNN (3 epochs; minutes on a shared machine)")
    args = ap.parse_args()
    root = datasets_or_say()
    if root is None:
        return
    if args.threads:
        import torch
        torch.set_num_threads(args.threads)
    load = os.getloadavg()[0]
    work = Path(args.work) if args.work else Path("/tmp/bizforge-bench-images")
    work.mkdir(parents=True, exist_ok=True)
    body: list[str] = []
    for name in args.only or ["mnist", "tiles"]:
        if args.per_class or name in ("textures", "generated"):
            body += _proxy(name, root, work, args)
        elif name == "mnist":
            train, test, arrays = mnist_folders(root / "mnist", work)
            r = train_and_score(train, test, args.time_limit, work)
            if args.no_baseline:
                line = ("- baseline: not run here (--no-baseline); the issue's anchor: "
                        "conv32-conv64-fc128, 3 epochs, accuracy 0.990 in 83 s")
            else:
                base_acc, base_s = baseline_cnn(arrays)
                line = (f"- baseline (same run): conv32-conv64-fc128, 3 epochs: accuracy "
                        f"{base_acc:.4f} in {base_s:.0f} s; bizforge fit took "
                        f"{r['metrics']['fit_seconds'] / base_s:.2f}x the baseline's seconds")
            body += _lines(name, r, [line])
        else:
            csv = tiles_csv(root / "magnetic_tile_defects", work)
            r = train_and_score(csv, None, args.time_limit, work, target="label", group="group")
            support = r["metrics"]["test"]["support"]
            major = max(support.values()) / sum(support.values())
            k = len(support)
            body += _lines(name, r, [(f"- baseline (same test images): majority class accuracy "
                                      f"{major:.4f}, macro-F1 {2 * major / (1 + major) / k:.4f}")])
        print("\n".join(body))
    command = "python bench/images.py " + " ".join(sys.argv[1:])
    if not args.no_write:
        few = f", {args.per_class} per class" if args.per_class else ""
        write_results(f"## images — 2026-12-07 ({', '.join(args.only or ['mnist', 'tiles'])}, "
                      f"{args.time_limit:.0f} s{few})", command,
                      [(f"machine: 2 cores, shared with parallel work (load average {load:.1f} at "
                       f"the start, {os.getloadavg()[0]:.1f} at the end)"), "",
                       *body])


if __name__ == "__main__":
    main()
