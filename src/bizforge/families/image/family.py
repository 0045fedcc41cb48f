"""The image-classification family: its options, data recognition, inspect, train, load.

>>> from bizforge.families.base import DataSource
>>> ImageFamily.recognise(DataSource("no/such/folder"), None)
0.0
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator

from bizforge.families.base import DataSource, Family, FamilyOptions, Progress, Trained
from bizforge.families.catalog import register_family
from bizforge.families.image.reading import IMAGE_SUFFIXES

__all__ = ["ImageFamily", "ImageOptions"]

MODELS = ("cnn", "frozen", "finetune")


class ImageOptions(FamilyOptions):
    """Options of ``--task image-classification`` (each is also a ``train`` CLI option)."""

    image_column: str | None = Field(
        None, description="CSV/Excel column of image paths (relative to the file); "
                          "found by its .jpg/.png values when not given.")
    group_column: str | None = Field(
        None, description="CSV/Excel column naming the object each image shows: images of one "
                          "group stay on one side of every test and validation split.")
    backbone: str = Field(
        "efficientnet-lite0", description="pretrained backbone: efficientnet-lite0 (shipped), "
                                          "efficientnet-liteN=WEIGHTS.pth or "
                                          "module:function=WEIGHTS.pth.")
    augment: Literal["auto", "none", "shift", "flip"] = Field(
        "auto", description="training augmentation: shift (digits, characters), flip (flips "
                            "and quarter turns: textures, surfaces), auto (shift below 33 px).")
    image_models: tuple[Literal["cnn", "frozen", "finetune"], ...] = Field(
        MODELS, description="candidates, cheapest first: cnn (from scratch), frozen (backbone "
                            "features + linear head), finetune (its last blocks trained).",
        min_length=1)
    image_size: int | None = Field(
        None, ge=8, le=512, description="input side of the CNN (default: from the image sizes).")

    @field_validator("image_models", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        """``--image-models cnn,frozen`` arrives as one string from the command line."""
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
        return value


def _table_has_image_paths(path: Path) -> bool:
    import pandas as pd

    try:
        frame = (pd.read_csv(path, nrows=20, sep=None, engine="python", dtype=str)
                 if path.suffix.lower() in (".csv", ".tsv", ".txt")
                 else pd.read_excel(path, nrows=20, dtype=str))
    except Exception:  # noqa: BLE001 - recognise() answers "not mine", it never fails
        return False
    return any(frame[c].dropna().str.lower().str.endswith(IMAGE_SUFFIXES).mean() > 0.5
               for c in frame.columns if frame[c].notna().any())


@register_family
class ImageFamily(Family):
    """Image classification: a folder of class folders, a CSV/Excel of paths, or a zip."""

    name = "image"
    tasks = ("image-classification",)
    Options = ImageOptions
    needs_target = False  # class folders carry the labels; a CSV names them with --target

    @classmethod
    def recognise(cls, source: DataSource, target: str | None) -> float:
        path = source.path
        if path is None or not path.exists():
            return 0.0
        if path.is_dir():
            for sub in sorted(path.iterdir())[:50]:
                pattern = sub.glob("*") if sub.is_dir() else [sub]
                if any(p.name.lower().endswith(IMAGE_SUFFIXES) for p in pattern):
                    return 0.95
            # a folder is no table: unless another family knows it, it was meant to hold
            # images, and "holds no images" is a clearer answer than "cannot tell"
            return 0.05
        if source.is_zip:
            try:
                with zipfile.ZipFile(path) as zf:
                    names = zf.namelist()
            except (zipfile.BadZipFile, OSError):
                return 0.0
            return 0.9 if any(n.lower().endswith(IMAGE_SUFFIXES) for n in names) else 0.0
        if path.suffix.lower() in (".csv", ".tsv", ".txt", ".xlsx", ".xls"):
            return 0.9 if _table_has_image_paths(path) else 0.0
        return 0.0

    def inspect(self, source: DataSource, *, target: str | None, options: FamilyOptions,
                lang: str = "en") -> Any:
        from bizforge.families.image.findings import image_profile
        from bizforge.families.image.reading import list_images

        opts = ImageOptions.model_validate(options.model_dump()) if not isinstance(
            options, ImageOptions) else options
        images = list_images(source, target=target, image_column=opts.image_column,
                             group_column=opts.group_column)
        return image_profile(images, lang=lang)

    def train(self, source: DataSource, *, target: str | None, task: str,
              options: FamilyOptions, test: DataSource | None, time_limit: float,
              seed: int = 0, lang: str = "en", progress: Progress | None = None) -> Trained:
        from bizforge.families.image.reading import list_images
        from bizforge.families.image.training import run

        opts = options if isinstance(options, ImageOptions) else ImageOptions(
            **options.model_dump())
        kw = {"target": target, "image_column": opts.image_column,
              "group_column": opts.group_column}
        images = list_images(source, **kw)
        # groups only shape the splits made from the training data; a test file needs none
        held = None if test is None else list_images(test, **{**kw, "group_column": None})
        return run(images, held, opts, time_limit, seed=seed, lang=lang, progress=progress)

    @classmethod
    def load(cls, folder: Path):
        from bizforge.families.image.predictor import ImagePredictor

        return ImagePredictor.load(folder)
