"""Stand-ins for the held-out steel-surface set (6 texture classes, 200 x 200 grey), for
``bench/images.py --per-class N``: each builder writes PNGs and a CSV (file, label,
group) and returns it; :func:`split_per_class` then makes the train/test CSVs.

- ``textures``: crops of scikit-image's bundled sample images (brick, grass, gravel,
  moon, the Hubble deep field, a page of text), one class per image; each image is cut
  into 3 x 3 regions and a crop never leaves its region, the region is the group, so
  the crops of one region stay on one side of every split.
- ``generated``: six procedural surface textures drawn in code (cracks, dark inclusions,
  patches, pits, scale, scratches), noisy and of random strength, one group per image.
- ``tiles``: the magnetic tiles (``groups.csv``: a tile under six lightings is a group).
- ``mnist``: the digits (not a texture: the check that the small-data path does no harm).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

TEXTURES = ("brick", "grass", "gravel", "moon", "hubble_deep_field", "page")
CROP = 96
GRID = 3  # each image cut into 3 x 3 regions: 9 groups a class, some in every fold of five
CROPS_PER_REGION = 10


def _save(frame_rows: list[dict], root: Path, name: str) -> Path:
    import pandas as pd

    path = root / name
    pd.DataFrame(frame_rows).to_csv(path, index=False)
    return path


def textures_csv(work: Path, seed: int = 0) -> Path:
    """Crops of scikit-image's sample images; class = source image, group = region."""
    import skimage.data
    from PIL import Image

    root = work / "textures"
    (root / "images").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    rows = []
    for name in TEXTURES:
        img = getattr(skimage.data, name)()
        grey = img if img.ndim == 2 else (img[..., :3] @ [0.299, 0.587, 0.114]).astype(np.uint8)
        h, w = grey.shape
        for q in range(GRID * GRID):
            qh, qw = h // GRID, w // GRID
            y0, x0 = (q // GRID) * qh, (q % GRID) * qw
            side = min(CROP, qh, qw)
            for k in range(CROPS_PER_REGION):
                r, c = rng.integers(0, qh - side + 1), rng.integers(0, qw - side + 1)
                crop = grey[y0 + r:y0 + r + side, x0 + c:x0 + c + side]
                file = f"images/{name}_{q}_{k}.png"
                Image.fromarray(crop).resize((200, 200)).save(root / file)
                rows.append({"file": file, "label": name, "group": f"{name}-{q}"})
    return _save(rows, root, "textures.csv")


def _blur(x: np.ndarray, s: float) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    return gaussian_filter(x, s)


def _texture(kind: str, rng: np.random.Generator, n: int = 200) -> np.ndarray:
    """One grey surface image of a defect kind, values 0-255."""
    base = 0.5 + 0.15 * _blur(rng.normal(size=(n, n)), 8) * 6 + 0.05 * rng.normal(size=(n, n))
    strength = rng.uniform(0.5, 1.0)
    yy, xx = np.mgrid[:n, :n]
    if kind == "crazing":  # a network of fine cracks: edges of a random cell pattern
        pts = rng.uniform(0, n, size=(rng.integers(15, 40), 2))
        d = np.sort(np.hypot(yy[..., None] - pts[:, 0], xx[..., None] - pts[:, 1]), axis=-1)
        base -= strength * 0.4 * (d[..., 1] - d[..., 0] < 1.5)
    elif kind == "inclusion":  # a few elongated dark streaks along the rolling direction
        for _ in range(rng.integers(2, 6)):
            cy, cx = rng.uniform(0, n, 2)
            ln, wd = rng.uniform(15, 60), rng.uniform(1.5, 4)
            base -= strength * 0.5 * np.exp(-((yy - cy) / ln) ** 2 - ((xx - cx) / wd) ** 2)
    elif kind == "patches":  # large soft dark blotches
        blobs = _blur(rng.normal(size=(n, n)), rng.uniform(10, 20))
        base -= strength * 0.4 * (blobs > np.quantile(blobs, rng.uniform(0.6, 0.8)))
        base = _blur(base, 2)
    elif kind == "pitted":  # many small dark pits
        pits = np.zeros((n, n))
        idx = rng.integers(0, n, size=(rng.integers(60, 200), 2))
        pits[idx[:, 0], idx[:, 1]] = 1
        base -= strength * 6 * _blur(pits, rng.uniform(1.0, 2.0))
    elif kind == "rolled-in_scale":  # flaky medium-size spots, stretched sideways
        flakes = _blur(rng.normal(size=(n, n)), (2, 6))
        base -= strength * 0.35 * (flakes > np.quantile(flakes, 0.85))
    else:  # scratches: long thin bright lines at one angle
        angle = rng.uniform(0, np.pi)
        for _ in range(rng.integers(2, 7)):
            off = rng.uniform(-n / 2, n / 2)
            dist = np.abs((xx - n / 2) * np.sin(angle) - (yy - n / 2) * np.cos(angle) - off)
            base += strength * 0.35 * np.exp(-(dist / rng.uniform(0.7, 1.5)) ** 2)
    return np.clip(base * 255, 0, 255).astype(np.uint8)


GENERATED = ("crazing", "inclusion", "patches", "pitted", "rolled-in_scale", "scratches")


def generated_csv(work: Path, per_class: int = 100, seed: int = 0) -> Path:
    """Six procedural surface-defect textures, ``per_class`` 200 x 200 grey images each."""
    from PIL import Image

    root = work / "generated"
    (root / "images").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    rows = []
    for kind in GENERATED:
        for k in range(per_class):
            file = f"images/{kind}_{k}.png"
            if not (root / file).exists():
                Image.fromarray(_texture(kind, rng)).save(root / file)
            rows.append({"file": file, "label": kind, "group": f"{kind}-{k}"})
    return _save(rows, root, "generated.csv")


def mnist_csv(train: Path, test: Path, work: Path, per_class: int,
              test_per_class: int = 50) -> tuple[Path, Path]:
    """The first ``per_class`` PNGs of each digit to train, ``test_per_class`` to test."""
    import shutil

    root = work / f"mnist{per_class}"
    out = []
    for part, k in ((train, per_class), (test, test_per_class)):
        rows = []
        for d in sorted(x for x in part.iterdir() if x.is_dir()):
            (root / part.name / d.name).mkdir(parents=True, exist_ok=True)
            for p in sorted(d.glob("*.png"), key=lambda p: int(p.stem))[:k]:
                file = f"{part.name}/{d.name}/{p.name}"  # paths stay inside the CSV's folder
                shutil.copyfile(p, root / file)
                rows.append({"file": file, "label": d.name, "group": p.stem})
        out.append(_save(rows, root, f"{part.name}.csv"))
    return out[0], out[1]


def split_per_class(csv: Path, per_class: int, seed: int = 0) -> tuple[Path, Path]:
    """A grouped 80/20 split of ``csv`` (whole groups on one side), then ``per_class``
    training images of each class from the 80 % side, from as many groups as possible.
    Writes ``<stem>-train<N>.csv`` and ``<stem>-test.csv`` beside it."""
    import pandas as pd
    from sklearn.model_selection import StratifiedGroupKFold

    frame = pd.read_csv(csv)
    folds = StratifiedGroupKFold(5, shuffle=True, random_state=seed)
    keep, held = next(folds.split(frame, frame["label"], frame["group"]))
    pool, test = frame.iloc[keep], frame.iloc[held]
    rng = np.random.default_rng(seed)
    picked = []
    for _, rows in pool.groupby("label"):
        rows = rows.sample(frac=1, random_state=int(rng.integers(1 << 30)))
        # round-robin over the groups: one image of each group before a second of any
        rows = rows.assign(_rank=rows.groupby("group").cumcount()).sort_values("_rank", kind="stable")
        picked.append(rows.head(per_class).drop(columns="_rank"))
    train = pd.concat(picked)
    out_train = csv.with_name(f"{csv.stem}-train{per_class}.csv")
    out_test = csv.with_name(f"{csv.stem}-test.csv")
    train.to_csv(out_train, index=False)
    test.to_csv(out_test, index=False)
    return out_train, out_test
