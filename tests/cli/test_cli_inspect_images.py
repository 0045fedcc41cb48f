"""`bizforge inspect FOLDER`: a folder of images is inspected by the family that knows it."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from bizforge.cli import app
from bizforge.families.image.samples import make_surface_images

runner = CliRunner()


def test_inspect_folder_names_an_unreadable_image(tmp_path):
    root = make_surface_images(tmp_path / "parts", per_class=3)
    (root / "ok" / "notes.jpg").write_text("not an image")
    result = runner.invoke(app, ["inspect", str(root)])
    assert result.exit_code == 0, result.output
    assert "ok/notes.jpg" in result.output and "10 image files, 9 usable" in result.output


def test_inspect_folder_writes_its_findings_as_json(tmp_path):
    root = make_surface_images(tmp_path / "parts", per_class=3)
    out = tmp_path / "p.json"
    assert runner.invoke(app, ["inspect", str(root), "--json", str(out)]).exit_code == 0
    assert json.loads(out.read_text())["classes"] == {"ok": 3, "scratch": 3, "spot": 3}


def test_inspect_folder_without_images_exits_3(tmp_path):
    (tmp_path / "data" / "a").mkdir(parents=True)
    (tmp_path / "data" / "a" / "dump.bin").write_bytes(b"\x00\x01")
    result = runner.invoke(app, ["inspect", str(tmp_path / "data")])
    assert result.exit_code == 3 and "holds no images" in result.output
    # A folder of text files is a knowledge base for --task auto; asked for images, it has none.
    (tmp_path / "docs" / "a").mkdir(parents=True)
    (tmp_path / "docs" / "a" / "readme.txt").write_text("no images here")
    result = runner.invoke(app, ["inspect", str(tmp_path / "docs"), "--task",
                                 "image-classification"])
    assert result.exit_code == 3 and "holds no images" in result.output
