"""Tiny image data sets made in code for the image family's tests."""

from __future__ import annotations

import pytest

from bizforge.families.image.samples import make_surface_images


@pytest.fixture
def parts(tmp_path):
    """Three classes of 6 surface images each, in class folders."""
    return make_surface_images(tmp_path / "parts", per_class=6, seed=1)
