"""Serving summaries in the registry database, and the drift report built from them.

The server flushes one row per served model version every minute or so
(:func:`record`): bucket counts on the version's drift reference, never a
raw row. :func:`drift_report` adds up a period's rows for one version and
compares them with the reference in the version's ``model.json``.

Summaries are plain inserts, outside :func:`~bizforge.registry.db.write_lock`:
they must not move the registry's revision (every server would drop its
resolved aliases on each flush), and two servers never write the same row.

>>> drift_report(Registry(), "churn", since="7d")["drifted"]      # doctest: +SKIP
['在网月数', '合约类型']
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bizforge.clean.drift import MIN_ROWS, compare, merge
from bizforge.errors import UsageError
from bizforge.registry.db import serving_summaries
from bizforge.registry.refs import parse_ref

__all__ = ["drift_report", "parse_since", "record", "reference_of", "summaries"]

_SINCE = re.compile(r"([1-9][0-9]{0,4})([mhdw])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str) -> timedelta:
    """``30m``, ``12h``, ``7d`` or ``2w`` as a timedelta; UsageError otherwise.

    >>> parse_since("7d").days
    7
    """
    found = _SINCE.fullmatch(str(text).strip().lower())
    if not found:
        raise UsageError(f"'{text}' is not a period.",
                         fix="write a number and a unit: 30m, 12h, 7d or 2w.")
    return timedelta(**{_UNITS[found[2]]: int(found[1])})


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def record(registry: Any, name: str, version: int, start: datetime, end: datetime,
           summary: dict[str, Any]) -> None:
    """Store one flush of one version's counts (a :meth:`Tally.to_dict`)."""
    with registry.engine.begin() as conn:
        conn.execute(serving_summaries.insert().values(
            name=name, version=int(version), period_start=_iso(start), period_end=_iso(end),
            rows=int(summary.get("rows", 0)), summary=summary))


def summaries(registry: Any, name: str, version: int, since: datetime) -> list[dict[str, Any]]:
    """The stored summaries of ``name:version`` whose period ended after ``since``."""
    query = (sa.select(serving_summaries.c.summary)
             .where(serving_summaries.c.name == name, serving_summaries.c.version == version,
                    serving_summaries.c.period_end >= _iso(since))
             .order_by(serving_summaries.c.id))
    with registry.engine.connect() as conn:
        rows = conn.execute(query).scalars().all()
    return [r if isinstance(r, dict) else json.loads(r) for r in rows]


def reference_of(path: Any) -> dict[str, Any] | None:
    """The drift reference in a model folder's ``model.json`` (None for older artifacts).

    Read it after :meth:`Registry.verify`: the reference is only as good as the artifact.
    """
    info = json.loads((path / "model.json").read_text(encoding="utf-8"))
    return info.get("drift_reference")


def drift_report(registry: Any, ref: str, *, since: str = "7d",
                 now: datetime | None = None, min_rows: int = MIN_ROWS) -> dict[str, Any]:
    """Compare what was served by ``ref`` (``churn``, ``churn:3``) in the last ``since``
    with its training reference: PSI and a test per feature, ranked, with advice."""
    period = parse_since(since)
    mv = registry.get(parse_ref(ref))
    registry.verify(mv)  # every file against the manifest recorded at publish
    reference = reference_of(mv.path)
    end = now or datetime.now(UTC)
    start = end - period
    head = {"model": mv.name, "version": mv.version, "since": _iso(start), "until": _iso(end)}
    if reference is None:
        return {**head, "rows": 0, "enough_rows": False, "features": [], "prediction": None,
                "drifted": [], "advice": [
                    f"{mv.ref} was trained before drift monitoring existed and has no "
                    f"training reference; retrain it to monitor drift."]}
    served = merge(summaries(registry, mv.name, mv.version, start))
    return {**head, **compare(reference, served, name=mv.name, min_rows=min_rows)}
