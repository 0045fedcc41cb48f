"""The saved image classifier: ONNX members averaged by weight, for Python, batch and REST.

A saved folder holds ``model.json`` (classes, members, runtime, limits) and one
ONNX graph per ensemble member (int8 or fp32, whichever training chose to serve);
nothing is pickled. Every image goes through :func:`reading.decode` (format by
content, pixel limit, EXIF orientation, any PIL mode), so a bad upload is refused by
name and never reaches the model.

>>> p = ImagePredictor.load(Path("model/"))                  # doctest: +SKIP
>>> p.predict(["cat.jpg", "dog.png"])                         # doctest: +SKIP
array(['crack', 'free'], dtype=object)
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from bizforge.errors import DataError, ModelError, UsageError
from bizforge.families.base import Action, DataSource, FamilyPredictor
from bizforge.families.image.onnx import ImageRunner
from bizforge.families.image.reading import (
    MAX_BYTES,
    ImageProblem,
    decode,
    list_images,
    read_limited,
    to_array,
)

__all__ = ["MAX_REQUEST_IMAGES", "ImagePredictor", "ImageRequest", "ImageResponse", "softmax"]

FORMAT_VERSION = 1
MAX_REQUEST_IMAGES = 64
BATCH = 64
PATH_COLUMN = "__path"  # absolute path of a batch row's image; dropped from the output


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class ImageIn(BaseModel):
    name: str | None = Field(None, description="a name to echo back (the file name)")
    data: str = Field(..., description="the image file (JPEG, PNG, BMP or TIFF), base64")


class ImageRequest(BaseModel):
    """One or more images, base64-encoded (or a multipart upload of files)."""

    images: list[ImageIn] = Field(..., min_length=1, max_length=MAX_REQUEST_IMAGES)


class ImagePrediction(BaseModel):
    name: str | None
    label: str
    probability: float
    probabilities: dict[str, float]


class ImageResponse(BaseModel):
    predictions: list[ImagePrediction]


class ImagePredictor(FamilyPredictor):
    """Loaded image classifier. ``members``: ``(runner, size, channels, weight)``."""

    family: ClassVar[str] = "image"

    def __init__(self, info: dict[str, Any], graphs: Sequence[bytes | Path], threads: int = 0):
        self.info = info
        self.classes: list[str] = [str(c) for c in info["classes"]]
        threads = threads or min(4, os.cpu_count() or 1)
        self.members = [(ImageRunner(g, threads=threads), int(m["size"]), int(m["channels"]),
                         float(m["weight"])) for g, m in zip(graphs, info["members"], strict=True)]
        self._graphs = list(graphs)

    # ---- files ----------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for graph, member in zip(self._graphs, self.info["members"], strict=True):
            data = graph if isinstance(graph, bytes) else Path(graph).read_bytes()
            (folder / member["file"]).write_bytes(data)
        (folder / "model.json").write_text(json.dumps(self.info, indent=2, ensure_ascii=False),
                                           encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> ImagePredictor:
        folder = Path(folder)
        try:
            info = json.loads((folder / "model.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"'{folder}' has no readable model.json ({type(exc).__name__}).",
                             fix="publish the model again.") from None
        version = info.get("format_version")
        if info.get("family") != "image" or version != FORMAT_VERSION:
            raise ModelError(f"'{folder}' is not an image model of format {FORMAT_VERSION} "
                             f"(family {info.get('family')!r}, format {version!r}).",
                             fix="load it with the bizforge version that saved it, or retrain.")
        obj = cls(info, [folder / m["file"] for m in info["members"]])
        obj.path = folder
        return obj

    # ---- prediction -----------------------------------------------------------------------
    def _pixels(self, images: list[Any], size: int, channels: int) -> np.ndarray:
        arr = np.stack([to_array(im, size, channels) for im in images])
        return np.ascontiguousarray(arr.transpose(0, 3, 1, 2), dtype=np.float32)

    def proba_of_images(self, images: list[Any]) -> np.ndarray:
        """Class probabilities ``(n, classes)`` of decoded PIL images (ensemble average)."""
        out = np.zeros((len(images), len(self.classes)))
        for start in range(0, len(images), BATCH):
            part = images[start:start + BATCH]
            for runner, size, channels, weight in self.members:
                out[start:start + len(part)] += weight * softmax(
                    runner.logits(self._pixels(part, size, channels)).astype(np.float64))
        return out / sum(m[3] for m in self.members)

    def _decode_all(self, data: Any) -> tuple[list[str], list[Any]]:
        """Names and decoded images of ``data`` (image paths, bytes, PIL images, arrays, or a
        folder, zip or CSV/Excel of paths); the first unreadable one raises, by name."""
        if isinstance(data, (str, Path)) and (Path(data).is_dir() or str(data).lower().endswith(
                (".zip", ".csv", ".tsv", ".xlsx", ".xls"))):
            frame = pd.concat(list(self.batches(DataSource(data), 10**9)))
            data = list(frame[PATH_COLUMN])
        elif isinstance(data, (str, Path, bytes)) or hasattr(data, "mode"):
            data = [data]
        names, images = [], []
        for i, value in enumerate(data):
            name = str(value) if isinstance(value, (str, Path)) else f"image {i}"
            try:
                if hasattr(value, "mode"):  # a PIL image already
                    im = value
                elif isinstance(value, np.ndarray):
                    from PIL import Image
                    im = Image.fromarray(value.astype(np.uint8))
                else:
                    raw = value if isinstance(value, bytes) else read_limited(Path(value))
                    im = decode(raw)
            except ImageProblem as p:
                raise DataError(f"{name}: {p.reason}.", path=name,
                                fix="send a JPEG, PNG, BMP or TIFF image.") from None
            except OSError as exc:
                raise DataError(f"cannot read {name} ({exc.strerror or exc}).", path=name,
                                fix="check the path.") from None
            names.append(name)
            images.append(im)
        return names, images

    def predict_proba(self, data: Any) -> pd.DataFrame:
        """One row per image, one column per class (paths, bytes, PIL images, arrays, a folder)."""
        names, images = self._decode_all(data)
        return pd.DataFrame(self.proba_of_images(images), columns=self.classes, index=names)

    def predict(self, data: Any) -> np.ndarray:
        """The predicted class of each image."""
        proba = self.predict_proba(data).to_numpy()
        return np.asarray(self.classes, dtype=object)[proba.argmax(axis=1)]

    def score(self, data: Any, *, explain: bool = False,
              progress: Callable[[int], None] | None = None) -> pd.DataFrame:
        """The batch rows plus ``prediction``, ``probability`` and ``problem`` (why an image
        could not be scored; such rows keep an empty prediction rather than vanish)."""
        if explain:
            raise UsageError("image models explain themselves through the Grad-CAM heatmaps of "
                             "the training report, not per batch row.", fix="drop --explain.")
        frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(
            {PATH_COLUMN: [str(p) for p in data], "image": [str(p) for p in data]})
        good, images, problems = [], [], [""] * len(frame)
        for i, path in enumerate(frame[PATH_COLUMN]):
            try:
                images.append(decode(read_limited(Path(path))))
                good.append(i)
            except ImageProblem as p:
                problems[i] = p.reason
            except OSError as exc:
                problems[i] = f"cannot be read ({exc.strerror or exc})"
        proba = self.proba_of_images(images) if images else np.zeros((0, len(self.classes)))
        out = frame.drop(columns=[PATH_COLUMN]).reset_index(drop=True)
        pred = np.full(len(frame), None, dtype=object)
        prob = np.full(len(frame), np.nan)
        if good:
            pred[good] = np.asarray(self.classes, dtype=object)[proba.argmax(axis=1)]
            prob[good] = proba.max(axis=1)
        out["prediction"], out["probability"], out["problem"] = pred, prob, problems
        if progress:
            progress(len(frame))
        return out

    def batches(self, source: DataSource, chunk_rows: int) -> Iterator[pd.DataFrame]:
        """Chunks of ``chunk_rows`` images of a folder, zip or CSV/Excel of paths."""
        found = list_images(source, image_column=self.info.get("image_column"))
        if found.kind == "table":
            frame = found.table.iloc[[i.row for i in found.items]].reset_index(drop=True)
        else:
            frame = pd.DataFrame({"image": [i.name for i in found.items]})
            if found.kind == "folders":
                frame["label"] = [i.label for i in found.items]
        frame.insert(0, PATH_COLUMN, [str(i.path) for i in found.items])
        for start in range(0, len(frame), max(1, chunk_rows)):
            yield frame.iloc[start:start + chunk_rows]
        del found  # the extracted zip lives until the last chunk is scored

    # ---- REST -----------------------------------------------------------------------------
    def _decoded(self, request: ImageRequest) -> tuple[list[str | None], list[Any]]:
        """The names and decoded images of one request; DataError naming the first bad one."""
        names, images = [], []
        for i, item in enumerate(request.images):
            name = item.name or f"images[{i}]"
            try:
                raw = base64.b64decode(item.data, validate=True)
            except (binascii.Error, ValueError):
                raise DataError(f"{name}: 'data' is not valid base64.", column=f"images[{i}]",
                                fix="send the file's bytes base64-encoded.") from None
            if len(raw) > MAX_BYTES:
                raise DataError(f"{name}: {len(raw) / 1e6:.0f} MB is over the "
                                f"{MAX_BYTES // 2**20} MB limit.", column=f"images[{i}]",
                                fix="send a smaller image.")
            try:
                images.append(decode(raw))
            except ImageProblem as p:
                raise DataError(f"{name}: {p.reason}.", column=f"images[{i}]",
                                fix="send a JPEG, PNG, BMP or TIFF image.") from None
            names.append(item.name)
        return names, images

    def _handle_many(self, requests: list[ImageRequest]) -> list[dict[str, Any]]:
        """Several requests' images through the model in one call (the server coalesces
        requests that arrive together: a 224-pixel backbone scores 8 images at once in
        less time than 8 one by one), answered request by request. A bad image raises,
        and the server then re-runs the requests one at a time: each gets its own error."""
        decoded = [self._decoded(r) for r in requests]
        proba = self.proba_of_images([im for _, images in decoded for im in images])
        out, start = [], 0
        for names, _ in decoded:
            preds = []
            for name, row in zip(names, proba[start:start + len(names)], strict=True):
                k = int(row.argmax())
                preds.append({"name": name, "label": self.classes[k],
                              "probability": float(row[k]),
                              "probabilities": {c: round(float(p), 6)
                                                for c, p in zip(self.classes, row, strict=True)}})
            out.append({"predictions": preds})
            start += len(names)
        return out

    def _handle(self, request: ImageRequest) -> dict[str, Any]:
        return self._handle_many([request])[0]

    @staticmethod
    def _from_upload(files: list[tuple[str, bytes]]) -> ImageRequest:
        if len(files) > MAX_REQUEST_IMAGES:
            raise DataError(f"{len(files)} files uploaded; at most {MAX_REQUEST_IMAGES} per "
                            "request.", fix="split them over several requests.")
        return ImageRequest(images=[ImageIn(name=n, data=base64.b64encode(b).decode("ascii"))
                                    for n, b in files])

    def actions(self) -> list[Action]:
        return [Action("predict", ImageRequest, ImageResponse, self._handle,
                       summary="Classify one or more images (multipart files or base64 JSON).",
                       upload=True, from_upload=self._from_upload,
                       handle_many=self._handle_many)]
