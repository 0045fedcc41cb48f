"""Sample images made in code: surface patches for a quality-inspection demo and tests.

Three classes of grey surface patch, as a camera over a production line would see
them: ``ok`` (plain textured surface), ``scratch`` (a thin bright line at any angle)
and ``spot`` (a dark blob). Sizes vary, as real crops do. Deterministic for a seed.

>>> root = make_surface_images(tmp_path / "parts", per_class=4)   # doctest: +SKIP
>>> sorted(p.name for p in root.iterdir())                       # doctest: +SKIP
['ok', 'scratch', 'spot']
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["CLASSES", "make_surface_images", "surface_image"]

CLASSES = ("ok", "scratch", "spot")


def surface_image(kind: str, rng: np.random.Generator, size: int | None = None):
    """One PIL ``L`` image of ``kind`` (one of :data:`CLASSES`)."""
    from PIL import Image, ImageDraw, ImageFilter

    w = size or int(rng.integers(40, 72))
    h = size or int(rng.integers(40, 72))
    base = rng.normal(128, 18, (h, w)).clip(0, 255).astype(np.uint8)
    im = Image.fromarray(base, mode="L").filter(ImageFilter.GaussianBlur(1))
    draw = ImageDraw.Draw(im)
    if kind == "scratch":
        angle = rng.uniform(0, np.pi)
        cx, cy, r = w / 2, h / 2, min(w, h) * rng.uniform(0.3, 0.45)
        dx, dy = np.cos(angle) * r, np.sin(angle) * r
        draw.line([(cx - dx, cy - dy), (cx + dx, cy + dy)], fill=235, width=2)
    elif kind == "spot":
        r = min(w, h) * rng.uniform(0.1, 0.18)
        cx, cy = rng.uniform(r, w - r), rng.uniform(r, h - r)
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=40)
    elif kind != "ok":
        raise ValueError(f"unknown kind {kind!r}; use one of {CLASSES}")
    return im


def make_surface_images(folder: str | Path, per_class: int = 20, *, seed: int = 0,
                        fmt: str = "png") -> Path:
    """Write ``per_class`` images of each class into ``folder/<class>/`` and return it."""
    root = Path(folder)
    rng = np.random.default_rng(seed)
    for kind in CLASSES:
        (root / kind).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            surface_image(kind, rng).save(root / kind / f"{kind}_{i:03d}.{fmt}")
    return root
