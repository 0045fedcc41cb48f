"""Finding and decoding the images of a data source, safely.

A source is a folder with one sub-folder per class, a CSV/Excel file with an
image-path column (paths relative to the file) and a label column, or a
``.zip`` of either. Every image is decoded here and nowhere else, so the limits
hold for training, batch scoring and REST alike: JPEG/PNG/BMP/TIFF only (by
content, not by name), at most :data:`MAX_PIXELS` pixels (a decompression bomb
is refused from its header, before any pixel is decoded), EXIF orientation
applied, every PIL mode brought to 8-bit grey or RGB.

>>> items = list_images(DataSource("digits/"))          # doctest: +SKIP
>>> items.items[0].label, items.classes                  # doctest: +SKIP
('3', ['0', '1', ..., '9'])
"""

from __future__ import annotations

import hashlib
import io
import tempfile
import warnings
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from bizforge.errors import DataError
from bizforge.families.base import DataSource

__all__ = ["FORMATS", "IMAGE_SUFFIXES", "MAX_BYTES", "MAX_CACHE_BYTES", "MAX_PIXELS",
           "DecodedImage", "ImageItem", "ImageProblem", "ImageSet", "cache_side", "decode",
           "decode_items", "list_images", "load_arrays", "read_limited", "scan"]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")
FORMATS = ("JPEG", "PNG", "BMP", "TIFF")  # a phone's MPO opens through the JPEG reader
MAX_PIXELS = 40_000_000  # about 6,300 x 6,300: larger than any camera frame a line takes
MAX_BYTES = 50 * 1024 * 1024
MAX_ZIP_BYTES = 8 * 1024 ** 3  # uncompressed; a zip bomb stops here
THREADS = 2
MAX_CACHE_BYTES = 2 * 1024 ** 3  # decoded pixels kept in memory for one training run


class ImageProblem(Exception):
    """One image that cannot be used; ``reason`` is a short phrase for a finding."""

    def __init__(self, reason: str, kind: str = "unreadable_image"):
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


@dataclass
class ImageItem:
    """One image of a source: where it is, the name users know it by, its label/group."""

    path: Path
    name: str
    label: str | None = None
    group: str | None = None
    row: int | None = None  # 0-based data row of a CSV/Excel source
    # the decoded 8-bit pixels ((h, w) grey or (h, w, 3) RGB), kept by decode_items so a
    # training run decodes each file once; None: read the file when needed
    pixels: np.ndarray | None = field(default=None, repr=False, compare=False)


@dataclass
class ImageSet:
    """The images of a source, plus what was left aside (``ignored``: non-image files)."""

    items: list[ImageItem]
    root: Path
    kind: str  # "folders", "table" or "flat"
    ignored: list[str] = field(default_factory=list)
    table: Any = None  # the CSV/Excel rows (DataFrame) when kind == "table"
    _tmp: Any = None  # keeps an extracted zip alive as long as the set

    @property
    def classes(self) -> list[str]:
        return sorted({i.label for i in self.items if i.label is not None})


@dataclass
class DecodedImage:
    """Header facts of an image: size, mode, format and the sha256 of its bytes."""

    width: int
    height: int
    mode: str
    format: str
    sha256: str


def read_limited(path: Path) -> bytes:
    """The bytes of the image file ``path``, refused past :data:`MAX_BYTES`."""
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise ImageProblem(f"{size / 1e6:.0f} MB is over the {MAX_BYTES // 2**20} MB limit",
                           kind="too_large_image")
    return path.read_bytes()


