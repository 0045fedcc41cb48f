"""API keys for the server, kept in the registry's database as salted hashes.

A key looks like ``bf_<key_id>_<secret>``: the id finds the row, the whole key
is checked against a PBKDF2-SHA256 hash with a per-key salt, compared in
constant time. The key itself is shown once by :func:`create_key` and never
stored, logged or put in an error.

The secret part is 192 random bits, so the key cannot be guessed whatever the
hash cost; the iteration count is kept modest because a server checks a key on
every request, and a process remembers (under a random in-memory pepper) which
keys it has already checked against which stored hash, so a repeat check
costs one HMAC plus the database lookup that also catches a revocation.

>>> key_id, key = create_key("predict", label="crm")   # doctest: +SKIP
>>> verify_key(key).role                              # doctest: +SKIP
'predict'
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from bizforge.config import get_settings
from bizforge.errors import ModelNotFound, UsageError
from bizforge.registry.db import api_keys, now, write_lock

if TYPE_CHECKING:
    from bizforge.registry.store import Registry

__all__ = [
    "ROLES",
    "KeyInfo",
    "KeyStore",
    "create_key",
    "list_keys",
    "revoke_key",
    "verify_key",
]

ROLES = ("predict", "admin")
ITERATIONS = 20_000
_KEY = re.compile(r"bf_([0-9a-f]{12})_[0-9a-f]{48}")
_KEY_ID = re.compile(r"[0-9a-f]{12}")
_CACHE_SIZE = 1024


@dataclass(frozen=True)
class KeyInfo:
    """Who a key belongs to (never the key or its hash)."""

    key_id: str
    role: str
    label: str | None = None
    created: str | None = None
    revoked: str | None = None


def _hash(key: str, salt: bytes, iterations: int) -> str:
    return hashlib.pbkdf2_hmac("sha256", key.encode("ascii"), salt, iterations).hex()


def _info(row) -> KeyInfo:
    return KeyInfo(row.key_id, row.role, row.label, row.created, row.revoked)


class KeyStore:
    """Create, check, list and revoke keys in ``registry``'s database."""

    def __init__(self, registry: Registry):
        self.registry = registry
        self._pepper = os.urandom(32)
        self._checked: dict[bytes, str] = {}

    def create(self, role: str, label: str | None = None) -> tuple[str, str]:
        """A new key: returns ``(key_id, key)``; the key is not kept anywhere."""
        if role not in ROLES:
            raise UsageError(f"unknown role '{role}'.", fix=f"use one of: {', '.join(ROLES)}.")
        if label is not None:
            label = label.strip() or None
        if label is not None and (len(label) > 100 or not label.isprintable()):
            raise UsageError("a key label must be printable text of at most 100 characters.",
                             fix="use a short name such as crm-prod.")
        for _ in range(5):
            key_id = secrets.token_hex(6)
            key = f"bf_{key_id}_{secrets.token_hex(24)}"
            salt = secrets.token_bytes(16)
            try:
                with self.registry.engine.begin() as conn:
                    write_lock(conn)
                    conn.execute(api_keys.insert().values(
                        key_id=key_id, role=role, label=label, salt=salt.hex(),
                        hash=_hash(key, salt, ITERATIONS), iterations=ITERATIONS,
                        created=now()))
                return key_id, key
            except sa.exc.IntegrityError:
                continue  # the same 48-bit id twice: draw again
        raise RuntimeError("could not draw a unique key id")  # pragma: no cover

    def verify(self, key: str) -> KeyInfo | None:
        """The key's owner, or None when it is malformed, unknown, revoked or wrong."""
        if not isinstance(key, str):
            return None
        match = _KEY.fullmatch(key.strip())
        if match is None:
            return None
        key = match.group(0)
        with self.registry.engine.connect() as conn:
            row = conn.execute(sa.select(api_keys)
                               .where(api_keys.c.key_id == match.group(1))).first()
        if row is None or row.revoked is not None:
            return None
        seen = hmac.new(self._pepper, key.encode("ascii"), hashlib.sha256).digest()
        remembered = self._checked.get(seen)
        if remembered is None or not hmac.compare_digest(remembered, row.hash):
            computed = _hash(key, bytes.fromhex(row.salt), row.iterations)
            if not hmac.compare_digest(computed, row.hash):
                return None
            if len(self._checked) >= _CACHE_SIZE:
                self._checked.clear()
            self._checked[seen] = row.hash
        return _info(row)

    def list(self) -> list[KeyInfo]:
        """Every key, oldest first, revoked ones included (marked)."""
        with self.registry.engine.connect() as conn:
            rows = conn.execute(sa.select(api_keys.c.key_id, api_keys.c.role, api_keys.c.label,
                                          api_keys.c.created, api_keys.c.revoked)
                                .order_by(api_keys.c.created, api_keys.c.key_id)).all()
        return [_info(r) for r in rows]

    def revoke(self, key_id: str) -> KeyInfo:
        """Revoke a key by its id; it is refused from the next request on."""
        if not isinstance(key_id, str) or not _KEY_ID.fullmatch(key_id):
            raise UsageError("a key id is 12 hex digits, as shown by `bizforge keys list`.",
                             fix="pass the id, not the key itself.")
        with self.registry.engine.begin() as conn:
            write_lock(conn)
            row = conn.execute(sa.select(api_keys).where(api_keys.c.key_id == key_id)).first()
            if row is None:
                raise ModelNotFound(f"no API key with id '{key_id}'.",
                                    fix="`bizforge keys list` shows the ids.")
            if row.revoked is None:
                conn.execute(api_keys.update().where(api_keys.c.key_id == key_id)
                             .values(revoked=now()))
            row = conn.execute(sa.select(api_keys).where(api_keys.c.key_id == key_id)).first()
        return _info(row)


# -- module-level functions on the default registry -----------------------------------
@functools.lru_cache(maxsize=8)
def _store_for(url: str, home: str) -> KeyStore:
    from bizforge.registry.store import Registry

    return KeyStore(Registry(url=url, home=home))


def _store(registry: Registry | None) -> KeyStore:
    if registry is not None:
        return registry.keys
    settings = get_settings()
    return _store_for(settings.resolved_database_url(), str(settings.home))


def create_key(role: str, label: str | None = None, *,
               registry: Registry | None = None) -> tuple[str, str]:
    """Create a ``predict`` or ``admin`` key; returns ``(key_id, key)`` — show the key once."""
    return _store(registry).create(role, label)


def verify_key(key: str, *, registry: Registry | None = None) -> KeyInfo | None:
    """The owner of ``key`` or None (unknown, revoked, malformed or wrong)."""
    return _store(registry).verify(key)


def list_keys(*, registry: Registry | None = None) -> list[KeyInfo]:
    """Every key's id, role, label and dates (never secrets)."""
    return _store(registry).list()


def revoke_key(key_id: str, *, registry: Registry | None = None) -> KeyInfo:
    """Revoke a key by id (ModelNotFound when no such id)."""
    return _store(registry).revoke(key_id)
