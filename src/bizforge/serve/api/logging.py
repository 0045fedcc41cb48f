"""Structured JSON logs for the server: one object per line, never a key or a row value.

Log records carry only what is safe to keep: the route template, status, timings,
model name and version, row counts and the public ``key_id`` of the caller. A
redaction filter also scrubs anything shaped like a bizforge API key from every
message (defence in depth: a key must not leak even through a careless message).

>>> configure_logging("info")          # doctest: +SKIP
>>> log_event("request", status=200, ms=3.1)   # doctest: +SKIP
{"ts": "2026-11-25T10:15:00.123Z", "level": "info", "event": "request", "status": 200, "ms": 3.1}
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import warnings
from typing import IO, Any

try:  # optional speed-up (one log line per request); the stdlib writes the same objects
    import orjson
except ImportError:  # pragma: no cover - depends on the environment
    orjson = None

__all__ = ["LOGGER_NAME", "JsonFormatter", "RedactKeys", "configure_logging", "log_event", "logger"]

LOGGER_NAME = "bizforge.serve"
logger = logging.getLogger(LOGGER_NAME)

# bf_<key_id>_<random>, and any "Bearer <token>" that slipped into a message.
_KEY = re.compile(r"bf_[A-Za-z0-9_\-]{6,}")
_BEARER = re.compile(r"(?i)(bearer\s+)\S+")
# LogRecord's own attributes, and uvicorn's ANSI-coloured copy of its message.
_RESERVED = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message", "asctime", "color_message"}


def redact(text: str) -> str:
    """``text`` with API keys and bearer tokens replaced by ``[redacted]``.

    >>> redact("Authorization: Bearer bf_ab12cd_secret")
    'Authorization: Bearer [redacted]'
    """
    # Most strings hold neither: a substring test is cheaper than two regex passes.
    if "bf_" not in text and "bearer" not in text.lower():
        return text
    return _BEARER.sub(r"\1[redacted]", _KEY.sub("[redacted]", text))


class RedactKeys(logging.Filter):
    """Scrub API keys from the message and string fields of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg, record.args = record.getMessage(), None
        record.msg = redact(str(record.msg))
        for name, value in list(vars(record).items()):
            if name not in _RESERVED and isinstance(value, str):
                setattr(record, name, redact(value))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ts, level, logger, event/msg and the extra fields.

    Tracebacks are reduced to the exception type and the file:line frames: an
    exception's message may quote a value from a request, so it is left out
    unless ``debug`` is set.
    """

    def __init__(self, debug: bool = False):
        super().__init__()
        self.debug = debug

    def format(self, record: logging.LogRecord) -> str:
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        out: dict[str, Any] = {
            "ts": f"{ts}.{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        message = record.getMessage()
        out["event" if record.name == LOGGER_NAME else "msg"] = message
        for name, value in vars(record).items():
            if name not in _RESERVED and not name.startswith("_"):
                out[name] = value
        if record.exc_info and record.exc_info[0] is not None:
            out["error"] = record.exc_info[0].__name__
            out["where"] = _frames(record.exc_info[2])
            if self.debug:
                out["traceback"] = redact(self.formatException(record.exc_info))
        return _dumps(out)


def _dumps(out: dict[str, Any]) -> str:
    if orjson is not None:
        try:
            return orjson.dumps(out, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
        except TypeError:  # e.g. an integer beyond 64 bits: the stdlib writes it
            pass
    return json.dumps(out, ensure_ascii=False, default=str)


def _frames(tb, limit: int = 8) -> list[str]:
    frames = []
    while tb is not None:
        code = tb.tb_frame.f_code
        frames.append(f"{code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}:{code.co_name}")
        tb = tb.tb_next
    return frames[-limit:]


def configure_logging(level: str = "info", stream: IO[str] | None = None, *,
                      debug: bool = False) -> logging.Handler:
    """Send the server's and uvicorn's logs, and Python warnings, as JSON lines to ``stream``
    (stderr).

    Returns the handler so tests can remove it again.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(debug=debug))
    handler.addFilter(RedactKeys())
    for name in (LOGGER_NAME, "uvicorn", "uvicorn.error"):
        target = logging.getLogger(name)
        target.handlers = [h for h in target.handlers if not getattr(h, "_bizforge", False)]
        target.addHandler(handler)
        target.setLevel(level.upper())
        target.propagate = False
    handler._bizforge = True  # type: ignore[attr-defined]
    # uvicorn's access log prints raw paths and client addresses; ours replaces it.
    logging.getLogger("uvicorn.access").disabled = True
    warnings.showwarning = _log_warning  # warnings too are JSON lines, not raw text
    return handler


def _log_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A Python warning (e.g. a text cut to its length limit) as a JSON ``warning`` event."""
    log_event("warning", level=logging.WARNING, kind=category.__name__, text=str(message))


def log_event(event: str, *, level: int = logging.INFO, exc_info: Any = None,
              **fields: Any) -> None:
    """Log ``event`` with structured ``fields`` (names, counts, timings — never values)."""
    if logger.isEnabledFor(level):
        logger.log(level, event, exc_info=exc_info, extra=fields)
