"""Feedback on served models in the registry database (any model, any family).

Two sources write here: callers (``POST /v1/models/{name}/feedback``: was the
answer helpful, which entry was right) as kind ``"feedback"``, and a model's
own :attr:`~bizforge.families.base.Action.remember` hook after it answered (a
question handed over to a person) under the kind it names, e.g. ``"handover"``.

Every string in a payload has its personal data masked before it is stored
(the shared :func:`~bizforge.clean.pii.mask_text`: ``138****8000``), so the
table can be read, exported and clustered without exposing customers.

Like the serving summaries these are plain inserts outside the write lock:
they must not move the registry's revision (servers would drop their resolved
aliases on every feedback).

>>> record(registry, "faq", 2, "feedback", {"question": "call 13800138000", "helpful": False})
...                                                                    # doctest: +SKIP
>>> events(registry, "faq")[0]["payload"]["question"]                  # doctest: +SKIP
'call 138****8000'
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from bizforge.clean.pii import mask_text
from bizforge.errors import UsageError
from bizforge.registry.db import feedback, now

__all__ = ["MAX_PAYLOAD_CHARS", "events", "masked", "record"]

MAX_PAYLOAD_CHARS = 20_000
_KIND = re.compile(r"[a-z][a-z0-9_]{0,31}")


def masked(value: Any) -> Any:
    """``value`` with personal data masked in every string inside it (dicts, lists)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {str(k): masked(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [masked(v) for v in value]
    return value


def record(registry: Any, name: str, version: int, kind: str, payload: dict[str, Any]) -> int:
    """Store one event (masked) and return its id."""
    if not _KIND.fullmatch(str(kind)):
        raise UsageError(f"feedback kind {kind!r} is not a short lower-case word.",
                         fix="use a kind such as 'feedback' or 'handover'.")
    clean = masked(dict(payload))
    if len(json.dumps(clean, ensure_ascii=False, default=str)) > MAX_PAYLOAD_CHARS:
        raise UsageError(f"the feedback is longer than {MAX_PAYLOAD_CHARS:,} characters.",
                         fix="send the question and the ids only.")
    with registry.engine.begin() as conn:
        result = conn.execute(feedback.insert().values(
            name=name, version=int(version), created=now(), kind=kind, payload=clean))
        return int(result.inserted_primary_key[0])


def events(registry: Any, name: str, kinds: Iterable[str] | None = None,
           since: str | None = None, version: int | None = None) -> list[dict[str, Any]]:
    """The stored events of model ``name`` (oldest first): ``{id, name, version, created,
    kind, payload}``; only ``kinds``, those ``created`` at or after ISO time ``since``, or one
    ``version`` when given."""
    query = sa.select(feedback).where(feedback.c.name == name).order_by(feedback.c.id)
    if kinds is not None:
        query = query.where(feedback.c.kind.in_(list(kinds)))
    if since is not None:
        query = query.where(feedback.c.created >= since)
    if version is not None:
        query = query.where(feedback.c.version == int(version))
    with registry.engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [{**row, "payload": row["payload"] if isinstance(row["payload"], dict)
             else json.loads(row["payload"])} for row in rows]
