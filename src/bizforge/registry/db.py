"""The registry's tables (SQLAlchemy Core) and the engine that opens them.

SQLite in the home folder by default, any SQLAlchemy URL otherwise
(``BIZFORGE_DATABASE_URL=postgresql://...``). SQLite runs in WAL mode with a
busy timeout so a server reading and a CLI publishing do not trip over each
other.

The schema is versioned with Alembic (``registry/migrations``): opening a
database upgrades it to the newest revision under the same kind of lock, so
two processes opening one fresh or old database migrate it once. A database
made before migrations existed (schema 1, no ``alembic_version`` table) is
recognised and upgraded in place.

Every write transaction starts with :func:`write_lock`: an UPDATE of the one
``registry_meta`` row. On SQLite that takes the database's write lock before
anything is read; on PostgreSQL it is a row lock. Either way writers
(publish, promote, rollback, delete, recovery) are serialised, and
``revision`` counts the writes, so a server can notice a change with one cheap
query (:func:`revision`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

__all__ = [
    "HEAD",
    "SCHEMA",
    "alembic_config",
    "alias_history",
    "aliases",
    "api_keys",
    "connect",
    "feedback",
    "jobs",
    "metadata",
    "migrate",
    "models",
    "now",
    "registry_meta",
    "revision",
    "serving_summaries",
    "versions",
    "write_lock",
]

SCHEMA = 4  # registry_meta.schema after the newest migration
HEAD = "0004"  # the newest Alembic revision in registry/migrations/versions
BUSY_TIMEOUT_S = 30.0
_MIGRATION_LOCK = 7_310_2024  # PostgreSQL advisory lock key: one migrator at a time

metadata = sa.MetaData()

registry_meta = sa.Table(
    "registry_meta", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("schema", sa.Integer, nullable=False),
    sa.Column("revision", sa.Integer, nullable=False, default=0),
)

# One row per name ever published. ``last_version`` survives deletes so a
# version number is never handed out twice (a cached "churn:3" stays unambiguous).
models = sa.Table(
    "models", metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("created", sa.String(32), nullable=False),
    sa.Column("last_version", sa.Integer, nullable=False, default=0),
)

versions = sa.Table(
    "versions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(64), sa.ForeignKey("models.name"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("path", sa.String(200), nullable=False),  # relative to <home>/models
    sa.Column("created", sa.String(32), nullable=False),
    sa.Column("task", sa.String(64)),
    sa.Column("metric", sa.String(64)),
    sa.Column("score", sa.Float),
    sa.Column("manifest_sha256", sa.String(64), nullable=False),
    sa.Column("card", sa.JSON, nullable=False),
    sa.UniqueConstraint("name", "version", name="uq_versions_name_version"),
)

aliases = sa.Table(
    "aliases", metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("alias", sa.String(32), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("updated", sa.String(32), nullable=False),
)

# Every promotion, in order. Rollback walks back over rows not yet undone.
alias_history = sa.Table(
    "alias_history", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(64), nullable=False, index=True),
    sa.Column("alias", sa.String(32), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("previous", sa.Integer),
    sa.Column("at", sa.String(32), nullable=False),
    sa.Column("undone", sa.String(32)),  # when it was rolled back / its version deleted
)

api_keys = sa.Table(
    "api_keys", metadata,
    sa.Column("key_id", sa.String(32), primary_key=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("label", sa.String(100)),
    sa.Column("salt", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(128), nullable=False),
    sa.Column("iterations", sa.Integer, nullable=False),
    sa.Column("created", sa.String(32), nullable=False),
    sa.Column("revoked", sa.String(32)),
)


# What the server scored, summarised per model version and flush (never raw rows).
serving_summaries = sa.Table(
    "serving_summaries", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("period_start", sa.String(32), nullable=False),
    sa.Column("period_end", sa.String(32), nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("summary", sa.JSON, nullable=False),
    sa.Index("ix_serving_summaries_name_period_end", "name", "period_end"),
)


# What callers said about answers, and events a model remembers (handed-over questions):
# one row per event, personal data masked in ``payload`` before it is stored.
feedback = sa.Table(
    "feedback", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created", sa.String(32), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Index("ix_feedback_name_created", "name", "created"),
)


# Training jobs of the web console (schema 4): spec, status, progress events, result.
jobs = sa.Table(
    "jobs", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("created", sa.String(32), nullable=False),
    sa.Column("started", sa.String(32)),
    sa.Column("finished", sa.String(32)),
    sa.Column("key_id", sa.String(32)),
    sa.Column("owner", sa.String(100)),  # host:pid of the server running it
    sa.Column("heartbeat", sa.String(32)),  # last sign of life of that server
    sa.Column("spec", sa.JSON, nullable=False),
    sa.Column("events", sa.JSON, nullable=False),
    sa.Column("result", sa.JSON),
    sa.Column("error", sa.Text),
)


def now() -> str:
    """UTC time as ISO text: what every timestamp column holds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cur = dbapi_connection.cursor()
    cur.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = FULL")  # a committed version survives power loss
    cur.execute("PRAGMA foreign_keys = ON")
    cur.close()


def connect(url: str) -> Engine:
    """An engine for ``url``, its schema migrated to the newest revision.

    ``postgresql://`` means psycopg 3 (the driver bizforge installs), not psycopg2.
    """
    kwargs: dict = {}
    parsed = sa.engine.make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    sqlite = parsed.get_backend_name() == "sqlite"
    if sqlite:
        kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_S, "check_same_thread": False}
        if parsed.database in (None, "", ":memory:"):
            kwargs["poolclass"] = sa.pool.StaticPool
    else:
        # A connection dropped by a database restart is noticed and replaced on checkout
        # instead of failing the next request.
        kwargs["pool_pre_ping"] = True
    engine = sa.create_engine(parsed, **kwargs)
    if sqlite:
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    migrate(engine)
    return engine


def migrate(engine: Engine) -> str:
    """Upgrade the database to :data:`HEAD` (no-op when it is there); returns the revision.

    The upgrade runs in one transaction holding the database's write lock
    (``BEGIN IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL), so a
    second process waits and then finds nothing to do.
    """
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        if MigrationContext.configure(conn).get_current_revision() == HEAD:
            return HEAD
    with engine.connect() as conn:
        backend = engine.dialect.name
        if backend == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif backend == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"),
                         {"key": _MIGRATION_LOCK})
        _upgrade(conn)
        conn.commit()
    return HEAD


def alembic_config(conn: Connection):
    """An Alembic ``Config`` that migrates ``conn`` (for ``alembic.command`` calls).

    >>> with engine.connect() as conn:                         # doctest: +SKIP
    ...     command.downgrade(alembic_config(conn), "0001"); conn.commit()
    """
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    cfg.attributes["connection"] = conn
    return cfg


def _upgrade(conn: Connection) -> None:
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    cfg = alembic_config(conn)
    current = MigrationContext.configure(conn).get_current_revision()
    if current is None and sa.inspect(conn).has_table("registry_meta"):
        command.stamp(cfg, "0001")  # made before migrations existed: it is schema 1
    command.upgrade(cfg, "head")


def write_lock(conn: Connection) -> None:
    """Serialise writers: must be the first statement of every write transaction."""
    conn.execute(registry_meta.update().where(registry_meta.c.id == 1)
                 .values(revision=registry_meta.c.revision + 1))


def revision(conn: Connection) -> int:
    """How many write transactions the registry has committed (changes on every write)."""
    return int(conn.execute(sa.select(registry_meta.c.revision)).scalar_one())
