"""Sign-in sessions, CSRF tokens and the security headers of the console's pages.

An API key is exchanged for a random session id kept in an HttpOnly,
SameSite=Strict cookie (Secure over TLS); the key itself is never stored, put in
a URL or logged. A session remembers the key's id and role, its CSRF token and
when it was last used; it ends on sign-out, after ``idle`` seconds unused, or as
soon as its key is revoked (checked when the registry changes). Sessions live in
the server process: a restart signs everyone out.

Every state-changing form carries the session's CSRF token (``csrf`` field or the
``X-CSRF-Token`` header); the sign-in form, before any session exists, carries a
token matched against a cookie of its own (double submit).
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

__all__ = ["COOKIE", "LANG_COOKIE", "LOGIN_COOKIE", "Session", "Sessions",
           "csp_headers", "set_cookie"]

COOKIE = "bf_session"
LOGIN_COOKIE = "bf_login"
LANG_COOKIE = "bf_lang"

_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-src 'self'; base-uri 'none'; "
        "frame-ancestors 'none'")
_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
            "X-Frame-Options": "DENY", "Cache-Control": "no-store",
            "Cross-Origin-Opener-Policy": "same-origin"}


def csp_headers(csp: str = _CSP, *, frame: str = "DENY") -> dict[str, str]:
    """The security headers of a console page (``frame``: SAMEORIGIN for an embeddable one)."""
    return {**_HEADERS, "Content-Security-Policy": csp, "X-Frame-Options": frame}


@dataclass
class Session:
    """One signed-in browser."""

    sid: str
    key_id: str | None
    role: str
    csrf: str
    last: float = field(default_factory=time.monotonic)

    @property
    def admin(self) -> bool:
        return self.role == "admin"


class Sessions:
    """The server's sessions (in memory), with an idle timeout."""

    def __init__(self, idle: float = 8 * 3600, max_sessions: int = 10_000):
        self.idle = idle
        self.max_sessions = max_sessions
        self._by_id: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self, key_id: str | None, role: str) -> Session:
        with self._lock:
            if len(self._by_id) >= self.max_sessions:
                self._expire()
            session = Session(secrets.token_urlsafe(32), key_id, role, secrets.token_urlsafe(24))
            self._by_id[session.sid] = session
            return session

    def get(self, sid: str | None) -> Session | None:
        if not sid:
            return None
        with self._lock:
            session = self._by_id.get(sid)
            if session is None:
                return None
            if time.monotonic() - session.last > self.idle:
                del self._by_id[sid]
                return None
            session.last = time.monotonic()
            return session

    def end(self, sid: str | None) -> None:
        with self._lock:
            self._by_id.pop(sid or "", None)

    def end_key(self, alive: set[str]) -> None:
        """End the sessions of keys no longer in ``alive`` (revoked or deleted)."""
        with self._lock:
            for sid, s in list(self._by_id.items()):
                if s.key_id is not None and s.key_id not in alive:
                    del self._by_id[sid]

    def _expire(self) -> None:
        cutoff = time.monotonic() - self.idle
        for sid, s in list(self._by_id.items()):
            if s.last < cutoff:
                del self._by_id[sid]
        while len(self._by_id) >= self.max_sessions:
            self._by_id.pop(next(iter(self._by_id)))


def set_cookie(response: Response, request: Request, name: str, value: str, *,
               max_age: int | None = None, http_only: bool = True) -> None:
    """A Strict, HttpOnly (unless told otherwise) cookie; Secure when served over TLS."""
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=http_only,
                        samesite="strict", secure=_tls(request))


def _tls(request: Request) -> bool:
    return request.url.scheme == "https"


def same_token(given: Any, expected: str | None) -> bool:
    """Constant-time comparison of a submitted token with the expected one."""
    return bool(expected) and isinstance(given, str) and hmac.compare_digest(
        given.encode(), expected.encode())
