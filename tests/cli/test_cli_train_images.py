"""`bizforge train` on bad image data: a clear message and exit 3, or a reported skip.

Never a traceback, never a silently smaller training set (issue #19, case list 6).
"""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image
from typer.testing import CliRunner

from bizforge.cli import app
from bizforge.families.image.samples import make_surface_images

runner = CliRunner()


def _train(source, tmp_path, *extra):
    return runner.invoke(app, ["train", str(source), "--task", "image-classification",
                               "--time-limit", "15", "--image-models", "cnn",
                               "--out", str(tmp_path / "model"), *extra])


def _refused(result, *words):
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.output


def test_a_folder_with_no_images_exits_3(tmp_path):
    (tmp_path / "data" / "ok").mkdir(parents=True)
    (tmp_path / "data" / "ok" / "readme.txt").write_text("nothing here")
    _refused(_train(tmp_path / "data", tmp_path), "holds no images")


def test_a_class_with_one_image_exits_3_naming_it(tmp_path):
    root = make_surface_images(tmp_path / "parts", per_class=4)
    for extra in sorted((root / "spot").iterdir())[1:]:
        extra.unlink()
    _refused(_train(root, tmp_path), "'spot'", "fewer than 2")


def test_a_csv_whose_paths_do_not_exist_names_the_first_ones(tmp_path):
    rows = "\n".join(f"img/missing_{i}.png,ok" for i in range(8))
    (tmp_path / "labels.csv").write_text("file,label\n" + rows + "\n")
    _refused(_train(tmp_path / "labels.csv", tmp_path, "--target", "label"),
             "8 of 8", "missing_0.png", "missing_4.png")


def test_a_csv_path_escaping_the_data_folder_exits_3(tmp_path):
    (tmp_path / "data").mkdir()
    Image.new("L", (8, 8)).save(tmp_path / "outside.png")
    (tmp_path / "data" / "labels.csv").write_text("file,label\n../outside.png,ok\n")
    _refused(_train(tmp_path / "data" / "labels.csv", tmp_path, "--target", "label"),
             "outside its folder", "../outside.png")


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width x height pixels (the header is all a bomb needs)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0,
                                                               0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


@pytest.mark.timeout(600)
def test_unusable_files_are_skipped_and_each_is_reported(tmp_path):
    root = make_surface_images(tmp_path / "parts", per_class=10)
    buf = io.BytesIO()
    Image.effect_noise((256, 256), 60).convert("RGB").save(buf, "JPEG")
    (root / "ok" / "cut.jpg").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    (root / "ok" / "notes.jpg").write_text("a text file with an image's name")
    (root / "spot" / "huge.png").write_bytes(_png_header_only(20_000, 20_000))
    result = _train(root, tmp_path)
    assert result.exit_code == 0, result.output
    assert "3 training file(s) could not be read and were skipped" in result.output
    for name in ("ok/cut.jpg", "ok/notes.jpg", "spot/huge.png"):
        assert name in result.output
