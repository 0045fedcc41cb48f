"""Image bytes made in code for the image tests (a module of its own: ``from conftest import``
picks whichever conftest was imported first when several test folders run together)."""

from __future__ import annotations

import io

from PIL import Image


def png_bytes(size=(8, 8), mode="L", colour=0) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, colour).save(buf, "PNG")
    return buf.getvalue()
