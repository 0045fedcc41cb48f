"""Readers: any supported source -> :class:`bizforge.frame.Dataset`.

To be completed: see read() contract below.
"""

from __future__ import annotations

__all__ = ["read"]


def read(source, **options):  # pragma: no cover - replaced by the ingest work
    raise NotImplementedError
