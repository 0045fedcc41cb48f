"""The feedback table: any model's events, masked, read back by kind, time and version
(on SQLite and PostgreSQL, like every registry test)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from bizforge.errors import UsageError
from bizforge.registry import db
from bizforge.registry.feedback import events, masked, record


def test_events_are_stored_masked_and_read_back_in_order(registry):
    first = record(registry, "faq", 1, "feedback",
                   {"question": "mail li.lei@example.com", "helpful": False, "entry_id": "a"})
    second = record(registry, "faq", 2, "handover", {"question": "电话 13800138000"})
    record(registry, "other", 1, "feedback", {"helpful": True})
    got = events(registry, "faq")
    assert [e["id"] for e in got] == [first, second]
    assert got[0]["payload"] == {"question": "mail l***@example.com", "helpful": False,
                                 "entry_id": "a"}
    assert got[1]["payload"]["question"] == "电话 138****8000"
    assert got[1]["created"] >= got[0]["created"]


def test_events_filter_by_kind_version_and_time(registry):
    record(registry, "faq", 1, "feedback", {"helpful": True})
    record(registry, "faq", 2, "handover", {"question": "q"})
    assert [e["kind"] for e in events(registry, "faq", kinds=["handover"])] == ["handover"]
    assert [e["version"] for e in events(registry, "faq", version=1)] == [1]
    assert events(registry, "faq", since="9999-01-01") == []


def test_a_feedback_event_does_not_move_the_registry_revision(registry):
    with registry.engine.connect() as conn:
        before = db.revision(conn)
    record(registry, "faq", 1, "feedback", {"helpful": True})
    with registry.engine.connect() as conn:
        assert db.revision(conn) == before


def test_a_bad_kind_or_a_huge_payload_is_refused(registry):
    with pytest.raises(UsageError, match="kind"):
        record(registry, "faq", 1, "Drop Table", {})
    with pytest.raises(UsageError, match="longer than"):
        record(registry, "faq", 1, "feedback", {"question": "x" * 30_000})


def test_masking_reaches_into_lists_and_dicts():
    assert masked({"a": ["13800138000", {"b": "x"}], "n": 3}) == {
        "a": ["138****8000", {"b": "x"}], "n": 3}


def test_downgrading_below_feedback_and_reopening_upgrades_again(registry):
    from bizforge.registry import Registry

    record(registry, "faq", 1, "feedback", {"helpful": True})
    with registry.engine.connect() as conn:
        command.downgrade(db.alembic_config(conn), "0002")
        conn.commit()
    assert not sa.inspect(registry.engine).has_table("feedback")
    with Registry() as again:
        assert sa.inspect(again.engine).has_table("feedback")
        assert events(again, "faq") == []
