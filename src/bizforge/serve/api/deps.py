"""Shared dependencies of the routers: the model cache, the registry and API-key checks.

``Authorization: Bearer KEY`` is checked with the registry's ``verify_key``. Good
keys are remembered (by their sha256, never in clear) for ``ttl`` seconds or
until the registry changes, because a salted slow hash per request would cost
more than the prediction. A request with a missing or wrong key is answered 401
before any model is resolved or loaded; a key whose role is too low gets 403.

>>> @router.get("/v1/models", dependencies=[Depends(require_role("predict"))])   # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from bizforge.errors import AuthError

__all__ = ["ROLES", "KeyCheck", "authorize", "get_cache", "get_registry", "require_role"]

#: What each role may do; an admin key may do everything a predict key may.
ROLES = {"predict": 1, "admin": 2}
_bearer = HTTPBearer(auto_error=False, description="An API key from `bizforge keys create`.")
_FIX_KEY = ("send the header 'Authorization: Bearer KEY' with a key made by "
            "`bizforge keys create --role predict`.")


class KeyCheck:
    """Verify secrets with ``verify(secret) -> KeyInfo | None``, caching good answers."""

    def __init__(self, verify: Callable[[str], Any], ttl: float = 30.0, max_entries: int = 1024):
        self.verify = verify
        self.ttl = ttl
        self.max_entries = max_entries
        self._good: dict[bytes, tuple[Any, float]] = {}

    def cached(self, secret: str) -> Any:
        """The KeyInfo if this secret was verified recently, else None."""
        hit = self._good.get(_digest(secret))
        if hit is not None and time.monotonic() < hit[1]:
            return hit[0]
        return None

    def check(self, secret: str) -> Any:
        """Slow path (salted hash in the registry); remembers a good answer."""
        info = self.verify(secret)
        if info is not None:
            if len(self._good) >= self.max_entries:
                self._good.clear()
            self._good[_digest(secret)] = (info, time.monotonic() + self.ttl)
        return info

    def clear(self) -> None:
        """Forget every remembered key (the registry changed: a key may be revoked)."""
        self._good = {}


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).digest()


def get_cache(request: Request):
    """The app's :class:`~bizforge.serve.api.cache.ModelCache`."""
    return request.app.state.cache


def get_registry(request: Request):
    """The app's registry (a real :class:`~bizforge.registry.Registry` or a test double)."""
    return request.app.state.registry


async def authorize(request: Request, role: str, secret: str | None = None) -> Any:
    """Check the request's bearer key for ``role``; returns the KeyInfo (None without auth).

    The hot predict route calls this directly (FastAPI's dependency machinery costs
    as much as the rest of a one-row request); other routes use :func:`require_role`.
    """
    keys: KeyCheck | None = request.app.state.keys
    if keys is None:  # --no-auth
        return None
    if secret is None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        secret = token.strip() if scheme.lower() == "bearer" else ""
    if not secret:
        raise AuthError("this route needs an API key and none was sent.", fix=_FIX_KEY)
    # A registry change (a revoked key among them) clears the remembered keys first.
    request.app.state.cache.refresh()
    info = keys.cached(secret)
    if info is None:
        info = await run_in_threadpool(keys.check, secret)
    if info is None:
        raise AuthError("the API key is not valid (unknown, revoked or mistyped).",
                        fix=_FIX_KEY)
    request.state.key_id = info.key_id
    if ROLES.get(info.role, 0) < ROLES[role]:
        raise AuthError(f"this key has the role '{info.role}'; this route needs "
                        f"'{role}'.", status=403,
                        fix=f"use a key made with `bizforge keys create --role {role}`.")
    return info


def require_role(role: str) -> Callable:
    """A dependency that lets the request through only with a key of ``role`` or higher.

    With authentication switched off (``bizforge serve --no-auth`` on loopback) it
    lets everything through and returns None.
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")

    async def dependency(
        request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
    ) -> Any:
        return await authorize(request, role, credentials.credentials if credentials else "")

    dependency.__name__ = f"require_{role}"
    return dependency
