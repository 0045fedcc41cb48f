"""Any class-folder image set, given by path: a stratified 80/20 run, or N training images a class.

    python bench/images_folder.py /tmp/neu                          # stratified 80/20, 300 s
    python bench/images_folder.py /tmp/neu --per-class 10 --seeds 0 1 2

The set is a folder with one sub-folder per class (the layout users have). Each run writes
its own ``train/<class>/`` and ``test/<class>/`` folders under ``--work`` (hard links where
the file system allows, else copies) and trains bizforge on the train folder with
``--time-limit``, scored on the test folder:

- without ``--per-class``: a stratified 80/20 split (``StratifiedShuffleSplit``, seed from
  ``--seeds``);
- with ``--per-class N``: N images of each class drawn with the seed, the test set is every
  other image of the set.

Each run prints one line: test accuracy, macro-F1, fit seconds, the share of a core this
process got, and the path taken (the served members and the small-data path's choice);
``--json OUT`` keeps them. Nothing is written to bench/RESULTS.md: this script is for sets
that do not live in the repository or the shared datasets (the steel set of issue 19).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from images import train_and_score

SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"}


def class_files(root: Path) -> tuple[list[Path], np.ndarray]:
    """Every image file under ``root/<class>/`` and its class name, sorted."""
    files, labels = [], []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for f in sorted(folder.iterdir()):
            if f.suffix.lower() in SUFFIXES:
                files.append(f)
                labels.append(folder.name)
    if not files:
        raise SystemExit(f"no images in class folders under {root}")
    return files, np.array(labels)


def pick(labels: np.ndarray, per_class: int | None, seed: int) -> np.ndarray:
    """A boolean mask of the training images: N a class, or a stratified 80 %."""
    rng = np.random.default_rng(seed)
    train = np.zeros(len(labels), bool)
    if per_class is None:
        from sklearn.model_selection import StratifiedShuffleSplit

        keep, _ = next(StratifiedShuffleSplit(1, test_size=0.2, random_state=seed)
                       .split(labels, labels))
        train[keep] = True
        return train
    for name in np.unique(labels):
        rows = np.flatnonzero(labels == name)
        if len(rows) <= per_class:
            raise SystemExit(f"class {str(name)!r} has {len(rows)} images: none left to test "
                             f"with {per_class} a class")
        train[rng.choice(rows, per_class, replace=False)] = True
    return train


def write_split(files: list[Path], labels: np.ndarray, train: np.ndarray,
                out: Path) -> tuple[Path, Path]:
    """``out/train/<class>/`` and ``out/test/<class>/``, linked (or copied) from the set."""
    shutil.rmtree(out, ignore_errors=True)
    for f, label, is_train in zip(files, labels, train, strict=True):
        folder = out / ("train" if is_train else "test") / label
        folder.mkdir(parents=True, exist_ok=True)
        try:
            os.link(f, folder / f.name)
        except OSError:
            shutil.copyfile(f, folder / f.name)
    return out / "train", out / "test"


def path_taken(r: dict) -> str:
    """The served members and, on the small-data path, its CV choice (from the notes)."""
    m = r["metrics"]
    served = f"served {m['finetune']['members']} as {m['finetune']['quantization']['runtime']}"
    few = [n for n in r["notes"] if n.startswith("few images per class")]
    return served + (f"; {few[0]}" if few else "")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", type=Path, help="a folder with one sub-folder per class")
    ap.add_argument("--per-class", type=int, default=None)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--time-limit", type=float, default=300)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--work", type=Path, default=Path("/tmp/bizforge-bench-folder"))
    ap.add_argument("--json", type=Path, default=None, help="write the runs' figures here")
    args = ap.parse_args()
    if not args.path.is_dir():
        print(f"{args.path}: not a folder; skipping.")
        return
    if args.threads:
        import torch
        torch.set_num_threads(args.threads)
    files, labels = class_files(args.path)
    what = f"{args.per_class} a class" if args.per_class else "stratified 80/20"
    print(f"{args.path}: {len(files)} images, {len(np.unique(labels))} classes; {what}; "
          f"load {os.getloadavg()[0]:.2f} at the start")
    runs = []
    for seed in args.seeds:
        out = args.work / f"{args.path.name}-{args.per_class or 'split'}-{seed}"
        train, test = write_split(files, labels, pick(labels, args.per_class, seed), out)
        r = train_and_score(train, test, args.time_limit, out)
        t = r["metrics"]["test"]
        run = {"seed": seed, "train_images": int(sum(1 for _ in train.rglob("*.*"))),
               "accuracy": t["accuracy"], "macro_f1": t["macro_f1"],
               "fit_seconds": r["metrics"]["fit_seconds"], "cpu_share": r["cpu_share"],
               "path": path_taken(r), "leaderboard": r["metrics"]["leaderboard"]}
        runs.append(run)
        print(f"seed {seed}: test accuracy {run['accuracy']:.4f}, macro-F1 "
              f"{run['macro_f1']:.4f}, fit {run['fit_seconds']:.0f} s "
              f"({run['cpu_share']:.2f} of a core); {run['path']}", flush=True)
    acc = [r["accuracy"] for r in runs]
    print(f"{what}, {len(runs)} seed(s): accuracy mean {np.mean(acc):.4f} "
          f"(min {min(acc):.4f}, max {max(acc):.4f}); load {os.getloadavg()[0]:.2f} at the end")
    if args.json:
        args.json.write_text(json.dumps(runs, indent=1, default=str))


if __name__ == "__main__":
    main()
