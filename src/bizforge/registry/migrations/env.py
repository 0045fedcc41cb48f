"""Alembic's entry point: migrate the connection that bizforge hands over.

bizforge runs migrations itself (``bizforge.registry.db.migrate``) on a
connection that already holds the database's write lock, so there is no
alembic.ini and no URL here: the connection comes in ``config.attributes``.
"""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
