"""What inspect says about images: counts, unreadable files, duplicates, tiny classes."""

from __future__ import annotations

import shutil

from bizforge.families.base import DataSource
from bizforge.families.image.findings import image_profile
from bizforge.families.image.reading import list_images


def _kinds(prof):
    return {f.kind: f for f in prof.findings}


def test_images_are_counted_per_class(parts):
    prof = image_profile(list_images(DataSource(parts)))
    assert prof.classes == {"ok": 6, "scratch": 6, "spot": 6}


def test_unreadable_file_is_named_and_marked_unusable(parts):
    (parts / "ok" / "notes.jpg").write_text("a text file renamed .jpg")
    images = list_images(DataSource(parts))
    prof = image_profile(images)
    finding = _kinds(prof)["not_an_image"]
    assert "ok/notes.jpg" in finding.message
    assert [i.name for i, ok in zip(images.items, prof.usable) if not ok] == ["ok/notes.jpg"]


def test_exact_copies_are_found_by_content(parts):
    shutil.copy(parts / "ok" / "ok_000.png", parts / "ok" / "copy.png")
    assert _kinds(image_profile(list_images(DataSource(parts))))["duplicate_images"].count == 1


def test_copy_with_another_label_is_a_conflict(parts):
    shutil.copy(parts / "ok" / "ok_000.png", parts / "spot" / "same.png")
    assert "conflicting_duplicates" in _kinds(image_profile(list_images(DataSource(parts))))


def test_test_images_copied_from_training_are_flagged(parts, tmp_path):
    test = tmp_path / "test" / "ok"
    test.mkdir(parents=True)
    shutil.copy(parts / "ok" / "ok_001.png", test / "x.png")
    prof = image_profile(list_images(DataSource(parts)),
                         test=list_images(DataSource(tmp_path / "test")))
    assert "x.png" in _kinds(prof)["train_test_duplicates"].message


def test_class_with_few_images_is_called_tiny(parts):
    assert "ok (6)" in _kinds(image_profile(list_images(DataSource(parts))))["tiny_class"].message


def test_sizes_and_aspect_ratios_are_summarised(parts):
    sizes = image_profile(list_images(DataSource(parts))).sizes
    assert set(sizes) >= {"width", "height", "aspect_ratio", "modes"} and sizes["modes"] == {"L": 18}
