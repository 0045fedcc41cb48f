"""Tiny image data sets made in code for the image family's tests."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bizforge.families.image.samples import make_surface_images


def png_bytes(size=(8, 8), mode="L", colour=0) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, colour).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def parts(tmp_path):
    """Three classes of 6 surface images each, in class folders."""
    return make_surface_images(tmp_path / "parts", per_class=6, seed=1)
