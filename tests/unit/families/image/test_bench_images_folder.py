"""bench/images_folder.py's splits of a class-folder set: N a class (test = the rest) or a
stratified 80/20, written as train/test class folders; a class too small says which."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "bench"))
import images_folder as bench


def _set(root: Path, counts: dict[str, int]) -> Path:
    for name, n in counts.items():
        (root / name).mkdir(parents=True)
        for i in range(n):
            (root / name / f"{i}.png").write_bytes(b"png")
        (root / name / "notes.txt").write_text("not an image")
    return root


def test_n_a_class_trains_on_n_of_each_and_tests_on_every_other_image(tmp_path):
    files, labels = bench.class_files(_set(tmp_path / "set", {"a": 15, "b": 20}))
    assert len(files) == 35  # the text files are not images
    train = bench.pick(labels, 10, seed=1)
    assert [int(train[labels == k].sum()) for k in ("a", "b")] == [10, 10]
    assert not np.array_equal(train, bench.pick(labels, 10, seed=2))  # the seed draws
    tr, te = bench.write_split(files, labels, train, tmp_path / "out")
    assert sorted(len(list((tr / k).iterdir())) for k in "ab") == [10, 10]
    assert sorted(len(list((te / k).iterdir())) for k in "ab") == [5, 10]


def test_without_n_the_split_is_a_stratified_80_20(tmp_path):
    _, labels = bench.class_files(_set(tmp_path / "set", {"a": 50, "b": 100}))
    train = bench.pick(labels, None, seed=0)
    assert [int(train[labels == k].sum()) for k in ("a", "b")] == [40, 80]


def test_a_class_with_no_image_left_to_test_is_named(tmp_path):
    _, labels = bench.class_files(_set(tmp_path / "set", {"a": 10, "big": 30}))
    with pytest.raises(SystemExit, match="class 'a' has 10 images"):
        bench.pick(labels, 10, seed=0)


def test_a_folder_without_class_folders_of_images_says_so(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit, match="no images in class folders"):
        bench.class_files(tmp_path / "empty")
