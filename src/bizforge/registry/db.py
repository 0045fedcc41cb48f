"""The registry's tables (SQLAlchemy Core) and the engine that opens them.

SQLite in the home folder by default, any SQLAlchemy URL otherwise
(``BIZFORGE_DATABASE_URL=postgresql://...``). SQLite runs in WAL mode with a
busy timeout so a server reading and a CLI publishing do not trip over each
other.

Every write transaction starts with :func:`write_lock`: an UPDATE of the one
``registry_meta`` row. On SQLite that takes the database's write lock before
anything is read; on PostgreSQL it is a row lock. Either way writers
(publish, promote, rollback, delete, recovery) are serialised, and
``revision`` counts the writes, so a server can notice a change with one cheap
query (:func:`revision`).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

__all__ = [
    "SCHEMA",
    "alias_history",
    "aliases",
    "api_keys",
    "connect",
    "metadata",
    "models",
    "now",
    "registry_meta",
    "revision",
    "versions",
    "write_lock",
]

SCHEMA = 1
BUSY_TIMEOUT_S = 30.0

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
    """An engine for ``url`` with the tables created (safe when several processes race)."""
    kwargs: dict = {}
    sqlite = url.startswith("sqlite")
    if sqlite:
        kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_S, "check_same_thread": False}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = sa.pool.StaticPool
    engine = sa.create_engine(url, **kwargs)
    if sqlite:
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    _create(engine)
    return engine


def _create(engine: Engine) -> None:
    # Two processes opening a fresh database both see "no table" and both
    # create; the loser gets an error and simply finds the tables on retry.
    for attempt in range(5):
        try:
            metadata.create_all(engine)
            with engine.begin() as conn:
                if conn.execute(sa.select(registry_meta.c.id)).first() is None:
                    conn.execute(registry_meta.insert().values(id=1, schema=SCHEMA, revision=0))
            return
        except (sa.exc.OperationalError, sa.exc.ProgrammingError, sa.exc.IntegrityError):
            if attempt == 4:
                raise
            time.sleep(0.05 * (attempt + 1))


def write_lock(conn: Connection) -> None:
    """Serialise writers: must be the first statement of every write transaction."""
    conn.execute(registry_meta.update().where(registry_meta.c.id == 1)
                 .values(revision=registry_meta.c.revision + 1))


def revision(conn: Connection) -> int:
    """How many write transactions the registry has committed (changes on every write)."""
    return int(conn.execute(sa.select(registry_meta.c.revision)).scalar_one())
