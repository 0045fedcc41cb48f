"""JSON responses through orjson when it is installed (3-5x faster), else the stdlib."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

try:  # optional speed-up; the server works without it
    import orjson
except ImportError:  # pragma: no cover - depends on the environment
    orjson = None

__all__ = ["JSON", "dumps", "error_response"]


def dumps(content: Any) -> bytes:
    """UTF-8 JSON bytes (NaN is not valid JSON: floats must be finite here)."""
    if orjson is not None:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)
    return json.dumps(content, ensure_ascii=False, allow_nan=False,
                      separators=(",", ":")).encode("utf-8")


class JSON(Response):
    """``application/json`` response serialised by :func:`dumps`."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)


def error_response(status: int, kind: str, msg: str, loc: list | None = None,
                   headers: dict[str, str] | None = None, **extra: Any) -> JSON:
    """The ``{type, loc, msg}`` body every error answer uses."""
    return JSON({"type": kind, "loc": loc or [], "msg": msg, **extra}, status_code=status,
                headers=headers)