def _open(data: bytes):
    """The PIL image of ``data`` (header read only), or an :class:`ImageProblem`."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise ImageProblem("the file is empty")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            im = Image.open(io.BytesIO(data), formats=list(FORMATS))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageProblem(f"over {MAX_PIXELS:,} pixels (possible decompression bomb)",
                               kind="too_large_image") from None
        except UnidentifiedImageError:
            raise ImageProblem("not a JPEG, PNG, BMP or TIFF image (whatever its name says)",
                               kind="not_an_image") from None
        except (OSError, ValueError, SyntaxError) as exc:
            raise ImageProblem(f"unreadable header ({type(exc).__name__})") from None
    w, h = im.size
    if w * h > MAX_PIXELS:
        raise ImageProblem(f"{w:,}x{h:,} is over {MAX_PIXELS:,} pixels (possible decompression "
                           "bomb)", kind="too_large_image")
    if w < 1 or h < 1:
        raise ImageProblem("the image has no pixels")
    return im


def _to_8bit(im):
    """``im`` as mode ``L`` or ``RGB``: every mode PIL reads, or an :class:`ImageProblem`."""
    from PIL import Image

    if im.mode in ("L", "RGB"):
        return im
    if im.mode in ("1", "LA", "La"):
        return im.convert("L")
    if im.mode.startswith(("I", "F")):
        # 16-bit and float images (industrial cameras): stretch to 0..255, as a viewer does
        arr = np.asarray(im, dtype=np.float64)
        lo, hi = float(np.nanmin(arr)), float(np.nanmax(arr))
        arr = np.zeros_like(arr) if hi <= lo else (arr - lo) * (255.0 / (hi - lo))
        return Image.fromarray(np.nan_to_num(arr).astype(np.uint8), mode="L")
    try:
        if im.mode in ("RGBA", "PA", "P") and ("A" in im.mode or "transparency" in im.info):
            # transparent pixels become white, as they show on a page
            rgba = im.convert("RGBA")
            white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            return Image.alpha_composite(white, rgba).convert("RGB")
        return im.convert("RGB")
    except (ValueError, OSError) as exc:
        raise ImageProblem(f"mode '{im.mode}' cannot be converted to RGB ({exc})",
                           kind="unsupported_mode") from None


def _load(im):
    """Decode the pixels of the opened ``im``: EXIF orientation applied, 8-bit L/RGB."""
    from PIL import ImageOps

    try:
        im.load()
        im = ImageOps.exif_transpose(im)
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageProblem(f"truncated or corrupt ({type(exc).__name__}: {exc})",
                           kind="corrupt_image") from None
    return _to_8bit(im)


def decode(data: bytes):
    """Fully decoded 8-bit ``L``/``RGB`` PIL image with EXIF orientation applied.

    >>> from PIL import Image
    >>> buf = io.BytesIO(); Image.new("RGB", (3, 2)).save(buf, "PNG")
    >>> decode(buf.getvalue()).size
    (3, 2)
    """
    return _load(_open(data))


def scan(item: ImageItem) -> DecodedImage:
    """Header facts of ``item`` (no pixel decoded), or an :class:`ImageProblem`."""
    data = read_limited(item.path)
    im = _open(data)
    return DecodedImage(im.size[0], im.size[1], im.mode, str(im.format),
                        hashlib.sha256(data).hexdigest())


def to_array(im, size: int, channels: int) -> np.ndarray:
    """``im`` squashed to ``size`` x ``size`` (the aspect ratio is a cue we keep as a shape,
    not cropped away) as uint8 ``(size, size, channels)``."""
    from PIL import Image

    im = im.convert("L" if channels == 1 else "RGB")
    if im.size != (size, size):
        im = im.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=3.0)
    arr = np.asarray(im, dtype=np.uint8)
    return arr[:, :, None] if channels == 1 else arr


def cache_side(n_images: int, needed: int, channels: int = 3,
               budget: int = MAX_CACHE_BYTES) -> int:
    """The shorter side past which :func:`decode_items` shrinks an image it keeps: at least
    ``needed`` (the largest input a model takes), at most four times it, and ``n_images``
    of that size fit in ``budget`` bytes. Below it the pixels are kept as decoded, so the
    arrays made from them are exactly those the served model makes from the file.

    >>> cache_side(1_000, 224), cache_side(100_000, 224)
    (896, 224)
    """
    fits = int((budget / max(1, n_images * channels)) ** 0.5)
    return max(needed, min(4 * needed, fits))


def _read_one(item: ImageItem, side: int) -> DecodedImage:
    data = read_limited(item.path)
    im = _open(data)
    facts = DecodedImage(im.size[0], im.size[1], im.mode, str(im.format),
                         hashlib.sha256(data).hexdigest())
    scale = side / min(im.size)
    if scale < 0.5 and im.format == "JPEG":  # let the JPEG decoder skip the detail we drop
        im.draft(im.mode, (int(im.size[0] * scale) + 1, int(im.size[1] * scale) + 1))
    im = _load(im)
    scale = side / min(im.size)
    if scale < 1:
        from PIL import Image

        im = im.resize((max(1, round(im.size[0] * scale)), max(1, round(im.size[1] * scale))),
                       Image.Resampling.BILINEAR, reducing_gap=3.0)
    item.pixels = np.asarray(im, dtype=np.uint8)
    return facts


def decode_items(items: list[ImageItem], side: int, *,
                 threads: int = THREADS) -> list[DecodedImage | ImageProblem]:
    """Read, check and decode every item in one pass: its header facts (or the problem,
    truncated files included) in order, and its pixels kept in ``item.pixels`` (shrunk
    to a shorter side of ``side`` when larger; see :func:`cache_side`)."""
    def one(item: ImageItem) -> DecodedImage | ImageProblem:
        try:
            return _read_one(item, side)
        except ImageProblem as p:
            return p
        except OSError as exc:
            return ImageProblem(f"cannot be read ({exc.strerror or exc})")

    # PIL releases the GIL while decoding and resizing, so threads do use both cores
    with ThreadPoolExecutor(max(1, threads)) as pool:
        return list(pool.map(one, items))


def load_arrays(items: list[ImageItem], size: int, channels: int, *,
                threads: int = THREADS) -> tuple[np.ndarray, dict[int, ImageProblem]]:
    """All ``items`` as ``(n, size, size, channels)`` uint8, from their kept pixels or else
    their files, and the problems by index (those rows stay zero: the caller drops them
    and reports each by name)."""
    from PIL import Image

    out = np.zeros((len(items), size, size, channels), dtype=np.uint8)
    problems: dict[int, ImageProblem] = {}

    def one(i: int) -> None:
        item = items[i]
        try:
            im = (Image.fromarray(item.pixels) if item.pixels is not None
                  else decode(read_limited(item.path)))
            out[i] = to_array(im, size, channels)
        except ImageProblem as p:
            problems[i] = p
        except OSError as exc:
            problems[i] = ImageProblem(f"cannot be read ({exc.strerror or exc})")

    if all(i.pixels is not None for i in items) and len(items) < 64:
        for i in range(len(items)):  # in memory already: a pool costs more than it saves
            one(i)
        return out, problems
    with ThreadPoolExecutor(max(1, threads)) as pool:
        list(pool.map(one, range(len(items))))
    return out, problems


# ---- listing --------------------------------------------------------------------------------

def _is_image_name(name: str) -> bool:
    return name.lower().endswith(IMAGE_SUFFIXES) and not name.startswith(".")


def _extract_zip(path: Path) -> tempfile.TemporaryDirectory:
    tmp = tempfile.TemporaryDirectory(prefix="bizforge-zip-")
    root = Path(tmp.name)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            total = sum(i.file_size for i in infos)
            if total > MAX_ZIP_BYTES:
                raise DataError(f"'{path}' unpacks to {total / 1e9:.1f} GB, over the "
                                f"{MAX_ZIP_BYTES / 1e9:.0f} GB limit.", path=str(path),
                                fix="split the archive or unpack it and pass the folder.")
            for info in infos:
                parts = PurePosixPath(info.filename.replace("\\", "/")).parts
                if info.filename.startswith("/") or ".." in parts:
                    raise DataError(f"'{path}' holds '{info.filename}', which points outside "
                                    "the archive.", path=str(path),
                                    fix="rebuild the zip with relative paths only.")
                if "__MACOSX" in parts:
                    continue  # Finder's resource forks, not images
                zf.extract(info, root)
    except zipfile.BadZipFile:
        tmp.cleanup()
        raise DataError(f"'{path}' is not a readable zip archive.", path=str(path),
                        fix="check the file (it may be truncated) or pass a folder.") from None
    except BaseException:
        tmp.cleanup()
        raise
    return tmp


def _unwrap(root: Path) -> Path:
    """A zip of ``digits/`` holds one folder: look inside it."""
    entries = [p for p in root.iterdir() if not p.name.startswith((".", "__MACOSX"))]
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else root


def _table_file(root: Path) -> Path | None:
    tables = sorted(p for p in root.iterdir() if p.is_file()
                    and p.suffix.lower() in (".csv", ".tsv", ".xlsx", ".xls"))
    return tables[0] if len(tables) == 1 else None


def _list_folder(root: Path) -> ImageSet:
    subdirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    items: list[ImageItem] = []
    ignored: list[str] = []
    for sub in subdirs:
        for f in sorted(sub.rglob("*")):
            if f.is_file():
                rel = f.relative_to(root).as_posix()
                (items.append(ImageItem(f, rel, label=sub.name)) if _is_image_name(f.name)
                 else ignored.append(rel))
    loose = sorted(p for p in root.iterdir() if p.is_file() and _is_image_name(p.name))
    if not subdirs or (loose and not items):
        return ImageSet([ImageItem(p, p.name) for p in loose], root, "flat", ignored)
    ignored += [p.name for p in loose]  # images beside the class folders have no class
    return ImageSet(items, root, "folders", ignored)


def _guess_image_column(frame, path: Path) -> str:
    best, share = None, 0.0
    for col in frame.columns:
        values = frame[col].dropna().astype(str)
        if len(values):
            s = float(values.str.lower().str.endswith(IMAGE_SUFFIXES).mean())
            if s > share:
                best, share = col, s
    if best is None or share < 0.5:
        raise DataError(f"'{path}' has no column of image paths (.jpg, .png, .bmp, .tif).",
                        path=str(path), fix="name it with --image-column.")
    return str(best)


def _list_table(table_path: Path, source: DataSource, target: str | None,
                image_column: str | None, group_column: str | None) -> ImageSet:
    from bizforge.ingest import read

    frame = read(table_path, **source.read_options).frame
    col = image_column or _guess_image_column(frame, table_path)
    for name, what in ((col, "--image-column"), (target, "--target"),
                       (group_column, "--group-column")):
        if name is not None and name not in frame.columns:
            raise DataError(f"'{table_path}' has no column '{name}' (columns: "
                            f"{', '.join(map(str, frame.columns))}).", column=name,
                            path=str(table_path), fix=f"pass an existing column to {what}.")
    base = table_path.parent.resolve()
    items: list[ImageItem] = []
    missing: list[str] = []
    escapes: list[str] = []
    blank: list[int] = []
    for row, value in enumerate(frame[col].tolist()):
        if value is None or (isinstance(value, float) and np.isnan(value)) or not str(value):
            blank.append(row)
            continue
        rel = str(value).strip().replace("\\", "/")
        full = (base / rel).resolve()
        if not full.is_relative_to(base):
            escapes.append(f"row {row + 2}: {rel}")
            continue
        if not full.is_file():
            missing.append(rel)
            continue
        label = None if target is None else frame[target].iloc[row]
        group = None if group_column is None else frame[group_column].iloc[row]
        items.append(ImageItem(full, rel, None if label is None or _blank(label) else str(label),
                               None if group is None or _blank(group) else str(group), row=row))
    where = f"column '{col}' of '{table_path}'"
    if escapes:
        raise DataError(f"{len(escapes)} path(s) in {where} point outside its folder "
                        f"({'; '.join(escapes[:3])}).", column=col, path=str(table_path),
                        fix="keep the images in the file's folder and give paths relative to it.")
    if missing:
        raise DataError(f"{len(missing)} of {len(frame)} image paths in {where} do not exist "
                        f"(first: {', '.join(missing[:5])}).", column=col, path=str(table_path),
                        fix="give paths relative to the file's folder, or remove those rows.")
    if blank:
        raise DataError(f"{len(blank)} row(s) of {where} have no path (rows "
                        f"{', '.join(str(r + 2) for r in blank[:5])}).", column=col,
                        path=str(table_path), rows=blank, fix="fill them in or drop those rows.")
    return ImageSet(items, base, "table", table=frame)


def _blank(value: Any) -> bool:
    return (isinstance(value, float) and np.isnan(value)) or str(value).strip() == ""


def list_images(source: DataSource, *, target: str | None = None, image_column: str | None = None,
                group_column: str | None = None) -> ImageSet:
    """The images of ``source`` (folder of class folders, CSV/Excel of paths, or a zip of
    either); raises :class:`DataError` naming the file when there are none."""
    path = source.path
    if path is None or not path.exists():
        raise DataError(f"'{source.value}' is not a folder, .zip, CSV or Excel file of images.",
                        path=str(source.value), fix="pass an existing folder or file.")
    tmp = None
    if source.is_zip:
        tmp = _extract_zip(path)
        root = _unwrap(Path(tmp.name))
        table = _table_file(root)
        images = (_list_table(table, source, target, image_column, group_column) if table
                  else _list_folder(root))
    elif path.is_dir():
        images = _list_folder(path)
    else:
        images = _list_table(path, source, target, image_column, group_column)
    images._tmp = tmp
    if not images.items:
        raise DataError(f"'{path}' holds no images (.jpg, .png, .bmp, .tif).", path=str(path),
                        fix="put the images in one sub-folder per class, or list them in a "
                            "CSV with a path and a label column.")
    return images
