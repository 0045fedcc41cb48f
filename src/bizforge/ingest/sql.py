"""SQL through SQLAlchemy: a whole table or a query, from any database URL.

Passwords never appear in messages or metadata: the URL is rendered with the
password hidden and the password text is scrubbed from database messages.
SQLite files are opened read-only, so reading can never change them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from bizforge.errors import DataError, UsageError
from bizforge.ingest.excel import typed_column
from bizforge.ingest.stream import CHUNK_ROWS, reader_meta, stream_frames

__all__ = ["read_sql", "safe_url"]


def safe_url(url: str) -> str:
    """The URL with its password replaced by ``***``.

    >>> safe_url("postgresql://ana:s3cret@db.local/sales")
    'postgresql://ana:***@db.local/sales'
    """
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL: show only its scheme
        return url.split("://", 1)[0] + "://..."


class _Scrub:
    """Removes the password from any text shown to the user."""

    def __init__(self, password: str | None):
        self.password = password

    def __call__(self, text: str) -> str:
        return text.replace(self.password, "***") if self.password else text


def _engine(url: str, shown: str, scrub: _Scrub):
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        raise UsageError(
            f"{shown} is not a valid database URL.",
            fix="use dialect://user:password@host/database, e.g. sqlite:///shop.db or "
            "postgresql://user@host/db.",
        ) from None
    scrub.password = parsed.password
    database = parsed.database
    if parsed.get_backend_name() == "sqlite" and database and database != ":memory:":
        path = Path(database)
        if not path.is_file():
            raise DataError(
                f"database file {path} does not exist.",
                path=str(path),
                fix="check the path; sqlite:///relative.db is relative to the current folder, "
                "sqlite:////abs/path.db is absolute.",
            )
        import sqlite3

        uri = path.resolve().as_uri() + "?mode=ro"
        return sa.create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True))
    try:
        return sa.create_engine(url)
    except (ImportError, sa.exc.NoSuchModuleError) as exc:
        raise UsageError(
            f"cannot open {shown}: the database driver is missing ({scrub(str(exc))}).",
            fix="install the driver for this database, e.g. pip install psycopg2-binary for "
            "postgresql or pymysql for mysql+pymysql.",
        ) from None


def _names(conn) -> list[str]:
    import sqlalchemy as sa

    insp = sa.inspect(conn)
    return sorted(set(insp.get_table_names()) | set(insp.get_view_names()))


def _unique(columns) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for c in map(str, columns):
        seen[c] = seen.get(c, 0) + 1
        out.append(c if seen[c] == 1 else f"{c}_{seen[c]}")
    return out


def _frames(result, chunk: int) -> Iterator[pd.DataFrame]:
    columns = _unique(result.keys())
    while rows := result.fetchmany(chunk):
        yield pd.DataFrame({c: typed_column([r[j] for r in rows]) for j, c in enumerate(columns)})


def read_sql(
    url: str,
    *,
    table: str | None = None,
    query: str | None = None,
    stream: bool = False,
    sample_rows: int = 200_000,
    seed: int = 0,
) -> tuple[pd.DataFrame, dict]:
    """Read a table or a query result; returns ``(frame, meta)``.

    >>> frame, meta = read_sql("sqlite:///shop.db", table="orders")        # doctest: +SKIP
    >>> sql = "select * from orders where total > 100"
    >>> frame, meta = read_sql("sqlite:///shop.db", query=sql)  # doctest: +SKIP
    """
    import sqlalchemy as sa

    shown, scrub = safe_url(url), _Scrub(None)
    if table and query:
        raise UsageError(
            "give either table= or query=, not both.",
            fix="use table='NAME' for a whole table, or query='select ...'.",
        )
    engine = _engine(url, shown, scrub)
    try:
        with engine.connect() as conn:
            if not table and not query:
                names = _names(conn)
                raise UsageError(
                    f"{shown}: say which table to read. Tables: "
                    f"{', '.join(names) if names else '(none)'}.",
                    fix="pass table='NAME' (--table) or query='select ...' (--query).",
                )
            if table:
                names = _names(conn)
                if table not in names:
                    raise DataError(
                        f"{shown} has no table {table!r}. Tables: "
                        f"{', '.join(names) if names else '(none)'}.",
                        fix="pass one of those names as table= / --table.",
                    )
                stmt = sa.select(sa.Table(table, sa.MetaData(), autoload_with=conn))
                result = conn.execute(stmt)
            else:
                # exec_driver_sql: the query goes to the database as written, so a ':' in a
                # string literal is not taken for a bind parameter.
                result = conn.exec_driver_sql(query)
                if not result.returns_rows:
                    raise UsageError(
                        "the query returned no rows to read (it is not a SELECT).",
                        fix="pass a query that selects rows, e.g. query='select * from orders'.",
                    )
            chunks = _frames(result, CHUNK_ROWS)
            stats = None
            if stream:
                frame, stats = stream_frames(chunks, sample_rows, seed)
            else:
                parts = list(chunks)
                columns = _unique(result.keys())
                frame = (
                    pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
                )
                if len(parts) > 1:
                    frame = pd.DataFrame({c: typed_column(frame[c].tolist()) for c in frame})
    except sa.exc.DBAPIError as exc:
        raise DataError(
            f"{shown}: the database refused the {'query' if query else 'read'}: "
            f"{scrub(str(exc.orig).strip())}.",
            fix="check the table and column names and the SQL syntax (try the query in the "
            "database's own client), and that the user may read them.",
        ) from None
    except sa.exc.SQLAlchemyError as exc:
        raise DataError(
            f"{shown}: cannot read ({scrub(str(exc).splitlines()[0])}).",
            fix="check the URL, the network and the credentials.",
        ) from None
    finally:
        engine.dispose()
    return frame, reader_meta("sql", frame, stats, source=shown, table=table)
