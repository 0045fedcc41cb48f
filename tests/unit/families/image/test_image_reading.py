"""Listing and decoding images: class folders, CSV of paths, zips, and every bad input."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest
from PIL import Image

from bizforge.errors import DataError
from bizforge.families.base import DataSource
from bizforge.families.image.reading import ImageProblem, _to_8bit, decode, list_images
from image_bytes import png_bytes


def test_class_folders_give_one_label_per_folder(parts):
    found = list_images(DataSource(parts))
    assert found.classes == ["ok", "scratch", "spot"] and len(found.items) == 18


def test_csv_paths_are_read_relative_to_the_file(tmp_path):
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "a.png").write_bytes(png_bytes())
    (tmp_path / "labels.csv").write_text("file,label\nimg/a.png,good\n")
    found = list_images(DataSource(tmp_path / "labels.csv"), target="label")
    assert [(i.name, i.label) for i in found.items] == [("img/a.png", "good")]


def test_csv_with_missing_files_names_the_first_ones(tmp_path):
    (tmp_path / "labels.csv").write_text("file,label\nx1.png,a\nx2.png,b\n")
    with pytest.raises(DataError, match=r"2 of 2 image paths .* do not exist \(first: x1.png, "
                                        r"x2.png\)"):
        list_images(DataSource(tmp_path / "labels.csv"), target="label")


def test_csv_path_escaping_its_folder_is_refused(tmp_path):
    (tmp_path / "outside.png").write_bytes(png_bytes())
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "labels.csv").write_text("file,label\n../outside.png,a\n")
    with pytest.raises(DataError, match="point outside its folder"):
        list_images(DataSource(tmp_path / "data" / "labels.csv"), target="label")


def test_zip_of_class_folders_is_read(tmp_path, parts):
    archive = tmp_path / "parts.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in parts.rglob("*.png"):
            zf.write(f, f"parts/{f.relative_to(parts).as_posix()}")
    assert list_images(DataSource(archive)).classes == ["ok", "scratch", "spot"]


def test_zip_member_escaping_the_archive_is_refused(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../evil.png", png_bytes())
    with pytest.raises(DataError, match="points outside the archive"):
        list_images(DataSource(archive))


def test_folder_without_images_is_a_data_error(tmp_path):
    (tmp_path / "empty" / "a").mkdir(parents=True)
    with pytest.raises(DataError, match="holds no images"):
        list_images(DataSource(tmp_path / "empty"))


def test_exif_orientation_is_applied():
    im = Image.new("RGB", (4, 2))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    buf = io.BytesIO()
    im.save(buf, "JPEG", exif=exif.tobytes())
    assert decode(buf.getvalue()).size == (2, 4)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` grey pixels but carries almost no data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b""))
            + _chunk(b"IEND", b""))


def test_decompression_bomb_is_refused_from_its_header():
    with pytest.raises(ImageProblem, match="decompression bomb"):
        decode(_png_header_only(20_000, 20_000))


def test_text_file_named_jpg_is_not_an_image():
    with pytest.raises(ImageProblem, match="not a JPEG, PNG, BMP or TIFF") as err:
        decode(b"hello, this is text")
    assert err.value.kind == "not_an_image"


def test_truncated_jpeg_is_reported_corrupt():
    buf = io.BytesIO()
    Image.effect_noise((256, 256), 60).save(buf, "JPEG")  # noise: the pixel data dwarfs the header
    with pytest.raises(ImageProblem) as err:
        decode(buf.getvalue()[: len(buf.getvalue()) // 2])
    assert err.value.kind == "corrupt_image"


def test_16_bit_grey_is_stretched_to_8_bit():
    im = Image.new("I;16", (2, 1))
    im.putpixel((1, 0), 4000)
    out = _to_8bit(im)
    assert out.mode == "L" and out.getpixel((1, 0)) == 255


def test_mode_that_cannot_be_converted_is_an_image_problem(monkeypatch):
    im = Image.new("CMYK", (2, 2))

    def refuse(*a, **k):
        raise ValueError("conversion not supported")

    monkeypatch.setattr(im, "convert", refuse)
    with pytest.raises(ImageProblem, match="mode 'CMYK' cannot be converted") as err:
        _to_8bit(im)
    assert err.value.kind == "unsupported_mode"


def test_decode_items_reads_each_file_once_and_keeps_its_pixels(parts):
    from bizforge.families.image.reading import decode_items, load_arrays

    items = list_images(DataSource(parts)).items[:4]
    facts = decode_items(items, 64)
    assert all(f.width == i.pixels.shape[1] for f, i in zip(facts, items, strict=True))
    for item in items:
        item.path.unlink()  # the arrays come from memory from now on
    arrays, problems = load_arrays(items, 16, 3)
    assert arrays.shape == (4, 16, 16, 3) and not problems and arrays.any()


def test_decode_items_reports_a_truncated_file_in_the_same_pass(tmp_path):
    from bizforge.families.image.reading import ImageItem, decode_items

    buf = io.BytesIO()
    Image.effect_noise((256, 256), 60).save(buf, "JPEG")
    (tmp_path / "cut.jpg").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    item = ImageItem(tmp_path / "cut.jpg", "cut.jpg")
    [problem] = decode_items([item], 64)
    assert isinstance(problem, ImageProblem) and problem.kind == "corrupt_image"
    assert item.pixels is None


def test_decode_items_shrinks_large_images_to_the_side_asked(tmp_path):
    from bizforge.families.image.reading import ImageItem, decode_items

    Image.new("RGB", (1200, 800), (200, 10, 10)).save(tmp_path / "big.jpg", "JPEG")
    item = ImageItem(tmp_path / "big.jpg", "big.jpg")
    [facts] = decode_items([item], 200)
    assert (facts.width, facts.height) == (1200, 800) and item.pixels.shape == (200, 300, 3)
