"""Schema migrations (Alembic): an old registry opens upgraded, with its data intact."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bizforge.config import get_settings
from bizforge.registry import Registry, db


def _url() -> str:
    return get_settings().resolved_database_url()


def _schema_one_registry(url: str, home) -> None:
    """A registry as the release before migrations left it: schema 1, one published
    version promoted to production, no alembic_version table."""
    if url.startswith("sqlite"):
        home.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        command.upgrade(db.alembic_config(conn), "0001")
        conn.execute(sa.text("DROP TABLE alembic_version"))
        conn.execute(sa.text("INSERT INTO models (name, created, last_version) "
                             "VALUES ('churn', '2026-01-01T00:00:00+00:00', 1)"))
        conn.execute(sa.text(
            "INSERT INTO versions (name, version, path, created, task, metric, score, "
            "manifest_sha256, card) VALUES ('churn', 1, 'churn/1', "
            "'2026-01-01T00:00:00+00:00', 'tabular-classification', 'roc_auc', 0.8, "
            "'00', '{\"metrics\": {\"roc_auc\": 0.8}}')"))
        conn.execute(sa.text("INSERT INTO aliases (name, alias, version, updated) "
                             "VALUES ('churn', 'production', 1, '2026-01-01T00:00:00+00:00')"))
        conn.commit()
    engine.dispose()


def _revision(engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_a_schema_one_registry_is_upgraded_to_head_keeping_its_versions(tmp_path):
    home = get_settings().home
    _schema_one_registry(_url(), home)
    with Registry() as reg:
        (row,) = reg.list()
        assert (row["name"], row["latest"], row["aliases"]) == ("churn", 1, {"production": 1})
        assert _revision(reg.engine) == db.HEAD
        assert sa.inspect(reg.engine).has_table("serving_summaries")
        with reg.engine.connect() as conn:
            assert conn.execute(sa.select(db.registry_meta.c.schema)).scalar_one() == db.SCHEMA


def test_a_new_registry_is_created_at_the_head_revision():
    with Registry() as reg:
        reg.list()
        assert _revision(reg.engine) == db.HEAD


def test_the_migrations_build_exactly_the_tables_the_code_uses():
    with Registry() as reg, reg.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


def test_downgrading_to_schema_one_and_reopening_upgrades_again(artifact):
    with Registry() as reg:
        reg.publish(artifact, "churn")
        with reg.engine.connect() as conn:
            command.downgrade(db.alembic_config(conn), "0001")
            conn.commit()
        assert not sa.inspect(reg.engine).has_table("serving_summaries")
    with Registry() as reg:
        assert _revision(reg.engine) == db.HEAD
        assert [v.version for v in reg.versions("churn")] == [1]


# Rows that each revision's new table holds, written before the next upgrade.
_ROWS_AT = {
    "0002": ("INSERT INTO serving_summaries (name, version, period_start, period_end, rows, "
             "summary) VALUES ('churn', 1, '2026-01-01T00:00:00+00:00', "
             "'2026-01-01T00:01:00+00:00', 7, '{\"rows\": 7}')"),
    "0003": ("INSERT INTO feedback (name, version, created, kind, payload) VALUES ('churn', 1, "
             "'2026-01-01T00:02:00+00:00', 'rating', '{\"helpful\": true}')"),
}
_SCHEMA_AT = {"0001": 1, "0002": 2, "0003": 3, "0004": 4}


def _registry_at(url: str, home, revision: str) -> None:
    """A registry left at ``revision`` by the release that shipped it, with a row in
    every table that revision has."""
    _schema_one_registry(url, home)
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        command.stamp(db.alembic_config(conn), "0001")
        for step in sorted(_ROWS_AT):
            if step > revision:
                break
            command.upgrade(db.alembic_config(conn), step)
            conn.execute(sa.text(_ROWS_AT[step]))
        conn.commit()
        assert _revision(engine) == revision
    engine.dispose()


@pytest.mark.parametrize("revision", ["0001", "0002", "0003"])
def test_a_registry_at_each_earlier_revision_is_upgraded_keeping_its_rows(revision):
    _registry_at(_url(), get_settings().home, revision)
    with Registry() as reg:
        (row,) = reg.list()
        assert (row["name"], row["latest"], row["aliases"]) == ("churn", 1, {"production": 1})
        assert _revision(reg.engine) == db.HEAD
        with reg.engine.connect() as conn:
            assert conn.execute(sa.select(db.registry_meta.c.schema)).scalar_one() == db.SCHEMA
            kept = {table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
                    for table in ("serving_summaries", "feedback", "jobs")}
    assert kept == {"serving_summaries": int(revision >= "0002"),
                    "feedback": int(revision >= "0003"), "jobs": 0}


def test_each_downgrade_step_leaves_the_schema_number_of_its_revision(artifact):
    with Registry() as reg:
        reg.publish(artifact, "churn")
        with reg.engine.connect() as conn:
            for revision in ["0003", "0002", "0001"]:
                command.downgrade(db.alembic_config(conn), revision)
                schema = conn.execute(sa.select(db.registry_meta.c.schema)).scalar_one()
                now = MigrationContext.configure(conn).get_current_revision()
                assert (now, schema) == (revision, _SCHEMA_AT[revision])
            conn.commit()


def test_the_revision_chain_is_linear_and_ends_at_head():
    from alembic.script import ScriptDirectory

    with Registry() as reg, reg.engine.connect() as conn:
        script = ScriptDirectory.from_config(db.alembic_config(conn))
        chain = [rev.revision for rev in script.walk_revisions()][::-1]
        assert chain == sorted(_SCHEMA_AT) and script.get_heads() == [db.HEAD]
        for rev in script.walk_revisions():
            assert f"Revises: {rev.down_revision}" in (rev.module.__doc__ or "") or \
                rev.down_revision is None
