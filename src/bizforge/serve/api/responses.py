"""JSON responses through orjson when it is installed (3-5x faster), else the stdlib."""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.responses import JSONResponse

try:  # optional speed-up; the server works without it
    import orjson
except ImportError:  # pragma: no cover - depends on the environment
    orjson = None

__all__ = ["JSON", "dumps", "error_response"]


def dumps(content: Any) -> bytes:
    """UTF-8 JSON bytes; numpy scalars become numbers and NaN/inf become null (as orjson does).

    >>> dumps({"a": float("nan"), "b": 1})
    b'{"a":null,"b":1}'
    """
    if orjson is not None:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)
    try:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"),
                          default=_plain)
    except ValueError:  # NaN or infinity somewhere: rare, so only then walk the content
        text = json.dumps(_finite(content), ensure_ascii=False, allow_nan=False,
                          separators=(",", ":"), default=_plain)
    return text.encode("utf-8")


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalar
        item = value.item()
        return None if isinstance(item, float) and not math.isfinite(item) else item
    if hasattr(value, "tolist"):  # numpy array
        return _finite(value.tolist())
    return str(value)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


class JSON(JSONResponse):
    """``application/json`` response serialised by :func:`dumps` (a JSONResponse, so
    FastAPI documents a route's ``response_model`` as its body)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)


def error_response(status: int, kind: str, msg: str, loc: list | None = None,
                   headers: dict[str, str] | None = None, **extra: Any) -> JSON:
    """The ``{type, loc, msg}`` body every error answer uses."""
    return JSON({"type": kind, "loc": loc or [], "msg": msg, **extra}, status_code=status,
                headers=headers)
